//! Deposit and cancellation terms: copied from the room type onto each booking when it is held,
//! so a later policy edit changes no booking already made; a type without a deposit confirms its
//! bookings at once.
use api_tests::{Account, Api, resource_body};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Holds one night `days` from today for two guests; the reply's body.
async fn hold(api: &Api, guest: &Account, vendor: &str, room: &str, days: i64) -> Value {
    let check_in = Utc::now().date_naive() + Duration::days(days);
    let body = json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": check_in.to_string(),
        "check_out": (check_in + Duration::days(1)).to_string(),
    });
    let reply = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{vendor}"),
            guest.token(),
            Some(&body),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    reply.body
}

#[tokio::test]
async fn a_room_type_without_a_deposit_confirms_its_bookings_at_once() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let mut body = resource_body("Double", 2, 3, 12_900);
    body.as_object_mut().unwrap().remove("deposit");
    let room = api.resource(&manager, &body).await;
    let guest = api.guest().await;

    let booking = hold(&api, &guest, manager.vendor(), &room, 30).await;

    assert_eq!(booking["status"], "CONFIRMED", "{booking:#}");
    assert_eq!(booking.get("hold_expires_at"), None, "{booking:#}");
    assert_eq!(booking["payment"]["deposit"], Value::Null);
}

#[tokio::test]
async fn a_hold_keeps_the_terms_of_the_day_it_was_made() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let mut body = resource_body("Double", 2, 3, 12_900);
    body["deposit"] = json!({"kind": "percent", "percent": 30});
    body["cancellation"] = json!({
        "free_until_hours": 48,
        "late_fee": {"kind": "percent", "percent": 50}
    });
    let room = api.resource(&manager, &body).await;
    let guest = api.guest().await;

    let booking = hold(&api, &guest, manager.vendor(), &room, 30).await;

    assert_eq!(booking["status"], "HELD", "{booking:#}");
    let total = booking["quote"]["total"]["amount_minor"]
        .as_i64()
        .expect("a quoted total");
    // 30 % of the price, rounded half up to a cent.
    assert_eq!(
        booking["payment"]["deposit"],
        json!({"amount_minor": (total * 30 + 50) / 100, "currency": "EUR"})
    );
    assert_eq!(
        booking["payment"]["cancellation"],
        json!({"free_until_hours": 48, "late_fee": {"kind": "percent", "percent": 50}})
    );

    // The manager drops the deposit and makes cancelling free: the booking keeps its terms.
    let edited = api
        .put(
            &format!("/vendor/{}/resource/{room}", manager.vendor()),
            manager.token(),
            &json!({"deposit": {"kind": "none"}, "cancellation": {"free_until_hours": 0}}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    let id = booking["id"].as_str().expect("a booking id");
    let read = api.get(&format!("/booking/{id}"), guest.token()).await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    assert_eq!(read.body["payment"], booking["payment"]);
    // New bookings follow the new policy.
    let next = hold(&api, &guest, manager.vendor(), &room, 31).await;
    assert_eq!(next["status"], "CONFIRMED", "{next:#}");
}

#[tokio::test]
async fn a_deposit_in_a_currency_stripe_cannot_charge_is_refused_by_field() {
    let api = Api::start().await;
    // Malagasy ariary: ISO counts it in hundredths, Stripe in whole ariary.
    let manager = api
        .vendor_with(
            "hotel",
            json!({"currency": "MGA", "time_zone": "Indian/Antananarivo"}),
        )
        .await;
    let mut body = resource_body("Double", 2, 3, 1_290_000);
    body["base_price"] = json!({"amount_minor": 1_290_000, "currency": "MGA"});

    let refused = api
        .post(
            &format!("/vendor/{}/resource", manager.vendor()),
            manager.token(),
            &body,
        )
        .await;
    body.as_object_mut().unwrap().remove("deposit");
    let without_deposit = api
        .post(
            &format!("/vendor/{}/resource", manager.vendor()),
            manager.token(),
            &body,
        )
        .await;

    refused.assert_problem(422);
    assert_eq!(refused.pointers(), ["/deposit"], "{refused:#?}");
    assert_eq!(
        without_deposit.status,
        StatusCode::CREATED,
        "{without_deposit:#?}"
    );
}

/// A type is saved only with charges a card payment can move: fixed amounts in whole payment
/// steps (the last digit 0 in the three-decimal currencies) and a deposit no smaller than
/// Stripe's minimum charge on the cheapest booking the type can have.
#[tokio::test]
async fn deposits_and_fees_stripe_cannot_charge_are_refused_when_the_type_is_saved() {
    let api = Api::start().await;
    let kuwait = api
        .vendor_with(
            "hotel",
            json!({"currency": "KWD", "time_zone": "Asia/Kuwait"}),
        )
        .await;
    let berlin = api.vendor("hotel").await;
    let kwd_room = |changes: Value| {
        let mut body = resource_body("Double", 2, 3, 12_345);
        body["base_price"] = json!({"amount_minor": 12_345, "currency": "KWD"});
        for (key, value) in changes.as_object().expect("an object") {
            body[key] = value.clone();
        }
        body
    };
    let kwd = |minor: i64| json!({"amount_minor": minor, "currency": "KWD"});
    let cases = [
        (
            &kuwait,
            kwd_room(json!({"deposit": {"kind": "fixed", "amount": kwd(5_005)}})),
            vec!["/deposit/amount/amount_minor"],
        ),
        (
            &kuwait,
            kwd_room(json!({"cancellation": {"free_until_hours": 24,
                "late_fee": {"kind": "fixed", "amount": kwd(1_001)}}})),
            vec!["/cancellation/late_fee/amount/amount_minor"],
        ),
        // 20% of the cheapest night, 0.500 KWD, is 0.100: below the 0.200 floor.
        (
            &kuwait,
            kwd_room(json!({"base_price": kwd(12_000), "price_rules": [
                {"from": "2027-01-01", "to": "2027-01-31", "amount_minor": 500}]})),
            vec!["/deposit"],
        ),
        // 20% of 1.00 EUR is 0.20, below Stripe's 0.50.
        (
            &berlin,
            resource_body("Box room", 1, 1, 100),
            vec!["/deposit"],
        ),
        (
            &berlin,
            {
                let mut body = resource_body("Box room", 1, 1, 9_900);
                body["deposit"] = json!({"kind": "fixed",
                    "amount": {"amount_minor": 49, "currency": "EUR"}});
                body
            },
            vec!["/deposit"],
        ),
    ];

    for (manager, body, expected) in cases {
        let path = format!("/vendor/{}/resource", manager.vendor());
        let reply = api.post(&path, manager.token(), &body).await;

        reply.assert_problem(422);
        assert_eq!(reply.pointers(), expected, "{body}: {reply:#?}");
    }

    // A price cut that would take the deposit below the minimum is refused too.
    let room = api
        .resource(&berlin, &resource_body("Double", 2, 3, 12_900))
        .await;
    let cut = api
        .put(
            &format!("/vendor/{}/resource/{room}", berlin.vendor()),
            berlin.token(),
            &json!({"base_price": {"amount_minor": 200, "currency": "EUR"}}),
        )
        .await;
    cut.assert_problem(422);
    assert_eq!(cut.pointers(), ["/deposit"], "{cut:#?}");
    // Whole hundredths, and a free night (no deposit at all), are fine.
    let fine = kwd_room(json!({"deposit": {"kind": "fixed", "amount": kwd(5_000)},
        "price_rules": [{"from": "2027-01-01", "to": "2027-01-02", "amount_minor": 0}]}));
    api.resource(&kuwait, &fine).await;
}
