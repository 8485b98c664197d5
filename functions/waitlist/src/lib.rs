//! Offers freed units to the waitlist: on a fact that gives units of a type back to sale (a
//! cancellation, an expired hold, a no-show, an early departure, a change's old terms, a block
//! removed, a channel's allotment given back to the general pool), the type's waiting guests are
//! held a unit each, oldest first, through the engine (`shared::waitlist::offer_freed`); the
//! guest hears of it through the notifier (`WaitlistOffered`). An offer's own booking confirmed
//! or ended settles its entry first. Latest wins per booking: an older fact arriving late
//! describes units already handled.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::ari_push::allotted::{ALLOTMENT_CHANGED, AllotmentFact};
use shared::channels::events::CHANNELS_SOURCE;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery};
use shared::payments::PaymentGateway;
use shared::store::{ArchiveIndex, BookingStore, ResourceStore, VendorStore};
use shared::waitlist::{
    Freed, OfferSettings, WaitlistStore, freed_by, freed_by_allotment, offer_freed, settle_offer,
};

pub const CONSUMER: Consumer = Consumer {
    name: "waitlist",
    order: Order::LatestWins,
};

pub struct Offers<S, A, P, W> {
    pub store: S,
    pub archive: A,
    pub payments: P,
    pub waitlist: W,
    pub settings: OfferSettings,
}

impl<S, A, P, W> Effect for Offers<S, A, P, W>
where
    S: VendorStore + ResourceStore + BookingStore,
    A: ArchiveIndex,
    P: PaymentGateway,
    W: WaitlistStore,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let now = shared::clock::now();
        settle_offer(&self.waitlist, event, now).await?;
        match freed_by(event) {
            Some(freed) => self.offer(freed, &event.event_id().to_string()).await,
            None => Ok(()),
        }
    }
}

impl<S, A, P, W> Offers<S, A, P, W>
where
    S: VendorStore + ResourceStore + BookingStore,
    A: ArchiveIndex,
    P: PaymentGateway,
    W: WaitlistStore,
{
    async fn offer(&self, freed: Freed, event_id: &str) -> anyhow::Result<()> {
        let offered = offer_freed(
            &self.store,
            &self.archive,
            &self.payments,
            &self.waitlist,
            &self.settings,
            freed,
            shared::clock::now(),
        )
        .await?;
        tracing::info!(
            consumer = CONSUMER.name,
            event_id,
            vendor_id = %freed.vendor,
            resource_id = %freed.resource,
            freed = freed.units,
            offered = offered.len(),
            "freed units offered to the waitlist"
        );
        Ok(())
    }
}

/// An `AllotmentChanged` message's fact, if it is one.
fn allotment_fact(message: &SqsMessage) -> Option<anyhow::Result<AllotmentFact>> {
    let received: ReceivedEvent = serde_json::from_str(message.body.as_deref()?).ok()?;
    (received.source == CHANNELS_SOURCE && received.detail_type == ALLOTMENT_CHANGED)
        .then(|| serde_json::from_value(received.detail).map_err(anyhow::Error::from))
}

/// A batch as the Lambda gets it. An allotment's fact is no booking's or vendor's `Event` and
/// has no version for the ledger, so it is offered here, the rest through the inbox. Offering
/// it again is harmless: each offer is a real hold, keyed by its entry, so a repeat can only
/// hold units that are free.
pub async fn handle<S, A, P, W>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    offers: &Offers<S, A, P, W>,
    mut batch: SqsEvent,
) -> SqsBatchResponse
where
    S: VendorStore + ResourceStore + BookingStore,
    A: ArchiveIndex,
    P: PaymentGateway,
    W: WaitlistStore,
{
    let mut failed = Vec::new();
    let mut rest = Vec::new();
    for message in std::mem::take(&mut batch.records) {
        let Some(fact) = allotment_fact(&message) else {
            rest.push(message);
            continue;
        };
        let offered = match fact {
            Ok(fact) => match freed_by_allotment(&fact) {
                Some(freed) => offers.offer(freed, &fact.event_id).await,
                None => Ok(()),
            },
            Err(error) => Err(error),
        };
        if let Err(error) = offered {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::warn!(consumer = CONSUMER.name, message_id = %id, error = format!("{error:#}"), "allotment fact not offered; delivered again");
            failed.push(id);
        }
    }
    batch.records = rest;
    let mut response = if batch.records.is_empty() {
        SqsBatchResponse::default()
    } else {
        CONSUMER.consume(inbox, offers, batch).await
    };
    response
        .batch_item_failures
        .extend(shared::inbox::failed_messages(failed).batch_item_failures);
    response
}
