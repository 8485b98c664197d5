//! Business time moved forward through the local gateway (`/_local/clock`): what a day later
//! means for a hold (its expiry message now finds it due, and its room is free again) and for a
//! token (expired; signing in again works). The offset is absolute and never negative.
use api_tests::{Account, Api, Reply, resource_body, sqs_event};
use chrono::{Duration, Utc};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::store::DynamoStore;

async fn hold(api: &Api, guest: &Account, vendor: &str, body: &Value) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    api.send_with(
        Method::POST,
        &format!("/booking/vendor/{vendor}"),
        guest.token(),
        Some(body),
        &[("idempotency-key", &key)],
    )
    .await
}

/// Hands the hold-expiry consumer the hold's expiry message as SQS would deliver it; whether it
/// asks for the message again (not due yet).
async fn deliver_expiry(booking: &Value) -> bool {
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk).expect("the table names are set");
    let payments = shared::payments::StripeSettings::load(&sdk)
        .await
        .expect("the Stripe settings are provisioned")
        .client()
        .expect("a Stripe client");
    let body = json!({"booking_id": booking["id"], "expires_at": booking["hold_expires_at"]});
    let event = sqs_event(&[("expiry-1", body.to_string())]);
    let response = hold_expiry::handler(
        &store,
        &payments,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .expect("the hold-expiry handler answers");
    !response.batch_item_failures.is_empty()
}

#[tokio::test]
async fn a_day_later_the_hold_has_expired_its_room_is_free_and_old_tokens_are_refused() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let vendor = manager.vendor().to_owned();
    let room = api
        .resource(&manager, &resource_body("Only room", 2, 1, 12_000))
        .await;
    let guest = api.guest().await;
    let other = api.guest().await;
    // Far enough ahead that the stay is still bookable a day later.
    let check_in = Utc::now().date_naive() + Duration::days(10);
    let stay = json!({
        "resource_id": room, "party_size": 2,
        "check_in": check_in.to_string(), "check_out": (check_in + Duration::days(2)).to_string(),
    });
    let held = hold(&api, &guest, &vendor, &stay).await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let booking = held.body;
    let path = format!("/booking/{}", booking["id"].as_str().expect("a booking id"));
    hold(&api, &other, &vendor, &stay).await.assert_problem(409);
    assert!(
        deliver_expiry(&booking).await,
        "before the jump the hold is not due: its message must come back"
    );
    assert_eq!(api.get(&path, guest.token()).await.body["status"], "HELD");

    api.set_clock_offset(Duration::days(1)).await;

    let clock = api.get("/_local/clock", None).await;
    assert_eq!(clock.status, StatusCode::OK, "{clock:#?}");
    assert_eq!(clock.body["offset_seconds"], 86_400, "{clock:#?}");
    assert!(api.now().await >= Utc::now() + Duration::days(1) - Duration::seconds(1));
    assert!(
        !deliver_expiry(&booking).await,
        "a day later the same message finds the hold due"
    );
    api.get(&path, guest.token()).await.assert_problem(401);
    let token = api
        .login("/user/login", &guest.email, api_tests::PASSWORD)
        .await;
    let seen = api.get(&path, Some(&token)).await;
    assert_eq!(seen.status, StatusCode::OK, "{seen:#?}");
    assert_eq!(seen.body["status"], "EXPIRED", "{seen:#?}");
    let other_token = api
        .login("/user/login", &other.email, api_tests::PASSWORD)
        .await;
    let other = Account {
        token: other_token,
        ..other
    };
    let again = hold(&api, &other, &vendor, &stay).await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "the room is free again: {again:#?}"
    );
}

#[tokio::test]
async fn the_clock_never_runs_behind_the_real_time() {
    let api = Api::start().await;
    api.set_clock_offset(Duration::hours(2)).await;

    let backwards = api
        .post("/_local/clock", None, &json!({"offset_seconds": -60}))
        .await;

    backwards.assert_problem(422);
    assert_eq!(backwards.pointers(), ["/offset_seconds"], "{backwards:#?}");
    let clock = api.get("/_local/clock", None).await;
    assert_eq!(clock.body["offset_seconds"], 7_200, "unchanged: {clock:#?}");
    api.set_clock_offset(Duration::hours(1)).await;
    let clock = api.get("/_local/clock", None).await;
    assert_eq!(
        clock.body["offset_seconds"], 3_600,
        "absolute, not added: {clock:#?}"
    );
}
