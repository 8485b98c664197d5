use lambda_http::{Error, run, service_fn};
use shared::ari_push::PushKey;
use shared::channels::DynamoChannels;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoChannels::from_env(&sdk)?;
    let push_key = PushKey::load(&sdk).await?;
    run(service_fn(|req| {
        channel_secret_rotate::handler(&store, &push_key, req)
    }))
    .await
}
