use lambda_http::{Error, run, service_fn};
use shared::audit::DynamoAudit;
use shared::auth::TokenSettings;
use shared::store::{DynamoArchive, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let log = DynamoAudit::from_env(&sdk)?;
    // The logs are named after the token issuer: `<issuer host>/audit/<vendor id>`.
    let issuer = TokenSettings::from_env()?.issuer;
    run(service_fn(|req| {
        booking_receipt::handler(&store, &archive, &log, &issuer, req)
    }))
    .await
}
