//! The night audit end to end on the local stack: a confirmed guest who never came becomes a
//! no-show, a guest still in house on their departure day is flagged, the day closes once and a
//! re-run changes nothing; one vendor's failing run does not stop another's; each vendor's
//! schedule follows its zone and `night_audit_at`. Business time is moved with the local clock.
use api_tests::{Account, Api, Reply, merged, resource_body, sqs_event, zone_at_noon};
use aws_lambda_events::sqs::SqsBatchResponse;
use chrono::{Duration, NaiveDate};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::ids::VendorId;

/// A vendor of `kind` whose local time is `zone`'s, on a started API: what every test here
/// starts from.
async fn open(kind: &str, zone: &str) -> (Api, Account, String) {
    let api = Api::start().await;
    let manager = api.vendor_with(kind, json!({"time_zone": zone})).await;
    let vendor = manager.vendor().to_owned();
    (api, manager, vendor)
}

/// The guest's hold of `room` for `nights` from `from`, as the app places it.
async fn hold(
    api: &Api,
    guest: &Account,
    vendor: &str,
    room: &str,
    from: NaiveDate,
    nights: i64,
) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "resource_id": room, "party_size": 2,
        "check_in": from.to_string(), "check_out": (from + Duration::days(nights)).to_string(),
    });
    let held = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{vendor}"),
            guest.token(),
            Some(&body),
            &[("idempotency-key", &key)],
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    held
}

/// The night-audit Lambda's handler on `messages` (id, body), as its queue delivers them.
async fn run_night_audit(messages: &[(&str, String)]) -> SqsBatchResponse {
    let sdk = shared::aws::sdk_config().await;
    let store = shared::store::DynamoStore::from_env(&sdk).expect("the table names are set");
    let reports = shared::reports::DynamoReports::from_env(&sdk).expect("the reports table is set");
    let bus = shared::outbox::EventBridgeBus::from_env(&sdk).expect("the bus is set");
    night_audit::handler(
        &store,
        &reports,
        &bus,
        LambdaEvent::new(sqs_event(messages), Context::default()),
    )
    .await
    .expect("the night-audit handler answers")
}

/// A booking of a room without a deposit (confirmed at once): its id.
async fn book(
    api: &Api,
    guest: &Account,
    vendor: &str,
    room: &str,
    from: NaiveDate,
    nights: i64,
) -> String {
    let held = hold(api, guest, vendor, room, from, nights).await;
    assert_eq!(
        held.body["status"], "CONFIRMED",
        "no deposit: confirmed at once"
    );
    held.body["id"].as_str().expect("a booking id").to_owned()
}

/// Hands the notifier the night audit's DeparturesOverdue as the bus delivers it to its queue,
/// twice (a re-run publishes it again).
async fn tell_the_desk(vendor: &str, day: NaiveDate, booking: &str) {
    let sdk = shared::aws::sdk_config().await;
    let store = shared::store::DynamoStore::from_env(&sdk).expect("the table names are set");
    let notifier = notifier::Notifier::from_env(store, &sdk).expect("the notifier's settings");
    let inbox = shared::inbox::Inbox::from_env(&sdk).expect("the inbox's settings");
    let event = shared::night_audit::DeparturesOverdue::new(
        VendorId::parse(vendor).expect("a vendor id"),
        day,
        vec![shared::domain::ids::BookingId::parse(booking).expect("a booking id")],
    );
    let delivered = json!({
        "version": "0", "id": uuid::Uuid::new_v4(), "detail-type": "DeparturesOverdue",
        "source": "reservations.night-audit", "account": "000000000000",
        "time": chrono::Utc::now(), "region": "us-east-1", "resources": [], "detail": event,
    });
    for copy in ["first", "second"] {
        let batch = sqs_event(&[(copy, delivered.to_string())]);
        let response = notifier::handler(
            &inbox,
            &notifier,
            LambdaEvent::new(batch, Context::default()),
        )
        .await
        .expect("the notifier answers");
        assert!(
            response.batch_item_failures.is_empty(),
            "{copy}: {response:?}"
        );
    }
}

async fn audit(api: &Api, manager: &Account, day: NaiveDate) -> api_tests::Reply {
    api.post(
        &format!("/vendor/{}/night-audit", manager.vendor()),
        manager.token(),
        &json!({ "day": day.to_string() }),
    )
    .await
}

