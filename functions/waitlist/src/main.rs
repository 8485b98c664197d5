use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use shared::inbox::Inbox;
use shared::payments::StripeSettings;
use shared::store::{DynamoArchive, DynamoStore};
use shared::waitlist::{DynamoWaitlist, OfferSettings};
use waitlist::{Offers, handle};

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
    let (inbox, offers) = (&inbox, &offers);
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(handle(inbox, offers, event.payload).await)
    }))
    .await
}
