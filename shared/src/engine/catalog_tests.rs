//! Holds worked out from this container's copy of the vendor's types: a copy made stale by a
//! lower limit never sells past the limit in force, and a refusal is never taken from a copy.
use super::*;
use crate::auth::Caller;
use crate::domain::booking::BookingTime;
use crate::domain::calendar::Bucket;
use crate::domain::inventory::OverbookingAllowance;
use crate::domain::party::PartySize;
use crate::domain::resource::{Resource, UnitCount};
use crate::domain::vendor::Vendor;
use crate::store::memory::{MemoryStore, fixtures};
use crate::store::{BookingStore, ResourceStore};
use chrono::NaiveDate;
use serde_json::json;

const NOW: &str = "2027-03-01T10:00:00Z";

fn night(raw: &str) -> BookingTime {
    let check_in: NaiveDate = raw.parse().unwrap();
    BookingTime::Stay {
        check_in,
        check_out: check_in.succ_opt().unwrap(),
    }
}

async fn ask(
    store: &MemoryStore,
    hotel: &Vendor,
    room: &Resource,
    time: BookingTime,
    key: &str,
) -> Result<Held, HoldError> {
    let creator = Creator::from_caller(
        &Caller::Guest(crate::domain::ids::UserId::generate()),
        hotel.id,
    )
    .unwrap();
    let new = NewHold {
        creator: &creator,
        idempotency_key: key,
        request_hash: "hash",
        request: HoldRequest {
            vendor: hotel.id,
            resource: Some(room.id),
            party: PartySize::new(1).unwrap(),
            units: None,
            time,
        },
        now: NOW.parse().unwrap(),
        hold_seconds: 600,
    };
    hold(store, store, new).await
}

async fn sold(store: &MemoryStore, hotel: &Vendor, room: &Resource, raw: &str) -> u32 {
    let bucket = Bucket::Night(raw.parse().unwrap());
    store.sold(hotel.id, room.id, &[bucket]).await.unwrap()[&bucket]
}

/// A hotel whose "Double" (5 rooms, 20 % overbooking: 6 sellable) is in the cache.
async fn warm_hotel() -> (MemoryStore, Vendor, Resource) {
    let store = MemoryStore::default();
    let hotel = fixtures::hotel();
    store.put_vendor(&hotel);
    let room = fixtures::room_type(
        &hotel,
        "Double",
        10_000,
        json!({"deposit": {"kind": "none"}, "overbooking_percent": 20}),
    );
    store.create_resource(&room).await.unwrap();
    assert_eq!(room.sellable_limit(), 6);
    ask(&store, &hotel, &room, night("2027-03-10"), "warm-up")
        .await
        .unwrap();
    (store, hotel, room)
}

fn cached_limit(store: &MemoryStore, hotel: &Vendor, room: &Resource) -> u32 {
    let kept = store.catalog_cache().unwrap().get(hotel.id).unwrap();
    let cached = kept.resources.iter().find(|r| r.id == room.id).unwrap();
    cached.sellable_limit()
}

async fn lower(store: &MemoryStore, room: &Resource, units: u32, overbooking: i64) -> Resource {
    let lowered = Resource {
        units: UnitCount::new(i64::from(units)).unwrap(),
        overbooking_percent: OverbookingAllowance::new(overbooking).unwrap(),
        version: room.version + 1,
        ..room.clone()
    };
    store.update_resource(&lowered, room.version).await.unwrap();
    lowered
}

#[tokio::test]
async fn a_stale_copy_never_sells_past_a_unit_count_that_dropped_between_two_holds() {
    let (store, hotel, room) = warm_hotel().await;
    ask(&store, &hotel, &room, night("2027-03-12"), "first")
        .await
        .unwrap();
    let lowered = lower(&store, &room, 1, 0).await;
    assert_eq!(lowered.sellable_limit(), 1);
    assert_eq!(cached_limit(&store, &hotel, &room), 6, "the copy is stale");

    let second = ask(&store, &hotel, &room, night("2027-03-12"), "second").await;

    assert!(
        matches!(second, Err(HoldError::SoldOut { .. })),
        "{second:?}"
    );
    assert_eq!(sold(&store, &hotel, &room, "2027-03-12").await, 1);
    assert_eq!(
        cached_limit(&store, &hotel, &room),
        1,
        "the copy was read again"
    );
}

#[tokio::test]
async fn a_stale_copy_never_sells_past_an_overbooking_allowance_that_dropped() {
    let (store, hotel, room) = warm_hotel().await;
    for key in ["a", "b", "c", "d", "e"] {
        ask(&store, &hotel, &room, night("2027-03-14"), key)
            .await
            .unwrap();
    }
    lower(&store, &room, 5, 0).await;

    let sixth = ask(&store, &hotel, &room, night("2027-03-14"), "f").await;

    assert!(matches!(sixth, Err(HoldError::SoldOut { .. })), "{sixth:?}");
    assert_eq!(sold(&store, &hotel, &room, "2027-03-14").await, 5);
}

#[tokio::test]
async fn a_stale_copy_that_would_refuse_asks_the_stored_type_again() {
    let (store, hotel, room) = warm_hotel().await;
    for key in 0..6 {
        ask(&store, &hotel, &room, night("2027-03-16"), &key.to_string())
            .await
            .unwrap();
    }
    let raised = Resource {
        units: UnitCount::new(9).unwrap(),
        version: room.version + 1,
        ..room.clone()
    };
    store.update_resource(&raised, room.version).await.unwrap();
    assert_eq!(cached_limit(&store, &hotel, &room), 6, "the copy is stale");

    let seventh = ask(&store, &hotel, &room, night("2027-03-16"), "7").await;

    assert!(matches!(seventh, Ok(Held::Created(_))), "{seventh:?}");
    assert_eq!(sold(&store, &hotel, &room, "2027-03-16").await, 7);
}
