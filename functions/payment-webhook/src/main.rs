use lambda_http::{Error, run, service_fn};
use payment_webhook::WebhookSettings;
use shared::inbox::DynamoLedger;
use shared::payments::StripeSettings;
use shared::store::{DynamoArchive, DynamoStore};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let ledger = DynamoLedger::from_env(&sdk)?;
    let stripe = StripeSettings::load(&sdk).await?;
    let payments = stripe.client()?;
    let settings = WebhookSettings::new(stripe.webhook_secrets.clone())?;
    run(service_fn(|req| {
        payment_webhook::handler(&store, &archive, &payments, &ledger, &settings, req)
    }))
    .await
}
