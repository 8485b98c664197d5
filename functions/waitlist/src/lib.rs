//! Offers freed units to the waitlist: on a fact that gives units of a type back to sale (a
//! cancellation, an expired hold, a no-show, an early departure, a change's old terms, a block
//! removed, a channel's allotment given back to the general pool), the type's waiting guests are
//! held a unit each, oldest first, through the engine (`shared::waitlist::offer_freed`); the
//! guest hears of it through the notifier (`WaitlistOffered`). An offer's own booking confirmed
//! or ended settles its entry first. Latest wins per booking: an older fact arriving late
//! describes units already handled.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use shared::ari_push::allotted::{ALLOTMENT_CHANGED, AllotmentFact};
use shared::channels::events::CHANNELS_SOURCE;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery, SideFact};
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

/// The facts beside the inbox's: a channel's allotment changed.
pub const ALLOTMENTS: SideFact = SideFact {
    source: CHANNELS_SOURCE,
    detail_type: ALLOTMENT_CHANGED,
};

/// A batch as the Lambda gets it. An allotment's fact is no booking's or vendor's `Event` and
/// has no version for the ledger, so it is offered beside the inbox. Offering it again is
/// harmless: each offer is a real hold, keyed by its entry, so a repeat can only hold units
/// that are free.
pub async fn handle<S, A, P, W>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    offers: &Offers<S, A, P, W>,
    batch: SqsEvent,
) -> SqsBatchResponse
where
    S: VendorStore + ResourceStore + BookingStore,
    A: ArchiveIndex,
    P: PaymentGateway,
    W: WaitlistStore,
{
    CONSUMER
        .consume_beside(
            inbox,
            offers,
            batch,
            ALLOTMENTS,
            |fact: AllotmentFact| async move {
                match freed_by_allotment(&fact) {
                    Some(freed) => offers.offer(freed, &fact.event_id).await,
                    None => Ok(()),
                }
            },
        )
        .await
}
