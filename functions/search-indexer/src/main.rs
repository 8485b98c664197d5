use lambda_http::lambda_runtime::{self, Error, service_fn};
use search_indexer::{CONSUMER, Indexer};
use shared::inbox::Inbox;
use shared::search::AnyIndex;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let indexer = Indexer {
        store: DynamoStore::from_env(&sdk)?,
        index: AnyIndex::from_env(&sdk)?,
    };
    indexer.index.ensure_ready().await?;
    lambda_runtime::run(service_fn(|event| {
        CONSUMER.handler(&inbox, &indexer, event)
    }))
    .await
}
