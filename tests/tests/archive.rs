//! The archive on the local stack: old ended bookings move to S3 (LocalStack) and the archive
//! table (DynamoDB Local) and leave the bookings table; the guest's and the vendor's lists page
//! through exactly the same bookings before and after; an archived booking stays readable by its
//! owner and refuses changes; a move stopped halfway, repeated or run twice at once ends with
//! the booking listed exactly once.
//!
//! Each test archives only its own bookings (by id): a sweep with a cutoff in the future would
//! take other tests' ended bookings from under them.
use api_tests::{Account, Api, Reply, resource_body, sqs_event};
use archiver::{ArchivePolicy, Archived, Archiver};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use payment_refund::Refunds;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::booking::Booking;
use shared::domain::ids::{BookingId, StaffId, VendorId};
use shared::domain::unit::CheckInMethod;
use shared::engine::{CheckIn, Requester};
use shared::events::{Event, booking_event};
use shared::inbox::{Effect, Inbox};
use shared::payments::{StripeClient, StripeSettings};
use shared::store::{
    ArchivableBookings, ArchiveIndex, ArchiveRecords, BookingChanges, BookingStore, DynamoArchive,
    DynamoStore, MoveOutcome, S3Records,
};
use std::collections::BTreeMap;

/// The age the deployed archiver waits for; tests archive "181 days from now".
const AFTER_DAYS: i64 = 180;

struct Desk {
    api: Api,
    hotel: Account,
    /// Confirms at once (no deposit).
    room: String,
    /// Takes a 20 % deposit: holds wait for payment.
    deposit_room: String,
    guest: Account,
    archiver: Archiver,
    stripe: StripeClient,
    stripe_base: String,
    /// Every list page is checked against the OpenAPI document's `BookingList`.
    list_schema: jsonschema::Validator,
}

/// A schema of the OpenAPI document's components, with its references resolvable.
fn openapi_schema(name: &str) -> jsonschema::Validator {
    let document: Value =
        serde_json::from_str(include_str!("../../shared/api/openapi.json")).expect("openapi.json");
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": document["components"],
    });
    jsonschema::draft202012::options()
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[track_caller]
fn assert_valid(schema: &jsonschema::Validator, body: &Value) {
    let errors: Vec<String> = schema.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?} in {body:#}");
}

