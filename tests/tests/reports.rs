//! The reports projection on the local stack (issue 20): bookings made through the API reach the
//! reports table through the real backbone (the bookings stream -> the outbox publisher ->
//! LocalStack's bus -> the reports queue -> the consumer's inbox), and GET /vendor/{id}/reports
//! answers figures equal to the ones this test works out from the bookings it made. The test
//! reads the shared bookings stream with a publisher of its own, so `.config/nextest.toml` runs
//! this binary with the other backbone tests, one at a time.
use api_tests::{Account, Api, Reply, bookings_to_consumer, merged, resource_body, zone_at_noon};
use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::ids::VendorId;
use shared::reports::{DynamoReports, ReportStore};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long the facts may take to reach the reports (a bound on a stuck test, not an assertion
/// on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(120);
const VAT_BP: i64 = 700;
const CITY_TAX: i64 = 250;
const NIGHTLY: i64 = 10_000;
const ROOMS: i64 = 4;

/// Counters per business day, as this test expects them from the bookings it made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Expected(BTreeMap<NaiveDate, BTreeMap<String, i64>>);

impl Expected {
    fn add(&mut self, day: NaiveDate, field: &str, value: i64) {
        *self
            .0
            .entry(day)
            .or_default()
            .entry(field.to_owned())
            .or_default() += value;
    }

    fn fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = self.0.values().flat_map(|d| d.keys().cloned()).collect();
        fields.sort();
        fields.dedup();
        fields
    }

    /// A hotel stay sold (confirmed), from the booking as the API last answered it.
    fn stay(&mut self, booking: &Value, channel: &str) {
        let party = booking["party_size"].as_i64().expect("a party size");
        for line in booking["quote"]["lines"].as_array().expect("quote lines") {
            let night = date(&line["date"]);
            let price = line["amount"]["amount_minor"].as_i64().expect("an amount");
            // VAT included: price × rate / (1 + rate), rounded half up.
            let vat = (2 * price * VAT_BP + 10_000 + VAT_BP) / (2 * (10_000 + VAT_BP));
            self.add(night, "room_nights", 1);
            self.add(night, "room_revenue_net", price - vat);
            self.add(night, "room_revenue_vat", vat);
            self.add(night, "city_tax", CITY_TAX * party);
            self.add(night, &format!("{channel}_room_nights"), 1);
            self.add(night, &format!("{channel}_revenue_net"), price - vat);
        }
        self.arrival(booking, channel);
    }

    fn seating(&mut self, booking: &Value, channel: &str) {
        let day = date(&booking["time"]["date"]);
        self.add(
            day,
            "covers",
            booking["party_size"].as_i64().expect("a party"),
        );
        self.add(day, "seatings", 1);
        self.arrival(booking, channel);
    }

    fn arrival(&mut self, booking: &Value, channel: &str) {
        let day = arrival_day(booking);
        self.add(day, "bookings", 1);
        self.add(day, &format!("{channel}_bookings"), 1);
    }

    fn cancelled(&mut self, booking: &Value, channel: &str) {
        self.arrival(booking, channel);
        self.add(arrival_day(booking), "cancellations", 1);
    }
}

fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {value}"))
}

fn arrival_day(booking: &Value) -> NaiveDate {
    let time = &booking["time"];
    if time["kind"] == "stay" {
        date(&time["check_in"])
    } else {
        date(&time["date"])
    }
}

/// The report's days (granularity `day`) read as `Expected`: each of `fields` (a count or a
/// money amount), left out when 0, as the expectation leaves out what it never added.
fn actual(report: &Value, fields: &[String]) -> Expected {
    let mut out = Expected::default();
    for period in report["periods"].as_array().expect("periods") {
        let day = date(&period["start"]);
        for field in fields {
            let value = &period[field];
            let n = value
                .as_i64()
                .or_else(|| value["amount_minor"].as_i64())
                .unwrap_or_else(|| panic!("{field} is not a count or money: {period}"));
            if n != 0 {
                out.add(day, field, n);
            }
        }
    }
    out
}

struct Shop {
    api: Arc<Api>,
    manager: Account,
    desk: Account,
}

