//! Finding hotels and restaurants that really have something free: a search index (behind the
//! `SearchIndex` trait) hands over the candidates of an area with their sold-out markers, in
//! batches ordered by a lower bound of the sort value where it can; the rules here keep those
//! with a room or table type that fits the party, is bookable then and not marked sold out,
//! price and sort them, and check each page against the inventory counters before it is
//! returned. A hit is placed on the page once no unread candidate can sort before it, so a
//! page costs what it takes to be sure of it, not the whole area. A stale marker or cached
//! batch can therefore delay a vendor's reappearance, but never show a sold-out one.
mod backend;
mod cache;
mod dynamo;
mod opensearch;

pub use backend::AnyIndex;
pub use cache::{CacheStats, CachedIndex};
pub use dynamo::DynamoSearchIndex;
pub use opensearch::OpenSearchIndex;

use crate::domain::booking::BookingTime;
use crate::domain::calendar::Bucket;
use crate::domain::geo;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::money::Currency;
use crate::domain::party::PartySize;
use crate::domain::resource::{Resource, ResourceKind};
use crate::domain::review::{Rating, RatingSummary};
use crate::domain::text::{AddressLine, Description, Title};
use crate::domain::vendor::{CountryCode, GeoPoint, TimeZone, Vendor, VendorKind};
use crate::engine::{self, Offer};
use crate::store::{BookingStore, CounterKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

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

/// Where to look.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    City { city_key: String },
    Near { point: GeoPoint, radius_km: f64 },
}

/// What the index can filter on by itself; the rest is checked here.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    pub kind: VendorKind,
    /// Every one of these.
    pub facilities: Vec<String>,
    /// Any one of these (restaurants).
    pub cuisines: Vec<String>,
    /// Each starts a word of the vendor's name (`name_words`).
    pub name: Vec<String>,
}

/// The words of a name as search matches them: lowercase runs of letters and digits.
pub fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every word asked for starts a word of the name: `gran hot` finds "Grand Hotel".
fn name_matches(name: &str, asked: &[String]) -> bool {
    // Every candidate of an area passes here: split the name only when a name was asked for.
    if asked.is_empty() {
        return true;
    }
    let words = name_words(name);
    asked
        .iter()
        .all(|a| words.iter().any(|w| w.starts_with(a.as_str())))
}

/// The order a search wants candidates in, so an index that keeps them so can hand them over
/// a batch at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// By `Listing::price_floor(party)`, the cheapest first.
    Price { party: u16 },
    /// By distance from the point, the nearest first.
    Distance { from: GeoPoint },
    /// Any order: every candidate in one batch.
    Unordered,
}

/// Where a read of an index stopped: the backend's own state, opaque to search.
#[derive(Clone)]
pub struct Resume(Arc<dyn std::any::Any + Send + Sync>);

impl Resume {
    pub fn new(state: impl std::any::Any + Send + Sync) -> Self {
        Self(Arc::new(state))
    }

    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resume")
    }
}

/// Some candidates of an area, in no particular order among themselves.
#[derive(Debug, Clone)]
pub struct Batch {
    pub candidates: Vec<Candidate>,
    /// What is left: every candidate not handed over yet sorts at or above this floor (a unit
    /// price for `Order::Price`, kilometres for `Order::Distance`), and where to go on from.
    /// `None`: nothing is left.
    pub rest: Option<(f64, Resume)>,
}

