//! Invoices end to end (issue 20): a stay checked in and out is invoiced with its nights at the
//! booked price, VAT and the city tax as the vendor set them; the PDF shows the same; the
//! booking's guest and the vendor's staff read it, nobody else; 100 concurrent check-outs of
//! one vendor take the numbers 1..=100, no gap and no duplicate; a credit note takes the next
//! number and never changes the invoice.
use api_tests::{Account, Api, Reply, merged, resource_body, today_in, zone_at_noon};
use chrono::{Duration, NaiveDate};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const NIGHTLY: i64 = 12_345;
const VAT_BP: i64 = 700;
const CITY_TAX: i64 = 250;

struct Hotel {
    api: Api,
    zone: &'static str,
    manager: Account,
    desk: Account,
    housekeeper: Account,
    guest: Account,
    room_type: String,
}

impl Hotel {
    /// A hotel about noon local time (a stay from today never straddles its midnight), with
    /// VAT included at 7 % and a city tax of 2.50 per person and night, `rooms` rooms of one
    /// type, its desk, a housekeeper and a guest.
    async fn open(rooms: usize) -> Self {
        let api = Api::start().await;
        let zone = zone_at_noon();
        let (manager, guest) = tokio::join!(
            api.vendor_with("hotel", json!({ "time_zone": zone })),
            api.guest()
        );
        let taxes = api
            .put(
                &format!("/vendor/{}", manager.vendor()),
                manager.token(),
                &json!({"taxes": {"vat": {"rate_bp": VAT_BP, "basis": "included"}, "city_tax": CITY_TAX}}),
            )
            .await;
        assert_eq!(taxes.status, StatusCode::OK, "{taxes:#?}");
        let (desk, housekeeper) = tokio::join!(
            api.staff_as(&manager, "desk"),
            api.staff_as(&manager, "housekeeping")
        );
        let body = merged(
            resource_body("Family", 4, i64::try_from(rooms).unwrap_or(1), NIGHTLY),
            &json!({"deposit": {"kind": "none"}}),
        );
        let room_type = api.resource(&manager, &body).await;
        let hotel = Self {
            api,
            zone,
            manager,
            desk,
            housekeeper,
            guest,
            room_type,
        };
        // One at a time: each registration raises the room type's count.
        for n in 1..=rooms {
            hotel.room(format!("{n:03}")).await;
        }
        hotel
    }

    async fn room(&self, number: String) {
        let reply = self
            .api
            .post(
                &format!("/vendor/{}/unit", self.manager.vendor()),
                self.manager.token(),
                &json!({"resource_id": self.room_type, "number": number, "floor": 1}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    }

    fn today(&self) -> NaiveDate {
        today_in(self.zone)
    }

    /// A stay of the guest from today, checked in at the desk: its id.
    async fn checked_in(&self, party: i64, nights: i64) -> String {
        let held = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.manager.vendor()),
                self.guest.token(),
                Some(&json!({
                    "resource_id": self.room_type,
                    "party_size": party,
                    "check_in": self.today(),
                    "check_out": self.today() + Duration::days(nights),
                })),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
        let id = held.body["id"].as_str().expect("a booking id").to_owned();
        let arrived = self
            .api
            .post(
                &format!("/booking/{id}/check-in"),
                self.desk.token(),
                &json!({"method": "desk", "id_checked": true, "early": true}),
            )
            .await;
        assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
        id
    }

    async fn check_out(&self, id: &str) {
        let left = self
            .api
            .post(
                &format!("/booking/{id}/check-out"),
                self.desk.token(),
                &json!({}),
            )
            .await;
        assert_eq!(left.status, StatusCode::OK, "{left:#?}");
    }

    async fn invoice(&self, who: &Account, id: &str) -> Reply {
        self.api
            .get(&format!("/booking/{id}/invoice"), who.token())
            .await
    }

    async fn booking(&self, id: &str) -> Value {
        let reply = self
            .api
            .get(&format!("/booking/{id}"), self.manager.token())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body
    }
}

fn minor(value: &Value) -> i64 {
    value["amount_minor"]
        .as_i64()
        .unwrap_or_else(|| panic!("an amount in {value:#}"))
}

/// The VAT inside a VAT-inclusive amount, rounded half up: the rule the invoice states.
fn vat_in(gross: i64) -> i64 {
    (gross * VAT_BP + (10_000 + VAT_BP) / 2) / (10_000 + VAT_BP)
}

fn major(minor: i64) -> String {
    format!(
        "{}{}.{:02}",
        if minor < 0 { "-" } else { "" },
        minor.abs() / 100,
        minor.abs() % 100
    )
}

#[tokio::test]
async fn a_checked_out_stay_is_invoiced_with_its_nights_vat_and_city_tax() {
    let hotel = Hotel::open(2).await;
    let id = hotel.checked_in(3, 2).await;
    let before = hotel.invoice(&hotel.guest, &id).await;
    before.assert_problem(404);
    assert!(
        before.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("not-invoiced")),
        "{before:#?}"
    );

