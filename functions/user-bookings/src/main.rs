use lambda_http::{Error, run, service_fn};
use shared::store::{DynamoArchive, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let lists = DynamoArchive::from_env(&DynamoStore::from_env(&sdk)?)?;
    run(service_fn(|req| user_bookings::handler(&lists, req))).await
}
