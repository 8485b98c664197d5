use ari_flush::Flusher;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use shared::ari_push::deliver::HttpWebhook;
use shared::ari_push::dynamo::DynamoMarks;
use shared::ari_push::{PushKey, Retry};
use shared::channels::DynamoChannels;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let flusher = Flusher {
        marks: DynamoMarks::from_env(&sdk)?,
        source: DynamoStore::from_env(&sdk)?,
        channels: DynamoChannels::from_env(&sdk)?,
        webhook: HttpWebhook::new()?,
        signing_key: PushKey::load(&sdk).await?,
        retry: Retry::default(),
    };
    let flusher = &flusher;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(flusher.handle(event.payload).await)
    }))
    .await
}
