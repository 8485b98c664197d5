//! The waitlist's rules against the in-memory store: order, fit, one offer per entry and per
//! freed unit, lapses.
use super::*;
use crate::domain::booking::{Booking, BookingAction, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::money::Money;
use crate::domain::resource::Resource;
use crate::domain::vendor::Vendor;
use crate::engine::{self, Creator, Held, HoldError, HoldRequest, NewHold, Requester};
use crate::events::{Event, booking_event};
use crate::payments::{
    Intent, IntentId, IntentStatus, PaymentError, PaymentGateway, Refund, RefundId,
};
use crate::store::BookingStore;
use crate::store::memory::{MemoryStore, fixtures};
use chrono::NaiveDate;
use serde_json::json;

const NOW: &str = "2027-03-01T10:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

fn stay(from: &str, to: &str) -> BookingTime {
    BookingTime::Stay {
        check_in: from.parse::<NaiveDate>().unwrap(),
        check_out: to.parse::<NaiveDate>().unwrap(),
    }
}

/// Creates an intent for each deposit asked; never charges.
#[derive(Default)]
struct Stripe;

impl PaymentGateway for Stripe {
    async fn create_deposit(
        &self,
        booking: BookingId,
        amount: Money,
        _: &str,
    ) -> Result<Intent, PaymentError> {
        Ok(Intent {
            id: IntentId::parse(&format!("pi_{}", booking.to_string().replace('-', ""))).unwrap(),
            status: IntentStatus::RequiresPaymentMethod,
            amount,
            amount_received: 0,
            client_secret: Some("secret".into()),
            booking_id: Some(booking),
        })
    }

    async fn intent(&self, _: &IntentId) -> Result<Intent, PaymentError> {
        Err(anyhow::anyhow!("not used here").into())
    }

    async fn cancel(&self, _: &IntentId, _: &str) -> Result<Intent, PaymentError> {
        Err(anyhow::anyhow!("not used here").into())
    }

    async fn refund(&self, _: &IntentId, _: Money, _: &str) -> Result<Refund, PaymentError> {
        Err(anyhow::anyhow!("not used here").into())
    }

    async fn read_refund(&self, _: &RefundId) -> Result<Refund, PaymentError> {
        Err(anyhow::anyhow!("not used here").into())
    }
}

struct World {
    store: MemoryStore,
    waitlist: MemoryWaitlist,
    hotel: Vendor,
    room: Resource,
}

const SETTINGS: OfferSettings = OfferSettings { hold_seconds: 600 };

impl World {
    /// A hotel whose room type has `units` rooms and takes a 20 % deposit.
    async fn new(units: u32) -> Self {
        let store = MemoryStore::default();
        let hotel = fixtures::hotel();
        store.put_vendor(&hotel);
        let room = fixtures::room_type(
            &hotel,
            "Double",
            10_000,
            json!({"units": units, "deposit": {"kind": "percent", "percent": 20}}),
        );
        crate::store::ResourceStore::create_resource(&store, &room)
            .await
            .unwrap();
        Self {
            store,
            waitlist: MemoryWaitlist::default(),
            hotel,
            room,
        }
    }

    async fn book(
        &self,
        guest: UserId,
        units: u32,
        time: BookingTime,
    ) -> Result<Booking, HoldError> {
        let creator =
            Creator::from_caller(&crate::auth::Caller::Guest(guest), self.hotel.id).unwrap();
        let key = format!("{guest}-{units}");
        let new = NewHold {
            creator: &creator,
            idempotency_key: &key,
            request_hash: "hash",
            request: HoldRequest {
                vendor: self.hotel.id,
                resource: Some(self.room.id),
                party: PartySize::new(1).unwrap(),
                units: Some(units),
                time,
            },
            now: now(),
            hold_seconds: 600,
        };
        match engine::hold(&self.store, &self.store, new).await? {
            Held::Created(b) | Held::Replayed(b) => Ok(b),
        }
    }

    async fn join(&self, guest: UserId, units: u32, time: BookingTime) -> Result<Entry, JoinError> {
        let request = JoinRequest {
            vendor: self.hotel.id,
            resource: self.room.id,
            party: PartySize::new(1).unwrap(),
            units,
            time,
        };
        match join(&self.store, &self.waitlist, guest, request, now()).await? {
            Joined::Created(e) | Joined::Existing(e) => Ok(e),
        }
    }

    async fn cancel(&self, booking: &Booking) -> Event {
        let before = self.store.booking(booking.id).await.unwrap().unwrap();
        let after = engine::transition(
            &self.store,
            booking.id,
            BookingAction::Cancel,
            &Requester::System,
            now(),
        )
        .await
        .unwrap();
        booking_event(Some(&before), Some(&after)).unwrap().into()
    }

    async fn offer(&self, event: &Event) -> Vec<Offered> {
        let freed = freed_by(event).expect("the fact frees units");
        offer_freed(
            &self.store,
            &self.store,
            &Stripe,
            &self.waitlist,
            &SETTINGS,
            freed,
            now(),
        )
        .await
        .unwrap()
    }

    fn sold(&self, bucket: &str) -> i64 {
        self.store.sold_units(
            self.hotel.id,
            self.room.id,
            Bucket::Night(bucket.parse().unwrap()),
        )
    }

    async fn status(&self, entry: &Entry) -> EntryStatus {
        self.waitlist
            .entry(entry.vendor_id, entry.resource_id, entry.id)
            .await
            .unwrap()
            .unwrap()
            .status
    }
}

#[tokio::test]
async fn joining_is_refused_while_units_are_free_and_names_bad_fields() {
    let world = World::new(2).await;
    let guest = UserId::generate();

    let free = world.join(guest, 1, stay("2027-03-20", "2027-03-22")).await;
    let too_many = world.join(guest, 9, stay("2027-03-20", "2027-03-22")).await;
    let backwards = world.join(guest, 1, stay("2027-03-22", "2027-03-20")).await;

    assert!(
        matches!(free, Err(JoinError::NotSoldOut { units_left: 2 })),
        "{free:?}"
    );
    assert!(
        matches!(too_many, Err(JoinError::Refused(HoldError::Invalid(ref e))) if format!("{e:?}").contains("/units")),
        "{too_many:?}"
    );
    assert!(
        matches!(backwards, Err(JoinError::Refused(HoldError::Invalid(ref e))) if format!("{e:?}").contains("/check_out")),
        "{backwards:?}"
    );
}

#[tokio::test]
async fn two_freed_units_go_to_the_first_two_guests_and_the_third_waits() {
    let world = World::new(2).await;
    let time = stay("2027-03-20", "2027-03-22");
    let first = world.book(UserId::generate(), 1, time).await.unwrap();
    let second = world.book(UserId::generate(), 1, time).await.unwrap();
    assert!(matches!(
        world.book(UserId::generate(), 1, time).await,
        Err(HoldError::SoldOut { .. })
    ));
    let guests = [UserId::generate(), UserId::generate(), UserId::generate()];
    let mut entries = Vec::new();
    for guest in guests {
        entries.push(world.join(guest, 1, time).await.unwrap());
    }

    let cancelled = [world.cancel(&first).await, world.cancel(&second).await];
    let made_first = world.offer(&cancelled[0]).await;
    let made_second = world.offer(&cancelled[1]).await;

    let offered: Vec<UserId> = made_first
        .iter()
        .chain(&made_second)
        .map(|o| o.booking.guest_id.unwrap())
        .collect();
    assert_eq!(offered, vec![guests[0], guests[1]]);
    for o in made_first.iter().chain(&made_second) {
        assert_eq!(o.booking.status, BookingStatus::Held);
        assert_eq!(
            o.booking.hold_expires_at,
            Some(now() + chrono::Duration::seconds(600))
        );
        assert_eq!(o.entry.status, EntryStatus::Offered);
    }
    assert_eq!(world.sold("2027-03-20"), 2);
    assert_eq!(world.sold("2027-03-21"), 2);
    assert_eq!(world.status(&entries[2]).await, EntryStatus::Waiting);
    let listed = world
        .waitlist
        .of_type(world.hotel.id, world.room.id, false, MAX_TRIED)
        .await
        .unwrap();
    let statuses: Vec<EntryStatus> = listed.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            EntryStatus::Offered,
            EntryStatus::Offered,
            EntryStatus::Waiting
        ]
    );
}

