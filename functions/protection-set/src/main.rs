use lambda_http::{Error, run, service_fn};
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    run(service_fn(|req| protection_set::handler(&store, req))).await
}
