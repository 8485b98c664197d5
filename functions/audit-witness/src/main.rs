use audit_witness::DynamoWitnessState;
use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::audit::DynamoAudit;
use shared::auth::TokenSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let log = DynamoAudit::from_env(&sdk)?;
    let state = DynamoWitnessState::from_env(&sdk)?;
    // Only the public key: the witness can verify checkpoints, never sign one.
    let (_, key) = shared::audit::sign::audit_public_key_from_env(&sdk).await?;
    let keys = tlog::PublicKeys::from(key);
    let issuer = TokenSettings::from_env()?.issuer;
    lambda_runtime::run(service_fn(|event| {
        audit_witness::handler(&log, &state, &keys, &issuer, event)
    }))
    .await
}
