//! The search rules on fixed candidates: filters, pricing, order, cursors, paging and the cache.
use super::cursor::{Position, decode_cursor, encode_cursor};
use super::hits::{Hit, hits};
use super::*;
use crate::domain::booking::BookingTime;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::party::PartySize;
use crate::domain::review::{Rating, RatingSummary};
use crate::domain::text::Title;
use crate::domain::vendor::GeoPoint;
use crate::store::BookingStore;
use chrono::{DateTime, Utc};
use chrono::{NaiveDate, NaiveTime};
use serde_json::json;
use std::collections::BTreeSet;

const NOW: &str = "2026-05-01T10:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// A room type of `vendor`: capacity, units, nightly price, amenities.
fn room(vendor: &str, n: u8, capacity: u16, units: u32, price: i64, amenities: &[&str]) -> Value {
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

    let ids = |found: &[Found]| -> Vec<VendorId> { found.iter().map(|f| f.vendor_id).collect() };
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
async fn a_search_in_price_order_reads_only_what_its_page_needs_and_finds_what_reading_all_finds() {
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
