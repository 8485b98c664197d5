use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::outbox::EventBridgeBus;
use shared::store::StreamTables;
use shared::timer::SqsHoldTimer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let tables = StreamTables::from_env()?;
    let bus = EventBridgeBus::from_env(&sdk)?;
    let timer = SqsHoldTimer::from_env(&sdk)?;
    lambda_runtime::run(service_fn(|event| {
        outbox_publisher::handler(&tables, &bus, &timer, event)
    }))
    .await
}