    hotel.check_out(&id).await;
    let booking = hotel.booking(&id).await;
    let quoted = booking["quote"]["lines"]
        .as_array()
        .expect("quote lines")
        .clone();
    assert!(!quoted.is_empty(), "{booking:#}");
    let reply = hotel.invoice(&hotel.guest, &id).await;

    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let invoice = &reply.body["invoice"];
    assert_eq!(invoice["number"], 1, "{invoice:#}");
    assert_eq!(invoice["booking_id"], id.as_str());
    let lines = invoice["lines"].as_array().expect("lines");
    let nights: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "night").collect();
    assert_eq!(nights.len(), quoted.len(), "{invoice:#}");
    let mut gross = 0;
    let mut vat = 0;
    for (line, quote) in nights.iter().zip(&quoted) {
        assert_eq!(line["date"], quote["date"]);
        assert_eq!(minor(&line["gross"]), minor(&quote["amount"]));
        assert_eq!(minor(&line["vat"]), vat_in(minor(&quote["amount"])));
        assert_eq!(line["vat_rate_bp"], VAT_BP);
        gross += minor(&line["gross"]);
        vat += minor(&line["vat"]);
    }
    let nights_count = i64::try_from(nights.len()).unwrap_or(0);
    let city: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "city_tax").collect();
    assert_eq!(city.len(), 1, "{invoice:#}");
    assert_eq!(minor(&city[0]["gross"]), CITY_TAX * 3 * nights_count);
    assert_eq!(minor(&city[0]["vat"]), 0);
    let totals = &invoice["totals"];
    assert_eq!(minor(&totals["net"]), gross - vat);
    assert_eq!(minor(&totals["vat"][0]["vat"]), vat);
    assert_eq!(minor(&totals["city_tax"]), CITY_TAX * 3 * nights_count);
    let total = gross + CITY_TAX * 3 * nights_count;
    assert_eq!(minor(&totals["gross"]), total);
    assert_eq!(minor(&invoice["deposit_applied"]), 0);
    assert_eq!(minor(&invoice["balance"]), total);
    assert_eq!(reply.body["credit_notes"], json!([]));

    // Read again, by the desk: the same invoice, not another.
    let again = hotel.invoice(&hotel.desk, &id).await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(again.body["invoice"], *invoice);

    // The PDF says the same.
    let pdf = hotel
        .api
        .send_with(
            Method::GET,
            &format!("/booking/{id}/invoice"),
            hotel.manager.token(),
            None,
            &[("accept", "application/pdf")],
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{pdf:#?}");
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let bytes = pdf_bytes(&hotel.api, &id, &hotel.manager).await;
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    match pdf_text(&bytes) {
        None => eprintln!(
            "SKIPPED the PDF's text: pdftotext (poppler-utils) is not installed; tests/run.sh installs it"
        ),
        Some(text) => {
            assert!(text.contains("Invoice 1"), "{text}");
            for line in &nights {
                let date = line["date"].as_str().unwrap_or_default();
                assert!(text.contains(&format!("Night of {date}")), "{text}");
            }
            assert!(text.contains("City tax"), "{text}");
            assert!(text.contains(&format!("{} EUR", major(total))), "{text}");
            assert!(text.contains(&format!("{} EUR", major(vat))), "{text}");
            assert!(
                text.contains(&format!("{} EUR", major(gross - vat))),
                "{text}"
            );
        }
    }
}

/// The PDF's bytes as the client receives them.
async fn pdf_bytes(api: &Api, id: &str, who: &Account) -> Vec<u8> {
    let base = &api.base;
    let response = reqwest::Client::new()
        .get(format!("{base}/booking/{id}/invoice"))
        .bearer_auth(who.token().unwrap_or_default())
        .header("accept", "application/pdf")
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("a body").to_vec()
}

/// The PDF's text by `pdftotext -layout`; `None` when poppler-utils is not installed.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("invoice-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("invoice.pdf");
    std::fs::write(&file, bytes).expect("write the PDF");
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match output {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => panic!("pdftotext: {err}"),
        Ok(output) => {
            assert!(output.status.success(), "pdftotext failed: {output:?}");
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        }
    }
}