/// The manager signed in again (a moved clock expires the tokens issued before it).
async fn again_signed_in(api: &Api, account: &Account) -> Account {
    let token = api
        .login("/vendor/login", &account.email, api_tests::PASSWORD)
        .await;
    Account {
        token,
        ..account.clone()
    }
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list of ids")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_guest_who_never_came_is_a_no_show_a_guest_in_house_is_flagged_and_each_day_closes_once()
{
    let zone = zone_at_noon();
    let (api, manager, vendor) = open("hotel", zone).await;
    let room = api
        .resource(
            &manager,
            &merged(
                resource_body("Double", 2, 5, 10_000),
                &json!({"deposit": {"kind": "none"}}),
            ),
        )
        .await;
    let desk = api.staff_as(&manager, "desk").await;
    let today = api.today_in(zone).await;
    let missing = book(&api, &api.guest().await, &vendor, &room, today, 2).await;
    let staying = book(&api, &api.guest().await, &vendor, &room, today, 1).await;
    let checked_in = api
        .put(
            &format!("/booking/{staying}/status"),
            desk.token(),
            &json!({"status": "CHECKED_IN"}),
        )
        .await;
    assert_eq!(checked_in.status, StatusCode::OK, "{checked_in:#?}");

    let early = audit(&api, &manager, today).await;
    early.assert_problem(409);
    assert_eq!(
        early.body["type"], "https://reservations.example/problems/day-not-ended",
        "{early:#?}"
    );
    let as_desk = api
        .post(
            &format!("/vendor/{vendor}/night-audit"),
            desk.token(),
            &json!({"day": today.to_string()}),
        )
        .await;
    as_desk.assert_problem(403);

    // Two days on, noon again where the hotel is: today and tomorrow have ended, and the
    // missing guest's grace (the night after arrival) has passed.
    api.set_clock_offset(Duration::days(2)).await;
    let manager = again_signed_in(&api, &manager).await;

    let closed = audit(&api, &manager, today).await;

    assert_eq!(closed.status, StatusCode::OK, "{closed:#?}");
    assert_eq!(closed.body["day"], today.to_string());
    assert_eq!(
        ids(&closed.body["no_shows"]),
        std::slice::from_ref(&missing),
        "{closed:#?}"
    );
    assert_eq!(
        ids(&closed.body["overdue_departures"]),
        Vec::<String>::new(),
        "{closed:#?}"
    );
    assert_eq!(closed.body["closed"], "closed", "{closed:#?}");
    assert_eq!(closed.body["figures"]["capacity"], 5, "{closed:#?}");
    assert!(
        closed.body["figures"]["closed_at"].is_string(),
        "{closed:#?}"
    );
    let seen = api
        .get(&format!("/booking/{missing}"), manager.token())
        .await;
    assert_eq!(seen.body["status"], "NO_SHOW", "{seen:#?}");
    let kept = api
        .get(&format!("/booking/{staying}"), manager.token())
        .await;
    assert_eq!(kept.body["status"], "CHECKED_IN", "{kept:#?}");

    let departure_day = audit(&api, &manager, today + Duration::days(1)).await;

    assert_eq!(departure_day.status, StatusCode::OK, "{departure_day:#?}");
    assert_eq!(
        ids(&departure_day.body["overdue_departures"]),
        std::slice::from_ref(&staying),
        "{departure_day:#?}"
    );
    assert_eq!(ids(&departure_day.body["no_shows"]), Vec::<String>::new());
    assert_eq!(departure_day.body["closed"], "closed");
    tell_the_desk(manager.vendor(), today + Duration::days(1), &staying).await;
    let told: Vec<_> = api_tests::mailbox("frontdesk@example.com")
        .await
        .into_iter()
        .filter(|m| m.body.contains(&staying))
        .collect();
    assert_eq!(told.len(), 1, "the desk is told once: {told:#?}");
    assert!(
        told[0].subject.starts_with("Abreise überfällig: 1 Zimmer"),
        "{told:#?}"
    );

    let rerun = audit(&api, &manager, today).await;

    assert_eq!(rerun.status, StatusCode::OK, "{rerun:#?}");
    assert_eq!(
        ids(&rerun.body["no_shows"]),
        Vec::<String>::new(),
        "{rerun:#?}"
    );
    assert_eq!(rerun.body["closed"], "already_closed", "{rerun:#?}");
    assert_eq!(
        rerun.body["figures"], closed.body["figures"],
        "a closed day keeps its figures"
    );
    let still = api
        .get(&format!("/booking/{missing}"), manager.token())
        .await;
    assert_eq!(
        still.body["version"], seen.body["version"],
        "a re-run writes nothing: {still:#?}"
    );
}

#[tokio::test]
async fn one_vendors_failing_run_does_not_stop_another_from_closing() {
    let zone = zone_at_noon();
    let (api, manager, _) = open("restaurant", zone).await;
    let yesterday = api.today_in(zone).await - Duration::days(1);
    let gone = VendorId::generate();

    let response = run_night_audit(&[
        ("gone", json!({ "vendor_id": gone }).to_string()),
        (
            "open",
            json!({ "vendor_id": manager.vendor(), "day": yesterday }).to_string(),
        ),
    ])
    .await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        ["gone"],
        "only the vendor that does not exist comes back"
    );
    let rerun = audit(&api, &manager, yesterday).await;
    assert_eq!(rerun.status, StatusCode::OK, "{rerun:#?}");
    assert_eq!(
        rerun.body["closed"], "already_closed",
        "the other vendor's day was closed: {rerun:#?}"
    );
}

