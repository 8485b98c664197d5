use lambda_http::lambda_runtime::{self, Error, service_fn};
use reports::{CONSUMER, ReportWriter};
use shared::inbox::Inbox;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let writer = ReportWriter::from_env(&sdk)?;
    lambda_runtime::run(service_fn(|event| CONSUMER.handler(&inbox, &writer, event))).await
}
