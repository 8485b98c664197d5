use lambda_http::{Error, run, service_fn};
use shared::search::AnyIndex;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let index = AnyIndex::from_env(&sdk)?;
    run(service_fn(|req| {
        vendor_search::handler(&index, &store, req)
    }))
    .await
}
