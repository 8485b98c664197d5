//! What search keeps of a vendor (its listing), its sold-out markers, and how names match.
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::money::Currency;
use crate::domain::resource::Resource;
use crate::domain::review::{Rating, RatingSummary};
use crate::domain::text::{AddressLine, Description, Title};
use crate::domain::vendor::{CountryCode, GeoPoint, TimeZone, Vendor, VendorKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What search keeps of a vendor: enough to filter, price and show it without reading the
/// vendors table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub vendor_id: VendorId,
    pub kind: VendorKind,
    pub name: Title,
    pub city: AddressLine,
    /// `<country>#<lowercased city>`.
    pub city_key: String,
    pub country: CountryCode,
    pub location: GeoPoint,
    pub time_zone: TimeZone,
    pub currency: Currency,
    pub facilities: Vec<String>,
    pub cuisines: Vec<String>,
    pub resources: Vec<Resource>,
    /// Guests' average stars and how many reviewed; absent before the first review (and in
    /// listings written before ratings existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingSummary>,
    /// The newest change it reflects (the vendor's, one of its types' or its rating's), so an
    /// older read never overwrites a newer one.
    pub stamp: DateTime<Utc>,
}

impl Listing {
    pub fn of(vendor: &Vendor, resources: Vec<Resource>, rating: Option<&Rating>) -> Self {
        let stamp = resources
            .iter()
            .map(|r| r.updated_at)
            .chain(rating.map(|r| r.updated_at))
            .chain([vendor.updated_at])
            .max()
            .unwrap_or(vendor.updated_at);
        Self {
            vendor_id: vendor.id,
            kind: vendor.kind,
            name: vendor.name.clone(),
            city: vendor.address.city.clone(),
            city_key: vendor.address.city_key(),
            country: vendor.address.country.clone(),
            location: vendor.location,
            time_zone: vendor.time_zone,
            currency: vendor.currency,
            facilities: vendor.facilities.clone(),
            cuisines: vendor.cuisines.clone(),
            // Every search of the area reads every listing: types' descriptions (up to 2,000
            // characters each) are shown on the vendor's page, never in results.
            resources: resources
                .into_iter()
                .map(|r| Resource {
                    description: Description::empty(),
                    ..r
                })
                .collect(),
            rating: rating.and_then(Rating::summary),
            stamp,
        }
    }
}

impl Listing {
    /// The least one unit of any type seating `party` costs on any date: no quote for the
    /// party is below it times the nights (or once for a seating). `None`: no type seats it.
    pub fn price_floor(&self, party: u16) -> Option<i64> {
        self.resources
            .iter()
            .filter(|r| r.capacity.get() >= party)
            .flat_map(|r| {
                let plan = r.price_plan();
                let rules: Vec<i64> = plan
                    .rules()
                    .iter()
                    .map(|rule| rule.amount_minor())
                    .collect();
                rules.into_iter().chain([plan.base().amount_minor])
            })
            .min()
    }
}

/// A sold-out marker: this type, while it could sell `limit` units, has nothing left in this
/// bucket. The limit is part of the key, so a marker set before the type's unit count changed
/// no longer counts (the counters decide until a booking marks it again).
pub fn sold_out_key(resource: ResourceId, limit: u32, bucket: &Bucket) -> String {
    format!("{resource}#{limit}#{}", bucket.key())
}

/// A vendor from the index, with the buckets it has been marked sold out in.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub listing: Listing,
    pub sold_out: BTreeSet<String>,
}

/// The words of a name as search matches them: lowercase runs of letters and digits.
pub fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every word asked for starts a word of the name: `gran hot` finds "Grand Hotel".
pub(super) fn name_matches(name: &str, asked: &[String]) -> bool {
    // Every candidate of an area passes here: split the name only when a name was asked for.
    if asked.is_empty() {
        return true;
    }
    let words = name_words(name);
    asked
        .iter()
        .all(|a| words.iter().any(|w| w.starts_with(a.as_str())))
}
