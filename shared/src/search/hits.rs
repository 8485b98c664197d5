//! The rules that keep a candidate (kind, facets, area, a fitting type not marked sold out)
//! and price its offers; pure, so a page's counters are read only for what it shows.
use super::listing::name_matches;
use super::{Area, Candidate, Listing, SearchQuery, sold_out_key};
use crate::domain::calendar::Bucket;
use crate::domain::geo;
use crate::domain::resource::ResourceKind;
use crate::engine;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// A fitting, bookable type of a candidate, priced for the request.
#[derive(Debug, Clone)]
pub(super) struct Priced {
    pub(super) resource: usize,
    pub(super) buckets: Vec<Bucket>,
    pub(super) quote: crate::domain::pricing::Quote,
}

/// A candidate that passed every filter, with its offers cheapest first.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub(super) listing: Listing,
    pub(super) distance_km: Option<f64>,
    pub(super) offers: Vec<Priced>,
}

pub(super) fn lowercase(values: &[String]) -> BTreeSet<String> {
    values.iter().map(|v| v.to_lowercase()).collect()
}

/// The candidates that pass every filter, each with its bookable fitting types, cheapest first.
/// Pure: the markers are the candidates' own; counters are checked later, for a page only.
pub(super) fn hits(
    candidates: Vec<Candidate>,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> Vec<Hit> {
    let kind = query.kind();
    let facilities = lowercase(&query.facilities);
    let cuisines = lowercase(&query.cuisines);
    let amenities = lowercase(&query.amenities);
    let resource_kind = ResourceKind::from(kind);
    let mut hits = Vec::new();
    for Candidate { listing, sold_out } in candidates {
        if listing.kind != kind
            || !facilities.is_subset(&lowercase(&listing.facilities))
            || (!cuisines.is_empty() && cuisines.is_disjoint(&lowercase(&listing.cuisines)))
            || !name_matches(listing.name.as_str(), &query.name)
        {
            continue;
        }
        let distance_km = match &query.area {
            Area::Near { point, radius_km } => {
                let d = geo::distance_km(*point, listing.location);
                if d > *radius_km {
                    continue;
                }
                Some(d)
            }
            Area::City { city_key } if *city_key != listing.city_key => continue,
            Area::City { .. } => None,
        };
        let mut offers: Vec<Priced> = listing
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind == resource_kind
                    && query.party.fits(r.capacity)
                    && amenities.is_subset(&lowercase(&r.amenities))
            })
            .filter_map(|(i, r)| {
                let (buckets, _, booked) =
                    engine::place(listing.time_zone, r, query.when, now).ok()?;
                let limit = r.sellable_limit();
                if buckets
                    .iter()
                    .any(|b| sold_out.contains(&sold_out_key(r.id, limit, b)))
                {
                    return None;
                }
                let quote = r.price_plan().quote(&booked, 1).ok()?;
                Some(Priced {
                    resource: i,
                    buckets,
                    quote,
                })
            })
            .collect();
        if offers.is_empty() {
            continue;
        }
        offers.sort_by_key(|o| {
            let r = &listing.resources[o.resource];
            (o.quote.total.amount_minor, r.capacity, r.id)
        });
        hits.push(Hit {
            listing,
            distance_km,
            offers,
        });
    }
    hits
}
