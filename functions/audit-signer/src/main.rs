use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::audit::DynamoAudit;
use shared::audit::sign::KmsCheckpointSigner;
use shared::auth::TokenSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let log = DynamoAudit::from_env(&sdk)?;
    let signer = KmsCheckpointSigner::from_env(&sdk).await?;
    // The logs are named after the token issuer: `<issuer host>/audit/<vendor id>`.
    let issuer = TokenSettings::from_env()?.issuer;
    lambda_runtime::run(service_fn(|event| {
        audit_signer::handler(&log, &signer, &issuer, event)
    }))
    .await
}
