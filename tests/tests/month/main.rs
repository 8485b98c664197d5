//! A month of one hotel and one restaurant through the real API on the local stack (issue 20),
//! checked against a count the test keeps itself. Business time moves a day at a time with the
//! local clock; each night the manager runs the night audit for the day that ended. Bookings are
//! online, walk-in and phone; some change dates or room type, some are cancelled inside or
//! outside the free window, some never come, one leaves early, one is corrected after its first
//! nights were closed. The test's own ledger says what each business day must hold; the
//! projection must reach it before each night's close, each closed day must keep what it was
//! closed with (the night's own no-shows in it), the late correction must show as an adjustment
//! on the next open day, and the report (by day, week and month, JSON and CSV) must agree with
//! the ledger to the minor unit. The invoices of each vendor must be numbered 1..N without a gap.
//! The facts reach the reports through the real backbone, so this binary runs in nextest's
//! event-backbone group.
use api_tests::{Api, zone_at_noon};
use chrono::Duration;
use ledger::{Counts, Room, Status, seating, stay};
use reqwest::Method;
use serde_json::json;
use setup::{Month, Sessions, backbone, open};
use shared::reports::DynamoReports;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

mod ledger;
mod report;
mod setup;
mod steps;

/// How long the facts may take to reach the reports (a bound on a stuck test, not an assertion
/// on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(60);
const VAT_BP: i64 = 700;
const CITY_TAX: i64 = 250;
/// The simulated days: bookings made on day 0 reach up to day `DAYS + 5`.
const DAYS: i64 = 28;
const DOUBLES: i64 = 4;
const SUITES: i64 = 2;
const TABLES: i64 = 3;
const SEATS: i64 = 4;

#[test]
fn a_month_of_a_hotel_and_a_restaurant_adds_up_to_the_tests_own_count() {
    // The month's future is deep for a debug build's default 2 MiB test thread.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(Box::pin(month()))
        })
        .expect("a thread")
        .join()
        .expect("the month ran");
}

