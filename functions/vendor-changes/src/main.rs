use lambda_http::{Error, run, service_fn};
use shared::feed::{DynamoFeed, Feed};
use shared::store::DynamoStore;
use vendor_changes::Polling;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let feed = Feed::new(DynamoFeed::from_env(&sdk)?);
    run(service_fn(|req| {
        vendor_changes::handler(&store, &feed, Polling::default(), req)
    }))
    .await
}
