use lambda_http::{Error, run, service_fn};
use shared::billing::DynamoBilling;
use shared::store::{DynamoArchive, DynamoStore, S3Records};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let records = S3Records::from_env(&sdk)?;
    let billing = DynamoBilling::from_env(&sdk)?;
    run(service_fn(|req| {
        booking_invoice::handler(&store, &archive, &records, &billing, req)
    }))
    .await
}
