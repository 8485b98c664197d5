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
use api_tests::{Account, Api, PASSWORD, merged, resource_body, zone_at_noon};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use local_gateway::{Backbone, Deps, consumers, streams};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::ids::VendorId;
use shared::reports::{DynamoReports, ReportStore};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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

type Counts = BTreeMap<String, i64>;
type Days = BTreeMap<NaiveDate, Counts>;

fn half_up(n: i64, d: i64) -> i64 {
    let (n, d) = (i128::from(n), i128::from(d));
    let q = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    i64::try_from(q).expect("fits")
}

/// `n / d` with one decimal, rounded half up, as the report states; `None` for nothing to divide.
fn tenths(n: i64, d: i64) -> Value {
    if d == 0 {
        return Value::Null;
    }
    let t = half_up(n * 10, d);
    json!(format!("{}.{}", t / 10, t % 10))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Room {
    Double,
    Suite,
}

impl Room {
    /// The price of a night, from the rates this test gave the room types.
    fn price(self, night: NaiveDate) -> i64 {
        match self {
            Self::Double if matches!(night.weekday(), Weekday::Sat | Weekday::Sun) => 13_000,
            Self::Double => 10_000,
            Self::Suite => 20_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Held,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl Status {
    fn api(self) -> &'static str {
        match self {
            Self::Held => "HELD",
            Self::Confirmed => "CONFIRMED",
            Self::CheckedIn => "CHECKED_IN",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::NoShow => "NO_SHOW",
        }
    }

    fn sold(self) -> bool {
        matches!(self, Self::Confirmed | Self::CheckedIn | Self::Completed)
    }
}

#[derive(Debug, Clone)]
enum When {
    Stay {
        room: Room,
        nights: Vec<(NaiveDate, i64)>,
    },
    Seating {
        date: NaiveDate,
        time: &'static str,
    },
}

/// A booking as this test knows it from what it did.
#[derive(Debug, Clone)]
struct Booked {
    id: String,
    channel: &'static str,
    created: NaiveDate,
    status: Status,
    confirmed_once: bool,
    when: When,
    party: i64,
    /// The deposit kept when it ended (cancelled late, no-show).
    kept: i64,
}

impl Booked {
    fn arrival(&self) -> NaiveDate {
        match &self.when {
            When::Stay { nights, .. } => nights.first().expect("a night").0,
            When::Seating { date, .. } => *date,
        }
    }

    /// What the booking adds to its vendor's days, by the rules the README states.
    fn contribution(&self) -> Days {
        let mut days = Days::new();
        if !self.confirmed_once {
            return days;
        }
        let mut add = |day: NaiveDate, field: String, value: i64| {
            *days.entry(day).or_default().entry(field).or_default() += value;
        };
        let (c, arrival) = (self.channel, self.arrival());
        let sold = self.status.sold();
        let mut stay_nights = 0;
        match &self.when {
            When::Stay { nights, .. } => {
                stay_nights = nights.len() as i64;
                for (night, price) in nights.iter().filter(|_| sold) {
                    let vat = half_up(price * VAT_BP, 10_000 + VAT_BP);
                    add(*night, "room_nights".into(), 1);
                    add(*night, "rev_net".into(), price - vat);
                    add(*night, "rev_vat".into(), vat);
                    add(*night, "city_tax".into(), CITY_TAX * self.party);
                    add(*night, format!("ch_{c}_nights"), 1);
                    add(*night, format!("ch_{c}_rev_net"), price - vat);
                }
            }
            When::Seating { date, time } if sold => {
                add(*date, "covers".into(), self.party);
                add(*date, "seatings".into(), 1);
                add(*date, format!("slot_{}", time.replace(':', "")), self.party);
            }
            When::Seating { .. } => {}
        }
        add(arrival, "bookings".into(), 1);
        add(arrival, format!("ch_{c}_bookings"), 1);
        match self.status {
            Status::Cancelled => {
                add(arrival, "cancellations".into(), 1);
                add(arrival, "cancel_fees".into(), self.kept);
            }
            Status::NoShow => {
                add(arrival, "no_shows".into(), 1);
                add(arrival, "no_show_fees".into(), self.kept);
            }
            _ => {}
        }
        if sold {
            add(
                arrival,
                "lead_days".into(),
                (arrival - self.created).num_days(),
            );
            add(arrival, "stays".into(), 1);
            add(arrival, "stay_nights".into(), stay_nights);
        }
        days
    }
}

/// What the reports table must hold, day by day: open days take every change, a change to a
/// closed day goes to the first open day as an adjustment.
#[derive(Debug, Default, Clone)]
struct Ledger {
    counts: Days,
    adjustments: Days,
    adjusts: BTreeMap<NaiveDate, BTreeSet<NaiveDate>>,
    closed: BTreeSet<NaiveDate>,
}

impl Ledger {
    fn first_open(&self) -> Option<NaiveDate> {
        self.closed.last().map(|d| *d + Duration::days(1))
    }

    fn apply(&mut self, before: &Days, after: &Days) {
        let mut diff = after.clone();
        for (day, counts) in before {
            for (field, value) in counts {
                *diff
                    .entry(*day)
                    .or_default()
                    .entry(field.clone())
                    .or_default() -= value;
            }
        }
        for (day, counts) in diff {
            for (field, value) in counts.into_iter().filter(|(_, v)| *v != 0) {
                match self.first_open() {
                    Some(open) if self.closed.contains(&day) => {
                        *self
                            .adjustments
                            .entry(open)
                            .or_default()
                            .entry(field)
                            .or_default() += value;
                        self.adjusts.entry(open).or_default().insert(day);
                    }
                    _ => {
                        *self
                            .counts
                            .entry(day)
                            .or_default()
                            .entry(field)
                            .or_default() += value
                    }
                }
            }
        }
        tidy(&mut self.counts);
        tidy(&mut self.adjustments);
    }
}

fn tidy(days: &mut Days) {
    for counts in days.values_mut() {
        counts.retain(|_, v| *v != 0);
    }
    days.retain(|_, c| !c.is_empty());
}

fn total(days: &Days) -> Counts {
    let mut out = Counts::new();
    for counts in days.values() {
        for (field, value) in counts {
            *out.entry(field.clone()).or_default() += value;
        }
    }
    out.retain(|_, v| *v != 0);
    out
}

fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("not a date: {value}"))
}

/// One vendor: its people, the bookings the test made and the ledger they add up to.
struct Shop {
    kind: &'static str,
    vendor: VendorId,
    manager: Account,
    desk: Account,
    bookings: Vec<Booked>,
    ledger: Ledger,
    /// Each closed day's figures as the audit closed them.
    closed_with: BTreeMap<NaiveDate, Counts>,
    /// Invoice and credit note numbers taken.
    numbers: Vec<u64>,
    /// The stays' invoices added up: net room revenue, its VAT, city tax.
    invoiced: (i64, i64, i64),
    capacity: i64,
}

/// Tokens by email, with the clock move they were issued after (a moved clock expires them).
#[derive(Default)]
struct Sessions(HashMap<String, (i64, String)>);

impl Sessions {
    async fn token(&mut self, api: &Api, who: &Account, staff: bool, moves: i64) -> String {
        if let Some((issued, token)) = self.0.get(&who.email)
            && *issued == moves
        {
            return token.clone();
        }
        let path = if staff {
            "/vendor/login"
        } else {
            "/user/login"
        };
        let token = api.login(path, &who.email, PASSWORD).await;
        self.0.insert(who.email.clone(), (moves, token.clone()));
        token
    }
}

async fn open(
    api: &Arc<Api>,
    kind: &'static str,
    zone: &str,
    day0: NaiveDate,
) -> (Shop, Vec<String>) {
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
    let resources = if kind == "hotel" {
        let double = api
            .resource(
                &manager,
                &merged(
                    resource_body("Double", 2, DOUBLES, 10_000),
                    &json!({"deposit": {"kind": "none"},
                            "price_rules": [{"from": day0, "to": day0 + Duration::days(DAYS + 10),
                                             "weekdays": ["Sat", "Sun"], "amount_minor": 13_000}]}),
                ),
            )
            .await;
        // 20 % down; free to cancel until 48 h before arrival, then 10 % of the stay is kept.
        let suite = api
            .resource(
                &manager,
                &merged(
                    resource_body("Suite", 2, SUITES, 20_000),
                    &json!({"cancellation": {"free_until_hours": 48,
                                             "late_fee": {"kind": "percent", "percent": 10}}}),
                ),
            )
            .await;
        vec![double, suite]
    } else {
        vec![
            api.resource(
                &manager,
                &merged(
                    resource_body("Window", SEATS, TABLES, 2_000),
                    &json!({"deposit": {"kind": "none"},
                            "seating": {"slot_minutes": 30, "seating_minutes": 90}}),
                ),
            )
            .await,
        ]
    };
    let capacity = if kind == "hotel" {
        DOUBLES + SUITES
    } else {
        TABLES * SEATS
    };
    let shop = Shop {
        kind,
        vendor: VendorId::parse(manager.vendor()).expect("a vendor id"),
        manager,
        desk,
        bookings: Vec::new(),
        ledger: Ledger::default(),
        closed_with: BTreeMap::new(),
        numbers: Vec::new(),
        invoiced: (0, 0, 0),
        capacity,
    };
    (shop, resources)
}

/// The month's script: who does what on which day.
struct Month {
    api: Arc<Api>,
    day0: NaiveDate,
    today: i64,
    /// How often business time was moved: a token lives 15 minutes of it, so each move needs
    /// fresh ones.
    moves: i64,
    zone: shared::domain::vendor::TimeZone,
    sessions: Sessions,
    guests: Vec<Account>,
    reports: DynamoReports,
    store: shared::store::DynamoStore,
    stripe: shared::payments::StripeSettings,
}

impl Month {
    fn day(&self, k: i64) -> NaiveDate {
        self.day0 + Duration::days(k)
    }

    async fn staff(&mut self, shop: &Shop, manager: bool) -> String {
        let who = if manager { &shop.manager } else { &shop.desk };
        self.sessions.token(&self.api, who, true, self.moves).await
    }

    async fn guest(&mut self, n: usize) -> String {
        let who = self.guests[n].clone();
        self.sessions
            .token(&self.api, &who, false, self.today)
            .await
    }

    /// Moves business time to day `k`, the same time of day as when the test began.
    async fn move_to_day(&mut self, k: i64) {
        self.api.set_clock_offset(Duration::days(k)).await;
        self.today = k;
        self.moves += 1;
    }

    /// Moves business time to 02:05 where the vendors are on day `k`, just after the default
    /// night audit time: the audit runs when a hotel's runs, not at noon.
    async fn move_to_audit_time(&mut self, k: i64) {
        use chrono::TimeZone as _;
        let audit = self
            .zone
            .tz()
            .from_local_datetime(&self.day(k).and_hms_opt(2, 5, 0).expect("a time"))
            .single()
            .expect("an Etc zone has no clock changes")
            .to_utc();
        self.api.set_clock_offset(audit - chrono::Utc::now()).await;
        self.today = k;
        self.moves += 1;
    }

    async fn send(&self, method: Method, path: &str, token: &str, body: Option<&Value>) -> Value {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = self
            .api
            .send_with(
                method,
                path,
                Some(token),
                body,
                &[("idempotency-key", &key)],
            )
            .await;
        assert!(reply.status.is_success(), "{path} {body:?}: {reply:#?}");
        reply.body
    }

    /// Books `when` for `party`: online by guest `guest`, or at the desk on `channel`, confirmed
    /// (paying the deposit online, or confirmed by the desk).
    async fn book(
        &mut self,
        shop: &mut Shop,
        resource: &str,
        channel: &'static str,
        guest: usize,
        when: When,
        party: i64,
    ) -> usize {
        let mut body = match &when {
            When::Stay { nights, .. } => json!({
                "resource_id": resource, "party_size": party,
                "check_in": nights.first().expect("a night").0,
                "check_out": nights.last().expect("a night").0 + Duration::days(1),
            }),
            When::Seating { date, time } => {
                json!({"resource_id": resource, "party_size": party, "date": date, "time": time})
            }
        };
        let token = if channel == "online" {
            self.guest(guest).await
        } else {
            body["channel"] = json!(channel);
            body["guest"] = json!({"name": "Ana Quaresma"});
            self.staff(shop, false).await
        };
        let path = format!("/booking/vendor/{}", shop.vendor);
        let made = self.send(Method::POST, &path, &token, Some(&body)).await;
        let id = made["id"].as_str().expect("a booking id").to_owned();
        if let When::Stay { nights, .. } = &when {
            let quoted: Vec<(NaiveDate, i64)> = made["quote"]["lines"]
                .as_array()
                .expect("quote lines")
                .iter()
                .map(|l| {
                    (
                        date(&l["date"]),
                        l["amount"]["amount_minor"].as_i64().expect("minor"),
                    )
                })
                .collect();
            assert_eq!(
                &quoted, nights,
                "the quote is the rates this test set: {made:#}"
            );
        }
        let booked = Booked {
            id: id.clone(),
            channel,
            created: self.day(self.today),
            status: Status::Held,
            confirmed_once: false,
            when,
            party,
            kept: 0,
        };
        shop.bookings.push(booked);
        let n = shop.bookings.len() - 1;
        match made["status"].as_str() {
            Some("CONFIRMED") => self.moved(shop, n, |b| b.status = Status::Confirmed),
            Some("HELD") if channel == "online" => self.pay(shop, n, &made).await,
            Some("HELD") => {}
            other => panic!("a new booking is {other:?}: {made:#}"),
        }
        n
    }

    /// Records a change of booking `n` in the ledger.
    fn moved(&self, shop: &mut Shop, n: usize, change: impl FnOnce(&mut Booked)) {
        let before = shop.bookings[n].contribution();
        let booking = &mut shop.bookings[n];
        change(booking);
        if booking.status.sold() {
            booking.confirmed_once = true;
        }
        let after = booking.contribution();
        shop.ledger.apply(&before, &after);
    }

    /// Pays an online hold's deposit through localstripe, as the guest's browser does, and
    /// records the payment (the webhook's path).
    async fn pay(&mut self, shop: &mut Shop, n: usize, held: &Value) {
        let intent = held["deposit_payment"]["intent_id"]
            .as_str()
            .expect("an intent");
        let (paid, answer) = api_tests::pay_intent(
            &self.stripe.api_base,
            "sk_test_local",
            intent,
            "pm_card_visa",
        )
        .await;
        assert_eq!(paid, StatusCode::OK, "{answer}");
        let id = shared::domain::ids::BookingId::parse(&shop.bookings[n].id).expect("an id");
        let booking = shared::store::BookingStore::booking(&self.store, id)
            .await
            .expect("read")
            .expect("live");
        shared::deposits::reconcile_booking(
            &self.store,
            &self.stripe.client().expect("a Stripe client"),
            &booking,
            shared::clock::now(),
        )
        .await
        .expect("the payment is recorded");
        let token = self.staff(shop, false).await;
        let seen = self
            .send(
                Method::GET,
                &format!("/booking/{}", shop.bookings[n].id),
                &token,
                None,
            )
            .await;
        assert_eq!(seen["status"], "CONFIRMED", "{seen:#}");
        self.moved(shop, n, |b| b.status = Status::Confirmed);
    }

    /// Moves booking `n` to `status` as the desk (or its guest, `by_guest`); the deposit kept is
    /// checked against `kept`.
    async fn set_status(
        &mut self,
        shop: &mut Shop,
        n: usize,
        status: Status,
        by_guest: Option<usize>,
        kept: i64,
    ) {
        let token = match by_guest {
            Some(guest) => self.guest(guest).await,
            None => self.staff(shop, false).await,
        };
        let path = format!("/booking/{}/status", shop.bookings[n].id);
        let moved = self
            .send(
                Method::PUT,
                &path,
                &token,
                Some(&json!({"status": status.api()})),
            )
            .await;
        assert_eq!(moved["status"], status.api(), "{moved:#}");
        if let Some(settlement) = moved["deposit_payment"]["settlement"].as_object() {
            assert_eq!(settlement["kept"]["amount_minor"], kept, "{moved:#}");
        } else {
            assert_eq!(kept, 0, "no settlement: {moved:#}");
        }
        let today = self.day(self.today);
        self.moved(shop, n, |b| {
            b.status = status;
            b.kept = kept;
            // Leaving early: the nights from today on are not stayed.
            if let (Status::Completed, When::Stay { nights, .. }) = (status, &mut b.when) {
                let keep = nights
                    .first()
                    .map(|n| n.0 + Duration::days(1))
                    .unwrap_or(today);
                nights.retain(|(night, _)| *night < today.max(keep));
            }
        });
        if status == Status::Completed {
            let invoice = self
                .send(
                    Method::GET,
                    &format!("/booking/{}/invoice", shop.bookings[n].id),
                    &token,
                    None,
                )
                .await;
            let number = invoice["invoice"]["number"]
                .as_u64()
                .expect("an invoice number");
            shop.numbers.push(number);
            if let When::Stay { nights, .. } = &shop.bookings[n].when {
                let invoice = &invoice["invoice"];
                let lines = invoice["lines"].as_array().expect("lines");
                let billed = lines.iter().filter(|l| l["kind"] == "night").count();
                assert_eq!(billed, nights.len(), "a line per night stayed: {invoice:#}");
                let amount =
                    |v: &Value| v["amount_minor"].as_i64().unwrap_or_else(|| panic!("{v}"));
                let vat: i64 = nights
                    .iter()
                    .map(|(_, p)| half_up(p * VAT_BP, 10_000 + VAT_BP))
                    .sum();
                let gross: i64 = nights.iter().map(|(_, p)| p).sum();
                let city = CITY_TAX * shop.bookings[n].party * nights.len() as i64;
                let totals = &invoice["totals"];
                assert_eq!(
                    (
                        amount(&totals["net"]),
                        amount(&totals["vat"][0]["vat"]),
                        amount(&totals["city_tax"])
                    ),
                    (gross - vat, vat, city),
                    "the invoice's net, VAT and city tax: {invoice:#}"
                );
                shop.invoiced.0 += gross - vat;
                shop.invoiced.1 += vat;
                shop.invoiced.2 += city;
            }
        }
    }

    /// Changes booking `n` with `body` as the desk (or its guest), `change` saying what it means.
    async fn change(
        &mut self,
        shop: &mut Shop,
        n: usize,
        by_guest: Option<usize>,
        body: Value,
        change: impl FnOnce(&mut Booked),
    ) {
        let token = match by_guest {
            Some(guest) => self.guest(guest).await,
            None => self.staff(shop, false).await,
        };
        let path = format!("/booking/{}", shop.bookings[n].id);
        let changed = self.send(Method::PUT, &path, &token, Some(&body)).await;
        self.moved(shop, n, change);
        if let When::Stay { nights, .. } = &shop.bookings[n].when {
            let quoted: Vec<(NaiveDate, i64)> = changed["quote"]["lines"]
                .as_array()
                .expect("quote lines")
                .iter()
                .map(|l| {
                    (
                        date(&l["date"]),
                        l["amount"]["amount_minor"].as_i64().expect("minor"),
                    )
                })
                .collect();
            assert_eq!(&quoted, nights, "{changed:#}");
        }
    }

    /// The reports table's days as the test's ledger writes them (zeros left out).
    async fn projection(
        &self,
        shop: &Shop,
    ) -> (Days, Days, BTreeMap<NaiveDate, BTreeSet<NaiveDate>>) {
        let stored = self
            .reports
            .days(shop.vendor, self.day0, self.day(DAYS + 6))
            .await
            .expect("the reports table answers");
        let (mut counts, mut adjustments, mut adjusts) =
            (Days::new(), Days::new(), BTreeMap::new());
        for day in stored {
            counts.insert(day.day, day.counts.clone());
            adjustments.insert(day.day, day.adjustments.clone());
            if !day.adjusts.is_empty() {
                adjusts.insert(day.day, day.adjusts.clone());
            }
        }
        tidy(&mut counts);
        tidy(&mut adjustments);
        (counts, adjustments, adjusts)
    }

    /// Waits until the projection holds what the ledger says (the facts travel the backbone).
    async fn caught_up(&self, shop: &Shop) {
        let started = tokio::time::Instant::now();
        let expected = (
            shop.ledger.counts.clone(),
            shop.ledger.adjustments.clone(),
            shop.ledger.adjusts.clone(),
        );
        loop {
            let seen = self.projection(shop).await;
            if seen == expected {
                return;
            }
            if started.elapsed() > WAIT {
                assert_eq!(
                    seen, expected,
                    "{} on day {}: the projection after {WAIT:?}",
                    shop.kind, self.today
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }

    /// The night audit for the day before today, as the manager runs it; checks the no-shows it
    /// marks and that the day closes with the ledger's figures, those no-shows included.
    async fn audit(&mut self, shop: &mut Shop, no_shows: &[usize]) {
        self.caught_up(shop).await;
        let day = self.day(self.today - 1);
        let token = self.staff(shop, true).await;
        let path = format!("/vendor/{}/night-audit", shop.vendor);
        let closed = self
            .send(Method::POST, &path, &token, Some(&json!({"day": day})))
            .await;
        assert_eq!(closed["closed"], "closed", "{closed:#}");
        let mut marked: Vec<&str> = closed["no_shows"]
            .as_array()
            .expect("no-shows")
            .iter()
            .map(|id| id.as_str().expect("an id"))
            .collect();
        marked.sort_unstable();
        let mut expected: Vec<&str> = no_shows
            .iter()
            .map(|n| shop.bookings[*n].id.as_str())
            .collect();
        expected.sort_unstable();
        assert_eq!(marked, expected, "{} {day}: the no-shows", shop.kind);
        for n in no_shows {
            self.moved(shop, *n, |b| {
                b.status = Status::NoShow;
                b.kept = match b.when {
                    // The Suite's 20 % deposit is kept.
                    When::Stay {
                        room: Room::Suite,
                        ref nights,
                    } => nights.iter().map(|n| n.1).sum::<i64>() / 5,
                    _ => 0,
                };
            });
        }
        let mut figures: Counts = serde_json::from_value(closed["figures"]["counts"].clone())
            .expect("the closed day's counts");
        figures.retain(|_, v| *v != 0);
        let expected = shop.ledger.counts.get(&day).cloned().unwrap_or_default();
        assert_eq!(
            figures, expected,
            "{} {day}: closed with the ledger's figures",
            shop.kind
        );
        assert_eq!(closed["figures"]["capacity"], shop.capacity);
        shop.ledger.closed.insert(day);
        shop.closed_with.insert(day, figures);
    }
}

/// The publisher on the bookings stream and the reports queue feeding its consumer.
async fn backbone(api: &Api) -> Backbone {
    let deps = Arc::new(
        Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    );
    let mut backbone = Backbone::default();
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let bookings = std::env::var("BOOKINGS_TABLE").expect("the table's name is set");
    backbone
        .stream("outbox-publisher", &bookings, publisher)
        .await
        .expect("the stream opens");
    let consumer = consumers(deps)
        .remove("reports")
        .expect("the consumer is registered");
    let queue_url =
        std::env::var("REPORTS_QUEUE_URL").expect("the queue's URL is set (local.sh env)");
    backbone.queue("reports", &queue_url, consumer).await;
    backbone
}

fn stay(room: Room, from: NaiveDate, nights: i64) -> When {
    When::Stay {
        room,
        nights: (0..nights)
            .map(|i| {
                let night = from + Duration::days(i);
                (night, room.price(night))
            })
            .collect(),
    }
}

fn seating(date: NaiveDate, time: &'static str) -> When {
    When::Seating { date, time }
}

fn money(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "EUR"})
}

/// The report's named figures for days adding up to `sum`, computed as the README states them.
fn figures(kind: &str, sum: &Counts, capacity_days: i64) -> serde_json::Map<String, Value> {
    let get = |field: &str| sum.get(field).copied().unwrap_or(0);
    let mut out = serde_json::Map::new();
    let (bookings, stays) = (get("bookings"), get("stays"));
    out.insert("capacity".into(), json!(capacity_days));
    if kind == "hotel" {
        let (nights, net) = (get("room_nights"), get("rev_net"));
        out.insert("room_nights".into(), json!(nights));
        out.insert(
            "occupancy_percent".into(),
            tenths(nights * 100, capacity_days),
        );
        out.insert("room_revenue_net".into(), money(net));
        out.insert("room_revenue_vat".into(), money(get("rev_vat")));
        out.insert("city_tax".into(), money(get("city_tax")));
        out.insert(
            "adr".into(),
            money(if nights == 0 { 0 } else { half_up(net, nights) }),
        );
        out.insert("revpar".into(), money(half_up(net, capacity_days)));
        out.insert(
            "average_length_of_stay_nights".into(),
            tenths(get("stay_nights"), stays),
        );
    } else {
        out.insert("covers".into(), json!(get("covers")));
        out.insert("seatings".into(), json!(get("seatings")));
        let slots: serde_json::Map<String, Value> = sum
            .iter()
            .filter_map(|(field, covers)| {
                let hhmm = field.strip_prefix("slot_")?;
                Some((
                    format!("{}:{}", &hhmm[..2], &hhmm[2..]),
                    json!({"covers": covers, "seat_occupancy_percent": tenths(covers * 100, capacity_days)}),
                ))
            })
            .collect();
        out.insert("slots".into(), Value::Object(slots));
    }
    out.insert("bookings".into(), json!(bookings));
    out.insert("cancellations".into(), json!(get("cancellations")));
    out.insert(
        "cancellation_rate_percent".into(),
        tenths(get("cancellations") * 100, bookings),
    );
    out.insert("cancellation_fees".into(), money(get("cancel_fees")));
    out.insert("no_shows".into(), json!(get("no_shows")));
    out.insert(
        "no_show_rate_percent".into(),
        tenths(get("no_shows") * 100, bookings),
    );
    out.insert("no_show_fees".into(), money(get("no_show_fees")));
    out.insert(
        "average_lead_time_days".into(),
        tenths(get("lead_days"), stays),
    );
    for channel in ["online", "walk_in", "phone", "front_desk"] {
        out.insert(
            format!("{channel}_bookings"),
            json!(get(&format!("ch_{channel}_bookings"))),
        );
        if kind == "hotel" {
            out.insert(
                format!("{channel}_room_nights"),
                json!(get(&format!("ch_{channel}_nights"))),
            );
            out.insert(
                format!("{channel}_revenue_net"),
                money(get(&format!("ch_{channel}_rev_net"))),
            );
        }
    }
    out
}

/// The periods of `[from, to]` by `granularity`, clipped to it, as the README describes them.
fn periods(from: NaiveDate, to: NaiveDate, granularity: &str) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = match granularity {
            "day" => start,
            "week" => start + Duration::days(6 - i64::from(start.weekday().num_days_from_monday())),
            _ => {
                let next = if start.month() == 12 {
                    NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
                };
                next.expect("a month") - Duration::days(1)
            }
        }
        .min(to);
        out.push((start, end));
        start = end + Duration::days(1);
    }
    out
}