/// The vendor's schedule as LocalStack keeps it: (expression, zone, input).
async fn schedule(vendor: &str) -> (String, String, Value) {
    let sdk = shared::aws::sdk_config().await;
    let group =
        std::env::var("NIGHT_AUDIT_SCHEDULE_GROUP").expect("the night-audit group is provisioned");
    let found = aws_sdk_scheduler::Client::new(&sdk)
        .get_schedule()
        .group_name(group)
        .name(format!("night-audit-{vendor}"))
        .send()
        .await
        .expect("the vendor's schedule exists");
    let target = found.target().expect("a target");
    assert_eq!(
        Some(target.arn()),
        std::env::var("NIGHT_AUDIT_TARGET_ARN").ok().as_deref(),
        "it feeds the night-audit queue"
    );
    (
        found.schedule_expression().unwrap_or_default().to_owned(),
        found
            .schedule_expression_timezone()
            .unwrap_or_default()
            .to_owned(),
        serde_json::from_str(target.input().unwrap_or("null")).expect("a JSON input"),
    )
}

#[tokio::test]
async fn each_vendors_schedule_runs_at_its_audit_time_in_its_zone_and_moves_with_them() {
    let (api, manager, vendor) = open("hotel", "Asia/Tokyo").await;

    let (expression, zone, input) = schedule(&vendor).await;
    assert_eq!(expression, "cron(0 2 * * ? *)");
    assert_eq!(zone, "Asia/Tokyo");
    assert_eq!(input, json!({ "vendor_id": vendor }));

    let moved = api
        .put(
            &format!("/vendor/{vendor}"),
            manager.token(),
            &json!({"night_audit_at": "03:30"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(schedule(&vendor).await.0, "cron(30 3 * * ? *)");

    let rezoned = api
        .put(
            &format!("/vendor/{vendor}"),
            manager.token(),
            &json!({"time_zone": "America/Chicago"}),
        )
        .await;
    assert_eq!(rezoned.status, StatusCode::OK, "{rezoned:#?}");
    let (expression, zone, _) = schedule(&vendor).await;
    assert_eq!(
        (expression.as_str(), zone.as_str()),
        ("cron(30 3 * * ? *)", "America/Chicago")
    );
}

/// The night-audit message of `vendor` taken off its queue (others' are left for their readers).
async fn take_audit_message(vendor: &str) -> String {
    let sdk = shared::aws::sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue =
        std::env::var("NIGHT_AUDIT_QUEUE_URL").expect("the night-audit queue is provisioned");
    for _ in 0..20 {
        let received = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("SQS answers");
        for message in received.messages() {
            let (body, handle) = (
                message.body().unwrap_or_default(),
                message.receipt_handle().unwrap_or_default(),
            );
            if body.contains(vendor) {
                sqs.delete_message()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("deleted");
                return body.to_owned();
            }
            sqs.change_message_visibility()
                .queue_url(&queue)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .expect("handed back");
        }
    }
    panic!("no night-audit message for {vendor}");
}

#[tokio::test]
async fn the_schedule_fires_once_at_the_vendors_audit_time_and_its_run_closes_the_day_just_ended() {
    use chrono::{TimeZone, Utc};
    let zone = zone_at_noon();
    let (api, manager, vendor) = open("hotel", zone).await;
    let tz = shared::domain::vendor::TimeZone::parse(zone)
        .expect("a zone")
        .tz();
    let today = api.today_in(zone).await;
    // Five minutes past the vendor's next 02:00 (the default audit time).
    let next_audit = tz
        .from_local_datetime(
            &(today + Duration::days(1))
                .and_hms_opt(2, 0, 0)
                .expect("a time"),
        )
        .single()
        .expect("Etc zones have no clock changes")
        .with_timezone(&Utc);
    let stand_in = local_gateway::schedules::StandIn::new(
        &shared::aws::sdk_config().await,
        vec![local_gateway::schedules::Watch {
            group: std::env::var("NIGHT_AUDIT_SCHEDULE_GROUP")
                .expect("the night-audit group is provisioned"),
            name_prefix: Some(format!("night-audit-{vendor}")),
        }],
        std::time::Duration::from_secs(1),
    );
    let before = stand_in.run_once(api.now().await).await;
    assert_eq!(
        (before.fired, before.waiting),
        (0, 1),
        "not due before 02:00: {before:?}"
    );

    api.set_clock_offset(next_audit + Duration::minutes(5) - Utc::now())
        .await;
    let now = api.now().await;
    let due = stand_in.run_once(now).await;
    let again = stand_in.run_once(now + Duration::minutes(1)).await;

    assert_eq!(due.fired, 1, "{due:?}");
    assert_eq!(again.fired, 0, "once per occurrence: {again:?}");
    let body = take_audit_message(&vendor).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({ "vendor_id": vendor })
    );
    let response = run_night_audit(&[("scheduled", body)]).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let manager = again_signed_in(&api, &manager).await;
    let rerun = audit(&api, &manager, today).await;
    assert_eq!(
        rerun.body["closed"], "already_closed",
        "the scheduled run closed the day that ended: {rerun:#?}"
    );
}

#[tokio::test]
async fn a_no_shows_paid_deposit_is_settled_by_the_no_show_terms() {
    let zone = zone_at_noon();
    let (api, manager, vendor) = open("hotel", zone).await;
    // 20 % down, kept on a no-show.
    let room = api
        .resource(&manager, &resource_body("Suite", 2, 3, 20_000))
        .await;
    let guest = api.guest().await;
    let today = api.today_in(zone).await;
    let held = hold(&api, &guest, &vendor, &room, today, 1).await;
    let intent = held.body["deposit_payment"]["intent_id"]
        .as_str()
        .expect("an intent");
    let sdk = shared::aws::sdk_config().await;
    let settings = shared::payments::StripeSettings::load(&sdk)
        .await
        .expect("the Stripe settings are provisioned");
    let (paid, answer) =
        api_tests::pay_intent(&settings.api_base, "sk_test_local", intent, "pm_card_visa").await;
    assert_eq!(paid, StatusCode::OK, "{answer}");
    let store = shared::store::DynamoStore::from_env(&sdk).expect("the table names are set");
    let id = held.body["id"].as_str().expect("a booking id").to_owned();
    let booking_id = shared::domain::ids::BookingId::parse(&id).expect("a booking id");
    let booking = shared::store::BookingStore::booking(&store, booking_id)
        .await
        .expect("read")
        .expect("live");
    // What the payment webhook does with the payment (reconciliation's path, as archive.rs).
    shared::deposits::reconcile_booking(
        &store,
        &settings.client().expect("a Stripe client"),
        &booking,
        chrono::Utc::now(),
    )
    .await
    .expect("the payment is recorded");
    let confirmed = api.get(&format!("/booking/{id}"), guest.token()).await;
    assert_eq!(confirmed.body["status"], "CONFIRMED", "{confirmed:#?}");

    api.set_clock_offset(Duration::days(2)).await;
    let manager = again_signed_in(&api, &manager).await;
    let closed = audit(&api, &manager, today).await;

    assert_eq!(
        ids(&closed.body["no_shows"]),
        std::slice::from_ref(&id),
        "{closed:#?}"
    );
    let seen = api.get(&format!("/booking/{id}"), manager.token()).await;
    assert_eq!(seen.body["status"], "NO_SHOW", "{seen:#?}");
    let settlement = &seen.body["deposit_payment"]["settlement"];
    assert_eq!(settlement["rule"], "NO_SHOW", "{seen:#?}");
    assert_eq!(settlement["acted_by"], "system", "{seen:#?}");
    assert_eq!(
        settlement["kept"]["amount_minor"], 4_000,
        "the 20 % deposit is kept: {seen:#?}"
    );
    assert_eq!(settlement["refund"]["amount_minor"], 0, "{seen:#?}");
}