impl Shop {
    async fn book(&self, who: &Account, body: &Value) -> Value {
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.manager.vendor()),
                who.token(),
                Some(body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    async fn set_status(&self, who: &Account, booking: &Value, status: &str) -> Value {
        let reply = self
            .api
            .put(
                &format!("/booking/{}/status", id(booking)),
                who.token(),
                &json!({ "status": status }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        assert_eq!(reply.body["status"], status, "{reply:#?}");
        reply.body
    }

    async fn report(&self, who: &Account, query: &str, accept: &str) -> Reply {
        self.api
            .send_with(
                Method::GET,
                &format!("/vendor/{}/reports?{query}", self.manager.vendor()),
                who.token(),
                None,
                &[("accept", accept)],
            )
            .await
    }

    /// The report once it shows `expected` (the facts reach it through the backbone).
    async fn report_showing(&self, query: &str, expected: &Expected) -> Value {
        let fields = expected.fields();
        let started = tokio::time::Instant::now();
        loop {
            let reply = self.report(&self.manager, query, "application/json").await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
            let seen = actual(&reply.body, &fields);
            if seen == *expected {
                return reply.body;
            }
            if started.elapsed() > WAIT {
                assert_eq!(seen, *expected, "the report after {WAIT:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

fn id(booking: &Value) -> &str {
    booking["id"].as_str().expect("a booking id")
}

fn stay(resource: &str, check_in: NaiveDate, nights: i64, extra: Value) -> Value {
    merged(
        json!({"resource_id": resource, "party_size": 2,
               "check_in": check_in, "check_out": check_in + Duration::days(nights)}),
        &extra,
    )
}

async fn open(api: &Arc<Api>, kind: &str, zone: &str) -> Shop {
    let manager = api.vendor_with(kind, json!({ "time_zone": zone })).await;
    let taxes = api
        .put(
            &format!("/vendor/{}", manager.vendor()),
            manager.token(),
            &json!({"taxes": {"vat": {"rate_bp": VAT_BP, "basis": "included"}, "city_tax": CITY_TAX}}),
        )
        .await;
    assert_eq!(taxes.status, StatusCode::OK, "{taxes:#?}");
    let desk = api.staff_as(&manager, "desk").await;
    Shop {
        api: api.clone(),
        manager,
        desk,
    }
}

#[tokio::test]
async fn a_hotel_s_report_shows_what_was_booked_changed_and_cancelled_and_a_closed_day_keeps_its_figures()
 {
    api_tests::require_env();
    let api = Arc::new(Api::start().await);
    let _backbone = bookings_to_consumer(&api, "reports", "REPORTS_QUEUE_URL").await;
    let zone = zone_at_noon();
    let today = api.today_in(zone).await;
    let hotel = open(&api, "hotel", zone).await;
    let double = api
        .resource(
            &hotel.manager,
            &merged(
                resource_body("Double", 2, ROOMS, NIGHTLY),
                &json!({"deposit": {"kind": "none"}}),
            ),
        )
        .await;
    let (guest, other_guest) = tokio::join!(api.guest(), api.guest());
    let d = today + Duration::days(10);
    let mut expected = Expected::default();

    // Online, no deposit: confirmed at once; then moved a day later by the guest.
    let online = hotel.book(&guest, &stay(&double, d, 2, json!({}))).await;
    assert_eq!(online["status"], "CONFIRMED", "{online:#}");
    let moved = api
        .put(
            &format!("/booking/{}", id(&online)),
            guest.token(),
            &json!({"check_in": d + Duration::days(1), "check_out": d + Duration::days(3)}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    expected.stay(&moved.body, "online");
    // On the phone, confirmed by the desk.
    let phone = hotel
        .book(
            &hotel.desk,
            &stay(
                &double,
                d,
                2,
                json!({"channel": "phone", "guest": {"name": "Ana Quaresma"}}),
            ),
        )
        .await;
    let phone = hotel.set_status(&hotel.desk, &phone, "CONFIRMED").await;
    expected.stay(&phone, "phone");
    // Confirmed, then cancelled by its guest: a booking and a cancellation, no night.
    let cancelled = hotel
        .book(&other_guest, &stay(&double, d, 1, json!({})))
        .await;
    let cancelled = hotel
        .set_status(&other_guest, &cancelled, "CANCELLED")
        .await;
    expected.cancelled(&cancelled, "online");
    // A walk-in for tonight.
    let walk_in = hotel
        .book(
            &hotel.desk,
            &stay(
                &double,
                today,
                1,
                json!({"channel": "walk_in", "guest": {"name": "Rui Lopes"}}),
            ),
        )
        .await;
    let walk_in = hotel.set_status(&hotel.desk, &walk_in, "CONFIRMED").await;
    expected.stay(&walk_in, "walk_in");
    // A desk hold let go before it was confirmed never counts.
    let let_go = hotel
        .book(
            &hotel.desk,
            &stay(
                &double,
                d,
                1,
                json!({"channel": "phone", "guest": {"name": "Eva Pinto"}}),
            ),
        )
        .await;
    hotel.set_status(&hotel.desk, &let_go, "CANCELLED").await;

    let range = format!("from={today}&to={}&granularity=day", d + Duration::days(4));
    let report = hotel.report_showing(&range, &expected).await;

    assert_eq!(report["kind"], "hotel");
    assert_eq!(report["currency"], "EUR");
    let days = report["periods"].as_array().expect("periods").len();
    assert_eq!(days, 15);
    let totals = &report["totals"];
    let sold: i64 = expected
        .0
        .values()
        .filter_map(|d| d.get("room_nights"))
        .sum();
    let net: i64 = expected
        .0
        .values()
        .filter_map(|d| d.get("room_revenue_net"))
        .sum();
    assert_eq!(totals["room_nights"], sold);
    assert_eq!(totals["capacity"], ROOMS * 15);
    assert_eq!(totals["adr"]["amount_minor"], (2 * net + sold) / (2 * sold));
    assert_eq!(totals["bookings"], 4);
    assert_eq!(totals["cancellations"], 1);
    assert_eq!(totals["cancellation_rate_percent"], "25.0");
    // Lead times: 11 (moved online stay), 10 (phone), 0 (walk-in), over 3 stays.
    assert_eq!(totals["average_lead_time_days"], "7.0");
    assert_eq!(totals["average_length_of_stay_nights"], "1.7");

    // The same days as CSV: a header and a row per day.
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/vendor/{}/reports?{range}",
            api.base,
            hotel.manager.vendor()
        ))
        .bearer_auth(hotel.manager.token().expect("a token"))
        .header("accept", "text/csv")
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(csv.status(), StatusCode::OK);
    let content_type = csv
        .headers()
        .get("content-type")
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = csv.text().await.expect("a CSV body");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + days, "{text}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let d1 = d + Duration::days(1);
    let row: Vec<&str> = rows
        .iter()
        .find(|r| r.starts_with(&d1.to_string()))
        .expect("a row for d+1")
        .split(',')
        .collect();
    let nights_d1 = expected.0[&d1]["room_nights"];
    assert_eq!(row[column("room_nights")], nights_d1.to_string());
    let net_d1 = expected.0[&d1]["room_revenue_net"];
    assert_eq!(
        row[column("room_revenue_net")],
        format!("{}.{:02}", net_d1 / 100, net_d1 % 100)
    );

    // Day d+1 is closed; then the phone booking (nights d, d+1) is cancelled: d+1 keeps its
    // figures and the change shows on the first open day (d+2) as an adjustment.
    let vendor = VendorId::parse(hotel.manager.vendor()).expect("a vendor id");
    let store =
        DynamoReports::from_env(&shared::aws::sdk_config().await).expect("REPORTS_TABLE is set");
    let closed = store
        .close_day(vendor, d1, ROOMS as u32, shared::clock::now())
        .await
        .expect("the day closes");
    let phone_cancelled = hotel.set_status(&hotel.desk, &phone, "CANCELLED").await;
    let mut after = expected.clone();
    for line in phone["quote"]["lines"].as_array().expect("lines") {
        let night = date(&line["date"]);
        if night != d1 {
            for field in ["room_nights", "phone_room_nights"] {
                after.add(night, field, -1);
            }
            let price = line["amount"]["amount_minor"].as_i64().expect("an amount");
            let vat = (2 * price * VAT_BP + 10_000 + VAT_BP) / (2 * (10_000 + VAT_BP));
            after.add(night, "room_revenue_net", -(price - vat));
            after.add(night, "room_revenue_vat", -vat);
            after.add(night, "phone_revenue_net", -(price - vat));
            after.add(night, "city_tax", -2 * CITY_TAX);
        }
    }
    after.add(arrival_day(&phone_cancelled), "cancellations", 1);
    for day in after.0.values_mut() {
        day.retain(|_, v| *v != 0);
    }
    let report = hotel.report_showing(&range, &after).await;

    let periods = report["periods"].as_array().expect("periods");
    let of = |day: NaiveDate| {
        periods
            .iter()
            .find(|p| date(&p["start"]) == day)
            .expect("the day's period")
    };
    assert_eq!(of(d1)["closed"], true);
    assert_eq!(of(d1)["room_nights"], closed.figures().count("room_nights"));
    assert_eq!(of(d1)["room_nights"], nights_d1);
    let first_open = of(d + Duration::days(2));
    assert_eq!(first_open["closed"], false);
    assert_eq!(first_open["adjustments"]["for_days"], json!([d1]));
    assert_eq!(first_open["adjustments"]["counts"]["room_nights"], -1);
    assert_eq!(first_open["adjustments"]["counts"]["ch_phone_nights"], -1);
}

#[tokio::test]
async fn a_restaurant_s_report_counts_covers_by_slot_and_only_its_managers_may_read_it() {
    api_tests::require_env();
    let api = Arc::new(Api::start().await);
    let _backbone = bookings_to_consumer(&api, "reports", "REPORTS_QUEUE_URL").await;
    let zone = zone_at_noon();
    let today = api.today_in(zone).await;
    let restaurant = open(&api, "restaurant", zone).await;
    let tables = api
        .resource(
            &restaurant.manager,
            &merged(
                resource_body("Window", 4, 3, 2_000),
                &json!({"deposit": {"kind": "none"},
                        "seating": {"slot_minutes": 30, "seating_minutes": 90}}),
            ),
        )
        .await;
    let guest = api.guest().await;
    let tomorrow = today + Duration::days(1);
    let mut expected = Expected::default();

    let online = restaurant
        .book(
            &guest,
            &json!({"resource_id": tables, "party_size": 2, "date": tomorrow, "time": "19:30"}),
        )
        .await;
    assert_eq!(online["status"], "CONFIRMED", "{online:#}");
    expected.seating(&online, "online");
    let walk_in = restaurant
        .book(
            &restaurant.desk,
            &json!({"resource_id": tables, "party_size": 3, "date": today, "time": "19:00",
                    "channel": "walk_in", "guest": {"name": "Rui Lopes"}}),
        )
        .await;
    let walk_in = restaurant
        .set_status(&restaurant.desk, &walk_in, "CONFIRMED")
        .await;
    expected.seating(&walk_in, "walk_in");

    let range = format!("from={today}&to={tomorrow}&granularity=week");
    let days = format!("from={today}&to={tomorrow}");
    restaurant.report_showing(&days, &expected).await;
    let reply = restaurant
        .report(&restaurant.manager, &range, "application/json")
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let totals = &reply.body["totals"];
    assert_eq!(reply.body["kind"], "restaurant");
    assert_eq!(totals["covers"], 5);
    assert_eq!(totals["seatings"], 2);
    assert_eq!(totals["capacity"], 12 * 2);
    assert_eq!(totals["slots"]["19:30"]["covers"], 2);
    assert_eq!(totals["slots"]["19:00"]["covers"], 3);
    // 3 covers of 24 seat-days
    assert_eq!(totals["slots"]["19:00"]["seat_occupancy_percent"], "12.5");
    let periods = reply.body["periods"].as_array().expect("periods");
    assert!(!periods.is_empty() && periods.len() <= 2, "{periods:#?}");

    let housekeeper = api.staff_as(&restaurant.manager, "housekeeping").await;
    let other = api.vendor("restaurant").await;
    for (who, caller) in [
        ("desk", &restaurant.desk),
        ("housekeeping", &housekeeper),
        ("a guest", &guest),
        ("another vendor's manager", &other),
    ] {
        let refused = restaurant.report(caller, &days, "application/json").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who}: {refused:#?}");
    }
    let too_long = restaurant
        .report(
            &restaurant.manager,
            &format!("from={today}&to={}", today + Duration::days(366)),
            "application/json",
        )
        .await;
    too_long.assert_problem(422);
    assert_eq!(too_long.parameters(), ["to"]);
}

/// A contribution of one room night on each of `days`.
fn nights(version: u64, days: &[NaiveDate]) -> shared::reports::Contribution {
    shared::reports::Contribution {
        version,
        counted: true,
        days: days
            .iter()
            .map(|d| (*d, BTreeMap::from([("room_nights".to_owned(), 1)])))
            .collect(),
    }
}

#[tokio::test]
async fn concurrent_facts_and_a_day_close_neither_lose_nor_double_a_night() {
    api_tests::require_env();
    let sdk = shared::aws::sdk_config().await;
    let vendor = VendorId::generate();
    let day0: NaiveDate = "2026-06-01".parse().expect("a date");
    let (day1, day2) = (day0 + Duration::days(1), day0 + Duration::days(2));
    const BOOKINGS: usize = 20;

    // Each booking from a store of its own, as separate Lambdas: held on days 0 and 1, then
    // moved to days 1 and 2, while day 0 closes.
    let writers = (0..BOOKINGS).map(|_| {
        let sdk = sdk.clone();
        tokio::spawn(async move {
            let store = DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set");
            let booking = shared::domain::ids::BookingId::generate();
            let first = nights(1, &[day0, day1]);
            let moved = nights(2, &[day1, day2]);
            let a = store.apply(vendor, booking, None, &first).await;
            let b = store.apply(vendor, booking, Some(&first), &moved).await;
            (a.expect("the first fact lands"), b.expect("the move lands"))
        })
    });
    let closing = {
        let store = DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set");
        tokio::spawn(async move {
            store
                .close_day(vendor, day0, ROOMS as u32, shared::clock::now())
                .await
                .expect("the day closes")
        })
    };
    let applied = futures::future::join_all(writers).await;
    let closed = closing.await.expect("the close finished");

    for outcome in applied {
        let (first, moved) = outcome.expect("the writer finished");
        for written in [first, moved] {
            assert!(
                matches!(written, shared::reports::Applied::Written { .. }),
                "{written:?}"
            );
        }
    }
    let store = DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set");
    let day = |d| {
        let store = store.clone();
        async move {
            store
                .day(vendor, d)
                .await
                .expect("DynamoDB answers")
                .unwrap_or_else(|| shared::reports::DayFigures::empty(d))
        }
    };
    let (zero, one, two) = (day(day0).await, day(day1).await, day(day2).await);
    assert_eq!(&zero, closed.figures(), "a closed day takes no change");
    assert_eq!(one.count("room_nights"), BOOKINGS as i64);
    assert_eq!(two.count("room_nights"), BOOKINGS as i64);
    let adjusted = one.adjustments.get("room_nights").copied().unwrap_or(0);
    assert_eq!(
        zero.count("room_nights") + adjusted,
        0,
        "every night taken off the closed day is posted on the next: {one:?}"
    );
    if adjusted != 0 {
        assert_eq!(one.adjusts, std::collections::BTreeSet::from([day0]));
    }
    assert_eq!(
        store.last_closed(vendor).await.expect("DynamoDB answers"),
        Some(day0)
    );
}

#[tokio::test]
async fn concurrent_moves_off_a_closed_day_each_post_their_night_on_the_first_open_day() {
    api_tests::require_env();
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set");
    let vendor = VendorId::generate();
    let day0: NaiveDate = "2026-07-01".parse().expect("a date");
    let (day1, day2) = (day0 + Duration::days(1), day0 + Duration::days(2));
    const BOOKINGS: usize = 20;
    let first = nights(1, &[day0, day1]);
    let bookings: Vec<_> = (0..BOOKINGS)
        .map(|_| shared::domain::ids::BookingId::generate())
        .collect();
    for booking in &bookings {
        store
            .apply(vendor, *booking, None, &first)
            .await
            .expect("the first fact lands");
    }
    let closed = store
        .close_day(vendor, day0, ROOMS as u32, shared::clock::now())
        .await
        .expect("the day closes");

    let moves = bookings.iter().map(|booking| {
        let (sdk, booking, first) = (sdk.clone(), *booking, first.clone());
        tokio::spawn(async move {
            let store = DynamoReports::from_env(&sdk).expect("REPORTS_TABLE is set");
            store
                .apply(vendor, booking, Some(&first), &nights(2, &[day1, day2]))
                .await
                .expect("the move lands")
        })
    });
    for moved in futures::future::join_all(moves).await {
        assert_eq!(
            moved.expect("the writer finished"),
            shared::reports::Applied::Written {
                redirected: std::collections::BTreeSet::from([day0])
            }
        );
    }

    let zero = store.day(vendor, day0).await.expect("DynamoDB answers");
    let one = store
        .day(vendor, day1)
        .await
        .expect("DynamoDB answers")
        .expect("day 1 has an item");
    assert_eq!(zero.as_ref(), Some(closed.figures()));
    assert_eq!(closed.figures().count("room_nights"), BOOKINGS as i64);
    assert_eq!(
        one.adjustments.get("room_nights"),
        Some(&-(BOOKINGS as i64))
    );
    assert_eq!(one.adjusts, std::collections::BTreeSet::from([day0]));
    assert_eq!(one.count("room_nights"), BOOKINGS as i64);
}
