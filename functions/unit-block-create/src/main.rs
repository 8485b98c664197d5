use lambda_http::{Error, run, service_fn};
use shared::store::{DynamoArchive, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let lists = DynamoArchive::from_env(&store)?;
    run(service_fn(|req| {
        unit_block_create::handler(&store, &lists, req)
    }))
    .await
}