/// A search backend: DynamoDB cells and cities (`DynamoSearchIndex`), or OpenSearch.
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces a vendor's listing, unless the index has a newer one (`stamp`).
    fn upsert(&self, listing: &Listing) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Sets and clears sold-out markers (`sold_out_key`) of a vendor.
    fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Every vendor in the area that may pass the filters (a superset is fine).
    fn candidates(
        &self,
        area: &Area,
        filters: &Filters,
    ) -> impl Future<Output = anyhow::Result<Vec<Candidate>>> + Send;

    /// The next batch of the area's candidates in `order` (from the start without `from`). An
    /// index that keeps no such order hands over every candidate at once.
    fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> impl Future<Output = anyhow::Result<Batch>> + Send {
        let _ = (order, from);
        async move {
            Ok(Batch {
                candidates: self.candidates(area, filters).await?,
                rest: None,
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    Distance,
    Price,
    /// Best average first; vendors nobody has reviewed yet last.
    Rating,
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub area: Area,
    /// Nights (hotels) or a seating (restaurants), in each vendor's own time zone.
    pub when: BookingTime,
    pub party: PartySize,
    pub facilities: Vec<String>,
    pub cuisines: Vec<String>,
    /// The room or table type must have all of these.
    pub amenities: Vec<String>,
    /// Words of the vendor's name (`name_words`), each the start of one of its words.
    pub name: Vec<String>,
    pub sort: SortBy,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl SearchQuery {
    pub fn kind(&self) -> VendorKind {
        match self.when {
            BookingTime::Stay { .. } => VendorKind::Hotel,
            BookingTime::Seating { .. } => VendorKind::Restaurant,
        }
    }

    /// The order the index is asked for: that of the sort where an index can keep it.
    fn order(&self) -> Order {
        match (self.sort, &self.area) {
            (SortBy::Price, _) => Order::Price {
                party: self.party.get(),
            },
            (SortBy::Distance, Area::Near { point, .. }) => Order::Distance { from: *point },
            _ => Order::Unordered,
        }
    }

    /// The least sort value a candidate at or above an index's floor can have.
    fn lowest_after(&self, floor: f64) -> f64 {
        match (self.sort, self.when) {
            // A stay pays each night at least the floor, a seating once.
            (
                SortBy::Price,
                BookingTime::Stay {
                    check_in,
                    check_out,
                },
            ) => floor * (check_out - check_in).num_days().max(1) as f64,
            _ => floor,
        }
    }

    fn filters(&self) -> Filters {
        Filters {
            kind: self.kind(),
            facilities: self.facilities.clone(),
            cuisines: self.cuisines.clone(),
            name: self.name.clone(),
        }
    }

    /// Identifies the search a cursor belongs to (everything but the page).
    fn fingerprint(&self) -> String {
        let area = match &self.area {
            Area::City { city_key } => format!("city:{city_key}"),
            Area::Near { point, radius_km } => {
                format!("near:{},{},{radius_km}", point.lat, point.lon)
            }
        };
        let text = format!(
            "{area}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.when,
            self.party.get(),
            self.facilities,
            self.cuisines,
            self.amenities,
            self.name,
            self.sort
        );
        Sha256::digest(text.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

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

/// A fitting, bookable type of a candidate, priced for the request.
#[derive(Debug, Clone)]
struct Priced {
    resource: usize,
    buckets: Vec<Bucket>,
    quote: crate::domain::pricing::Quote,
}

/// A candidate that passed every filter, with its offers cheapest first.
#[derive(Debug, Clone)]
struct Hit {
    listing: Listing,
    distance_km: Option<f64>,
    offers: Vec<Priced>,
}

/// Where a hit sorts: the sort value, then the vendor id, so the order is total and a cursor
/// can say "strictly after".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Position {
    value: f64,
    vendor: VendorId,
}

impl Position {
    fn of(hit: &Hit, sort: SortBy) -> Self {
        let value = match sort {
            SortBy::Distance => hit.distance_km.unwrap_or(f64::MAX),
            // Minor units compare exactly as f64 up to 2^53, far above any price we accept.
            SortBy::Price => hit
                .offers
                .first()
                .map_or(f64::MAX, |o| o.quote.total.amount_minor as f64),
            // Ascending like the others: the best average is the most negative.
            SortBy::Rating => hit.listing.rating.map_or(f64::MAX, |r| -r.average),
        };
        Self {
            value,
            vendor: hit.listing.vendor_id,
        }
    }

    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value
            .total_cmp(&other.value)
            .then_with(|| self.vendor.to_string().cmp(&other.vendor.to_string()))
    }
}

#[derive(Serialize, Deserialize)]
struct CursorToken {
    q: String,
    after: Position,
}

fn encode_cursor(query: &SearchQuery, after: Position) -> Option<String> {
    use base64::Engine;
    let json = serde_json::to_vec(&CursorToken {
        q: query.fingerprint(),
        after,
    })
    .ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

fn decode_cursor(query: &SearchQuery, raw: &str) -> Result<Position, SearchError> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| SearchError::BadCursor)?;
    let token: CursorToken = serde_json::from_slice(&json).map_err(|_| SearchError::BadCursor)?;
    if token.q != query.fingerprint() {
        return Err(SearchError::BadCursor);
    }
    Ok(token.after)
}

fn lowercase(values: &[String]) -> BTreeSet<String> {
    values.iter().map(|v| v.to_lowercase()).collect()
}

/// The candidates that pass every filter, each with its bookable fitting types, cheapest first.
/// Pure: the markers are the candidates' own; counters are checked later, for a page only.
fn hits(candidates: Vec<Candidate>, query: &SearchQuery, now: DateTime<Utc>) -> Vec<Hit> {
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
    let (area, filters, order) = (&query.area, query.filters(), query.order());
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};
    use serde_json::json;

    const NOW: &str = "2026-05-01T10:00:00Z";

    fn now() -> DateTime<Utc> {
        NOW.parse().unwrap()
    }

    /// A room type of `vendor`: capacity, units, nightly price, amenities.
    fn room(
        vendor: &str,
        n: u8,
        capacity: u16,
        units: u32,
        price: i64,
        amenities: &[&str],
    ) -> Value {
        json!({
            "id": format!("0195a1b2-0000-7000-8000-0000000001{n:02x}"),
            "vendor_id": vendor,
            "kind": "room_type",
            "name": format!("Room {n}"),
            "description": "",
            "capacity": capacity,
            "units": units,
            "base_price": {"amount_minor": price, "currency": "EUR"},
            "amenities": amenities,
            "created_at": NOW,
            "updated_at": NOW,
            "version": 1,
        })
    }

    use serde_json::Value;

    fn hotel(n: u8, lat: f64, facilities: &[&str], rooms: Vec<Value>) -> Candidate {
        let id = format!("0195a1b2-0000-7000-8000-0000000000{n:02x}");
        let rooms: Vec<Value> = rooms
            .into_iter()
            .map(|mut r| {
                r["vendor_id"] = json!(id);
                r
            })
            .collect();
        let listing: Listing = serde_json::from_value(json!({
            "vendor_id": id,
            "kind": "hotel",
            "name": format!("Hotel {n}"),
            "city": "Berlin",
            "city_key": "DE#berlin",
            "country": "DE",
            "location": {"lat": lat, "lon": 13.4},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": facilities,
            "cuisines": [],
            "resources": rooms,
            "stamp": NOW,
        }))
        .unwrap();
        Candidate {
            listing,
            sold_out: BTreeSet::new(),
        }
    }

    fn query(area: Area) -> SearchQuery {
        SearchQuery {
            area,
            when: BookingTime::Stay {
                check_in: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                check_out: NaiveDate::from_ymd_opt(2026, 6, 3).unwrap(),
            },
            party: PartySize::new(2).unwrap(),
            facilities: vec![],
            cuisines: vec![],
            amenities: vec![],
            name: vec![],
            sort: SortBy::Price,
            limit: 10,
            cursor: None,
        }
    }

    #[test]
    fn a_name_search_finds_vendors_whose_words_start_with_every_word_asked() {
        let mut grand = hotel(1, 52.5, &[], vec![room("", 1, 2, 1, 9_000, &[])]);
        grand.listing.name = Title::parse("Grand Hotel am Spreeufer").unwrap();
        let mut other = hotel(2, 52.5, &[], vec![room("", 1, 2, 1, 9_000, &[])]);
        other.listing.name = Title::parse("Hotel Oranien-Grün").unwrap();
        let search = |words: &[&str]| {
            let query = SearchQuery {
                name: words.iter().map(|w| w.to_string()).collect(),
                ..query(berlin())
            };
            names(&hits(vec![grand.clone(), other.clone()], &query, now()))
        };

        assert_eq!(search(&["gran", "hot"]), ["Grand Hotel am Spreeufer"]);
        assert_eq!(search(&["hotel"]).len(), 2);
        // Words, not substrings: "rand" is inside "Grand" but starts no word.
        assert!(search(&["rand"]).is_empty());
        // Any letters, lowercased, split at anything else.
        assert_eq!(search(&["grün"]), ["Hotel Oranien-Grün"]);
        assert_eq!(
            name_words("Hotel Oranien-Grün, 2. Hof"),
            ["hotel", "oranien", "grün", "2", "hof"]
        );
    }

    fn berlin() -> Area {
        Area::City {
            city_key: "DE#berlin".into(),
        }
    }

    fn names(hits: &[Hit]) -> Vec<String> {
        hits.iter().map(|h| h.listing.name.to_string()).collect()
    }

    #[test]
    fn a_hotel_is_a_hit_only_with_a_fitting_type_that_is_not_marked_sold_out() {
        let mut sold_out = hotel(3, 52.5, &["spa"], vec![room("", 1, 2, 1, 9_000, &[])]);
        let marked = &sold_out.listing.resources[0];
        let night =
            crate::domain::calendar::Bucket::Night(NaiveDate::from_ymd_opt(2026, 6, 2).unwrap());
        sold_out
            .sold_out
            .insert(sold_out_key(marked.id, marked.sellable_limit(), &night));
        let mut marked_before_a_change = hotel(4, 52.5, &[], vec![room("", 1, 2, 3, 9_000, &[])]);
        let changed = &marked_before_a_change.listing.resources[0];
        marked_before_a_change
            .sold_out
            .insert(sold_out_key(changed.id, 1, &night));
        let candidates = vec![
            hotel(
                1,
                52.5,
                &["spa", "wifi"],
                vec![room("", 1, 2, 1, 12_900, &["balcony"])],
            ),
            hotel(2, 52.5, &["wifi"], vec![room("", 1, 1, 5, 5_000, &[])]),
            sold_out,
            marked_before_a_change,
        ];

        let found = hits(candidates.clone(), &query(berlin()), now());
        let with_spa = hits(
            candidates.clone(),
            &SearchQuery {
                facilities: vec!["SPA".into()],
                ..query(berlin())
            },
            now(),
        );
        let with_balcony = hits(
            candidates,
            &SearchQuery {
                amenities: vec!["balcony".into()],
                ..query(berlin())
            },
            now(),
        );

        // Hotel 2 only seats one; hotel 3 is marked sold out for a night asked for; hotel 4's
        // marker was set when it had one unit, not the three it has now.
        assert_eq!(names(&found), ["Hotel 1", "Hotel 4"]);
        assert_eq!(names(&with_spa), ["Hotel 1"]);
        assert_eq!(names(&with_balcony), ["Hotel 1"]);
        assert_eq!(found[0].offers[0].quote.total.amount_minor, 2 * 12_900);
    }

    #[test]
    fn a_radius_keeps_what_lies_inside_and_measures_it() {
        let near = hotel(1, 52.52, &[], vec![room("", 1, 2, 1, 9_000, &[])]);
        let far = hotel(2, 52.70, &[], vec![room("", 1, 2, 1, 9_000, &[])]);
        let area = Area::Near {
            point: GeoPoint::new(52.52, 13.4).unwrap(),
            radius_km: 10.0,
        };

        let found = hits(vec![near, far], &query(area), now());

        assert_eq!(names(&found), ["Hotel 1"]);
        assert!(found[0].distance_km.unwrap() < 0.01);
    }

    #[test]
    fn offers_come_cheapest_first_and_positions_break_ties_by_vendor() {
        let two_rooms = hotel(
            1,
            52.5,
            &[],
            vec![
                room("", 1, 4, 1, 20_000, &[]),
                room("", 2, 2, 1, 9_000, &[]),
            ],
        );
        let same_price = hotel(2, 52.5, &[], vec![room("", 3, 2, 1, 9_000, &[])]);

        let found = hits(vec![same_price, two_rooms], &query(berlin()), now());
        let mut positions: Vec<Position> = found
            .iter()
            .map(|h| Position::of(h, SortBy::Price))
            .collect();
        positions.sort_by(|a, b| a.cmp(b));

        let first = found
            .iter()
            .find(|h| h.listing.name.as_str() == "Hotel 1")
            .unwrap();
        assert_eq!(first.offers[0].quote.total.amount_minor, 18_000);
        assert_eq!(first.offers[1].quote.total.amount_minor, 40_000);
        assert_eq!(positions[0].value, positions[1].value);
        assert!(positions[0].vendor.to_string() < positions[1].vendor.to_string());
    }

    #[test]
    fn a_cursor_belongs_to_its_search_only() {
        let query = query(berlin());
        let after = Position {
            value: 18_000.0,
            vendor: VendorId::parse("0195a1b2-0000-7000-8000-000000000001").unwrap(),
        };
        let cursor = encode_cursor(&query, after).unwrap();
        let other = SearchQuery {
            party: PartySize::new(3).unwrap(),
            ..query.clone()
        };

        assert_eq!(decode_cursor(&query, &cursor).unwrap(), after);
        assert!(matches!(
            decode_cursor(&other, &cursor),
            Err(SearchError::BadCursor)
        ));
        assert!(matches!(
            decode_cursor(&query, "not-a-cursor"),
            Err(SearchError::BadCursor)
        ));
        // A restaurant search reads its time in each vendor's zone: it is part of the identity.
        let at = SearchQuery {
            when: BookingTime::Seating {
                date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                time: NaiveTime::from_hms_opt(19, 30, 0).unwrap(),
            },
            ..query.clone()
        };
        assert_ne!(at.fingerprint(), query.fingerprint());
    }

    fn rated(mut candidate: Candidate, average: f64, count: u64) -> Candidate {
        candidate.listing.rating = Some(RatingSummary { average, count });
        candidate
    }

    /// Five rated hotels and two nobody has reviewed, in no particular order.
    fn rated_hotels() -> Vec<Candidate> {
        let plain = |n| hotel(n, 52.5, &[], vec![room("", 1, 2, 3, 9_000, &[])]);
        vec![
            plain(1),
            rated(plain(2), 4.5, 2),
            rated(plain(3), 3.0, 1),
            plain(4),
            rated(plain(5), 4.8, 10),
            rated(plain(6), 4.5, 7),
            rated(plain(7), 1.0, 1),
        ]
    }

    #[test]
    fn by_rating_the_best_average_comes_first_ties_by_vendor_and_unrated_last() {
        let found = hits(rated_hotels(), &query(berlin()), now());
        let mut ranked: Vec<(Position, &Hit)> = found
            .iter()
            .map(|h| (Position::of(h, SortBy::Rating), h))
            .collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0));

        let order: Vec<String> = ranked
            .iter()
            .map(|(_, h)| h.listing.name.to_string())
            .collect();
        assert_eq!(
            order,
            [
                "Hotel 5", "Hotel 2", "Hotel 6", "Hotel 3", "Hotel 7", "Hotel 1", "Hotel 4"
            ]
        );
    }

    /// Counters with nothing sold, or all sold out once set (while a search's batch sits in the
    /// cache, say); nothing else is asked of them in a search.
    struct Counters(std::sync::atomic::AtomicBool);

    impl BookingStore for Counters {
        async fn insert_booking(
            &self,
            _: &crate::domain::booking::Booking,
            _: &[crate::store::CounterChange],
        ) -> Result<(), crate::store::BookingWriteError> {
            unreachable!("a search writes nothing")
        }

        async fn booking(
            &self,
            _: crate::domain::ids::BookingId,
        ) -> anyhow::Result<Option<crate::domain::booking::Booking>> {
            unreachable!("a search reads no booking")
        }

        async fn replace_booking(
            &self,
            _: &crate::domain::booking::Booking,
            _: (crate::domain::booking::BookingStatus, u64),
            _: &crate::store::BookingChanges,
        ) -> Result<(), crate::store::BookingWriteError> {
            unreachable!("a search writes nothing")
        }

        async fn sold(
            &self,
            _: VendorId,
            _: ResourceId,
            buckets: &[Bucket],
        ) -> anyhow::Result<std::collections::HashMap<Bucket, u32>> {
            let sold = if self.0.load(std::sync::atomic::Ordering::Relaxed) {
                1_000
            } else {
                0
            };
            Ok(buckets.iter().map(|b| (*b, sold)).collect())
        }
    }

    fn nothing_sold() -> Counters {
        Counters(Default::default())
    }

    struct Fixed(Vec<Candidate>);

    impl SearchIndex for Fixed {
        async fn upsert(&self, _: &Listing) -> anyhow::Result<()> {
            unreachable!("a search writes nothing")
        }

        async fn mark(&self, _: VendorId, _: &[String], _: &[String]) -> anyhow::Result<()> {
            unreachable!("a search writes nothing")
        }

        async fn candidates(&self, _: &Area, _: &Filters) -> anyhow::Result<Vec<Candidate>> {
            Ok(self.0.clone())
        }
    }

    #[tokio::test]
    async fn pages_by_rating_follow_each_other_without_duplicates_or_gaps_and_show_the_rating() {
        let index = Fixed(rated_hotels());
        let whole = search(
            &index,
            &nothing_sold(),
            &SearchQuery {
                sort: SortBy::Rating,
                ..query(berlin())
            },
            now(),
        )
        .await
        .unwrap();

        let mut paged = Vec::new();
        let mut cursor = None;
        for _ in 0..10 {
            let page = search(
                &index,
                &nothing_sold(),
                &SearchQuery {
                    sort: SortBy::Rating,
                    limit: 2,
                    cursor: cursor.take(),
                    ..query(berlin())
                },
                now(),
            )
            .await
            .unwrap();
            assert!(page.items.len() <= 2);
            paged.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }

        let ids =
            |found: &[Found]| -> Vec<VendorId> { found.iter().map(|f| f.vendor_id).collect() };
        assert_eq!(ids(&paged), ids(&whole.items));
        assert_eq!(whole.items.len(), 7);
        assert_eq!(
            whole.items[0].rating,
            Some(RatingSummary {
                average: 4.8,
                count: 10
            })
        );
        assert_eq!(whole.items[6].rating, None);
        let shown = serde_json::to_value(&whole.items[0]).unwrap();
        assert_eq!(shown["rating"], json!({"average": 4.8, "count": 10}));
        let unrated = serde_json::to_value(&whole.items[6]).unwrap();
        assert!(unrated.get("rating").is_none(), "{unrated}");
    }

    #[test]
    fn a_listing_stored_before_ratings_existed_still_reads_and_a_rating_moves_its_stamp() {
        let old = hotel(1, 52.5, &[], vec![]).listing;
        let vendor = crate::events::fixtures::vendor();
        let rating = Rating {
            vendor_id: vendor.id,
            stars_total: 9,
            count: 2,
            version: 2,
            updated_at: vendor.updated_at + chrono::Duration::days(1),
        };

        let listing = Listing::of(&vendor, vec![], Some(&rating));

        assert_eq!(old.rating, None);
        assert_eq!(
            listing.rating,
            Some(RatingSummary {
                average: 4.5,
                count: 2
            })
        );
        assert_eq!(listing.stamp, rating.updated_at);
        assert_eq!(Listing::of(&vendor, vec![], None).rating, None);
    }

    /// Hands its candidates over a batch of two at a time, the lowest price floor first (as
    /// the DynamoDB index does by city), counting the batches asked for.
    struct PriceOrdered {
        candidates: Vec<Candidate>,
        batches: std::sync::atomic::AtomicUsize,
    }

    impl SearchIndex for PriceOrdered {
        async fn upsert(&self, _: &Listing) -> anyhow::Result<()> {
            unreachable!("a search writes nothing")
        }

        async fn mark(&self, _: VendorId, _: &[String], _: &[String]) -> anyhow::Result<()> {
            unreachable!("a search writes nothing")
        }

        async fn candidates(&self, _: &Area, _: &Filters) -> anyhow::Result<Vec<Candidate>> {
            Ok(self.candidates.clone())
        }

        async fn read(
            &self,
            _: &Area,
            _: &Filters,
            order: &Order,
            from: Option<Resume>,
        ) -> anyhow::Result<Batch> {
            let Order::Price { party } = order else {
                panic!("a search by price asks for the price order");
            };
            self.batches
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut sorted: Vec<(i64, Candidate)> = self
                .candidates
                .iter()
                .filter_map(|c| Some((c.listing.price_floor(*party)?, c.clone())))
                .collect();
            sorted.sort_by_key(|(floor, _)| *floor);
            let at = from.and_then(|r| r.get::<usize>().copied()).unwrap_or(0);
            let end = (at + 2).min(sorted.len());
            Ok(Batch {
                candidates: sorted[at..end].iter().map(|(_, c)| c.clone()).collect(),
                rest: sorted
                    .get(end)
                    .map(|(floor, _)| (*floor as f64, Resume::new(end))),
            })
        }
    }

    /// Eight hotels; one's cheapest double is marked sold out, so its floor is far below what
    /// it is found at, and one has no room for two.
    fn priced_hotels() -> Vec<Candidate> {
        let double = |n, price| hotel(n, 52.5, &[], vec![room("", 1, 2, 3, price, &[])]);
        let mut marked = hotel(
            3,
            52.5,
            &[],
            vec![
                room("", 1, 2, 1, 5_000, &[]),
                room("", 2, 2, 3, 30_000, &[]),
            ],
        );
        let cheap = marked.listing.resources[0].clone();
        let night = Bucket::Night(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        marked
            .sold_out
            .insert(sold_out_key(cheap.id, cheap.sellable_limit(), &night));
        vec![
            double(1, 9_000),
            double(2, 12_000),
            marked,
            double(4, 10_000),
            hotel(5, 52.5, &[], vec![room("", 1, 1, 3, 1_000, &[])]),
            double(6, 20_000),
            double(7, 11_000),
            double(8, 25_000),
        ]
    }

    async fn every_page(
        index: &impl SearchIndex,
        counters: &impl BookingStore,
        limit: usize,
    ) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let page = search(
                index,
                counters,
                &SearchQuery {
                    limit,
                    cursor: cursor.take(),
                    ..query(berlin())
                },
                now(),
            )
            .await
            .unwrap();
            pages.push(page.items.iter().map(|f| f.name.to_string()).collect());
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return pages,
            }
        }
    }

    #[tokio::test]
    async fn a_search_in_price_order_reads_only_what_its_page_needs_and_finds_what_reading_all_finds()
     {
        let ordered = PriceOrdered {
            candidates: priced_hotels(),
            batches: Default::default(),
        };

        let first = search(
            &ordered,
            &nothing_sold(),
            &SearchQuery {
                limit: 2,
                ..query(berlin())
            },
            now(),
        )
        .await
        .unwrap();
        let batches_for_first_page = ordered.batches.load(std::sync::atomic::Ordering::Relaxed);
        let paged = every_page(&ordered, &nothing_sold(), 2).await;
        let whole = every_page(&Fixed(priced_hotels()), &nothing_sold(), 50).await;

        let names: Vec<String> = first.items.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(names, ["Hotel 1", "Hotel 4"]);
        assert!(first.next_cursor.is_some());
        // Two of the four batches: the page and one hit more, to know a next page exists.
        assert_eq!(batches_for_first_page, 2);
        assert_eq!(
            whole,
            [[
                "Hotel 1", "Hotel 4", "Hotel 7", "Hotel 2", "Hotel 6", "Hotel 8", "Hotel 3"
            ]]
        );
        assert_eq!(paged.concat(), whole.concat());
        assert!(paged.iter().all(|page| page.len() <= 2));
    }

    #[tokio::test]
    async fn a_cached_batch_never_offers_a_place_the_counters_say_is_sold_out() {
        let hotel = hotel(1, 52.5, &[], vec![room("", 1, 2, 3, 9_000, &[])]);
        let index = CachedIndex::new(Fixed(vec![hotel]), std::time::Duration::from_secs(600));
        let counters = Counters(Default::default());
        let find = || async {
            search(&index, &counters, &query(berlin()), now())
                .await
                .unwrap()
        };

        let before = find().await;
        // Every unit is sold; the cached listing still carries no sold-out marker.
        counters.0.store(true, std::sync::atomic::Ordering::Relaxed);
        let after = find().await;

        assert_eq!(before.items.len(), 1);
        assert_eq!(before.items[0].offer.units_left, 3);
        assert_eq!(index.stats(), CacheStats { hits: 1, misses: 1 });
        assert!(after.items.is_empty(), "{:?}", after.items);
        assert_eq!(after.next_cursor, None);
    }

    #[tokio::test]
    async fn without_a_lifetime_the_cache_keeps_nothing() {
        let index = CachedIndex::new(Fixed(rated_hotels()), std::time::Duration::ZERO);

        for _ in 0..2 {
            search(&index, &nothing_sold(), &query(berlin()), now())
                .await
                .unwrap();
        }

        assert_eq!(index.stats(), CacheStats { hits: 0, misses: 0 });
    }

    #[test]
    fn the_price_floor_is_the_least_unit_price_of_the_types_that_seat_the_party() {
        let mut hotel = hotel(
            1,
            52.5,
            &[],
            vec![
                room("", 1, 1, 3, 4_000, &[]),
                room("", 2, 2, 3, 9_000, &[]),
                room("", 3, 4, 3, 15_000, &[]),
            ],
        );
        hotel.listing.resources[2].price_rules = vec![
            crate::domain::pricing::PriceRule::new(
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                None,
                8_000,
            )
            .unwrap(),
        ];

        assert_eq!(hotel.listing.price_floor(1), Some(4_000));
        assert_eq!(hotel.listing.price_floor(2), Some(8_000));
        assert_eq!(hotel.listing.price_floor(4), Some(8_000));
        assert_eq!(hotel.listing.price_floor(5), None);
    }
}
