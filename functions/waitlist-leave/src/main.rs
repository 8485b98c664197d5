use lambda_http::{Error, run, service_fn};
use shared::waitlist::DynamoWaitlist;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let waitlist = DynamoWaitlist::from_env(&sdk)?;
    run(service_fn(|req| waitlist_leave::handler(&waitlist, req))).await
}
