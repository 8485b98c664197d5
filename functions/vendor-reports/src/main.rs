use lambda_http::{Error, run, service_fn};
use shared::reports::DynamoReports;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let reports = DynamoReports::from_env(&sdk)?;
    run(service_fn(|req| {
        vendor_reports::handler(&store, &reports, req)
    }))
    .await
}
