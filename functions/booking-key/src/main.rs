use lambda_http::{Error, run, service_fn};
use shared::auth::{KmsSigner, TokenSettings};
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let settings = TokenSettings::from_env()?;
    let signer = KmsSigner::from_env(&sdk).await?;
    run(service_fn(|req| {
        booking_key::handler(&store, &signer, &settings, req)
    }))
    .await
}
