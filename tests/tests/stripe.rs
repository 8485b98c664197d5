//! The Stripe adapter against localstripe (started by `tests/run.sh`): what the hold, refund and
//! webhook flows rely on. Where localstripe differs from Stripe, the test says so in a printed
//! note (`cargo nextest run --no-capture` shows it) instead of pretending otherwise.
use reqwest::StatusCode;
use serde_json::Value;
use shared::domain::ids::BookingId;
use shared::domain::money::Money;
use shared::payments::webhook::{self, EventObject, WebhookError};
use shared::payments::{
    Intent, IntentStatus, PaymentError, PaymentGateway, RefundStatus, StripeClient,
};
use std::time::Duration;

fn api_base() -> String {
    std::env::var("STRIPE_API_BASE").expect(
        "STRIPE_API_BASE is not set: run the tests with tests/run.sh, which starts localstripe",
    )
}

/// localstripe takes any key that starts with `sk_` and is longer than five characters.
fn secret_key() -> String {
    let key = std::env::var("STRIPE_SECRET_KEY").unwrap_or_else(|_| "sk_test_local".into());
    assert!(
        key.starts_with("sk_test_"),
        "these tests create and pay intents: use a test-mode key"
    );
    key
}

fn stripe() -> StripeClient {
    StripeClient::new(api_base(), secret_key()).unwrap()
}

fn key(purpose: &str) -> String {
    format!("{purpose}-{}", uuid::Uuid::new_v4().simple())
}

fn eur(amount_minor: i64) -> Money {
    Money::price(amount_minor, "EUR").unwrap()
}

async fn deposit(amount: Money) -> Intent {
    stripe()
        .create_deposit(BookingId::generate(), amount, &key("deposit"))
        .await
        .unwrap()
}

async fn pay(intent: &Intent, payment_method: &str) -> (StatusCode, Value) {
    api_tests::pay_intent(
        &api_base(),
        &secret_key(),
        intent.id.as_str(),
        payment_method,
    )
    .await
}

async fn paid_deposit(amount: Money) -> Intent {
    let intent = deposit(amount).await;
    let (status, body) = pay(&intent, "pm_card_visa").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    intent
}

#[tokio::test]
async fn a_deposit_intent_carries_its_amount_currency_booking_and_a_client_secret() {
    let booking = BookingId::generate();

    let intent = stripe()
        .create_deposit(booking, eur(12_900), &key("deposit"))
        .await
        .unwrap();

    assert!(intent.id.as_str().starts_with("pi_"));
    assert_eq!(intent.status, IntentStatus::RequiresPaymentMethod);
    assert_eq!(intent.amount, eur(12_900));
    assert_eq!(intent.amount_received, 0);
    assert_eq!(intent.booking_id, Some(booking));
    let secret = intent.client_secret.as_deref().expect("a client secret");
    assert!(secret.starts_with(&format!("{}_secret_", intent.id)));
    assert!(!format!("{intent:?}").contains(secret));
}

#[tokio::test]
async fn a_zero_decimal_deposit_is_charged_in_whole_yen() {
    let yen = Money::price(5_000, "JPY").unwrap();
    assert_eq!(deposit(yen).await.amount, yen);
}

#[tokio::test]
async fn retrying_with_the_same_idempotency_key_returns_the_same_intent() {
    let stripe = stripe();
    let booking = BookingId::generate();
    let retried_key = key("deposit");

    let first = stripe
        .create_deposit(booking, eur(2_500), &retried_key)
        .await
        .unwrap();
    let retry = stripe
        .create_deposit(booking, eur(2_500), &retried_key)
        .await
        .unwrap();

    if retry.id == first.id {
        assert_eq!(retry, first);
    } else {
        // Stripe answers a retry with the first answer. localstripe ignores Idempotency-Key.
        println!(
            "NOTE: localstripe ignores Idempotency-Key: the retry created {} besides {}; \
             Stripe would have answered with {} again",
            retry.id, first.id, first.id
        );
        assert_eq!(
            (retry.amount, retry.booking_id),
            (first.amount, first.booking_id)
        );
    }
}

#[tokio::test]
async fn a_paid_deposit_reads_back_as_succeeded() {
    let intent = paid_deposit(eur(12_900)).await;

    let read = stripe().intent(&intent.id).await.unwrap();

    assert_eq!(read.status, IntentStatus::Succeeded);
    assert_eq!(read.amount_received, 12_900);
    assert_eq!(read.booking_id, intent.booking_id);
}

#[tokio::test]
async fn a_paid_deposit_is_refunded_in_parts_up_to_what_was_paid() {
    let stripe = stripe();
    let intent = paid_deposit(eur(12_900)).await;

    let part = stripe
        .refund(&intent.id, eur(4_000), &key("refund"))
        .await
        .unwrap();
    let rest = stripe
        .refund(&intent.id, eur(8_900), &key("refund"))
        .await
        .unwrap();

    assert_eq!(
        (part.status, part.amount),
        (RefundStatus::Succeeded, eur(4_000))
    );
    assert_eq!(
        (rest.status, rest.amount),
        (RefundStatus::Succeeded, eur(8_900))
    );
    assert_ne!(part.id, rest.id);
    // What is left to refund is Stripe's to enforce (the adapter cannot know it without breaking
    // retries of a refund that went through).
    match stripe.refund(&intent.id, eur(1), &key("refund")).await {
        Err(PaymentError::Rejected { status: 400, .. }) => {}
        Ok(refund) => println!(
            "NOTE: localstripe refunded {} more than was left on {} ({}); Stripe answers 400",
            refund.amount.amount_minor, intent.id, refund.id
        ),
        Err(other) => panic!("a refund beyond what is left is a rejection, not {other:?}"),
    }
}

