use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::payments::StripeSettings;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let payments = StripeSettings::load(&sdk).await?.client()?;
    lambda_runtime::run(service_fn(|event| {
        hold_expiry::handler(&store, &payments, event)
    }))
    .await
}