fn within(days: &Days, start: NaiveDate, end: NaiveDate) -> Counts {
    let mut slice = days.clone();
    slice.retain(|d, _| *d >= start && *d <= end);
    total(&slice)
}

impl Month {
    /// The report by `granularity` agrees with the ledger, period by period and in its totals;
    /// the CSV's rows add up to the same totals.
    async fn check_report(&mut self, shop: &Shop, granularity: &str) {
        let (from, to) = (self.day0, self.day(DAYS + 5));
        let token = self.staff(shop, true).await;
        let query = format!(
            "/vendor/{}/reports?from={from}&to={to}&granularity={granularity}",
            shop.vendor
        );
        let report = self.send(Method::GET, &query, &token, None).await;
        let got = report["periods"].as_array().expect("periods");
        let expected = periods(from, to, granularity);
        assert_eq!(got.len(), expected.len(), "{granularity}: {report:#}");
        for (period, (start, end)) in got.iter().zip(&expected) {
            assert_eq!(
                (date(&period["start"]), date(&period["end"])),
                (*start, *end)
            );
            let days = (*end - *start).num_days() + 1;
            let want = figures(
                shop.kind,
                &within(&shop.ledger.counts, *start, *end),
                shop.capacity * days,
            );
            for (name, value) in &want {
                assert_eq!(
                    &period[name], value,
                    "{} {granularity} {start}: {name} in {period:#}",
                    shop.kind
                );
            }
            let closed =
                (0..days).all(|i| shop.ledger.closed.contains(&(*start + Duration::days(i))));
            assert_eq!(period["closed"], closed, "{start}: {period:#}");
            let adjustments = within(&shop.ledger.adjustments, *start, *end);
            let counts: Counts = serde_json::from_value(period["adjustments"]["counts"].clone())
                .expect("adjustment counts");
            assert_eq!(
                counts
                    .into_iter()
                    .filter(|(_, v)| *v != 0)
                    .collect::<Counts>(),
                adjustments,
                "{start}: {period:#}"
            );
            let for_days: BTreeSet<NaiveDate> = shop
                .ledger
                .adjusts
                .range(*start..=*end)
                .flat_map(|(_, days)| days.iter().copied())
                .collect();
            let said: BTreeSet<NaiveDate> = period["adjustments"]["for_days"]
                .as_array()
                .expect("for_days")
                .iter()
                .map(date)
                .collect();
            assert_eq!(said, for_days, "{start}: {period:#}");
        }
        let days = (to - from).num_days() + 1;
        let totals = figures(shop.kind, &total(&shop.ledger.counts), shop.capacity * days);
        for (name, value) in &totals {
            assert_eq!(
                &report["totals"][name], value,
                "{} {granularity} totals: {name}",
                shop.kind
            );
        }

        let csv = self
            .api
            .send_with(
                Method::GET,
                &query,
                Some(&token),
                None,
                &[("accept", "text/csv")],
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{csv:#?}");
        let text = reqwest::Client::new()
            .get(format!("{}{query}", self.api.base))
            .bearer_auth(&token)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("the gateway answers")
            .text()
            .await
            .expect("a CSV body");
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 1 + expected.len(), "{text}");
        for (name, value) in &totals {
            let Some(column) = rows[0].iter().position(|h| h == name) else {
                continue;
            };
            let minor = |cell: &str| -> i64 {
                match value {
                    Value::Object(_) => {
                        let (units, cents) = cell.split_once('.').expect("money in major units");
                        let sign = if units.starts_with('-') { -1 } else { 1 };
                        units.parse::<i64>().expect("units") * 100
                            + sign * cents.parse::<i64>().expect("cents")
                    }
                    _ => cell.parse().expect("a count"),
                }
            };
            match value {
                Value::Number(n) => {
                    let sum: i64 = rows[1..].iter().map(|r| minor(r[column])).sum();
                    assert_eq!(Some(sum), n.as_i64(), "CSV {granularity} {name}: {text}");
                }
                Value::Object(m) if !matches!(name.as_str(), "adr" | "revpar") => {
                    let sum: i64 = rows[1..].iter().map(|r| minor(r[column])).sum();
                    assert_eq!(
                        json!(sum),
                        m["amount_minor"],
                        "CSV {granularity} {name}: {text}"
                    );
                }
                _ => {}
            }
        }
    }

    /// Every figure agrees with the test's own count, and the invoices are numbered 1..N.
    async fn check_month(&mut self, shop: &Shop) {
        self.caught_up(shop).await;
        // The ledger against the bookings themselves: what the days hold after every
        // correction is what the bookings add up to now.
        let mut all = Days::new();
        for booking in &shop.bookings {
            for (day, counts) in booking.contribution() {
                for (field, value) in counts {
                    *all.entry(day).or_default().entry(field).or_default() += value;
                }
            }
        }
        let mut corrected = total(&shop.ledger.counts);
        for (field, value) in total(&shop.ledger.adjustments) {
            *corrected.entry(field).or_default() += value;
        }
        corrected.retain(|_, v| *v != 0);
        assert_eq!(
            corrected,
            total(&all),
            "{}: counts plus adjustments",
            shop.kind
        );
        // Closed days kept what they were closed with.
        let (counts, _, _) = self.projection(shop).await;
        for (day, closed) in &shop.closed_with {
            assert_eq!(
                counts.get(day).cloned().unwrap_or_default(),
                *closed,
                "{} {day} changed after its close",
                shop.kind
            );
        }
        for granularity in ["day", "week", "month"] {
            self.check_report(shop, granularity).await;
        }
        if shop.kind == "hotel" {
            // Every stay sold was checked out by the month's end: what the invoices billed is
            // the revenue the days hold, corrections included.
            let get = |field: &str| corrected.get(field).copied().unwrap_or(0);
            assert_eq!(
                shop.invoiced,
                (get("rev_net"), get("rev_vat"), get("city_tax")),
                "invoiced against the days"
            );
        }
        let mut numbers = shop.numbers.clone();
        numbers.sort_unstable();
        let n = numbers.len() as u64;
        assert!(n > 0);
        assert_eq!(
            numbers,
            (1..=n).collect::<Vec<_>>(),
            "{} invoice numbers",
            shop.kind
        );
    }
}

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
