use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::outbox::EventBridgeBus;
use shared::reports::DynamoReports;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let reports = DynamoReports::from_env(&sdk)?;
    let bus = EventBridgeBus::from_env(&sdk)?;
    lambda_runtime::run(service_fn(|event| {
        night_audit::handler(&store, &reports, &bus, event)
    }))
    .await
}
