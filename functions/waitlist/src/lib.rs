//! Offers freed units to the waitlist: on a fact that gives units of a type back to sale (a
//! cancellation, an expired hold, a no-show, an early departure, a change's old terms, a block
//! removed), the type's waiting guests are held a unit each, oldest first, through the engine
//! (`shared::waitlist::offer_freed`); the guest hears of it through the notifier
//! (`WaitlistOffered`). An offer's own booking confirmed or ended settles its entry first.
//! Latest wins per booking: an older fact arriving late describes units already handled.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::payments::PaymentGateway;
use shared::store::{ArchiveIndex, BookingStore, ResourceStore, VendorStore};
use shared::waitlist::{OfferSettings, WaitlistStore, freed_by, offer_freed, settle_offer};

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
        let Some(freed) = freed_by(event) else {
            return Ok(());
        };
        let offered = offer_freed(
            &self.store,
            &self.archive,
            &self.payments,
            &self.waitlist,
            &self.settings,
            freed,
            now,
        )
        .await?;
        tracing::info!(
            consumer = CONSUMER.name,
            event_id = %event.event_id(),
            vendor_id = %freed.vendor,
            resource_id = %freed.resource,
            freed = freed.units,
            offered = offered.len(),
            "freed units offered to the waitlist"
        );
        Ok(())
    }
}
