use lambda_http::lambda_runtime::{self, Error, service_fn};
use payment_refund::{CONSUMER, Refunds};
use shared::inbox::Inbox;
use shared::payments::StripeSettings;
use shared::store::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let refunds = Refunds {
        store: DynamoStore::from_env(&sdk)?,
        payments: StripeSettings::load(&sdk).await?.client()?,
    };
    lambda_runtime::run(service_fn(|event| {
        CONSUMER.handler(&inbox, &refunds, event)
    }))
    .await
}
