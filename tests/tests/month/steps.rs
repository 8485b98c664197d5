//! The script's steps through the API: booking, paying, changing and moving bookings, and the
//! night audit that closes each day against the ledger.
use crate::ledger::{Booked, Counts, Days, Room, Status, When, half_up, tidy};
use crate::setup::{Month, Shop, date};
use crate::{CITY_TAX, DAYS, VAT_BP, WAIT};
use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::reports::ReportStore;
use std::collections::{BTreeMap, BTreeSet};

impl Month {
    pub(crate) fn day(&self, k: i64) -> NaiveDate {
        self.day0 + Duration::days(k)
    }

    pub(crate) async fn staff(&mut self, shop: &Shop, manager: bool) -> String {
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
    pub(crate) async fn move_to_day(&mut self, k: i64) {
        self.api.set_clock_offset(Duration::days(k)).await;
        self.today = k;
        self.moves += 1;
    }

    /// Moves business time to 02:05 where the vendors are on day `k`, just after the default
    /// night audit time: the audit runs when a hotel's runs, not at noon.
    pub(crate) async fn move_to_audit_time(&mut self, k: i64) {
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

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Value {
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
    pub(crate) async fn book(
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
    pub(crate) async fn set_status(
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
    pub(crate) async fn change(
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
    pub(crate) async fn projection(
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
    pub(crate) async fn caught_up(&self, shop: &Shop) {
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
    pub(crate) async fn audit(&mut self, shop: &mut Shop, no_shows: &[usize]) {
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