#[tokio::test]
async fn an_entry_is_offered_once_however_often_its_release_is_handled() {
    let world = World::new(1).await;
    let time = stay("2027-03-20", "2027-03-21");
    let taken = world.book(UserId::generate(), 1, time).await.unwrap();
    let entry = world.join(UserId::generate(), 1, time).await.unwrap();
    let released = world.cancel(&taken).await;

    let once = world.offer(&released).await;
    let again = world.offer(&released).await;

    assert_eq!(once.len(), 1);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(world.sold("2027-03-20"), 1);
    assert_eq!(world.status(&entry).await, EntryStatus::Offered);
}

#[tokio::test]
async fn a_request_that_does_not_fit_waits_and_a_later_smaller_one_is_served() {
    let world = World::new(2).await;
    let time = stay("2027-03-20", "2027-03-21");
    let one = world.book(UserId::generate(), 1, time).await.unwrap();
    let _other = world.book(UserId::generate(), 1, time).await.unwrap();
    let wants_two = world.join(UserId::generate(), 2, time).await.unwrap();
    let wants_one = world.join(UserId::generate(), 1, time).await.unwrap();

    let made = world.offer(&world.cancel(&one).await).await;

    assert_eq!(made.len(), 1);
    assert_eq!(made[0].entry.id, wants_one.id);
    assert_eq!(world.status(&wants_two).await, EntryStatus::Waiting);
    assert_eq!(world.sold("2027-03-20"), 2);
}

