use lambda_http::{Error, run, service_fn};
use shared::auth::{KmsSigner, TokenSettings};
use shared::channels::DynamoChannels;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let channels = DynamoChannels::from_env(&sdk)?;
    let settings = TokenSettings::from_env()?;
    let signer = KmsSigner::from_env(&sdk).await?;
    run(service_fn(|req| {
        oauth_token::handler(&store, &channels, &signer, &settings, req)
    }))
    .await
}