impl Desk {
    async fn open() -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let hotel = api.vendor("hotel").await;
        let mut plain = resource_body("Double", 2, 20, 10_000);
        plain.as_object_mut().expect("an object").remove("deposit");
        let room = api.resource(&hotel, &plain).await;
        let deposit_room = api
            .resource(&hotel, &resource_body("Suite", 2, 20, 20_000))
            .await;
        let store = DynamoStore::from_env(&sdk).expect("the table names are set");
        let archiver = Archiver {
            index: DynamoArchive::from_env(&store).expect("BOOKING_ARCHIVE_TABLE is set"),
            records: S3Records::from_env(&sdk).expect("ARCHIVE_BUCKET is set"),
            store,
            policy: ArchivePolicy {
                after: Duration::days(AFTER_DAYS),
                batch: 500,
            },
        };
        let settings = StripeSettings::load(&sdk)
            .await
            .expect("the Stripe secret is provisioned");
        let stripe = settings.client().expect("a Stripe client");
        Self {
            guest: api.guest().await,
            api,
            hotel,
            room,
            deposit_room,
            archiver,
            stripe,
            stripe_base: settings.api_base.clone(),
            list_schema: openapi_schema("BookingList"),
        }
    }

    /// `who` books one night `days` from today in `room`; the reply's body.
    async fn book(&self, who: &Account, room: &str, days: i64) -> Value {
        let check_in = Utc::now().date_naive() + Duration::days(days);
        let mut body = json!({
            "resource_id": room,
            "party_size": 2,
            "check_in": check_in,
            "check_out": check_in + Duration::days(1),
        });
        if who.vendor_id.is_some() {
            // A desk booking names its guest.
            body["guest"] = json!({"name": "Walk-in Guest"});
        }
        let key = uuid::Uuid::new_v4().to_string();
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.hotel.vendor()),
                who.token(),
                Some(&body),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    /// A confirmed booking of the guest, `days` ahead; its id.
    async fn confirmed(&self, days: i64) -> String {
        let booking = self.book(&self.guest, &self.room, days).await;
        assert_eq!(booking["status"], "CONFIRMED", "{booking:#}");
        id_of(&booking)
    }

    async fn set_status(&self, who: &Account, id: &str, status: &str) -> Reply {
        self.api
            .put(
                &format!("/booking/{id}/status"),
                who.token(),
                &json!({"status": status}),
            )
            .await
    }

    /// `staff` check the guest in at the desk on the booking's arrival day, weeks from now: the
    /// desk refuses anyone before their arrival day, so the engine is handed that day's clock,
    /// as the no-show is handed the day after.
    async fn checked_in_on_arrival(&self, staff: &Account, id: &str) {
        let booking = self.live(id).await.expect("a live booking");
        let staff = shared::auth::Caller::Staff {
            id: StaffId::parse(&staff.id).expect("a staff id"),
            vendor_id: VendorId::parse(staff.vendor()).expect("a vendor id"),
            manager: false,
        };
        let at_the_desk = CheckIn {
            method: CheckInMethod::Desk,
            unit: None,
            id_checked: true,
            early: false,
        };
        let checked_in = shared::engine::check_in(
            &self.archiver.store,
            booking.id,
            &at_the_desk,
            &Requester::Caller(staff),
            booking.arrival_at,
        )
        .await
        .expect("checked in on the arrival day");
        assert_eq!(checked_in.status.as_str(), "CHECKED_IN");
    }

    async fn move_to(&self, who: &Account, id: &str, statuses: &[&str]) {
        for status in statuses {
            let reply = self.set_status(who, id, status).await;
            assert_eq!(reply.status, StatusCode::OK, "{status}: {reply:#?}");
        }
    }

    /// A hold with a deposit that lapses unpaid; with `voided`, the payment-refund consumer has
    /// voided its intent since (nothing left to settle). Its id.
    async fn expired(&self, days: i64, voided: bool) -> String {
        let held = self.book(&self.guest, &self.deposit_room, days).await;
        assert_eq!(held["status"], "HELD", "{held:#}");
        let due = json!({"booking_id": held["id"], "expires_at": held["hold_expires_at"]});
        let again = hold_expiry::expire_due(
            &self.archiver.store,
            &self.stripe,
            sqs_event(&[("m-1", due.to_string())]),
            Utc::now() + Duration::minutes(11),
        )
        .await;
        assert!(again.batch_item_failures.is_empty(), "{again:?}");
        let id = id_of(&held);
        if voided {
            self.settle(&id).await;
        }
        id
    }

    /// Hands the payment-refund consumer the booking's current fact, as the bus would.
    async fn settle(&self, id: &str) {
        let booking = self.live(id).await.expect("a live booking");
        let fact = Event::Booking(booking_event(None, Some(&booking)).expect("a fact"));
        let refunds = Refunds {
            store: self.archiver.store.clone(),
            payments: self.stripe.clone(),
        };
        refunds
            .apply(&fact, &api_tests::received(&fact))
            .await
            .expect("settled");
    }

    async fn live(&self, id: &str) -> Option<Booking> {
        self.archiver
            .store
            .booking(booking_id(id))
            .await
            .expect("the bookings table answers")
    }

    /// The key of every object in the hotel's part of the archive bucket.
    async fn records_in_bucket(&self) -> Vec<String> {
        let sdk = shared::aws::sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let bucket = std::env::var("ARCHIVE_BUCKET").expect("ARCHIVE_BUCKET is set");
        let pages: Vec<_> = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("bookings/vendor_id={}/", self.hotel.vendor()))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .expect("S3 ListObjectsV2");
        let mut keys: Vec<String> = pages
            .iter()
            .flat_map(|page| page.contents())
            .filter_map(|object| object.key().map(str::to_owned))
            .collect();
        keys.sort();
        keys
    }

    async fn get(&self, who: &Account, id: &str) -> Reply {
        self.api.get(&format!("/booking/{id}"), who.token()).await
    }

    /// Every (id, status, archived) of a list, page after page.
    async fn walk(&self, who: &Account, path: &str) -> Vec<(String, String, bool)> {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let url = match &cursor {
                None => path.to_owned(),
                Some(cursor) => format!("{path}&cursor={cursor}"),
            };
            let reply = self.api.get(&url, who.token()).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
            assert_valid(&self.list_schema, &reply.body);
            for item in reply.body["items"].as_array().expect("items") {
                seen.push((
                    item["id"].as_str().expect("an id").to_owned(),
                    item["status"].as_str().expect("a status").to_owned(),
                    item["archived"].as_bool().expect("archived is said"),
                ));
            }
            cursor = reply.body["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                return seen;
            }
        }
        panic!("the walk of {path} did not end")
    }

    /// The lists this test looks at: the guest's and the vendor's, whole and a page of 2 at a
    /// time, unfiltered, by status, and by dates.
    fn lists(&self, from: NaiveDate, to: NaiveDate) -> Vec<(Account, String)> {
        let guest = format!("/bookings/user/{}?", self.guest.id);
        let vendor = format!("/bookings/vendor/{}?", self.hotel.vendor());
        let mut lists = Vec::new();
        for (who, base) in [(&self.guest, guest), (&self.hotel, vendor)] {
            for query in [
                "limit=100".to_owned(),
                "limit=2".to_owned(),
                "limit=1&status=CANCELLED,COMPLETED".to_owned(),
                "limit=3&status=CONFIRMED,NO_SHOW,EXPIRED".to_owned(),
                format!("limit=2&from={from}&to={to}"),
                format!("limit=1&from={from}&to={to}&status=CANCELLED,CHECKED_IN"),
            ] {
                lists.push((who.clone(), format!("{base}{query}")));
            }
        }
        lists
    }
}

