//! What a vendor has free for a party at a time, read from the counters and never written.
use super::hold::{HoldError, invalid, place};
use crate::domain::booking::BookingTime;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::party::{NoResourceFits, PartySize};
use crate::domain::resource::{Resource, ResourceKind};
use crate::store::{BookingStore, ResourceStore, VendorStore};
use chrono::{DateTime, Utc};

/// What one room or table type offers for a request: how many units are free in every bucket
/// asked for, and the price.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Offer {
    pub resource_id: ResourceId,
    pub name: String,
    pub kind: ResourceKind,
    pub capacity: u16,
    pub units_left: u32,
    pub quote: crate::domain::pricing::Quote,
}

/// The vendor's offers for a party at a time, best fit first (those with nothing left included,
/// with `units_left` 0). Counters are read, never written.
pub async fn availability(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    vendor: VendorId,
    party: PartySize,
    units: u32,
    time: BookingTime,
    now: DateTime<Utc>,
) -> Result<Vec<Offer>, HoldError> {
    let (vendor, resources) = tokio::try_join!(store.vendor(vendor), store.resources(vendor))?;
    let vendor = vendor.ok_or(HoldError::VendorNotFound)?;
    let seats = |r: &Resource| u32::from(r.capacity.get()) * units >= u32::from(party.get());
    let mut candidates: Vec<&Resource> = resources.iter().filter(|r| seats(r)).collect();
    candidates.sort_by_key(|r| (r.capacity, r.base_price.amount_minor, r.id));
    if candidates.is_empty() {
        return Err(HoldError::NoFit(NoResourceFits {
            party,
            largest: resources.iter().map(|r| r.capacity).max(),
        }));
    }
    let mut offers = Vec::with_capacity(candidates.len());
    let mut first_error = None;
    for resource in candidates {
        let (buckets, _, booked) = match place(vendor.time_zone, resource, time, now) {
            Ok(placed) => placed,
            Err(err) => {
                first_error.get_or_insert(err);
                continue;
            }
        };
        let quote = resource
            .price_plan()
            .quote(&booked, units)
            .map_err(|_| invalid("/units", "the price is too large"))?;
        let units_left = units_left(store, vendor.id, resource, &buckets).await?;
        offers.push(Offer {
            resource_id: resource.id,
            name: resource.name.to_string(),
            kind: resource.kind,
            capacity: resource.capacity.get(),
            units_left,
            quote,
        });
    }
    match (offers.is_empty(), first_error) {
        (true, Some(err)) => Err(err),
        _ => Ok(offers),
    }
}

/// How many units of `resource` are free in every one of `buckets`, by the counters.
pub async fn units_left(
    store: &impl BookingStore,
    vendor: VendorId,
    resource: &Resource,
    buckets: &[Bucket],
) -> anyhow::Result<u32> {
    let sold = store.sold(vendor, resource.id, buckets).await?;
    Ok(units_free(
        resource.sellable_limit(),
        buckets.iter().map(|b| sold.get(b).copied().unwrap_or(0)),
    ))
}

/// Units free in every one of the buckets, given what each has sold and what each may sell.
pub fn units_free(limit: u32, sold: impl IntoIterator<Item = u32>) -> u32 {
    sold.into_iter()
        .map(|units| limit.saturating_sub(units))
        .min()
        .unwrap_or(0)
}