#[tokio::test]
async fn refunding_more_than_was_paid_or_in_another_currency_is_refused() {
    let stripe = stripe();
    let intent = paid_deposit(eur(12_900)).await;

    let too_much = stripe.refund(&intent.id, eur(12_901), &key("refund")).await;
    let other_currency = stripe
        .refund(
            &intent.id,
            Money::price(100, "USD").unwrap(),
            &key("refund"),
        )
        .await;

    assert!(
        matches!(too_much, Err(PaymentError::Invalid(_))),
        "{too_much:?}"
    );
    assert!(
        matches!(other_currency, Err(PaymentError::Invalid(_))),
        "{other_currency:?}"
    );
}

#[tokio::test]
async fn an_unpaid_deposit_is_cancelled_and_cancelling_it_again_is_ok() {
    let stripe = stripe();
    let intent = deposit(eur(3_000)).await;

    let cancelled = stripe.cancel(&intent.id, &key("cancel")).await.unwrap();
    // Another key: Stripe (and localstripe) answer 400, the adapter reads the intent instead.
    let again = stripe.cancel(&intent.id, &key("cancel")).await.unwrap();

    assert_eq!(cancelled.status, IntentStatus::Canceled);
    assert_eq!(again.status, IntentStatus::Canceled);
    assert_eq!(
        stripe.intent(&intent.id).await.unwrap().status,
        IntentStatus::Canceled
    );
}

#[tokio::test]
async fn cancelling_a_paid_deposit_is_rejected() {
    let intent = paid_deposit(eur(3_000)).await;

    let refused = stripe().cancel(&intent.id, &key("cancel")).await;

    assert!(
        matches!(refused, Err(PaymentError::Rejected { status: 400, .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_declined_card_leaves_the_deposit_unpaid() {
    let stripe = stripe();
    let intent = deposit(eur(12_900)).await;

    // Stripe's test card that attaches but fails to charge. (localstripe does not know
    // pm_card_chargeDeclined, and lets pm_card_visa_chargeDeclined pay.)
    let (status, body) = pay(&intent, "pm_card_chargeCustomerFail").await;

    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(body["error"]["code"], "card_declined", "{body}");
    let read = stripe.intent(&intent.id).await.unwrap();
    assert_eq!(read.status, IntentStatus::RequiresPaymentMethod);
    assert_eq!(read.amount_received, 0);
    let refund = stripe.refund(&intent.id, eur(100), &key("refund")).await;
    assert!(
        matches!(refund, Err(PaymentError::Invalid(_))),
        "nothing was paid, so nothing is refunded: {refund:?}"
    );
}

#[tokio::test]
async fn an_unknown_intent_is_a_rejection_not_an_outage() {
    let missing = shared::payments::IntentId::parse("pi_doesnotexist0000").unwrap();

    let read = stripe().intent(&missing).await;

    assert!(
        matches!(read, Err(PaymentError::Rejected { status: 404, .. })),
        "{read:?}"
    );
}

#[tokio::test]
async fn a_key_that_is_not_a_secret_key_is_rejected() {
    let stripe = StripeClient::new(api_base(), "pk_test_publishable").unwrap();

    let refused = stripe
        .create_deposit(BookingId::generate(), eur(1_000), &key("deposit"))
        .await;

    assert!(
        matches!(refused, Err(PaymentError::Rejected { status: 401, .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable_and_worth_retrying() {
    let stripe = StripeClient::new("http://127.0.0.1:9", secret_key()).unwrap();

    let outcome = stripe
        .create_deposit(BookingId::generate(), eur(1_000), &key("deposit"))
        .await;

    match outcome {
        Err(error @ PaymentError::Unavailable(_)) => assert!(error.is_retryable()),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn localstripe_webhooks_pass_our_signature_check() {
    let (url, mut deliveries) = api_tests::webhook_receiver().await;
    let secret = format!("whsec_{}", uuid::Uuid::new_v4().simple());
    api_tests::localstripe_webhook(
        &api_base(),
        "api-tests-stripe",
        &url,
        &secret,
        &["payment_intent.succeeded"],
    )
    .await;

    let intent = paid_deposit(eur(7_500)).await;

    // Other tests pay intents too: wait for ours (localstripe sends about a second later).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (header, body, event) = loop {
        let (header, body) = tokio::time::timeout_at(deadline, deliveries.recv())
            .await
            .expect("no webhook for our intent within 15 s")
            .expect("receiver stopped");
        let event = webhook::verify(
            &body,
            &header,
            std::slice::from_ref(&secret),
            chrono::Utc::now(),
            webhook::DEFAULT_TOLERANCE,
        )
        .unwrap_or_else(|e| panic!("a localstripe webhook failed verification: {e}"));
        if matches!(&event.object, EventObject::PaymentIntent(paid) if paid.id == intent.id) {
            break (header, body, event);
        }
    };

    assert_eq!(event.kind, "payment_intent.succeeded");
    assert!(event.id.starts_with("evt_"));
    let EventObject::PaymentIntent(paid) = &event.object else {
        unreachable!()
    };
    assert_eq!(paid.status, IntentStatus::Succeeded);
    assert_eq!(paid.booking_id, intent.booking_id);
    assert_eq!(paid.amount, eur(7_500));
    let wrong_secret = vec!["whsec_not_ours".to_owned()];
    assert_eq!(
        webhook::verify(
            &body,
            &header,
            &wrong_secret,
            chrono::Utc::now(),
            webhook::DEFAULT_TOLERANCE
        ),
        Err(WebhookError::NoMatchingSignature)
    );
    api_tests::localstripe_webhook(&api_base(), "api-tests-stripe", &url, &secret, &[]).await;
}