fn id_of(booking: &Value) -> String {
    booking["id"].as_str().expect("a booking id").to_owned()
}

fn booking_id(id: &str) -> BookingId {
    BookingId::parse(id).expect("a booking id")
}

/// A body without the `archived` mark, to compare with what the live booking read.
fn unmarked(body: &Value) -> Value {
    let mut body = body.clone();
    body.as_object_mut().expect("an object").remove("archived");
    body
}

/// Long enough after every test's last change (a no-show marked 36 days ahead, the latest) for
/// the archive policy to take it.
fn later() -> DateTime<Utc> {
    Utc::now() + Duration::days(AFTER_DAYS + 60)
}

#[tokio::test]
async fn old_ended_bookings_move_to_the_archive_and_both_lists_show_the_same_bookings_before_and_after()
 {
    let desk = Desk::open().await;
    let staff = desk.api.staff(&desk.hotel, false).await;
    // Arrival order interleaves what will be archived and what stays.
    let completed = desk.confirmed(30).await;
    desk.checked_in_on_arrival(&staff, &completed).await;
    desk.move_to(&staff, &completed, &["COMPLETED"]).await;
    let live = desk.confirmed(31).await;
    let cancelled = desk.confirmed(32).await;
    desk.move_to(&desk.guest, &cancelled, &["CANCELLED"]).await;
    let checked_in = desk.confirmed(33).await;
    desk.checked_in_on_arrival(&staff, &checked_in).await;
    let no_show = desk.confirmed(34).await;
    // A no-show is marked once the arrival and its grace have passed: the desk, a day after.
    shared::engine::transition(
        &desk.archiver.store,
        booking_id(&no_show),
        shared::domain::booking::BookingAction::NoShow,
        &shared::engine::Requester::Caller(shared::auth::Caller::Admin("front-desk".into())),
        Utc::now() + Duration::days(36),
    )
    .await
    .expect("marked a no-show");
    let expired = desk.expired(35, true).await;
    // Cancelled and expired, but the deposit's intent is still to be voided.
    let unsettled = desk.expired(36, false).await;
    let walk_in = id_of(&desk.book(&staff, &desk.room, 37).await);
    desk.move_to(&staff, &walk_in, &["CANCELLED"]).await;
    let completed_late = desk.confirmed(38).await;
    desk.checked_in_on_arrival(&staff, &completed_late).await;
    desk.move_to(&staff, &completed_late, &["COMPLETED"]).await;
    let archivable = [
        &completed,
        &cancelled,
        &no_show,
        &expired,
        &walk_in,
        &completed_late,
    ];
    let kept = [&live, &checked_in, &unsettled];
    let today = Utc::now().date_naive();
    let lists = desk.lists(today + Duration::days(32), today + Duration::days(36));
    let mut before = Vec::new();
    for (who, path) in &lists {
        before.push(desk.walk(who, path).await);
    }
    let mut read_before = Vec::new();
    for id in archivable {
        let reply = desk.get(&desk.guest, id).await;
        let reader = if reply.status == StatusCode::OK {
            &desk.guest
        } else {
            &staff
        };
        let reply = desk.get(reader, id).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        read_before.push(reply.body);
    }
    let found = desk
        .archiver
        .store
        .archivable(later(), 100_000)
        .await
        .expect("the sweep's index answers");

    let mut outcomes = Vec::new();
    for id in archivable.iter().chain(&kept) {
        outcomes.push(
            desk.archiver
                .archive_by_id(booking_id(id), later())
                .await
                .expect("archived"),
        );
    }

    let found: Vec<String> = found.iter().map(|b| b.id.to_string()).collect();
    for id in archivable {
        assert!(found.contains(id), "the sweep finds {id}");
    }
    for id in kept {
        assert!(!found.contains(id), "the sweep leaves {id}");
    }
    assert_eq!(
        outcomes,
        [[Archived::Moved; 6].as_slice(), &[Archived::Kept; 3]].concat()
    );
    let berlin = shared::domain::vendor::TimeZone::parse("Europe/Berlin")
        .expect("a zone")
        .tz();
    for (id, live_body) in archivable.iter().zip(&read_before) {
        let booking = booking_id(id);
        assert_eq!(desk.live(id).await, None, "{id} left the bookings table");
        let entry = desk
            .archiver
            .index
            .archived(booking)
            .await
            .expect("the archive answers")
            .expect("an archive entry");
        let month = live_body["arrival_at"]
            .as_str()
            .and_then(|at| at.parse::<DateTime<Utc>>().ok())
            .expect("an arrival")
            .with_timezone(&berlin)
            .format("%Y-%m");
        assert_eq!(
            entry.record_key,
            format!(
                "bookings/vendor_id={}/month={month}/{id}.v{}.json",
                desk.hotel.vendor(),
                live_body["version"]
            )
        );
        assert_eq!(entry.status.as_str(), live_body["status"]);
        let record = desk
            .archiver
            .records
            .record(&entry.record_key)
            .await
            .expect("S3 answers")
            .expect("the record is in the bucket");
        // The record is the booking; staff's answer also names the guest (`guest_name`), which
        // is read from the guest's profile, not stored with the booking.
        let mut stored = live_body.clone();
        stored
            .as_object_mut()
            .expect("an object")
            .remove("guest_name");
        assert_eq!(serde_json::to_value(&record).unwrap(), stored);
    }
    for id in kept {
        assert!(desk.live(id).await.is_some(), "{id} stays live");
        let entry = desk.archiver.index.archived(booking_id(id)).await.unwrap();
        assert_eq!(entry, None, "{id} is not archived");
    }
    for ((who, path), before) in lists.iter().zip(&before) {
        let after = desk.walk(who, path).await;
        let strip = |list: &[(String, String, bool)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(id, s, _)| (id.clone(), s.clone()))
                .collect()
        };
        assert_eq!(strip(&after), strip(before), "{path}");
        assert!(!after.is_empty(), "{path}");
        assert!(before.iter().all(|(_, _, archived)| !archived), "{path}");
        for (id, _, archived) in &after {
            assert_eq!(*archived, archivable.contains(&id), "{path}: {id}");
        }
    }
    // The schema the pages were checked against tells the two kinds apart.
    let page = desk.api.get(&lists[0].1, desk.guest.token()).await.body;
    let mut mislabelled = page.clone();
    let first_archived = page["items"]
        .as_array()
        .and_then(|items| items.iter().position(|item| item["archived"] == true))
        .expect("an archived item");
    mislabelled["items"][first_archived]["archived"] = json!(false);
    assert!(!desk.list_schema.is_valid(&mislabelled));
    // The whole guest list, once each: every booking but the walk-in.
    let whole = desk
        .walk(
            &desk.guest,
            &format!("/bookings/user/{}?limit=100", desk.guest.id),
        )
        .await;
    let ids: Vec<&String> = whole.iter().map(|(id, _, _)| id).collect();
    assert_eq!(
        ids,
        [
            &completed,
            &live,
            &cancelled,
            &checked_in,
            &no_show,
            &expired,
            &unsettled,
            &completed_late
        ]
    );
    assert!(before[0].len() == whole.len() && before[6].len() == whole.len() + 1);
}

