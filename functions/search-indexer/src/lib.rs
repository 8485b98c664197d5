//! Keeps the search index current. A vendor, room/table type or rating fact re-reads the vendor,
//! its types and its rating and replaces the listing; a booking fact re-reads the inventory
//! counters of the buckets it touched (and, for a change, of those it left) and sets or clears
//! their sold-out markers. Both read the current state rather than trusting the fact, so a
//! repeated or late fact does no harm. Every fact is applied once, in version order, by the
//! shared inbox.
use shared::domain::calendar::Bucket;
use shared::domain::ids::{ResourceId, VendorId};
use shared::events::{Event, ReceivedEvent, VendorEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::search::{Listing, SearchIndex, sold_out_key};
use shared::store::{BookingStore, ResourceStore, ReviewStore, VendorStore};

pub const CONSUMER: Consumer = Consumer {
    name: "search-indexer",
    order: Order::InOrder,
};

/// The consumer's effect: where vendors and counters are read, and the index written.
pub struct Indexer<S, I> {
    pub store: S,
    pub index: I,
}

impl<S, I> Indexer<S, I>
where
    S: VendorStore + ResourceStore + BookingStore + ReviewStore,
    I: SearchIndex,
{
    async fn relist(&self, vendor: VendorId) -> anyhow::Result<()> {
        let (found, resources, rating) = tokio::try_join!(
            self.store.vendor(vendor),
            self.store.resources(vendor),
            self.store.rating(vendor)
        )?;
        let Some(found) = found else {
            tracing::warn!(vendor_id = %vendor, "a vendor fact for a vendor that is not stored");
            return Ok(());
        };
        self.index
            .upsert(&Listing::of(&found, resources, rating.as_ref()))
            .await
    }

    async fn remark(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        buckets: &[Bucket],
    ) -> anyhow::Result<()> {
        let Some(found) = self.store.resource(vendor, resource).await? else {
            return Ok(());
        };
        let sold = self.store.sold(vendor, resource, buckets).await?;
        let limit = found.sellable_limit();
        let (sold_out, free): (Vec<&Bucket>, Vec<&Bucket>) = buckets
            .iter()
            .partition(|b| sold.get(b).copied().unwrap_or(0) >= limit);
        let keys = |buckets: Vec<&Bucket>| -> Vec<String> {
            buckets
                .into_iter()
                .map(|b| sold_out_key(resource, limit, b))
                .collect()
        };
        self.index.mark(vendor, &keys(sold_out), &keys(free)).await
    }
}

impl<S, I> Effect for Indexer<S, I>
where
    S: VendorStore + ResourceStore + BookingStore + ReviewStore,
    I: SearchIndex,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        match event {
            Event::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                self.relist(detail.vendor_id).await
            }
            Event::Vendor(VendorEvent::ResourceChanged(detail)) => {
                self.relist(detail.vendor_id).await
            }
            Event::Vendor(VendorEvent::Rated(detail)) => self.relist(detail.vendor_id).await,
            // A room's number or housekeeping is not searched; its type's count comes as a
            // ResourceChanged.
            Event::Vendor(VendorEvent::UnitChanged(_)) => Ok(()),
            // A block takes (or gives back) units like a booking does.
            Event::Vendor(VendorEvent::UnitBlockChanged(detail)) => {
                self.remark(detail.vendor_id, detail.resource_id, &detail.buckets)
                    .await
            }
            Event::Booking(fact) => {
                let detail = fact.booking();
                self.remark(detail.vendor_id, detail.resource_id, &detail.buckets)
                    .await?;
                if let Some(previous) = &detail.previous {
                    self.remark(detail.vendor_id, previous.resource_id, &previous.buckets)
                        .await?;
                }
                Ok(())
            }
        }
    }
}