#[tokio::test]
async fn a_lapsed_offer_is_not_offered_again_and_its_unit_goes_to_the_next_guest() {
    let world = World::new(1).await;
    let time = stay("2027-03-20", "2027-03-21");
    let taken = world.book(UserId::generate(), 1, time).await.unwrap();
    let first = world.join(UserId::generate(), 1, time).await.unwrap();
    let second = world.join(UserId::generate(), 1, time).await.unwrap();
    let made = world.offer(&world.cancel(&taken).await).await;
    let offer = &made[0].booking;

    // The offer's hold lapses: as the hold-expiry consumer expires it.
    let before = world.store.booking(offer.id).await.unwrap().unwrap();
    let expired = engine::transition(
        &world.store,
        offer.id,
        BookingAction::Expire,
        &Requester::System,
        now() + chrono::Duration::seconds(601),
    )
    .await
    .unwrap();
    let fact: Event = booking_event(Some(&before), Some(&expired)).unwrap().into();
    settle_offer(&world.waitlist, &fact, now()).await.unwrap();
    let next = world.offer(&fact).await;

    assert_eq!(world.status(&first).await, EntryStatus::Lapsed);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].entry.id, second.id);
    assert_eq!(world.sold("2027-03-20"), 1);
}

#[tokio::test]
async fn facts_that_free_units_are_told_from_those_that_do_not() {
    let world = World::new(1).await;
    let time = stay("2027-03-20", "2027-03-21");
    let held = world.book(UserId::generate(), 1, time).await.unwrap();
    let created: Event = booking_event(None, Some(&held)).unwrap().into();
    let cancelled = world.cancel(&held).await;

    let mut paid = held.clone();
    paid.version += 1;
    let updated: Event = booking_event(Some(&held), Some(&paid)).unwrap().into();
    let mut shorter = paid.clone();
    shorter.version += 1;
    shorter.buckets.truncate(0);

    assert_eq!(freed_by(&created), None);
    assert_eq!(
        freed_by(&updated),
        None,
        "an update that keeps the terms frees nothing"
    );
    assert!(
        freed_by(&booking_event(Some(&paid), Some(&shorter)).unwrap().into()).is_some(),
        "an update that gives a night back frees it"
    );
    assert_eq!(
        freed_by(&cancelled),
        Some(Freed {
            vendor: world.hotel.id,
            resource: world.room.id,
            units: 1,
            night: None,
        })
    );
}