#[tokio::test]
async fn only_the_guest_and_the_vendors_desk_and_managers_read_the_invoice() {
    let hotel = Hotel::open(1).await;
    let id = hotel.checked_in(2, 1).await;
    hotel.check_out(&id).await;
    let stranger = hotel.api.guest().await;
    let neighbour = hotel.api.vendor("hotel").await;

    for who in [&hotel.guest, &hotel.desk, &hotel.manager] {
        let reply = hotel.invoice(who, &id).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }
    for who in [&hotel.housekeeper, &stranger, &neighbour] {
        let reply = hotel.invoice(who, &id).await;
        reply.assert_problem(404);
    }
    let anonymous = hotel.api.get(&format!("/booking/{id}/invoice"), None).await;
    anonymous.assert_problem(401);
}

#[tokio::test]
async fn a_hundred_concurrent_check_outs_take_numbers_one_to_a_hundred() {
    const STAYS: usize = 100;
    let hotel = Hotel::open(STAYS).await;
    let mut ids = Vec::with_capacity(STAYS);
    for _ in 0..STAYS {
        ids.push(hotel.checked_in(1, 1).await);
    }

    // Each desk request checks a guest out and asks for the invoice at once, all together.
    let started = std::time::Instant::now();
    let numbers = join_all(ids.iter().map(|id| async {
        hotel.check_out(id).await;
        let reply = hotel.invoice(&hotel.desk, id).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["invoice"]["number"]
            .as_u64()
            .expect("an invoice number")
    }))
    .await;
    eprintln!(
        "{STAYS} concurrent check-outs and invoices took {:?}",
        started.elapsed()
    );

    let distinct: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(distinct.len(), STAYS, "duplicates in {numbers:?}");
    assert_eq!(
        distinct,
        (1..=u64::try_from(STAYS).unwrap_or(0)).collect::<BTreeSet<_>>()
    );
    // Each booking keeps the number it got.
    for (id, number) in ids.iter().zip(&numbers).take(10) {
        let reply = hotel.invoice(&hotel.guest, id).await;
        assert_eq!(reply.body["invoice"]["number"].as_u64(), Some(*number));
    }
}

#[tokio::test]
async fn a_credit_note_takes_the_next_number_and_leaves_the_invoice_unchanged() {
    let hotel = Hotel::open(2).await;
    let first = hotel.checked_in(2, 1).await;
    hotel.check_out(&first).await;
    let invoice = hotel.invoice(&hotel.guest, &first).await.body["invoice"].clone();
    assert_eq!(invoice["number"], 1, "{invoice:#}");
    let path = format!("/booking/{first}/credit-notes");

    let by_desk = hotel
        .api
        .post(
            &path,
            hotel.desk.token(),
            &json!({"amount_minor": 100, "reason": "x"}),
        )
        .await;
    by_desk.assert_problem(403);
    let by_guest = hotel
        .api
        .post(
            &path,
            hotel.guest.token(),
            &json!({"amount_minor": 100, "reason": "x"}),
        )
        .await;
    by_guest.assert_problem(403);

    let credited = hotel
        .api
        .post(
            &path,
            hotel.manager.token(),
            &json!({"amount_minor": 2_000, "reason": "Noisy room"}),
        )
        .await;
    assert_eq!(credited.status, StatusCode::CREATED, "{credited:#?}");
    assert_eq!(credited.body["number"], 2, "{credited:#?}");
    assert_eq!(credited.body["invoice_number"], 1);
    assert_eq!(minor(&credited.body["totals"]["gross"]), -2_000);
    assert_eq!(
        minor(&credited.body["totals"]["vat"][0]["vat"]),
        -vat_in(2_000)
    );

    // Another booking's invoice takes the number after the credit note.
    let second = hotel.checked_in(1, 1).await;
    hotel.check_out(&second).await;
    let next = hotel.invoice(&hotel.desk, &second).await;
    assert_eq!(next.body["invoice"]["number"], 3, "{next:#?}");

    let whole = minor(&invoice["totals"]["gross"]);
    let too_much = hotel
        .api
        .post(
            &path,
            hotel.manager.token(),
            &json!({"amount_minor": whole - 2_000 + 1, "reason": "again"}),
        )
        .await;
    too_much.assert_problem(409);
    assert_eq!(
        too_much.body["remaining_minor"],
        whole - 2_000,
        "{too_much:#?}"
    );
    let line = hotel
        .api
        .post(
            &path,
            hotel.manager.token(),
            &json!({"lines": [1], "reason": "City tax charged in error"}),
        )
        .await;
    assert_eq!(line.status, StatusCode::CREATED, "{line:#?}");
    assert_eq!(line.body["number"], 4, "{line:#?}");
    let twice = hotel
        .api
        .post(
            &path,
            hotel.manager.token(),
            &json!({"lines": [1], "reason": "again"}),
        )
        .await;
    twice.assert_problem(409);
    let neither = hotel
        .api
        .post(&path, hotel.manager.token(), &json!({"reason": "nothing"}))
        .await;
    neither.assert_problem(422);
    assert_eq!(neither.pointers(), vec!["/lines".to_owned()]);

    let after = hotel.invoice(&hotel.guest, &first).await;
    assert_eq!(after.body["invoice"], invoice, "the invoice changed");
    let notes: Vec<u64> = after.body["credit_notes"]
        .as_array()
        .expect("credit notes")
        .iter()
        .filter_map(|n| n["number"].as_u64())
        .collect();
    assert_eq!(notes, vec![2, 4]);
}