#[tokio::test]
async fn an_archived_booking_reads_as_before_for_its_owners_only_and_refuses_changes() {
    let desk = Desk::open().await;
    let (stranger, other_hotel) = tokio::join!(desk.api.guest(), desk.api.vendor("hotel"));
    let staff = desk.api.staff(&desk.hotel, false).await;
    let id = desk.confirmed(40).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let before = desk.get(&desk.guest, &id).await;
    let live_foreign = (
        desk.get(&stranger, &id).await.status,
        desk.get(&other_hotel, &id).await.status,
    );

    let moved = desk.archiver.archive_by_id(booking_id(&id), later()).await;

    assert_eq!(moved.expect("archived"), Archived::Moved);
    for reader in [&desk.guest, &staff, &desk.hotel] {
        let reply = desk.get(reader, &id).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        assert_eq!(reply.body["archived"], true);
        assert_valid(&openapi_schema("Booking"), &reply.body);
        assert_eq!(unmarked(&reply.body), before.body);
        assert_eq!(reply.header("etag"), before.header("etag"));
    }
    assert_eq!(live_foreign, (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    desk.get(&stranger, &id).await.assert_problem(404);
    desk.get(&other_hotel, &id).await.assert_problem(404);
    let status_path = format!("/booking/{id}/status");
    let status = desk.api.get(&status_path, desk.guest.token()).await;
    assert_eq!(status.status, StatusCode::OK, "{status:#?}");
    assert_eq!(
        status.body,
        json!({"id": id, "status": "CANCELLED", "version": before.body["version"]})
    );
    desk.api
        .get(&status_path, stranger.token())
        .await
        .assert_problem(404);
    let cancel = desk.set_status(&desk.guest, &id, "CANCELLED").await;
    let check_in = desk.set_status(&staff, &id, "CHECKED_IN").await;
    let change = desk
        .api
        .put(
            &format!("/booking/{id}"),
            desk.guest.token(),
            &json!({"party_size": 1}),
        )
        .await;
    let strangers_cancel = desk.set_status(&stranger, &id, "CANCELLED").await;
    for refused in [&cancel, &check_in, &change] {
        refused.assert_problem(409);
        assert!(
            refused.body["type"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/archived"),
            "{refused:#?}"
        );
        assert_eq!(refused.body["booking_status"], "CANCELLED");
    }
    strangers_cancel.assert_problem(404);
}

#[tokio::test]
async fn an_archiver_stopped_after_the_record_finishes_the_move_when_run_again() {
    let desk = Desk::open().await;
    let id = desk.confirmed(50).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let booking = desk.live(&id).await.expect("live");
    let list = format!("/bookings/user/{}?limit=1", desk.guest.id);

    // The record is written, then the archiver dies before its transaction.
    let key = desk.archiver.write_record(&booking).await.expect("written");
    let halfway = desk.walk(&desk.guest, &list).await;
    let entry_halfway = desk.archiver.index.archived(booking.id).await.unwrap();
    let rerun = desk.archiver.archive_by_id(booking.id, later()).await;

    assert_eq!(halfway, [(id.clone(), "CANCELLED".to_owned(), false)]);
    assert_eq!(entry_halfway, None);
    assert_eq!(rerun.expect("archived"), Archived::Moved);
    assert_eq!(desk.live(&id).await, None);
    let entry = desk.archiver.index.archived(booking.id).await.unwrap();
    assert_eq!(entry.map(|e| e.record_key), Some(key.clone()));
    // The record is the booking as clients read it (the creating request's digest is never shown).
    let served = Booking {
        request_hash: String::new(),
        ..booking
    };
    assert_eq!(
        desk.archiver.records.record(&key).await.unwrap(),
        Some(served)
    );
    assert_eq!(
        desk.walk(&desk.guest, &list).await,
        [(id, "CANCELLED".to_owned(), true)]
    );
}

#[tokio::test]
async fn an_archiver_run_again_after_its_transaction_changes_nothing() {
    let desk = Desk::open().await;
    let id = desk.confirmed(51).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let booking = desk.live(&id).await.expect("live");
    let key = desk.archiver.write_record(&booking).await.expect("written");
    let first = desk.archiver.commit(&booking, key.clone(), later()).await;
    let entry = desk.archiver.index.archived(booking.id).await.unwrap();

    // It died before acknowledging its work: the same message, or the sweep, comes again.
    let same_booking_again = desk.archiver.archive(&booking, later()).await;
    let commit_again = desk.archiver.commit(&booking, key, later()).await;
    let by_id_again = desk.archiver.archive_by_id(booking.id, later()).await;

    assert_eq!(first.expect("committed"), MoveOutcome::Moved);
    assert_eq!(same_booking_again.unwrap(), Archived::AlreadyArchived);
    assert_eq!(commit_again.unwrap(), MoveOutcome::AlreadyArchived);
    assert_eq!(by_id_again.unwrap(), Archived::AlreadyArchived);
    assert_eq!(
        desk.archiver.index.archived(booking.id).await.unwrap(),
        entry
    );
    assert_eq!(desk.live(&id).await, None);
    assert_eq!(
        desk.walk(
            &desk.guest,
            &format!("/bookings/user/{}?limit=5", desk.guest.id)
        )
        .await,
        [(id, "CANCELLED".to_owned(), true)]
    );
}

#[tokio::test]
async fn two_archivers_moving_the_same_bookings_at_once_move_each_exactly_once() {
    let desk = Desk::open().await;
    let mut ids = Vec::new();
    for days in 60..66 {
        let id = desk.confirmed(days).await;
        desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
        ids.push(id);
    }

    let runs = futures::future::join_all(ids.iter().map(|id| async {
        let id = booking_id(id);
        let (a, b) = tokio::join!(
            desk.archiver.archive_by_id(id, later()),
            desk.archiver.archive_by_id(id, later())
        );
        (a.expect("no failure"), b.expect("no failure"))
    }))
    .await;

    for (id, (a, b)) in ids.iter().zip(&runs) {
        let moved = [a, b].iter().filter(|o| ***o == Archived::Moved).count();
        assert_eq!(moved, 1, "{id}: {a:?} {b:?}");
        assert!(desk.live(id).await.is_none());
        assert!(
            desk.archiver
                .index
                .archived(booking_id(id))
                .await
                .unwrap()
                .is_some()
        );
    }
    let listed = desk
        .walk(
            &desk.guest,
            &format!("/bookings/user/{}?limit=4", desk.guest.id),
        )
        .await;
    let listed: Vec<&String> = listed.iter().map(|(id, _, _)| id).collect();
    assert_eq!(listed, ids.iter().collect::<Vec<_>>());
    // One record per booking in the bucket: the one its entry points to.
    let mut per_booking: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in desk.records_in_bucket().await {
        let file = key.rsplit('/').next().unwrap_or_default();
        let id = file.split('.').next().unwrap_or_default().to_owned();
        per_booking.entry(id).or_default().push(key);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        per_booking.keys().collect::<Vec<_>>(),
        sorted.iter().collect::<Vec<_>>()
    );
    for (id, keys) in &per_booking {
        let entry = desk.archiver.index.archived(booking_id(id)).await.unwrap();
        assert_eq!(*keys, [entry.expect("archived").record_key], "{id}");
    }
}

/// The archive bucket, where the booking changes right after its record is written: a change
/// landing between the archiver's two steps (a deposit settled late, say).
struct ChangesAfterTheRecord {
    records: S3Records,
    store: DynamoStore,
}

impl ArchiveRecords for ChangesAfterTheRecord {
    async fn put_record(&self, key: &str, booking: &Booking) -> anyhow::Result<()> {
        self.records.put_record(key, booking).await?;
        let changed = Booking {
            version: booking.version + 1,
            updated_at: booking.updated_at + Duration::seconds(1),
            ..booking.clone()
        };
        self.store
            .replace_booking(
                &changed,
                (booking.status, booking.version),
                &BookingChanges::default(),
            )
            .await?;
        Ok(())
    }

    async fn record(&self, key: &str) -> anyhow::Result<Option<Booking>> {
        self.records.record(key).await
    }

    async fn delete_record(&self, key: &str) -> anyhow::Result<()> {
        self.records.delete_record(key).await
    }
}

#[tokio::test]
async fn a_booking_that_changes_while_it_is_moved_leaves_no_stray_record_in_the_bucket() {
    let desk = Desk::open().await;
    let id = desk.confirmed(52).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let read = desk.live(&id).await.expect("live");
    let interrupted = Archiver {
        store: desk.archiver.store.clone(),
        index: desk.archiver.index.clone(),
        records: ChangesAfterTheRecord {
            records: desk.archiver.records.clone(),
            store: desk.archiver.store.clone(),
        },
        policy: desk.archiver.policy,
    };

    let first = interrupted.archive_by_id(read.id, later()).await;
    let left_after_first = desk.records_in_bucket().await;
    let second = desk.archiver.archive_by_id(read.id, later()).await;

    assert_eq!(first.expect("no failure"), Archived::Kept);
    assert_eq!(left_after_first, Vec::<String>::new());
    assert_eq!(second.expect("archived"), Archived::Moved);
    let entry = desk.archiver.index.archived(read.id).await.unwrap();
    let entry = entry.expect("archived");
    assert_eq!(entry.version, read.version + 1);
    assert_eq!(desk.records_in_bucket().await, [entry.record_key]);
}

#[tokio::test]
async fn an_unreadable_item_in_the_sweeps_index_is_passed_over_and_the_rest_still_found() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let desk = Desk::open().await;
    let id = desk.confirmed(53).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let booking = desk.live(&id).await.expect("live");
    let sdk = shared::aws::sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = std::env::var("BOOKINGS_TABLE").expect("BOOKINGS_TABLE is set");
    // One in each of the sweep's partitions, changed just before the booking.
    let changed = (booking.updated_at - Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let mut garbage = Vec::new();
    for shard in 0..8 {
        let pk = format!("BOOKING#{}", BookingId::generate());
        dynamo
            .put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(pk.clone()))
            .item("sk", AttributeValue::S("BOOKING".into()))
            .item("status", AttributeValue::S("MISLAID".into()))
            .item("gsi3pk", AttributeValue::S(format!("ARCHIVABLE#{shard}")))
            .item("gsi3sk", AttributeValue::S(format!("{changed}#{pk}")))
            .send()
            .await
            .expect("PutItem");
        garbage.push(pk);
    }

    let found = desk
        .archiver
        .store
        .archivable(booking.updated_at + Duration::seconds(1), 100_000)
        .await;

    for pk in &garbage {
        dynamo
            .delete_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(pk.clone()))
            .key("sk", AttributeValue::S("BOOKING".into()))
            .send()
            .await
            .expect("DeleteItem");
    }
    let found = found.expect("the sweep's index answers despite the unreadable items");
    assert!(found.iter().any(|b| b.id == booking.id));
}

#[tokio::test]
async fn an_ending_fact_archives_a_booking_at_once_only_when_it_is_already_old_enough() {
    let desk = Desk::open().await;
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk).expect("the ledger is set");
    let (recent, old) = (desk.confirmed(70).await, desk.confirmed(71).await);
    for id in [&recent, &old] {
        desk.move_to(&desk.guest, id, &["CANCELLED"]).await;
    }
    let fact = |booking: &Booking| {
        let fact = Event::Booking(booking_event(None, Some(booking)).expect("a fact"));
        serde_json::to_string(&api_tests::received(&fact)).expect("an event")
    };
    let recent_fact = fact(&desk.live(&recent).await.unwrap());
    let old_fact = fact(&desk.live(&old).await.unwrap());
    // The deployed policy for the recent one; for the old one, as if 180 days had passed.
    let waiting = &desk.archiver;
    let aged = Archiver {
        policy: ArchivePolicy {
            after: Duration::zero(),
            batch: 1,
        },
        ..desk.archiver.clone()
    };

    let first = archiver::CONSUMER
        .consume(&inbox, waiting, sqs_event(&[("m-recent", recent_fact)]))
        .await;
    let second = archiver::CONSUMER
        .consume(&inbox, &aged, sqs_event(&[("m-old", old_fact)]))
        .await;

    assert!(first.batch_item_failures.is_empty());
    assert!(second.batch_item_failures.is_empty());
    assert!(desk.live(&recent).await.is_some());
    assert_eq!(
        desk.archiver
            .index
            .archived(booking_id(&recent))
            .await
            .unwrap(),
        None
    );
    assert_eq!(desk.live(&old).await, None);
    assert!(
        desk.archiver
            .index
            .archived(booking_id(&old))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_cancelled_booking_whose_deposit_is_still_to_be_refunded_stays_until_the_refund_is_made()
{
    let desk = Desk::open().await;
    let held = desk.book(&desk.guest, &desk.deposit_room, 80).await;
    let intent = held["deposit_payment"]["intent_id"]
        .as_str()
        .expect("an intent");
    let (paid, body) =
        api_tests::pay_intent(&desk.stripe_base, "sk_test_local", intent, "pm_card_visa").await;
    assert_eq!(paid, StatusCode::OK, "{body}");
    let id = id_of(&held);
    let booking = desk.live(&id).await.expect("live");
    // What the webhook (or reconciliation, should it be lost) does with the payment.
    shared::deposits::reconcile_booking(&desk.archiver.store, &desk.stripe, &booking, Utc::now())
        .await
        .expect("the payment is recorded");
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let cancelled = desk.live(&id).await.expect("live");

    let while_due = desk.archiver.archive_by_id(booking.id, later()).await;
    let found_while_due = desk
        .archiver
        .store
        .archivable(later(), 100_000)
        .await
        .unwrap();
    desk.settle(&id).await;
    let refunded = desk.live(&id).await.expect("live");
    let after_refund = desk.archiver.archive_by_id(booking.id, later()).await;

    assert_eq!(
        cancelled.deposit_payment.map(|d| format!("{:?}", d.status)),
        Some("RefundDue".to_owned())
    );
    assert_eq!(while_due.unwrap(), Archived::Kept);
    assert!(found_while_due.iter().all(|b| b.id != booking.id));
    assert_eq!(
        refunded.deposit_payment.map(|d| format!("{:?}", d.status)),
        Some("Refunded".to_owned())
    );
    assert_eq!(after_refund.unwrap(), Archived::Moved);
    let reply = desk.get(&desk.guest, &id).await;
    assert_eq!(reply.body["archived"], true, "{reply:#?}");
    assert_eq!(reply.body["deposit_payment"]["status"], "REFUNDED");
}

#[tokio::test]
async fn the_lambda_takes_a_queue_batch_as_facts_and_anything_else_as_the_scheduled_sweep() {
    use lambda_http::lambda_runtime::{Context, LambdaEvent};
    let desk = Desk::open().await;
    let sdk = shared::aws::sdk_config().await;
    let inbox = Inbox::from_env(&sdk).expect("the ledger is set");
    let id = desk.confirmed(90).await;
    desk.move_to(&desk.guest, &id, &["CANCELLED"]).await;
    let booking = desk.live(&id).await.unwrap();
    let fact = Event::Booking(booking_event(None, Some(&booking)).expect("a fact"));
    let body = serde_json::to_string(&api_tests::received(&fact)).expect("an event");
    let batch = serde_json::to_value(sqs_event(&[("m-1", body)])).expect("a batch");
    let aged = Archiver {
        policy: ArchivePolicy {
            after: Duration::zero(),
            batch: 1,
        },
        ..desk.archiver.clone()
    };

    let consumed =
        archiver::handler(&inbox, &aged, LambdaEvent::new(batch, Context::default())).await;
    // The deployed policy: only bookings that ended half a year ago, of which a test stack has
    // none of its own making, so no other test's booking moves.
    let swept = archiver::handler(
        &inbox,
        &desk.archiver,
        LambdaEvent::new(json!({}), Context::default()),
    )
    .await;

    assert_eq!(
        consumed.expect("consumed"),
        json!({"batchItemFailures": []})
    );
    assert_eq!(desk.live(&id).await, None);
    assert!(
        desk.archiver
            .index
            .archived(booking.id)
            .await
            .unwrap()
            .is_some()
    );
    let swept = swept.expect("swept");
    assert_eq!(swept["failed"], 0, "{swept}");
    assert!(
        swept["found"].is_u64() && swept["moved"].is_u64(),
        "{swept}"
    );
}
