use ari_push::{Marks, handle};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
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
    let (inbox, marks) = (&inbox, &marks);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(handle(inbox, marks, event.payload).await)
    }))
    .await
}