/// The publisher on the bookings and billing streams, and the invoicer's and notifier's queues.
async fn backbone(api: &Api) -> local_gateway::Backbone {
    use local_gateway::{Backbone, Deps, consumers, streams};
    let deps = std::sync::Arc::new(
        Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    );
    let mut backbone = Backbone::default();
    for table in ["BOOKINGS_TABLE", "BILLING_TABLE"] {
        let publisher = streams(deps.clone())
            .remove("outbox-publisher")
            .expect("the publisher is registered");
        let name = std::env::var(table).expect("the table's name is set");
        backbone
            .stream("outbox-publisher", &name, publisher)
            .await
            .expect("the stream opens");
    }
    let mut queue_consumers = consumers(deps);
    for (name, url) in [
        ("invoicer", "INVOICER_QUEUE_URL"),
        ("notifier", "NOTIFIER_QUEUE_URL"),
    ] {
        let consumer = queue_consumers
            .remove(name)
            .expect("the consumer is registered");
        let queue_url = std::env::var(url).expect("the queue's URL is set (local.sh env)");
        backbone.queue(name, &queue_url, consumer).await;
    }
    backbone
}

#[tokio::test]
async fn a_check_out_is_invoiced_archived_and_mailed_through_the_backbone() {
    use shared::billing::{BillingStore, DynamoBilling};
    let hotel = Hotel::open(1).await;
    let _backbone = backbone(&hotel.api).await;
    let id = hotel.checked_in(2, 1).await;
    hotel.check_out(&id).await;

    // The invoicer issues it from the BookingCompleted fact; nobody asks the route for it.
    let sdk = shared::aws::sdk_config().await;
    let billing = DynamoBilling::from_env(&sdk).expect("BILLING_TABLE is set");
    let booking_id = shared::domain::ids::BookingId::parse(&id).expect("a booking id");
    let mut issued = None;
    for _ in 0..120 {
        issued = billing
            .billing(booking_id)
            .await
            .expect("the billing table answers");
        if issued.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let issued = issued.expect("the invoicer issued the invoice within a minute");
    assert_eq!(issued.invoice.number.get(), 1);

    // Archived as JSON and PDF under its vendor and number.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = std::env::var("ARCHIVE_BUCKET").expect("ARCHIVE_BUCKET is set");
    let key = format!("invoices/{}/1", hotel.manager.vendor());
    let mut archived = None;
    for _ in 0..60 {
        if let Ok(object) = s3
            .get_object()
            .bucket(&bucket)
            .key(format!("{key}.pdf"))
            .send()
            .await
        {
            archived = Some(object.body.collect().await.expect("a body").into_bytes());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let pdf = archived.expect("the PDF is archived");
    assert!(pdf.starts_with(b"%PDF-"));
    let json = s3
        .get_object()
        .bucket(&bucket)
        .key(format!("{key}.json"))
        .send()
        .await
        .expect("the JSON is archived")
        .body
        .collect()
        .await
        .expect("a body")
        .into_bytes();
    let stored: Value = serde_json::from_slice(&json).expect("JSON");
    assert_eq!(stored["number"], 1);
    assert_eq!(stored["booking_id"], id.as_str());

    // The guest hears of it by email (InvoiceIssued through the billing stream and the bus).
    let mut mail = Vec::new();
    for _ in 0..120 {
        mail = api_tests::mailbox(&hotel.guest.email)
            .await
            .into_iter()
            .filter(|m| m.subject.contains("invoice 1"))
            .collect();
        if !mail.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(mail.len(), 1, "one invoice email");
    let total = minor(&issued_total(&stored));
    assert!(mail[0].body.contains(&major(total)), "{}", mail[0].body);
}

fn issued_total(invoice: &Value) -> Value {
    invoice["totals"]["gross"].clone()
}
