//! Deposits end to end on the local stack, against localstripe: every journey of a deposit from
//! the hold to its refund, kept amount or void, through the real handlers (booking-create, the
//! payment webhook, hold expiry, the payment-refund consumer, reconciliation). Expected amounts
//! are computed here from the policy, never read back from the system under test.
use api_tests::{
    Account, Api, Reply, pay_intent, resource_body, sqs_event, today_in, zone_at_noon,
};
use archiver::{ArchivePolicy, Archived, Archiver};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use payment_refund::Refunds;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::auth::Caller;
use shared::deposits::{self, Repair};
use shared::domain::booking::Booking;
use shared::domain::booking::BookingAction;
use shared::domain::deposit::{DepositPolicy, Percent};
use shared::domain::ids::BookingId;
use shared::domain::ids::{ResourceId, VendorId};
use shared::domain::resource::Resource;
use shared::engine::Requester;
use shared::events::{Event, booking_event};
use shared::inbox::Effect;
use shared::payments::webhook;
use shared::payments::{IntentId, PaymentGateway, StripeClient, StripeSettings};
use shared::store::{
    ArchiveIndex, BookingStore, DynamoArchive, DynamoStore, PaymentsPending, ResourceStore,
    S3Records,
};

const NIGHTLY: i64 = 12_900;
const DEPOSIT_PERCENT: i64 = 20;
const FREE_UNTIL_HOURS: i64 = 48;
const LATE_FEE_PERCENT: i64 = 10;

/// `percent` of `amount`, half up, as the policy says; written out independently of the code.
fn percent_of(amount: i64, percent: i64) -> i64 {
    (amount * percent + 50) / 100
}

/// A hotel whose double takes a 20% deposit and charges 10% of the stay for cancelling within
/// 48 hours of arrival; a guest; the clients the functions use.
struct Desk {
    api: Api,
    store: DynamoStore,
    stripe: StripeClient,
    settings: StripeSettings,
    hotel: Account,
    guest: Account,
    room: String,
}

impl Desk {
    async fn open() -> Self {
        Self::open_in("Europe/Berlin").await
    }