async fn month() {
    api_tests::require_env();
    let api = Arc::new(Api::start().await);
    let _backbone = backbone(&api).await;
    let zone = zone_at_noon();
    let day0 = api.today_in(zone).await;
    println!("month from {day0} in {zone}");
    let (mut hotel, hotel_rooms) = open(&api, "hotel", zone, day0).await;
    let (mut rest, tables) = open(&api, "restaurant", zone, day0).await;
    let (double, suite, table) = (
        hotel_rooms[0].clone(),
        hotel_rooms[1].clone(),
        tables[0].clone(),
    );
    let mut guests = Vec::new();
    for _ in 0..7 {
        guests.push(api.guest().await);
    }
    let sdk = shared::aws::sdk_config().await;
    let mut m = Month {
        api: api.clone(),
        day0,
        today: 0,
        moves: 0,
        zone: shared::domain::vendor::TimeZone::parse(zone).expect("an IANA zone"),
        sessions: Sessions::default(),
        guests,
        reports: DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set"),
        store: shared::store::DynamoStore::from_env(&sdk).expect("the table names are set"),
        stripe: shared::payments::StripeSettings::load(&sdk)
            .await
            .expect("the Stripe settings are provisioned"),
    };
    let d = |k: i64| day0 + Duration::days(k);
    use Status::*;
    let (h, r) = (&mut hotel, &mut rest);
    let mut by_name: HashMap<&str, usize> = HashMap::new();

    for k in 0..=DAYS {
        if k > 0 {
            m.move_to_audit_time(k).await;
            let hotel_no_shows: Vec<usize> = match k - 1 {
                3 => vec![by_name["h1"]],
                8 => vec![by_name["h5"]],
                25 => vec![by_name["h12"]],
                _ => vec![],
            };
            m.audit(h, &hotel_no_shows).await;
            let rest_no_shows: Vec<usize> = match k - 1 {
                2 => vec![by_name["r1"]],
                11 => vec![by_name["r8"]],
                _ => vec![],
            };
            m.audit(r, &rest_no_shows).await;
            m.move_to_day(k).await;
        }
        match k {
            0 => {
                by_name.insert(
                    "h0",
                    m.book(h, &double, "online", 0, stay(Room::Double, d(2), 3), 2)
                        .await,
                );
                let h1 = m
                    .book(h, &double, "phone", 0, stay(Room::Double, d(3), 1), 1)
                    .await;
                m.set_status(h, h1, Confirmed, None, 0).await;
                by_name.insert("h1", h1);
                by_name.insert(
                    "h2",
                    m.book(h, &double, "online", 1, stay(Room::Double, d(6), 2), 2)
                        .await,
                );
                by_name.insert(
                    "h3",
                    m.book(h, &suite, "online", 2, stay(Room::Suite, d(10), 2), 2)
                        .await,
                );
                by_name.insert(
                    "h4",
                    m.book(h, &suite, "online", 3, stay(Room::Suite, d(5), 2), 2)
                        .await,
                );
                by_name.insert(
                    "h5",
                    m.book(h, &suite, "online", 4, stay(Room::Suite, d(8), 1), 1)
                        .await,
                );
                by_name.insert(
                    "r0",
                    m.book(r, &table, "online", 0, seating(d(1), "12:00"), 2)
                        .await,
                );
                let r1 = m
                    .book(r, &table, "phone", 0, seating(d(2), "19:30"), 4)
                    .await;
                m.set_status(r, r1, Confirmed, None, 0).await;
                by_name.insert("r1", r1);
                by_name.insert(
                    "r2",
                    m.book(r, &table, "online", 1, seating(d(3), "12:30"), 3)
                        .await,
                );
            }
            1 => {
                let (from, to) = (d(7), d(10));
                m.change(
                    h,
                    by_name["h2"],
                    Some(1),
                    json!({"check_in": from, "check_out": to}),
                    |b| {
                        b.when = stay(Room::Double, from, 3);
                    },
                )
                .await;
                m.set_status(h, by_name["h3"], Cancelled, Some(2), 0).await;
                m.set_status(r, by_name["r0"], CheckedIn, None, 0).await;
                m.set_status(r, by_name["r0"], Completed, None, 0).await;
                let r3 = m
                    .book(r, &table, "walk_in", 0, seating(d(1), "14:00"), 2)
                    .await;
                for status in [Confirmed, CheckedIn, Completed] {
                    m.set_status(r, r3, status, None, 0).await;
                }
            }
            2 => {
                m.set_status(h, by_name["h0"], CheckedIn, None, 0).await;
                let h6 = m
                    .book(h, &double, "walk_in", 0, stay(Room::Double, d(2), 2), 2)
                    .await;
                m.set_status(h, h6, Confirmed, None, 0).await;
                m.set_status(h, h6, CheckedIn, None, 0).await;
                by_name.insert("h6", h6);
                m.set_status(r, by_name["r2"], Cancelled, Some(1), 0).await;
                let h7 = m
                    .book(h, &double, "phone", 0, stay(Room::Double, d(12), 2), 2)
                    .await;
                m.set_status(h, h7, Confirmed, None, 0).await;
                by_name.insert("h7", h7);
            }
            3 => {
                // A desk hold let go before it was confirmed never counts.
                let h13 = m
                    .book(h, &double, "phone", 0, stay(Room::Double, d(6), 1), 2)
                    .await;
                m.set_status(h, h13, Cancelled, None, 0).await;
            }
            4 => {
                m.set_status(h, by_name["h6"], Completed, None, 0).await;
                // Inside 48 h of the arrival: 10 % of the 400.00 stay is kept.
                m.set_status(h, by_name["h4"], Cancelled, Some(3), 4_000)
                    .await;
            }
            5 => {
                m.set_status(h, by_name["h0"], Completed, None, 0).await;
                let (h7, suite_id) = (by_name["h7"], suite.clone());
                m.change(h, h7, None, json!({"resource_id": suite_id}), |b| {
                    b.when = stay(Room::Suite, d(12), 2);
                })
                .await;
                by_name.insert(
                    "h8",
                    m.book(h, &double, "online", 5, stay(Room::Double, d(14), 4), 1)
                        .await,
                );
                by_name.insert(
                    "r4",
                    m.book(r, &table, "online", 2, seating(d(6), "12:00"), 2)
                        .await,
                );
            }
            6 => {
                m.set_status(r, by_name["r4"], CheckedIn, None, 0).await;
                m.set_status(r, by_name["r4"], Completed, None, 0).await;
                let r5 = m
                    .book(r, &table, "walk_in", 0, seating(d(6), "14:00"), 3)
                    .await;
                for status in [Confirmed, CheckedIn, Completed] {
                    m.set_status(r, r5, status, None, 0).await;
                }
                let r6 = m
                    .book(r, &table, "phone", 0, seating(d(9), "19:30"), 2)
                    .await;
                m.set_status(r, r6, Confirmed, None, 0).await;
                by_name.insert("r6", r6);
            }
            7 => m.set_status(h, by_name["h2"], CheckedIn, None, 0).await,
            8 => {
                // Leaves a night early: the 8th and 9th are not stayed.
                m.set_status(h, by_name["h2"], Completed, None, 0).await;
                m.set_status(r, by_name["r6"], Cancelled, None, 0).await;
            }
            10 => {
                let h9 = m
                    .book(h, &double, "phone", 0, stay(Room::Double, d(20), 2), 2)
                    .await;
                m.set_status(h, h9, Confirmed, None, 0).await;
                by_name.insert("h9", h9);
                by_name.insert(
                    "r7",
                    m.book(r, &table, "online", 3, seating(d(12), "12:30"), 4)
                        .await,
                );
                by_name.insert(
                    "r8",
                    m.book(r, &table, "online", 4, seating(d(11), "19:00"), 2)
                        .await,
                );
            }
            12 => {
                m.set_status(h, by_name["h7"], CheckedIn, None, 0).await;
                m.set_status(r, by_name["r7"], CheckedIn, None, 0).await;
                m.set_status(r, by_name["r7"], Completed, None, 0).await;
            }
            14 => {
                m.set_status(h, by_name["h7"], Completed, None, 0).await;
                m.set_status(h, by_name["h8"], CheckedIn, None, 0).await;
            }
            16 => {
                // The late correction: the guest in house since the 14th was two, not one. The
                // city tax of the closed 14th and 15th goes to today as an adjustment.
                m.change(h, by_name["h8"], None, json!({"party_size": 2}), |b| {
                    b.party = 2
                })
                .await;
                // And a credit note on the Suite stay's invoice takes the next number.
                let token = m.staff(h, true).await;
                let path = format!("/booking/{}/credit-notes", h.bookings[by_name["h7"]].id);
                let credited = m
                    .send(
                        Method::POST,
                        &path,
                        &token,
                        Some(&json!({"amount_minor": 2_000, "reason": "Noisy room"})),
                    )
                    .await;
                h.numbers
                    .push(credited["number"].as_u64().expect("a credit note number"));
            }
            18 => m.set_status(h, by_name["h8"], Completed, None, 0).await,
            19 => m.set_status(h, by_name["h9"], Cancelled, None, 0).await,
            20 => {
                let h10 = m
                    .book(h, &double, "walk_in", 0, stay(Room::Double, d(20), 1), 1)
                    .await;
                m.set_status(h, h10, Confirmed, None, 0).await;
                m.set_status(h, h10, CheckedIn, None, 0).await;
                by_name.insert("h10", h10);
                let r9 = m
                    .book(r, &table, "walk_in", 0, seating(d(20), "14:00"), 2)
                    .await;
                for status in [Confirmed, CheckedIn, Completed] {
                    m.set_status(r, r9, status, None, 0).await;
                }
                by_name.insert(
                    "r10",
                    m.book(r, &table, "online", 5, seating(d(23), "12:00"), 2)
                        .await,
                );
            }
            21 => m.set_status(h, by_name["h10"], Completed, None, 0).await,
            22 => {
                by_name.insert(
                    "h11",
                    m.book(h, &double, "online", 6, stay(Room::Double, d(24), 3), 2)
                        .await,
                );
                by_name.insert(
                    "h12",
                    m.book(h, &double, "online", 0, stay(Room::Double, d(25), 1), 2)
                        .await,
                );
            }
            23 => {
                m.set_status(r, by_name["r10"], CheckedIn, None, 0).await;
                m.set_status(r, by_name["r10"], Completed, None, 0).await;
            }
            24 => m.set_status(h, by_name["h11"], CheckedIn, None, 0).await,
            27 => m.set_status(h, by_name["h11"], Completed, None, 0).await,
            _ => {}
        }
    }
    // The late correction shows on the first open day after the 15th closed, for the 14th and
    // 15th; the early departure on the 8th shortened a stay that arrived on the closed 7th, so
    // that day's length of stay is adjusted on the 8th. Nowhere else.
    assert_eq!(
        h.ledger.adjusts,
        BTreeMap::from([
            (d(8), BTreeSet::from([d(7)])),
            (d(16), BTreeSet::from([d(14), d(15)])),
        ]),
        "the script's own expectation"
    );
    assert_eq!(
        h.ledger.adjustments[&d(16)],
        Counts::from([("city_tax".into(), 500)])
    );
    assert_eq!(
        h.ledger.adjustments[&d(8)],
        Counts::from([("stay_nights".into(), -2)])
    );
    assert!(r.ledger.adjusts.is_empty(), "{:?}", r.ledger.adjusts);
    m.check_month(h).await;
    m.check_month(r).await;
}
