use lambda_http::lambda_runtime::{self, Error, service_fn};
use payment_reconcile::ReconcileSettings;
use shared::payments::StripeSettings;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let payments = StripeSettings::load(&sdk).await?.client()?;
    let settings = ReconcileSettings::from_env()?;
    lambda_runtime::run(service_fn(|event| {
        payment_reconcile::handler(&store, &payments, &settings, event)
    }))
    .await
}
