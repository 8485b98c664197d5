use invoicer::{CONSUMER, Invoicer};
use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::billing::DynamoBilling;
use shared::billing::archive::S3InvoiceArchive;
use shared::inbox::Inbox;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let invoicer = Invoicer {
        store: DynamoStore::from_env(&sdk)?,
        billing: DynamoBilling::from_env(&sdk)?,
        archive: S3InvoiceArchive::from_env(&sdk)?,
    };
    lambda_runtime::run(service_fn(|event| {
        CONSUMER.handler(&inbox, &invoicer, event)
    }))
    .await
}
