use lambda_http::lambda_runtime::{self, Error, service_fn};
use notifier::{Notifier, handler};
use shared::inbox::Inbox;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let notifier = Notifier::from_env(DynamoStore::from_env(&sdk)?, &sdk)?;
    lambda_runtime::run(service_fn(|event| handler(&inbox, &notifier, event))).await
}