#[tokio::test]
async fn a_guest_sees_their_own_entries_and_leaves_only_their_own() {
    let world = World::new(1).await;
    let time = stay("2027-03-20", "2027-03-21");
    world.book(UserId::generate(), 1, time).await.unwrap();
    let (mine, theirs) = (UserId::generate(), UserId::generate());
    let entry = world.join(mine, 1, time).await.unwrap();
    let again = world.join(mine, 1, time).await.unwrap();
    world.join(theirs, 1, time).await.unwrap();

    let refused = leave(
        &world.waitlist,
        theirs,
        entry.vendor_id,
        entry.resource_id,
        entry.id,
    )
    .await;
    let listed = world.waitlist.of_guest(mine).await.unwrap();
    let left = leave(
        &world.waitlist,
        mine,
        entry.vendor_id,
        entry.resource_id,
        entry.id,
    )
    .await;

    assert_eq!(again.id, entry.id);
    assert!(matches!(refused, Err(LeaveError::NotFound)));
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![entry.id]
    );
    assert!(left.is_ok());
    assert!(world.waitlist.of_guest(mine).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_releases_handled_at_once_offer_each_unit_once_in_order() {
    let world = World::new(2).await;
    let time = stay("2027-03-20", "2027-03-21");
    let first = world.book(UserId::generate(), 1, time).await.unwrap();
    let second = world.book(UserId::generate(), 1, time).await.unwrap();
    let mut entries = Vec::new();
    for _ in 0..3 {
        entries.push(world.join(UserId::generate(), 1, time).await.unwrap());
    }
    let released = [world.cancel(&first).await, world.cancel(&second).await];

    let (a, b) = tokio::join!(world.offer(&released[0]), world.offer(&released[1]));

    let mut offered: Vec<EntryId> = a.iter().chain(&b).map(|o| o.entry.id).collect();
    offered.sort();
    assert_eq!(offered, vec![entries[0].id, entries[1].id]);
    assert_eq!(world.status(&entries[2]).await, EntryStatus::Waiting);
    assert_eq!(world.sold("2027-03-20"), 2);
}

/// A channel night's item (`store::allotments`) as a stream image: numbers, and `rel` once
/// released.
fn channel_item(pairs: &[(&str, i64)]) -> serde_dynamo::Item {
    let mut item = serde_dynamo::Item::default();
    for (name, value) in pairs {
        item.insert(
            (*name).into(),
            serde_dynamo::AttributeValue::N(value.to_string()),
        );
    }
    item
}

#[test]
fn an_allotment_released_lowered_or_removed_frees_its_unsold_units_and_one_set_or_raised_none() {
    use crate::ari_push::allotted::AllotmentFact;
    let (vendor, room) = (VendorId::generate(), ResourceId::generate());
    let channel = crate::channels::ChannelId::generate();
    let pk = format!("CHAN#{vendor}#{room}");
    let sk = format!("N#2027-03-20#{channel}");
    let freed = |old: &[(&str, i64)], new: &[(&str, i64)]| {
        let fact =
            AllotmentFact::change(&pk, &sk, &channel_item(old), &channel_item(new), "1", now())
                .expect("the terms changed");
        freed_by_allotment(&fact).map(|f| (f.vendor, f.resource, f.units))
    };

    assert_eq!(freed(&[], &[("sold", 0), ("allot", 3)]), None, "set");
    assert_eq!(
        freed(&[("sold", 1), ("allot", 3)], &[("sold", 1), ("allot", 5)]),
        None,
        "raised"
    );
    assert_eq!(
        freed(
            &[("sold", 1), ("allot", 3)],
            &[("sold", 1), ("allot", 3), ("rel", 1)]
        ),
        Some((vendor, room, 2)),
        "released: the unsold units"
    );
    assert_eq!(
        freed(&[("sold", 1), ("allot", 5)], &[("sold", 1), ("allot", 2)]),
        Some((vendor, room, 3)),
        "lowered by three"
    );
    assert_eq!(
        freed(
            &[("sold", 2), ("allot", 2)],
            &[("sold", 2), ("allot", 2), ("rel", 1)]
        ),
        None,
        "released with every unit sold"
    );
    assert_eq!(
        freed(
            &[("sold", 1), ("allot", 3), ("rel", 1)],
            &[("sold", 1), ("allot", 4)]
        ),
        None,
        "set again after its release: it takes units"
    );

    let app = "N#2027-03-20#app";
    let protection = AllotmentFact::change(
        &pk,
        app,
        &channel_item(&[("protect", 2)]),
        &channel_item(&[("protect", 0)]),
        "2",
        now(),
    )
    .expect("the protection changed");
    assert_eq!(
        freed_by_allotment(&protection),
        None,
        "a protection lowered frees nothing for our app, which never reads it"
    );
}

#[tokio::test]
async fn a_stay_waiting_for_two_nights_is_offered_only_once_both_are_free() {
    let world = World::new(1).await;
    let first = world
        .book(UserId::generate(), 1, stay("2027-03-20", "2027-03-21"))
        .await
        .unwrap();
    let second = world
        .book(UserId::generate(), 1, stay("2027-03-21", "2027-03-22"))
        .await
        .unwrap();
    let waiting = world
        .join(UserId::generate(), 1, stay("2027-03-20", "2027-03-22"))
        .await
        .unwrap();

    // As a released allotment's facts come, one night each.
    let one_night = world.cancel(&first).await;
    assert!(world.offer(&one_night).await.is_empty());
    assert_eq!(world.status(&waiting).await, EntryStatus::Waiting);
    let other_night = world.cancel(&second).await;
    let offered = world.offer(&other_night).await;

    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].entry.id, waiting.id);
    assert_eq!((world.sold("2027-03-20"), world.sold("2027-03-21")), (1, 1));
}

