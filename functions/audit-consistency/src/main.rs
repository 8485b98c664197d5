use lambda_http::{Error, run, service_fn};
use shared::audit::DynamoAudit;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let log = DynamoAudit::from_env(&sdk)?;
    run(service_fn(|req| audit_consistency::handler(&log, req))).await
}
