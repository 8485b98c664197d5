use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::inbox::DynamoLedger;
use archiver::{CONSUMER, Archiver};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let ledger = DynamoLedger::from_env(&sdk)?;
    lambda_runtime::run(service_fn(|event| CONSUMER.handler(&ledger, &Archiver, event))).await
}
