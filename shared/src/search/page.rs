//! One page of a search: hits placed once no unread candidate can sort before them, each
//! checked against the inventory counters before it is shown.
use super::cursor::{Position, decode_cursor, encode_cursor};
use super::hits::{Hit, hits};
use super::{SearchIndex, SearchQuery};
use crate::domain::ids::VendorId;
use crate::domain::review::RatingSummary;
use crate::domain::text::{AddressLine, Title};
use crate::domain::vendor::{CountryCode, GeoPoint, VendorKind};
use crate::engine::{self, Offer};
use crate::store::{BookingStore, CounterKey};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// One vendor found, with its best offer (the cheapest fitting type that is free).
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub vendor_id: VendorId,
    pub name: Title,
    pub kind: VendorKind,
    pub city: AddressLine,
    pub country: CountryCode,
    pub location: GeoPoint,
    /// From the point searched around; absent for a city search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Absent until the vendor's first review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingSummary>,
    pub offer: Offer,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchPage {
    pub items: Vec<Found>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the cursor does not belong to this search")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The first offer of each hit that the counters confirm is free, if any: the counters of the
/// whole batch are read at once.
async fn confirm(
    store: &impl BookingStore,
    batch: &[(Position, Hit)],
) -> anyhow::Result<Vec<Option<Found>>> {
    let wanted: Vec<CounterKey> = batch
        .iter()
        .flat_map(|(_, hit)| {
            hit.offers.iter().flat_map(move |priced| {
                let resource = hit.listing.resources[priced.resource].id;
                priced.buckets.iter().map(move |&bucket| CounterKey {
                    vendor: hit.listing.vendor_id,
                    resource,
                    bucket,
                })
            })
        })
        .collect();
    let sold = store.sold_in(&wanted).await?;
    Ok(batch.iter().map(|(_, hit)| found(hit, &sold)).collect())
}

fn found(hit: &Hit, sold: &HashMap<CounterKey, u32>) -> Option<Found> {
    let listing = &hit.listing;
    hit.offers.iter().find_map(|priced| {
        let resource = &listing.resources[priced.resource];
        let units_left = engine::units_free(
            resource.sellable_limit(),
            priced.buckets.iter().map(|&bucket| {
                let key = CounterKey {
                    vendor: listing.vendor_id,
                    resource: resource.id,
                    bucket,
                };
                sold.get(&key).copied().unwrap_or(0)
            }),
        );
        (units_left > 0).then(|| Found {
            vendor_id: listing.vendor_id,
            name: listing.name.clone(),
            kind: listing.kind,
            city: listing.city.clone(),
            country: listing.country.clone(),
            location: listing.location,
            distance_km: hit.distance_km.map(|d| (d * 1000.0).round() / 1000.0),
            rating: listing.rating,
            offer: Offer {
                resource_id: resource.id,
                name: resource.name.to_string(),
                kind: resource.kind,
                capacity: resource.capacity.get(),
                units_left,
                quote: priced.quote.clone(),
            },
        })
    })
}

/// One page of a search.
pub async fn search(
    index: &impl SearchIndex,
    counters: &impl BookingStore,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> Result<SearchPage, SearchError> {
    let after = query
        .cursor
        .as_deref()
        .map(|raw| decode_cursor(query, raw))
        .transpose()?;
    let (area, filters, order) = (&query.area, query.filters(), query.order(after));
    // Hits read but not placed yet, best last; `below`: no unread candidate sorts under it.
    let mut waiting: Vec<(Position, Hit)> = Vec::new();
    let mut below = f64::NEG_INFINITY;
    let mut resume = None;
    let mut read_all = false;
    let mut items = Vec::with_capacity(query.limit);
    let mut last = None;
    loop {
        // The hits no unread candidate can come before, in order, checked against the
        // counters as many at once as the page still needs (a stale marker costs a round).
        while items.len() < query.limit {
            let sure = waiting
                .iter()
                .rev()
                .take_while(|(position, _)| read_all || position.value < below)
                .count()
                .min(query.limit - items.len());
            if sure == 0 {
                break;
            }
            let batch: Vec<(Position, Hit)> = waiting
                .split_off(waiting.len() - sure)
                .into_iter()
                .rev()
                .collect();
            let checked = confirm(counters, &batch).await?;
            for ((position, _), found) in batch.iter().zip(checked) {
                last = Some(*position);
                if let Some(found) = found {
                    items.push(found);
                }
            }
        }
        // A full page needs one hit more to know a next page exists.
        if read_all || (items.len() == query.limit && !waiting.is_empty()) {
            break;
        }
        let batch = index.read(area, &filters, &order, resume.take()).await?;
        waiting.extend(
            hits(batch.candidates, query, now)
                .into_iter()
                .map(|hit| (Position::of(&hit, query.sort), hit))
                .filter(|(position, _)| after.is_none_or(|a| position.cmp(&a).is_gt())),
        );
        waiting.sort_by(|a, b| b.0.cmp(&a.0));
        match batch.rest {
            Some((floor, next)) => {
                below = query.lowest_after(floor);
                resume = Some(next);
            }
            None => read_all = true,
        }
    }
    let next_cursor = match (waiting.is_empty(), last) {
        (false, Some(last)) => encode_cursor(query, last),
        _ => None,
    };
    Ok(SearchPage { items, next_cursor })
}
