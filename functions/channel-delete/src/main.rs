use lambda_http::{Error, run, service_fn};
use shared::channels::DynamoChannels;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoChannels::from_env(&sdk)?;
    run(service_fn(|req| channel_delete::handler(&store, req))).await
}
