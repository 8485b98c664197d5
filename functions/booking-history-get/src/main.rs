use lambda_http::{Error, run, service_fn};
use shared::store::{DynamoArchive, DynamoHistoryLog, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let log = DynamoHistoryLog::from_env(&sdk)?;
    run(service_fn(|req| {
        booking_history_get::handler(&store, &archive, &log, req)
    }))
    .await
}
