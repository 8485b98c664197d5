//! The pull's range, and a restaurant's seatings against the in-memory store and the engine's
//! own availability.
use super::*;
use crate::auth::Caller;
use crate::domain::booking::BookingTime;
use crate::domain::ids::UserId;
use crate::domain::party::PartySize;
use crate::domain::vendor::Vendor;
use crate::engine::{Creator, HoldRequest, NewHold};
use crate::store::memory::{MemoryStore, fixtures};
use chrono::{DateTime, NaiveTime, Utc};
use serde_json::json;

fn named(result: Result<AriRange, FieldErrors>) -> Vec<String> {
    result
        .unwrap_err()
        .into_vec()
        .into_iter()
        .map(|e| format!("{:?}", e.location))
        .collect()
}

#[test]
fn a_range_is_both_ends_included_and_at_most_366_nights() {
    let range = AriRange::parse(Some("2026-12-30"), Some("2027-01-02")).unwrap();
    assert_eq!(range.nights().count(), 4);
    assert_eq!(range.days(), 4);
    assert!(AriRange::parse(Some("2026-01-01"), Some("2027-01-01")).is_ok());
    assert_eq!(
        named(AriRange::parse(Some("2026-01-01"), Some("2027-01-02"))),
        vec![r#"Parameter("to")"#]
    );
    assert_eq!(
        named(AriRange::parse(Some("2026-01-02"), Some("2026-01-01"))),
        vec![r#"Parameter("to")"#]
    );
    assert_eq!(
        named(AriRange::parse(Some("tomorrow"), None)),
        vec![r#"Parameter("from")"#, r#"Parameter("to")"#]
    );
}

const BOOKED_AT: &str = "2027-03-01T10:00:00Z";

fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn time(raw: &str) -> NaiveTime {
    raw.parse().unwrap()
}

fn range(from: &str, to: &str) -> AriRange {
    AriRange::parse(Some(from), Some(to)).unwrap()
}

/// A Berlin restaurant with one table type: 2 tables of 4 at 50 EUR a seating, 10 EUR deposit,
/// 30-minute slots and 90-minute seatings.
struct Restaurant {
    store: MemoryStore,
    vendor: Vendor,
    table: Resource,
}

impl Restaurant {
    async fn new() -> Self {
        let store = MemoryStore::default();
        let mut vendor = fixtures::hotel();
        vendor.kind = VendorKind::Restaurant;
        store.put_vendor(&vendor);
        let table = fixtures::room_type(
            &vendor,
            "Window",
            5_000,
            json!({
                "kind": "table_type",
                "capacity": 4,
                "units": 2,
                "seating": {"slot_minutes": 30, "seating_minutes": 90},
                "deposit": {"kind": "fixed", "amount": {"amount_minor": 1_000, "currency": "EUR"}},
            }),
        );
        store.create_resource(&table).await.unwrap();
        Self {
            store,
            vendor,
            table,
        }
    }

    fn seating(on: &str, at: &str) -> BookingTime {
        BookingTime::Seating {
            date: date(on),
            time: time(at),
        }
    }

    async fn hold(&self, on: &str, at: &str, key: &str) {
        let creator = Creator::from_caller(&Caller::Guest(UserId::generate()), self.vendor.id)
            .expect("a guest may book");
        let new = NewHold {
            creator: &creator,
            idempotency_key: key,
            request_hash: "hash",
            request: HoldRequest {
                vendor: self.vendor.id,
                resource: Some(self.table.id),
                party: PartySize::new(2).unwrap(),
                units: None,
                time: Self::seating(on, at),
            },
            now: BOOKED_AT.parse::<DateTime<Utc>>().unwrap(),
            hold_seconds: 600,
        };
        crate::engine::hold(&self.store, &self.store, new)
            .await
            .unwrap();
    }

    async fn day(&self, on: &str) -> SeatingDayAri {
        let ari = ari(&self.store, self.vendor.id, range(on, on))
            .await
            .unwrap();
        assert!(ari.room_types.is_empty());
        let [table] = ari.table_types.as_slice() else {
            panic!("one table type: {ari:?}")
        };
        assert_eq!(table.inv_type_code, self.table.id);
        let [day] = table.days.as_slice() else {
            panic!("one date: {table:?}")
        };
        day.clone()
    }
}

fn limit_at(day: &SeatingDayAri, at: &str) -> u32 {
    day.slots
        .iter()
        .find(|s| s.time == time(at))
        .unwrap_or_else(|| panic!("a seating at {at}: {day:?}"))
        .booking_limit
}

#[tokio::test]
async fn a_seating_is_free_only_where_every_slot_it_would_hold_is() {
    let restaurant = Restaurant::new().await;
    restaurant.hold("2027-03-20", "19:00", "a").await;
    restaurant.hold("2027-03-20", "19:00", "b").await;

    let day = restaurant.day("2027-03-20").await;
    assert_eq!(day.slots.len(), 48, "every half hour of the day");
    // Both tables are taken 19:00-20:30: a 90-minute seating from 17:30 ends as they sit down.
    assert_eq!(limit_at(&day, "17:30"), 2);
    for taken in ["18:00", "18:30", "19:00", "19:30", "20:00"] {
        assert_eq!(limit_at(&day, taken), 0, "{taken}");
    }
    assert_eq!(limit_at(&day, "20:30"), 2);
    assert_eq!(day.rate.amount_minor, 5_000);
    assert_eq!(day.deposit.map(|d| d.amount_minor), Some(1_000));
}

#[tokio::test]
async fn every_seating_offers_what_the_vendors_availability_offers() {
    let restaurant = Restaurant::new().await;
    restaurant.hold("2027-03-20", "12:00", "lunch").await;
    restaurant.hold("2027-03-20", "12:30", "late lunch").await;
    restaurant
        .hold("2027-03-20", "23:30", "past midnight")
        .await;

    for on in ["2027-03-20", "2027-03-21"] {
        let day = restaurant.day(on).await;
        for slot in &day.slots {
            let offers = crate::engine::availability(
                &restaurant.store,
                restaurant.vendor.id,
                PartySize::new(2).unwrap(),
                1,
                Restaurant::seating(on, &slot.time.format("%H:%M").to_string()),
                BOOKED_AT.parse().unwrap(),
            )
            .await
            .unwrap();
            let [offer] = offers.as_slice() else {
                panic!("one table type: {offers:?}")
            };
            assert_eq!(slot.booking_limit, offer.units_left, "{on} {}", slot.time);
        }
    }
    let next = restaurant.day("2027-03-21").await;
    assert_eq!(
        limit_at(&next, "00:30"),
        1,
        "the 23:30 seating runs to 01:00"
    );
    assert_eq!(limit_at(&next, "01:00"), 2);
}

#[tokio::test]
async fn a_day_the_clocks_skip_has_no_seatings_in_the_gap() {
    let restaurant = Restaurant::new().await;
    // Berlin goes from 02:00 to 03:00 on 28 March 2027.
    let day = restaurant.day("2027-03-28").await;
    assert_eq!(day.slots.len(), 46);
    assert!(
        day.slots
            .iter()
            .all(|s| s.time != time("02:00") && s.time != time("02:30"))
    );
}

#[tokio::test]
async fn a_restaurants_range_is_at_most_62_dates_and_a_hotels_a_year() {
    let restaurant = Restaurant::new().await;
    let vendor = restaurant.vendor.id;
    let longest = ari(&restaurant.store, vendor, range("2027-03-01", "2027-05-01"))
        .await
        .unwrap();
    assert_eq!(longest.table_types[0].days.len(), 62);
    assert!(matches!(
        ari(&restaurant.store, vendor, range("2027-03-01", "2027-05-02")).await,
        Err(AriError::RangeTooLong { max_days: 62 })
    ));

    let store = MemoryStore::default();
    let hotel = fixtures::hotel();
    store.put_vendor(&hotel);
    let room = fixtures::room_type(&hotel, "Double", 12_900, json!({}));
    store.create_resource(&room).await.unwrap();
    let year = ari(&store, hotel.id, range("2027-01-01", "2027-12-31"))
        .await
        .unwrap();
    assert_eq!(year.room_types[0].days.len(), 365);
    assert!(year.table_types.is_empty());
}
