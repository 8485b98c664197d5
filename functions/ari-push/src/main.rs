use ari_push::{CONSUMER, Marks};
use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::ari_push::dynamo::{DynamoMarks, SqsFlushQueue};
use shared::inbox::Inbox;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let marks = Marks {
        marks: DynamoMarks::from_env(&sdk)?,
        queue: SqsFlushQueue::from_env(&sdk)?,
    };
    lambda_runtime::run(service_fn(|event| CONSUMER.handler(&inbox, &marks, event))).await
}