#[tokio::test]
async fn units_freed_on_one_night_go_to_a_stay_that_includes_it_not_to_an_older_one_elsewhere() {
    let world = World::new(1).await;
    let elsewhere = world
        .book(UserId::generate(), 1, stay("2027-03-25", "2027-03-26"))
        .await
        .unwrap();
    let that_night = world
        .book(UserId::generate(), 1, stay("2027-03-20", "2027-03-21"))
        .await
        .unwrap();
    let older = world
        .join(UserId::generate(), 1, stay("2027-03-25", "2027-03-26"))
        .await
        .unwrap();
    let newer = world
        .join(UserId::generate(), 1, stay("2027-03-20", "2027-03-21"))
        .await
        .unwrap();
    // Both rooms free; only the 20th's is this fact's (an allotment released that night).
    world.cancel(&elsewhere).await;
    world.cancel(&that_night).await;
    let freed = Freed {
        vendor: world.hotel.id,
        resource: world.room.id,
        units: 1,
        night: Some("2027-03-20".parse().unwrap()),
    };

    let offered = offer_freed(
        &world.store,
        &world.store,
        &Stripe,
        &world.waitlist,
        &SETTINGS,
        freed,
        now(),
    )
    .await
    .unwrap();

    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].entry.id, newer.id);
    assert_eq!(world.status(&older).await, EntryStatus::Waiting);
}
