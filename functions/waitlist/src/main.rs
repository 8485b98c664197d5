use lambda_http::lambda_runtime::{self, Error, service_fn};
use shared::inbox::Inbox;
use shared::payments::StripeSettings;
use shared::store::{DynamoArchive, DynamoStore};
use shared::waitlist::{DynamoWaitlist, OfferSettings};
use waitlist::{CONSUMER, Offers};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk)?;
    let store = DynamoStore::from_env(&sdk)?;
    let offers = Offers {
        archive: DynamoArchive::from_env(&store)?,
        store,
        payments: StripeSettings::load(&sdk).await?.client()?,
        waitlist: DynamoWaitlist::from_env(&sdk)?,
        settings: OfferSettings::from_env()?,
    };
    lambda_runtime::run(service_fn(|event| CONSUMER.handler(&inbox, &offers, event))).await
}