    /// The desk of a hotel in time zone `zone`.
    async fn open_in(zone: &str) -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let settings = StripeSettings::load(&sdk)
            .await
            .expect("the Stripe secret is provisioned: run via tests/run.sh");
        let hotel = api.vendor_with("hotel", json!({"time_zone": zone})).await;
        let mut room = resource_body("Double", 2, 5, NIGHTLY);
        room["deposit"] = json!({"kind": "percent", "percent": DEPOSIT_PERCENT});
        room["cancellation"] = json!({
            "free_until_hours": FREE_UNTIL_HOURS,
            "late_fee": {"kind": "percent", "percent": LATE_FEE_PERCENT},
        });
        let room = api.resource(&hotel, &room).await;
        Self {
            store: DynamoStore::from_env(&sdk).expect("the table names are set"),
            stripe: settings.client().expect("a Stripe client"),
            guest: api.guest().await,
            api,
            settings,
            hotel,
            room,
        }
    }

    /// Holds `nights` nights from `days` days ahead with this idempotency key.
    async fn hold_with_key(&self, days: i64, nights: i64, key: &str) -> Reply {
        let check_in = Utc::now().date_naive() + Duration::days(days);
        self.hold_from_with_key(check_in, nights, key).await
    }

    /// Holds `nights` nights from `check_in` with this idempotency key.
    async fn hold_from_with_key(&self, check_in: NaiveDate, nights: i64, key: &str) -> Reply {
        let body = stay(&self.room, check_in, nights);
        self.hold_at(self.hotel.vendor(), &body, key).await
    }

    /// The guest holds `body` at `vendor`.
    async fn hold_at(&self, vendor: &str, body: &Value, key: &str) -> Reply {
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{vendor}"),
                self.guest.token(),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
    }

    async fn hold(&self, days: i64, nights: i64) -> Value {
        let check_in = Utc::now().date_naive() + Duration::days(days);
        self.hold_from(check_in, nights).await
    }

    /// A hold of `nights` nights from `check_in` that must succeed; the booking as returned.
    async fn hold_from(&self, check_in: NaiveDate, nights: i64) -> Value {
        let reply = self
            .hold_from_with_key(check_in, nights, &uuid::Uuid::new_v4().to_string())
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    async fn booking(&self, id: &str) -> Booking {
        self.store
            .booking(BookingId::parse(id).expect("a booking id"))
            .await
            .expect("DynamoDB answers")
            .expect("the booking exists")
    }

    /// The guest pays the deposit in their browser, with the client secret from the hold.
    async fn pay(&self, held: &Value) {
        let (status, body) = pay_intent(
            &self.settings.api_base,
            "sk_test_local",
            intent_of(held),
            "pm_card_visa",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "succeeded", "{body}");
    }

    /// Stripe's `payment_intent.succeeded` for the hold's intent, as Stripe sends it: the event
    /// envelope around the intent as localstripe holds it now.
    async fn succeeded_event(&self, intent_id: &str) -> Vec<u8> {
        let intent: Value = reqwest::Client::new()
            .get(format!(
                "{}/v1/payment_intents/{intent_id}",
                self.settings.api_base
            ))
            .bearer_auth("sk_test_local")
            .send()
            .await
            .expect("localstripe answers")
            .json()
            .await
            .expect("an intent");
        serde_json::to_vec(&json!({
            "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": Utc::now().timestamp(),
            "data": {"object": intent},
        }))
        .expect("JSON")
    }

    /// Posts a webhook with a signature made at `signed_at` with `secret`.
    async fn webhook(&self, body: &[u8], secret: &str, signed_at: DateTime<Utc>) -> Reply {
        let header = webhook::sign(body, secret, signed_at.timestamp());
        self.webhook_raw(body, Some(&header)).await
    }

    async fn webhook_raw(&self, body: &[u8], signature: Option<&str>) -> Reply {
        let mut request = reqwest::Client::new()
            .post(format!("{}/payment/webhook", self.api.base))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let response = request.send().await.expect("the gateway answers");
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Stripe tells us the hold's deposit was paid, correctly signed.
    async fn paid_webhook(&self, held: &Value) -> Reply {
        let event = self.succeeded_event(intent_of(held)).await;
        let reply = self.webhook(&event, self.secret(), Utc::now()).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply
    }

    fn secret(&self) -> &str {
        self.settings
            .webhook_secrets
            .first()
            .expect("a webhook secret is provisioned")
    }

    async fn set_status(&self, who: &Account, id: &str, status: &str) -> Reply {
        let reply = self
            .api
            .put(
                &format!("/booking/{id}/status"),
                who.token(),
                &json!({"status": status}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {reply:#?}");
        reply
    }

    /// Hands the payment-refund consumer the fact of the booking's current version, as the
    /// event bus would.
    async fn refund_consumer(&self, id: &str, stripe: &StripeClient) -> anyhow::Result<()> {
        let booking = self.booking(id).await;
        let fact = Event::Booking(booking_event(None, Some(&booking)).expect("a fact"));
        let received = api_tests::received(&fact);
        let refunds = Refunds {
            store: self.store.clone(),
            payments: stripe.clone(),
        };
        refunds.apply(&fact, &received).await
    }

    /// The hold-expiry consumer, run `minutes` from now; the messages it wants again.
    async fn expire(&self, held: &Value, minutes: i64) -> Vec<String> {
        let due = json!({"booking_id": held["id"], "expires_at": held["hold_expires_at"]});
        hold_expiry::expire_due(
            &self.store,
            &self.stripe,
            sqs_event(&[("m-1", due.to_string())]),
            Utc::now() + Duration::minutes(minutes),
        )
        .await
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect()
    }

    /// The refunds localstripe has made on an intent: (id, amount).
    async fn refunds_at_stripe(&self, intent_id: &str) -> Vec<(String, i64)> {
        let list = reqwest::Client::new()
            .get(format!("{}/v1/refunds", self.settings.api_base))
            .query(&[("payment_intent", intent_id)])
            .bearer_auth("sk_test_local")
            .send()
            .await
            .expect("localstripe answers");
        assert!(list.status().is_success(), "{:?}", list.text().await);
        let list: Value = list.json().await.expect("a list");
        list["data"]
            .as_array()
            .expect("a refund list")
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or_default().to_owned(),
                    r["amount"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    }

    async fn intent_status(&self, intent_id: &str) -> String {
        let intent = self
            .stripe
            .intent(&IntentId::parse(intent_id).expect("an intent id"))
            .await
            .expect("localstripe answers");
        format!("{:?}", intent.status)
    }
}

fn stay(room: &str, check_in: NaiveDate, nights: i64) -> Value {
    json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": check_in.to_string(),
        "check_out": (check_in + Duration::days(nights)).to_string(),
    })
}

fn intent_of(held: &Value) -> &str {
    held["checkout"]["payment_intent_id"]
        .as_str()
        .unwrap_or_else(|| panic!("the hold has a checkout: {held:#}"))
}

fn minor(money: &Value) -> i64 {
    assert_eq!(money["currency"], "EUR", "{money}");
    money["amount_minor"].as_i64().expect("minor units")
}

fn booking_id(id: &str) -> BookingId {
    BookingId::parse(id).expect("a booking id")
}

fn unreachable_stripe() -> StripeClient {
    StripeClient::new("http://127.0.0.1:9", "sk_test_local").expect("a client")
}

#[tokio::test]
async fn a_paid_stay_is_confirmed_and_its_deposit_refunded_once_it_is_billed() {
    // A stay from today (staff check guests in from their arrival day only), one night long so
    // that completing it today is no early departure, at a hotel where it is about noon now.
    let zone = zone_at_noon();
    let desk = Desk::open_in(zone).await;
    let nights = 1;
    let total = NIGHTLY * nights;
    let deposit = percent_of(total, DEPOSIT_PERCENT);

    let held = desk.hold_from(today_in(zone), nights).await;

    assert_eq!(held["status"], "HELD", "{held:#}");
    assert_eq!(minor(&held["quote"]["total"]), total);
    assert_eq!(minor(&held["checkout"]["amount"]), deposit);
    assert!(
        held["checkout"]["client_secret"]
            .as_str()
            .is_some_and(|s| s.starts_with(intent_of(&held))),
        "{held:#}"
    );
    assert_eq!(held["deposit_payment"]["status"], "AWAITING_PAYMENT");
    assert_eq!(
        held["deposit_payment"]["intent_id"],
        held["checkout"]["payment_intent_id"]
    );

    desk.pay(&held).await;
    let reply = desk.paid_webhook(&held).await;
    assert_eq!(reply.body, json!({"received": true, "duplicate": false}));
    let id = held["id"].as_str().unwrap();
    let confirmed = desk.booking(id).await;
    assert_eq!(confirmed.status.as_str(), "CONFIRMED");
    let paid = confirmed.deposit_payment.clone().expect("a deposit record");
    assert_eq!(paid.paid.map(|m| m.amount_minor), Some(deposit));

    desk.set_status(&desk.hotel, id, "CHECKED_IN").await;
    desk.set_status(&desk.hotel, id, "COMPLETED").await;
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");
    // A second delivery of the same fact: nothing more happens.
    desk.refund_consumer(id, &desk.stripe).await.expect("no-op");

    let completed = desk.booking(id).await;
    let record = completed.deposit_payment.expect("a deposit record");
    assert_eq!(format!("{:?}", record.status), "Refunded");
    let settlement = record.settlement.expect("a settlement");
    assert_eq!(settlement.refund.amount_minor, deposit);
    assert_eq!(settlement.kept.amount_minor, 0);
    let refund = record.refund.expect("the refund");
    assert_eq!(refund.amount.amount_minor, deposit);
    assert_eq!(
        desk.refunds_at_stripe(intent_of(&held)).await,
        [(refund.refund_id.to_string(), deposit)]
    );
}

#[tokio::test]
async fn cancelling_inside_the_free_window_refunds_the_whole_deposit() {
    let desk = Desk::open().await;
    let deposit = percent_of(NIGHTLY * 3, DEPOSIT_PERCENT);
    let held = desk.hold(30, 3).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();

    let cancelled = desk.set_status(&desk.guest, id, "CANCELLED").await;

    // The decision is made with the cancellation and shown at once; the refund follows.
    let settlement = &cancelled.body["deposit_payment"]["settlement"];
    assert_eq!(settlement["reason"], "CANCELLED", "{cancelled:#?}");
    assert_eq!(minor(&settlement["refund"]), deposit);
    assert_eq!(minor(&settlement["kept"]), 0);
    assert_eq!(cancelled.body["deposit_payment"]["status"], "REFUND_DUE");
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");
    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(refunds.iter().map(|r| r.1).collect::<Vec<_>>(), [deposit]);
    let record = desk.booking(id).await.deposit_payment.unwrap();
    assert_eq!(format!("{:?}", record.status), "Refunded");
}

#[tokio::test]
async fn cancelling_late_keeps_the_late_fee_and_refunds_the_rest() {
    let desk = Desk::open().await;
    let nights = 2;
    let total = NIGHTLY * nights;
    let deposit = percent_of(total, DEPOSIT_PERCENT);
    let fee = percent_of(total, LATE_FEE_PERCENT);
    assert!(fee < deposit, "the test wants a partial refund");
    // Arriving tomorrow: inside 48 hours, the free window is over.
    let held = desk.hold(1, nights).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();

    let cancelled = desk.set_status(&desk.guest, id, "CANCELLED").await;
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");

    let settlement = &cancelled.body["deposit_payment"]["settlement"];
    assert_eq!(
        minor(&settlement["refund"]),
        deposit - fee,
        "{cancelled:#?}"
    );
    assert_eq!(minor(&settlement["kept"]), fee);
    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(
        refunds.iter().map(|r| r.1).collect::<Vec<_>>(),
        [deposit - fee]
    );
    let record = desk.booking(id).await.deposit_payment.unwrap();
    assert_eq!(record.refund.unwrap().amount.amount_minor, deposit - fee);
}

#[tokio::test]
async fn a_no_show_keeps_the_whole_deposit_and_refunds_nothing() {
    let desk = Desk::open().await;
    let deposit = percent_of(NIGHTLY, DEPOSIT_PERCENT);
    let held = desk.hold(3, 1).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();

    // A no-show is marked only after arrival (plus the grace): staff do it days later.
    let staff = Requester::Caller(Caller::Admin("front-desk".into()));
    let later = Utc::now() + Duration::days(5);
    shared::engine::transition(
        &desk.store,
        booking_id(id),
        BookingAction::NoShow,
        &staff,
        later,
    )
    .await
    .expect("marked a no-show");
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("nothing to do");

    let no_show = serde_json::to_value(desk.booking(id).await).unwrap();
    assert_eq!(no_show["deposit_payment"]["status"], "KEPT", "{no_show:#}");
    let settlement = &no_show["deposit_payment"]["settlement"];
    assert_eq!(settlement["reason"], "NO_SHOW");
    assert_eq!(minor(&settlement["kept"]), deposit);
    assert_eq!(minor(&settlement["refund"]), 0);
    assert!(desk.refunds_at_stripe(intent_of(&held)).await.is_empty());
    assert!(!desk.booking(id).await.payment_pending());
}

#[tokio::test]
async fn a_payment_after_the_hold_expired_is_refunded_in_full_and_the_booking_stays_expired() {
    let desk = Desk::open().await;
    let deposit = percent_of(NIGHTLY * 2, DEPOSIT_PERCENT);
    let held = desk.hold(20, 2).await;
    let id = held["id"].as_str().unwrap();

    assert!(desk.expire(&held, 11).await.is_empty());
    assert_eq!(desk.booking(id).await.status.as_str(), "EXPIRED");
    // The guest's tab was still open: they pay before the intent is voided.
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let late = desk.booking(id).await;
    assert_eq!(late.status.as_str(), "EXPIRED");
    let record = late.deposit_payment.clone().unwrap();
    assert_eq!(format!("{:?}", record.status), "RefundDue");
    assert_eq!(
        format!("{:?}", record.settlement.unwrap().reason),
        "NotBooked"
    );
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");

    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(refunds.iter().map(|r| r.1).collect::<Vec<_>>(), [deposit]);
    let after = desk.booking(id).await;
    assert_eq!(after.status.as_str(), "EXPIRED");
    assert_eq!(
        format!("{:?}", after.deposit_payment.unwrap().status),
        "Refunded"
    );
}

#[tokio::test]
async fn an_expired_holds_intent_is_voided_so_it_can_no_longer_be_paid() {
    let desk = Desk::open().await;
    let held = desk.hold(21, 1).await;
    let id = held["id"].as_str().unwrap();

    assert!(desk.expire(&held, 11).await.is_empty());
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("voided");

    assert_eq!(desk.intent_status(intent_of(&held)).await, "Canceled");
    let record = desk.booking(id).await.deposit_payment.unwrap();
    assert_eq!(format!("{:?}", record.status), "Voided");
    let (status, body) = pay_intent(
        &desk.settings.api_base,
        "sk_test_local",
        intent_of(&held),
        "pm_card_visa",
    )
    .await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(desk.intent_status(intent_of(&held)).await, "Canceled");
}

#[tokio::test]
async fn a_hold_paid_at_the_last_second_is_confirmed_by_expiry_not_expired() {
    let desk = Desk::open().await;
    let held = desk.hold(22, 1).await;
    let id = held["id"].as_str().unwrap();
    desk.pay(&held).await;

    // The webhook has not come yet when the timer fires.
    assert!(desk.expire(&held, 11).await.is_empty());

    let booking = desk.booking(id).await;
    assert_eq!(booking.status.as_str(), "CONFIRMED");
    assert_eq!(
        format!("{:?}", booking.deposit_payment.unwrap().status),
        "Paid"
    );
    // The webhook arriving now changes nothing.
    let reply = desk.paid_webhook(&held).await;
    assert_eq!(reply.body["duplicate"], false);
    assert_eq!(desk.booking(id).await.version, booking.version);
}

#[tokio::test]
async fn forged_stale_and_replayed_webhooks_change_nothing() {
    let desk = Desk::open().await;
    let held = desk.hold(23, 1).await;
    let id = held["id"].as_str().unwrap();
    desk.pay(&held).await;
    let event = desk.succeeded_event(intent_of(&held)).await;
    let before = desk.booking(id).await;

    let unsigned = desk.webhook_raw(&event, None).await;
    let wrong_secret = desk.webhook(&event, "whsec_forged", Utc::now()).await;
    let stale = desk
        .webhook(&event, desk.secret(), Utc::now() - Duration::minutes(10))
        .await;
    let other_body = {
        let header = webhook::sign(
            b"{\"id\":\"evt_other\"}",
            desk.secret(),
            Utc::now().timestamp(),
        );
        desk.webhook_raw(&event, Some(&header)).await
    };
    let garbage = desk.webhook_raw(&event, Some("t=abc,v1=zz")).await;

    for reply in [&unsigned, &wrong_secret, &stale, &other_body, &garbage] {
        reply.assert_problem(400);
        assert_eq!(
            reply.body["type"]
                .as_str()
                .map(|t| t.ends_with("invalid-webhook")),
            Some(true),
            "{reply:#?}"
        );
    }
    let untouched = desk.booking(id).await;
    assert_eq!(untouched.status.as_str(), "HELD");
    assert_eq!(untouched.version, before.version);

    let signed_at = Utc::now();
    let first = desk.webhook(&event, desk.secret(), signed_at).await;
    let replayed = desk.webhook(&event, desk.secret(), signed_at).await;

    assert_eq!(
        first.body,
        json!({"received": true, "duplicate": false}),
        "{first:#?}"
    );
    assert_eq!(
        replayed.body,
        json!({"received": true, "duplicate": true}),
        "{replayed:#?}"
    );
    let confirmed = desk.booking(id).await;
    assert_eq!(confirmed.status.as_str(), "CONFIRMED");
    assert_eq!(confirmed.version, before.version + 1);
}

#[tokio::test]
async fn a_payment_for_a_booking_that_does_not_exist_is_refunded() {
    let desk = Desk::open().await;
    let amount = shared::domain::money::Money::price(4_200, "EUR").unwrap();
    let stray = desk
        .stripe
        .create_deposit(
            BookingId::generate(),
            amount,
            &uuid::Uuid::new_v4().to_string(),
        )
        .await
        .expect("an intent");
    let (status, body) = pay_intent(
        &desk.settings.api_base,
        "sk_test_local",
        stray.id.as_str(),
        "pm_card_visa",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let event = desk.succeeded_event(stray.id.as_str()).await;
    let reply = desk.webhook(&event, desk.secret(), Utc::now()).await;

    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let refunds = desk.refunds_at_stripe(stray.id.as_str()).await;
    assert_eq!(refunds.iter().map(|r| r.1).collect::<Vec<_>>(), [4_200]);
}

/// A desk whose functions call a Stripe that is not there, and a client for the real one.
/// nextest runs each test in its own process, so only the calling test's gateway is affected.
async fn desk_with_stripe_down() -> (Desk, StripeClient) {
    let real = real_stripe_base();
    // Before the gateway reads its configuration, while nothing else reads the environment.
    unsafe {
        std::env::set_var("REAL_STRIPE_API_BASE", &real);
        std::env::set_var("STRIPE_API_BASE", "http://127.0.0.1:9");
    }
    let desk = Desk::open().await;
    (
        desk,
        StripeClient::new(real, "sk_test_local").expect("a client"),
    )
}

/// localstripe's URL, also once a test has pointed STRIPE_API_BASE elsewhere.
fn real_stripe_base() -> String {
    std::env::var("REAL_STRIPE_API_BASE")
        .or_else(|_| std::env::var("STRIPE_API_BASE"))
        .expect("STRIPE_API_BASE is set")
}

#[tokio::test]
async fn stripe_down_during_the_hold_charges_nothing_and_the_hold_expires() {
    let (desk, _) = desk_with_stripe_down().await;
    let key = uuid::Uuid::new_v4().to_string();

    let refused = desk.hold_with_key(24, 1, &key).await;

    refused.assert_problem(503);
    assert!(
        refused.body["type"]
            .as_str()
            .unwrap()
            .ends_with("payment-unavailable")
    );
    assert!(refused.header("retry-after").is_some(), "{refused:#?}");
    let id = refused.body["booking_id"]
        .as_str()
        .expect("the hold's id")
        .to_owned();
    let stored = desk.booking(&id).await;
    assert_eq!(stored.status.as_str(), "HELD");
    assert_eq!(stored.deposit_payment, None, "no payment was set up");
    // Retrying while Stripe is still down gets the same answer, and no second hold.
    let again = desk.hold_with_key(24, 1, &key).await;
    again.assert_problem(503);
    assert_eq!(again.body["booking_id"], json!(id));

    let held = json!({"id": id, "hold_expires_at": stored.hold_expires_at});
    assert!(desk.expire(&held, 11).await.is_empty());

    let expired = desk.booking(&id).await;
    assert_eq!(expired.status.as_str(), "EXPIRED");
    assert_eq!(expired.deposit_payment, None, "nothing was ever charged");
    assert!(!expired.payment_pending());
}

#[tokio::test]
async fn a_hold_retried_once_stripe_is_back_gets_its_payment_set_up() {
    let (desk, stripe) = desk_with_stripe_down().await;
    let refused = desk
        .hold_with_key(25, 1, &uuid::Uuid::new_v4().to_string())
        .await;
    refused.assert_problem(503);
    let id = refused.body["booking_id"].as_str().expect("the hold's id");

    // What booking-create does with the retry, now that Stripe answers.
    let (booking, checkout) =
        deposits::ask(&desk.store, &stripe, desk.booking(id).await, Utc::now())
            .await
            .expect("the payment is set up");

    let checkout = checkout.expect("something to pay");
    assert_eq!(
        checkout.amount.amount_minor,
        percent_of(NIGHTLY, DEPOSIT_PERCENT)
    );
    let record = booking.deposit_payment.expect("recorded on the booking");
    assert_eq!(record.intent_id, checkout.payment_intent_id);
    assert_eq!(desk.booking(id).await.deposit_payment, Some(record));
}

#[tokio::test]
async fn a_replayed_hold_returns_the_same_payment_and_no_second_intent() {
    let desk = Desk::open().await;
    let key = uuid::Uuid::new_v4().to_string();
    let first = desk.hold_with_key(25, 1, &key).await;
    assert_eq!(first.status, StatusCode::CREATED);

    let replay = desk.hold_with_key(25, 1, &key).await;

    assert_eq!(replay.status, StatusCode::CREATED, "{replay:#?}");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["checkout"], first.body["checkout"]);
    assert_eq!(replay.body["version"], first.body["version"]);
}

#[tokio::test]
async fn stripe_down_during_a_refund_leaves_it_due_and_reconciliation_makes_it_once() {
    let desk = Desk::open().await;
    let deposit = percent_of(NIGHTLY, DEPOSIT_PERCENT);
    let held = desk.hold(30, 1).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();
    desk.set_status(&desk.guest, id, "CANCELLED").await;

    let failed = desk.refund_consumer(id, &unreachable_stripe()).await;

    assert!(
        failed.is_err(),
        "the consumer reports the failure for a retry"
    );
    let due = desk.booking(id).await;
    assert_eq!(
        format!("{:?}", due.deposit_payment.as_ref().unwrap().status),
        "RefundDue"
    );
    assert!(desk.refunds_at_stripe(intent_of(&held)).await.is_empty());
    let pending = desk
        .store
        .payments_pending(Utc::now() + Duration::seconds(1), 100_000)
        .await
        .expect("the index answers");
    assert!(
        pending.iter().any(|b| b.id == due.id),
        "reconciliation finds it"
    );

    let repaired = deposits::reconcile_booking(&desk.store, &desk.stripe, &due, Utc::now())
        .await
        .expect("repaired");
    let again = deposits::reconcile_booking(&desk.store, &desk.stripe, &due, Utc::now())
        .await
        .expect("nothing left");

    assert_eq!(repaired, Some(Repair::Refunded));
    assert_eq!(again, None);
    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(refunds.iter().map(|r| r.1).collect::<Vec<_>>(), [deposit]);
    assert!(!desk.booking(id).await.payment_pending());
}

#[tokio::test]
async fn reconciliation_confirms_a_paid_hold_whose_webhook_was_lost() {
    let desk = Desk::open().await;
    let held = desk.hold(26, 1).await;
    let id = held["id"].as_str().unwrap();
    desk.pay(&held).await;
    let before = desk.booking(id).await;
    assert!(before.payment_pending());

    let repaired = deposits::reconcile_booking(&desk.store, &desk.stripe, &before, Utc::now())
        .await
        .expect("repaired");

    assert_eq!(repaired, Some(Repair::Confirmed));
    let after = desk.booking(id).await;
    assert_eq!(after.status.as_str(), "CONFIRMED");
    assert!(!after.payment_pending());
}

#[tokio::test]
async fn reconciliation_expires_a_hold_whose_timer_was_lost_and_voids_its_intent() {
    let desk = Desk::open().await;
    let held = desk.hold(27, 1).await;
    let id = held["id"].as_str().unwrap();
    let booking = desk.booking(id).await;

    let later = Utc::now() + Duration::minutes(20);
    let expired = deposits::reconcile_booking(&desk.store, &desk.stripe, &booking, later)
        .await
        .expect("repaired");
    let lapsed = desk.booking(id).await;
    let voided = deposits::reconcile_booking(&desk.store, &desk.stripe, &lapsed, later)
        .await
        .expect("repaired");

    assert_eq!(expired, Some(Repair::Expired));
    assert_eq!(voided, Some(Repair::Voided));
    assert_eq!(desk.booking(id).await.status.as_str(), "EXPIRED");
    assert_eq!(desk.intent_status(intent_of(&held)).await, "Canceled");
}

#[tokio::test]
async fn a_webhook_as_localstripe_signs_and_sends_it_confirms_the_hold() {
    let desk = Desk::open().await;
    // localstripe sends every event to every registered URL: ours is a receiver that hands our
    // own intent's delivery, byte for byte with its signature, to the webhook endpoint.
    let (url, mut deliveries) = api_tests::webhook_receiver().await;
    let stripe_base = &desk.settings.api_base;
    let id = "api-tests-payments";
    let events = ["payment_intent.succeeded"];
    api_tests::localstripe_webhook(stripe_base, id, &url, desk.secret(), &events).await;
    let held = desk.hold(28, 1).await;
    let id = held["id"].as_str().unwrap();

    desk.pay(&held).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let (signature, body) = loop {
        let (signature, body) = tokio::time::timeout_at(deadline, deliveries.recv())
            .await
            .expect("no webhook for our intent within 15 s")
            .expect("the receiver runs");
        if String::from_utf8_lossy(&body).contains(intent_of(&held)) {
            break (signature, body);
        }
    };
    let reply = desk.webhook_raw(&body, Some(&signature)).await;

    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    assert_eq!(desk.booking(id).await.status.as_str(), "CONFIRMED");
    api_tests::localstripe_webhook(stripe_base, id, &url, desk.secret(), &[]).await;
}

/// A HELD booking whose deposit intent was set up (with a Stripe that answers) while the desk's
/// own functions see Stripe down.
async fn held_with_intent(desk: &Desk, stripe: &StripeClient, days: i64) -> (Value, Booking) {
    let refused = desk
        .hold_with_key(days, 1, &uuid::Uuid::new_v4().to_string())
        .await;
    refused.assert_problem(503);
    let id = refused.body["booking_id"].as_str().expect("the hold's id");
    let (booking, checkout) =
        deposits::ask(&desk.store, stripe, desk.booking(id).await, Utc::now())
            .await
            .expect("the payment is set up");
    let held = json!({
        "id": id,
        "hold_expires_at": booking.hold_expires_at,
        "checkout": checkout.expect("something to pay"),
    });
    (held, booking)
}

#[tokio::test]
async fn a_webhook_that_finds_stripe_down_is_refused_for_a_retry_that_then_confirms() {
    let (desk, stripe) = desk_with_stripe_down().await;
    let (held, before) = held_with_intent(&desk, &stripe, 29).await;
    let (status, body) = pay_intent(
        &real_stripe_base(),
        "sk_test_local",
        intent_of(&held),
        "pm_card_visa",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = {
        let intent = stripe
            .intent(&IntentId::parse(intent_of(&held)).unwrap())
            .await
            .expect("Stripe answers");
        assert_eq!(format!("{:?}", intent.status), "Succeeded");
        serde_json::to_vec(&json!({
            "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": Utc::now().timestamp(),
            "data": {"object": {"id": intent_of(&held), "object": "payment_intent",
                "amount": 2_580, "currency": "eur", "status": "succeeded",
                "metadata": {"booking_id": held["id"]}}},
        }))
        .unwrap()
    };

    let refused = desk.webhook(&event, desk.secret(), Utc::now()).await;

    refused.assert_problem(503);
    assert!(refused.header("retry-after").is_some(), "{refused:#?}");
    let id = held["id"].as_str().unwrap();
    assert_eq!(
        desk.booking(id).await.version,
        before.version,
        "nothing changed"
    );
    // Stripe delivers it again once we are back: the first attempt left no claim behind.
    unsafe { std::env::set_var("STRIPE_API_BASE", real_stripe_base()) };
    let recovered = Api::start().await;
    let header = webhook::sign(&event, desk.secret(), Utc::now().timestamp());
    let retried = reqwest::Client::new()
        .post(format!("{}/payment/webhook", recovered.base))
        .header("stripe-signature", header)
        .body(event.clone())
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(desk.booking(id).await.status.as_str(), "CONFIRMED");
}

#[tokio::test]
async fn hold_expiry_waits_for_a_stripe_that_is_down_then_lets_the_hold_lapse() {
    let (desk, stripe) = desk_with_stripe_down().await;
    let (held, _) = held_with_intent(&desk, &stripe, 30).await;
    let id = held["id"].as_str().unwrap();

    let in_grace = desk.expire(&held, 11).await;
    let still_held = desk.booking(id).await.status;
    let past_grace = desk
        .expire(&held, 10 + 1 + deposits::PAYMENT_GRACE_SECONDS / 60)
        .await;

    assert_eq!(
        in_grace,
        ["m-1"],
        "retried while Stripe may still say it was paid"
    );
    assert_eq!(still_held.as_str(), "HELD");
    assert!(past_grace.is_empty(), "{past_grace:?}");
    assert_eq!(desk.booking(id).await.status.as_str(), "EXPIRED");
}

#[tokio::test]
async fn a_deposit_stripe_refuses_releases_the_hold_at_once() {
    let desk = Desk::open().await;
    // Icelandic krónur have no decimals to ISO but two to Stripe: a type saved today cannot
    // take a deposit in them, so this one was saved before that rule (written to the table
    // directly), and the adapter refuses the amount it would misread.
    let hotel = desk
        .api
        .vendor_with(
            "hotel",
            json!({"currency": "ISK", "time_zone": "Atlantic/Reykjavik"}),
        )
        .await;
    let mut room = resource_body("Double", 2, 1, 20_000);
    room["base_price"] = json!({"amount_minor": 20_000, "currency": "ISK"});
    room.as_object_mut().unwrap().remove("deposit");
    let room = desk.api.resource(&hotel, &room).await;
    let vendor_id = VendorId::parse(hotel.vendor()).unwrap();
    let mut saved = desk
        .store
        .resource(vendor_id, ResourceId::parse(&room).unwrap())
        .await
        .expect("DynamoDB answers")
        .expect("the room type");
    saved.deposit = DepositPolicy::Percent {
        percent: Percent::new(20).unwrap(),
    };
    desk.store
        .update_resource(
            &Resource {
                version: saved.version + 1,
                ..saved.clone()
            },
            saved.version,
        )
        .await
        .expect("written");
    let check_in = Utc::now().date_naive() + Duration::days(30);

    let body = stay(&room, check_in, 1);
    let key = || uuid::Uuid::new_v4().to_string();

    let refused = desk.hold_at(hotel.vendor(), &body, &key()).await;

    refused.assert_problem(502);
    assert!(
        refused.body["type"]
            .as_str()
            .unwrap()
            .ends_with("payment-refused")
    );
    let id = refused.body["booking_id"].as_str().expect("the hold's id");
    assert_eq!(desk.booking(id).await.status.as_str(), "CANCELLED");
    // Its only unit is free again at once.
    let again = desk.hold_at(hotel.vendor(), &body, &key()).await;
    again.assert_problem(502);
}

/// `percent` of `amount` in a three-decimal currency, half up to whole hundredths (tens of
/// minor units), as the README states it; written out independently of the code.
fn percent_in_hundredths(amount: i64, percent: i64) -> i64 {
    (amount * percent + 500) / 1_000 * 10
}

#[tokio::test]
async fn a_kuwaiti_dinar_percentage_deposit_is_held_paid_and_partly_refunded() {
    let desk = Desk::open().await;
    let hotel = desk
        .api
        .vendor_with(
            "hotel",
            json!({"currency": "KWD", "time_zone": "Asia/Kuwait"}),
        )
        .await;
    let price = 12_345;
    let mut room = resource_body("Double", 2, 1, price);
    room["base_price"] = json!({"amount_minor": price, "currency": "KWD"});
    room["deposit"] = json!({"kind": "percent", "percent": DEPOSIT_PERCENT});
    room["cancellation"] = json!({
        "free_until_hours": FREE_UNTIL_HOURS,
        "late_fee": {"kind": "percent", "percent": LATE_FEE_PERCENT},
    });
    let room = desk.api.resource(&hotel, &room).await;
    // 20% of 12.345 KWD is 2.469, which Stripe cannot charge: 2.470 is. The fee, 10%, is
    // 1.2345: 1.230 is kept and 1.240 goes back.
    let deposit = percent_in_hundredths(price, DEPOSIT_PERCENT);
    let fee = percent_in_hundredths(price, LATE_FEE_PERCENT);
    assert_eq!((deposit, fee), (2_470, 1_230));
    let check_in = Utc::now().date_naive() + Duration::days(1);

    let held = desk
        .hold_at(
            hotel.vendor(),
            &stay(&room, check_in, 1),
            &uuid::Uuid::new_v4().to_string(),
        )
        .await;

    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let held = held.body;
    assert_eq!(
        held["checkout"]["amount"],
        json!({"amount_minor": deposit, "currency": "KWD"})
    );
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();
    assert_eq!(desk.booking(id).await.status.as_str(), "CONFIRMED");
    let cancelled = desk.set_status(&desk.guest, id, "CANCELLED").await;
    assert_eq!(cancelled.body["deposit_payment"]["status"], "REFUND_DUE");
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");

    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(
        refunds.iter().map(|r| r.1).collect::<Vec<_>>(),
        [deposit - fee]
    );
    let record = desk.booking(id).await.deposit_payment.unwrap();
    assert_eq!(format!("{:?}", record.status), "Refunded");
    let settlement = record.settlement.unwrap();
    assert_eq!(settlement.kept.amount_minor, fee);
    assert_eq!(record.refund.unwrap().amount.amount_minor, deposit - fee);
}

#[tokio::test]
async fn a_payment_webhook_for_an_archived_booking_refunds_nothing_more() {
    let desk = Desk::open().await;
    let sdk = shared::aws::sdk_config().await;
    let archiver = Archiver {
        index: DynamoArchive::from_env(&desk.store).expect("BOOKING_ARCHIVE_TABLE is set"),
        records: S3Records::from_env(&sdk).expect("ARCHIVE_BUCKET is set"),
        store: desk.store.clone(),
        policy: ArchivePolicy {
            after: Duration::days(180),
            batch: 500,
        },
    };
    // Cancelled late: the fee is kept and the rest refunded, then the booking is archived.
    let total = NIGHTLY;
    let deposit = percent_of(total, DEPOSIT_PERCENT);
    let fee = percent_of(total, LATE_FEE_PERCENT);
    let held = desk.hold(1, 1).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();
    desk.set_status(&desk.guest, id, "CANCELLED").await;
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");
    let booking_id = BookingId::parse(id).unwrap();
    let archived = archiver
        .archive_by_id(booking_id, Utc::now() + Duration::days(181))
        .await
        .expect("archived");
    assert!(matches!(archived, Archived::Moved), "{archived:?}");

    // Stripe sends the payment's event again (its retries run for days).
    let reply = desk.paid_webhook(&held).await;

    assert_eq!(reply.body, json!({"received": true, "duplicate": false}));
    let refunds = desk.refunds_at_stripe(intent_of(&held)).await;
    assert_eq!(
        refunds.iter().map(|r| r.1).collect::<Vec<_>>(),
        [deposit - fee]
    );
    assert!(
        desk.store.booking(booking_id).await.unwrap().is_none(),
        "not brought back"
    );
    assert!(archiver.index.archived(booking_id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_refund_event_is_checked_with_stripe_not_trusted() {
    let desk = Desk::open().await;
    let held = desk.hold(30, 1).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();
    desk.set_status(&desk.guest, id, "CANCELLED").await;
    desk.refund_consumer(id, &desk.stripe)
        .await
        .expect("refunded");
    let refund = desk
        .booking(id)
        .await
        .deposit_payment
        .unwrap()
        .refund
        .unwrap();
    // An event claiming the refund failed; localstripe, asked, says it succeeded.
    let event = |kind: &str, refund_id: &str| {
        serde_json::to_vec(&json!({
            "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "object": "event",
            "type": kind,
            "created": Utc::now().timestamp(),
            "data": {"object": {"id": refund_id, "object": "refund",
                "amount": refund.amount.amount_minor, "currency": "eur", "status": "failed",
                "failure_reason": "expired_or_canceled_card",
                "payment_intent": intent_of(&held), "metadata": {"booking_id": id}}},
        }))
        .unwrap()
    };

    let updated = desk
        .webhook(
            &event("charge.refund.updated", refund.refund_id.as_str()),
            desk.secret(),
            Utc::now(),
        )
        .await;
    let unknown = desk
        .webhook(
            &event("refund.failed", "re_NotAtStripe"),
            desk.secret(),
            Utc::now(),
        )
        .await;

    assert_eq!(updated.status, StatusCode::OK, "{updated:#?}");
    assert_eq!(unknown.status, StatusCode::OK, "{unknown:#?}");
    let record = desk.booking(id).await.deposit_payment.unwrap();
    assert_eq!(format!("{:?}", record.status), "Refunded");
    assert_eq!(record.refund.unwrap().failure_reason, None);
    assert_eq!(desk.refunds_at_stripe(intent_of(&held)).await.len(), 1);
}

#[tokio::test]
async fn a_refund_reconciliation_failed_on_is_left_to_reconciliation() {
    let desk = Desk::open().await;
    let held = desk.hold(30, 1).await;
    desk.pay(&held).await;
    desk.paid_webhook(&held).await;
    let id = held["id"].as_str().unwrap();
    desk.set_status(&desk.guest, id, "CANCELLED").await;
    // What a failed reconciliation pass leaves: the booking set aside, its failure counted.
    shared::engine::amend(&desk.store, booking_id(id), Utc::now(), |b| {
        if let Some(deposit) = &mut b.deposit_payment {
            deposit.reconcile_failures += 1;
        }
        true
    })
    .await
    .expect("amended");

    // The fact of that version reaches the consumer while Stripe is still down: not a failure.
    let skipped = desk.refund_consumer(id, &unreachable_stripe()).await;
    let due = desk.booking(id).await;
    let repaired = deposits::reconcile_booking(&desk.store, &desk.stripe, &due, Utc::now())
        .await
        .expect("repaired");

    assert!(skipped.is_ok(), "{skipped:?}");
    assert_eq!(
        format!("{:?}", due.deposit_payment.unwrap().status),
        "RefundDue"
    );
    assert_eq!(repaired, Some(Repair::Refunded));
    assert_eq!(desk.refunds_at_stripe(intent_of(&held)).await.len(), 1);
}
