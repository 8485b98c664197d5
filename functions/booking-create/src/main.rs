use booking_create::HoldSettings;
use lambda_http::{Error, run, service_fn};
use shared::payments::StripeSettings;
use shared::store::{DynamoArchive, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let settings = HoldSettings::from_env()?;
    let payments = StripeSettings::load(&sdk).await?.client()?;
    run(service_fn(|req| {
        booking_create::handler(&store, &archive, &payments, &settings, req)
    }))
    .await
}
