//! The notifier on the local stack: real bookings made through the API, their facts built from
//! the stored booking as the publisher builds them, handed to the notifier's Lambda handler as
//! its queue would; mail read back from LocalStack's SES mailbox (`GET /_aws/ses`), reminder
//! schedules from its EventBridge Scheduler. Every test has its own guest and vendor addresses,
//! so tests read only their own mail and run in parallel.
use api_tests::{
    Account, Api, Mail, PASSWORD, mailbox, merged, pay_intent, resource_body, sqs_event, today_in,
    unique_email, zone_at_noon,
};
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use notifier::outlets::{
    Claim, DynamoSentLog, SchedulerReminders, SentLog, SesMailer, SnsTexts, TextMessages,
};
use notifier::{Notifier, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::account::Phone;
use shared::domain::booking::{Booking, BookingStatus};
use shared::domain::ids::BookingId;
use shared::domain::payment::DepositStatus;
use shared::events::{Event, booking_event};
use shared::inbox::Inbox;
use shared::payments::{StripeSettings, webhook};
use shared::store::{BookingStore, DynamoStore};
use std::sync::Mutex;

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DE_DAYS: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// `Friday, 24 December 2027, 19:30`, written out here independently of the notifier.
fn english(date: NaiveDate, time: &str) -> String {
    let day = EN_DAYS[date.weekday().num_days_from_monday() as usize];
    let month = EN_MONTHS[date.month0() as usize];
    format!("{day}, {} {month} {}, {time}", date.day(), date.year())
}

/// `Freitag, 24. Dezember 2027, 19:30`.
fn german(date: NaiveDate, time: &str) -> String {
    format!("{}, {time}", german_day(date))
}

/// `Freitag, 24. Dezember 2027`.
fn german_day(date: NaiveDate) -> String {
    let day = DE_DAYS[date.weekday().num_days_from_monday() as usize];
    let month = DE_MONTHS[date.month0() as usize];
    format!("{day}, {}. {month} {}", date.day(), date.year())
}

/// A restaurant in Berlin with its own contact address, a table type, a guest with a locale,
/// and the notifier wired as its Lambda is.
struct Scene {
    api: Api,
    store: DynamoStore,
    notifier: Notifier<DynamoStore>,
    inbox: Inbox,
    scheduler: aws_sdk_scheduler::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    manager: Account,
    contact: String,
    guest: Account,
    table: String,
}

const PRICE: i64 = 123_450;
/// A night in the hotel's double room.
const NIGHTLY: i64 = 12_900;

impl Scene {
    /// The table type takes no deposit, so a booking is confirmed at once.
    async fn new(locale: &str) -> Self {
        let mut table = resource_body("Table for four", 4, 3, PRICE);
        table.as_object_mut().expect("an object").remove("deposit");
        Self::with_table(locale, table).await
    }

    async fn with_table(locale: &str, mut table: Value) -> Self {
        let api = Api::start().await;
        let contact = unique_email("host");
        let manager = api
            .vendor_with(
                "restaurant",
                json!({"contact": {"email": contact, "phone": "+49301234567"}}),
            )
            .await;
        table["seating"] = json!({"slot_minutes": 30, "seating_minutes": 90});
        let table = api.resource(&manager, &table).await;
        Self::wired(api, manager, contact, table, locale).await
    }

    /// A hotel in a zone where it is about noon (so a stay from today never straddles its
    /// midnight while the test runs) with a double room type that takes no deposit (`table`,
    /// with `extra` written over it); the zone.
    async fn hotel_at_noon(locale: &str, extra: Value) -> (Self, &'static str) {
        let api = Api::start().await;
        let zone = zone_at_noon();
        let contact = unique_email("host");
        let manager = api
            .vendor_with(
                "hotel",
                json!({"time_zone": zone, "contact": {"email": contact, "phone": "+49301234567"}}),
            )
            .await;
        let room_type = merged(
            merged(
                resource_body("Double room", 2, 3, NIGHTLY),
                &json!({"deposit": {"kind": "none"}}),
            ),
            &extra,
        );
        let room_type = api.resource(&manager, &room_type).await;
        (
            Self::wired(api, manager, contact, room_type, locale).await,
            zone,
        )
    }

    /// The notifier wired as its Lambda is, for this vendor and a new guest with `locale`.
    async fn wired(
        api: Api,
        manager: Account,
        contact: String,
        table: String,
        locale: &str,
    ) -> Self {
        let sdk = shared::aws::sdk_config().await;
        let store = DynamoStore::from_env(&sdk).expect("the table names are set");
        let guest = guest(&api, locale).await;
        let mut notifier = Notifier::from_env(store.clone(), &sdk)
            .expect("the notifier's settings are set: eval \"$(localstack/local.sh env)\"");
        // Not the developer's environment: no guest app to link to, unless a test says so.
        notifier.settings = settings(None);
        Self {
            notifier,
            inbox: Inbox::from_env(&sdk).expect("LEDGER_TABLE is set"),
            scheduler: aws_sdk_scheduler::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            store,
            api,
            manager,
            contact,
            guest,
            table,
        }
    }

    /// Books the table for `party` on `date` at `time` as `who`; the booking's JSON.
    async fn book(&self, who: &Account, date: NaiveDate, time: &str, party: i64) -> Value {
        let body = json!({
            "resource_id": self.table,
            "party_size": party,
            "date": date.to_string(),
            "time": time,
        });
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.manager.vendor()),
                who.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    /// Registers room `number` of the room type (`table`) as the manager.
    async fn room(&self, number: &str) {
        let registered = self
            .api
            .post(
                &format!("/vendor/{}/unit", self.manager.vendor()),
                self.manager.token(),
                &json!({"resource_id": self.table, "number": number}),
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{registered:#?}");
    }

    /// The guest's stay in the room type from `arrival` to `departure`, confirmed at once; its id.
    async fn stay(&self, arrival: NaiveDate, departure: NaiveDate) -> String {
        let held = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.manager.vendor()),
                self.guest.token(),
                Some(&json!({
                    "resource_id": self.table,
                    "party_size": 2,
                    "check_in": arrival,
                    "check_out": departure,
                })),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
        assert_eq!(held.body["status"], "CONFIRMED", "{held:#?}");
        held.body["id"].as_str().expect("an id").to_owned()
    }

    async fn booking(&self, id: &str) -> Booking {
        self.store
            .booking(BookingId::parse(id).expect("a booking id"))
            .await
            .expect("DynamoDB answers")
            .expect("the booking exists")
    }

    async fn set_status(&self, who: &Account, id: &str, status: &str) {
        let reply = self
            .api
            .put(
                &format!("/booking/{id}/status"),
                who.token(),
                &json!({"status": status}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {reply:#?}");
    }

    /// Hands the notifier's handler one SQS batch of these bodies; the ids it wants again.
    async fn deliver(&self, bodies: &[String]) -> Vec<String> {
        let ids: Vec<String> = bodies
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        let messages: Vec<(&str, String)> = ids
            .iter()
            .zip(bodies)
            .map(|(id, body)| (id.as_str(), body.clone()))
            .collect();
        let event = LambdaEvent::new(sqs_event(&messages), Context::default());
        notifier::handler(&self.inbox, &self.notifier, event)
            .await
            .expect("the handler answers")
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }

    /// Delivers each body in a batch of its own and expects none back.
    async fn deliver_ok(&self, body: &str) {
        assert_eq!(self.deliver(&[body.to_owned()]).await, Vec::<String>::new());
    }

    /// Forgets that the notifier applied any fact of the booking, as when a consumer died
    /// between its effect and recording it done and its claim lapsed.
    async fn forget_facts(&self, id: &str) {
        self.dynamodb
            .delete_item()
            .table_name(std::env::var("LEDGER_TABLE").expect("LEDGER_TABLE is set"))
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("notifier#{id}")),
            )
            .send()
            .await
            .expect("DynamoDB answers");
    }

    async fn schedule(&self, id: &str) -> Option<GetScheduleOutput> {
        let found = self
            .scheduler
            .get_schedule()
            .group_name(std::env::var("REMINDER_SCHEDULE_GROUP").expect("the group is set"))
            .name(SchedulerReminders::name(
                BookingId::parse(id).expect("a booking id"),
            ))
            .send()
            .await;
        match found {
            Ok(schedule) => Some(schedule),
            Err(err) => match err.into_service_error() {
                GetScheduleError::ResourceNotFoundException(_) => None,
                other => panic!("GetSchedule failed: {other:?}"),
            },
        }
    }
}

/// The notifier's settings as the tests want them: a reminder 24 hours ahead, and a guest app
/// at `app` if any.
fn settings(app: Option<&str>) -> Settings {
    Settings {
        app_base_url: app.map(str::to_owned),
        reminder_lead: Duration::hours(24),
    }
}

/// The payment consumer's amend of a cancelled booking seconds later (the refund made, or an
/// unpaid intent voided): the next version, same status.
fn refunded(cancelled: &Booking) -> Booking {
    let mut next = cancelled.clone();
    next.version += 1;
    next.updated_at += Duration::seconds(3);
    if let Some(deposit) = next.deposit_payment.as_mut()
        && deposit.status == DepositStatus::RefundDue
    {
        deposit.status = DepositStatus::Refunded;
    }
    next
}

/// Signs up a guest with this locale and signs them in.
async fn guest(api: &Api, locale: &str) -> Account {
    let email = unique_email("guest");
    let created = api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "Alex Gast", "locale": locale}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let token = api.login("/user/login", &email, PASSWORD).await;
    Account {
        id: created.body["id"].as_str().unwrap_or_default().to_owned(),
        email,
        token,
        vendor_id: None,
    }
}

/// The SQS body the bus delivers for the change from `before` to `after`.
fn fact(before: Option<&Booking>, after: &Booking) -> String {
    let fact = Event::Booking(booking_event(before, Some(after)).expect("a fact"));
    serde_json::to_string(&api_tests::received(&fact)).expect("an envelope")
}

fn in_days(days: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(days)
}

fn at_expression(at: DateTime<Utc>) -> String {
    format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
}

#[tokio::test]
async fn a_confirmed_booking_mails_the_guest_in_their_language_and_the_vendor_once_and_schedules_the_reminder()
 {
    let scene = Scene::new("de-AT").await;
    let date = in_days(40);
    let booked = scene.book(&scene.guest, date, "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    assert_eq!(booked["status"], "CONFIRMED", "{booked:#}");
    assert_eq!(booked["quote"]["total"]["amount_minor"], PRICE);
    let booking = scene.booking(&id).await;
    let confirmed = fact(None, &booking);

    // The same envelope twice in one batch, then again in a later one.
    assert!(
        scene
            .deliver(&[confirmed.clone(), confirmed.clone()])
            .await
            .is_empty()
    );
    scene.deliver_ok(&confirmed).await;
    // And once more after the ledger forgot it was applied: the sent log still knows.
    scene.forget_facts(&id).await;
    scene.deliver_ok(&confirmed).await;

    let to_guest = mailbox(&scene.guest.email).await;
    assert_eq!(to_guest.len(), 1, "{to_guest:#?}");
    let mail = &to_guest[0];
    assert!(
        mail.subject.starts_with("Ihre Buchung bei Test restaurant"),
        "{mail:?}"
    );
    assert!(mail.subject.ends_with(" ist bestätigt"), "{mail:?}");
    assert!(
        mail.body.starts_with("Guten Tag Alex Gast,\n"),
        "{}",
        mail.body
    );
    assert!(
        mail.body
            .contains(&format!("Wann: {}", german(date, "19:30"))),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("Personen: 2 Personen"), "{}", mail.body);
    assert!(
        mail.body.contains("Gesamtpreis: 1.234,50\u{a0}€"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains(&id), "{}", mail.body);

    let to_vendor = mailbox(&scene.contact).await;
    assert_eq!(to_vendor.len(), 1, "{to_vendor:#?}");
    // A vendor in Germany is written to in German.
    assert_eq!(
        to_vendor[0].subject,
        format!("Neue Buchung: {}", german(date, "19:30"))
    );
    assert!(to_vendor[0].body.contains("(online)"), "{to_vendor:#?}");

    let schedule = scene.schedule(&id).await.expect("a reminder is scheduled");
    assert_eq!(
        schedule.schedule_expression(),
        Some(at_expression(booking.arrival_at - Duration::hours(24)).as_str())
    );
    assert_eq!(schedule.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        schedule.action_after_completion().map(|a| a.as_str()),
        Some("DELETE")
    );
    let target = schedule.target().expect("a target");
    assert_eq!(
        target.arn(),
        std::env::var("REMINDER_TARGET_ARN").expect("set")
    );
    assert_eq!(
        target.role_arn(),
        std::env::var("REMINDER_ROLE_ARN").expect("set")
    );
    let input: Value = serde_json::from_str(target.input().expect("an input")).expect("JSON");
    assert_eq!(input["kind"], "booking_reminder");
    assert_eq!(input["booking_id"], id);
    assert_eq!(input["version"], booking.version);
}

#[tokio::test]
async fn a_change_mails_what_moved_and_moves_the_reminder() {
    let scene = Scene::new("en-GB").await;
    let (date, later) = (in_days(30), in_days(33));
    let booked = scene.book(&scene.guest, date, "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let before = scene.booking(&id).await;
    scene.deliver_ok(&fact(None, &before)).await;

    let changed = scene
        .api
        .put(
            &format!("/booking/{id}"),
            scene.guest.token(),
            &json!({"date": later.to_string(), "time": "20:00", "party_size": 4}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    let after = scene.booking(&id).await;
    let updated = fact(Some(&before), &after);
    scene.deliver_ok(&updated).await;
    scene.deliver_ok(&updated).await;

    let mails = mailbox(&scene.guest.email).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 2, "{mails:#?}");
    assert!(subjects[0].ends_with(" is confirmed"), "{subjects:?}");
    assert!(subjects[1].ends_with(" has changed"), "{subjects:?}");
    let body = &mails[1].body;
    assert!(body.starts_with("Hello Alex Gast,\n"), "{body}");
    assert!(
        body.contains(&format!(
            "  When: {} -> {}\n",
            english(date, "19:30"),
            english(later, "20:00")
        )),
        "{body}"
    );
    assert!(body.contains("  Party: 2 guests -> 4 guests\n"), "{body}");
    // Same table type: no line for it.
    assert!(!body.contains("Booked:"), "{body}");

    let schedule = scene
        .schedule(&id)
        .await
        .expect("the reminder is still there");
    assert_eq!(
        schedule.schedule_expression(),
        Some(at_expression(after.arrival_at - Duration::hours(24)).as_str())
    );
}

#[tokio::test]
async fn a_cancelled_paid_booking_mails_the_refund_to_the_guest_and_the_vendor_and_drops_the_reminder()
 {
    // 20 % deposit; cancelling is free until 48 hours before arrival.
    let mut table = resource_body("Table for four", 4, 3, 10_000);
    table["cancellation"] =
        json!({"free_until_hours": 48, "late_fee": {"kind": "percent", "percent": 50}});
    let scene = Scene::with_table("en", table).await;
    let date = in_days(20);
    let held = scene.book(&scene.guest, date, "12:00", 2).await;
    let id = held["id"].as_str().expect("an id").to_owned();
    assert_eq!(held["status"], "HELD", "{held:#}");
    let deposit = 2_000;
    assert_eq!(held["payment"]["deposit"]["amount_minor"], deposit);
    pay(&scene, &held).await;
    let confirmed = scene.booking(&id).await;
    assert_eq!(confirmed.status, BookingStatus::Confirmed);
    scene.deliver_ok(&fact(None, &confirmed)).await;
    assert!(scene.schedule(&id).await.is_some());

    scene.set_status(&scene.guest, &id, "CANCELLED").await;
    let cancelled = scene.booking(&id).await;
    let cancellation = fact(Some(&confirmed), &cancelled);
    scene.deliver_ok(&cancellation).await;
    scene.deliver_ok(&cancellation).await;
    // The refund's amend seconds later catches up on what the cancellation sent: nothing more.
    scene
        .deliver_ok(&fact(Some(&cancelled), &refunded(&cancelled)))
        .await;

    let mails = mailbox(&scene.guest.email).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(mails[1].subject.ends_with(" is cancelled"), "{mails:#?}");
    assert!(
        mails[1]
            .body
            .contains("Your deposit of €20.00 is being refunded in full."),
        "{}",
        mails[1].body
    );
    assert!(
        mails[1]
            .body
            .contains(&format!("When: {}", english(date, "12:00"))),
        "{}",
        mails[1].body
    );
    let to_vendor: Vec<String> = mailbox(&scene.contact)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        to_vendor,
        [
            format!("Neue Buchung: {}", german(date, "12:00")),
            format!("Buchung storniert: {}", german(date, "12:00")),
        ]
    );
    assert!(scene.schedule(&id).await.is_none(), "the reminder is gone");
}

#[tokio::test]
async fn a_cancellation_overtaken_by_the_next_update_is_still_mailed_once_to_the_guest_and_the_vendor()
 {
    let scene = Scene::with_table("en", resource_body("Table for four", 4, 3, 10_000)).await;
    let date = in_days(21);
    // A paid booking the vendor was told of, and a hold cancelled before it was paid.
    let paid = scene.book(&scene.guest, date, "12:00", 2).await;
    let id = paid["id"].as_str().expect("an id").to_owned();
    pay(&scene, &paid).await;
    let confirmed = scene.booking(&id).await;
    assert_eq!(confirmed.status, BookingStatus::Confirmed);
    scene.deliver_ok(&fact(None, &confirmed)).await;
    assert!(scene.schedule(&id).await.is_some());
    let hold = scene.book(&scene.guest, date, "19:00", 2).await;
    let hold_id = hold["id"].as_str().expect("an id").to_owned();
    let held = scene.booking(&hold_id).await;

    for (id, before) in [(&id, &confirmed), (&hold_id, &held)] {
        scene.set_status(&scene.guest, id, "CANCELLED").await;
        let cancelled = scene.booking(id).await;
        let cancellation = fact(Some(before), &cancelled);
        let amend = fact(Some(&cancelled), &refunded(&cancelled));
        // SQS hands over the amend first (or the cancellation failed its first try); the
        // cancellation, older than what was applied, is then dropped by the inbox.
        scene.deliver_ok(&amend).await;
        scene.deliver_ok(&cancellation).await;
        scene.deliver_ok(&amend).await;
    }

    let about = |mails: Vec<Mail>, id: &str| -> Vec<String> {
        mails
            .into_iter()
            .filter(|m| m.body.contains(id))
            .map(|m| m.subject)
            .collect()
    };
    let to_guest = mailbox(&scene.guest.email).await;
    let paid_mails = about(to_guest.clone(), &id);
    assert_eq!(paid_mails.len(), 2, "{to_guest:#?}");
    assert!(paid_mails[0].ends_with(" is confirmed"), "{paid_mails:?}");
    assert!(paid_mails[1].ends_with(" is cancelled"), "{paid_mails:?}");
    let cancelled_mail = to_guest
        .iter()
        .find(|m| m.body.contains(&id) && m.subject.ends_with(" is cancelled"))
        .expect("the cancellation");
    assert!(
        cancelled_mail
            .body
            .contains("Your deposit of €20.00 is being refunded in full."),
        "{}",
        cancelled_mail.body
    );
    let hold_mails = about(to_guest.clone(), &hold_id);
    assert_eq!(hold_mails.len(), 1, "{to_guest:#?}");
    assert!(hold_mails[0].ends_with(" is cancelled"), "{hold_mails:?}");

    let to_vendor = mailbox(&scene.contact).await;
    assert_eq!(
        about(to_vendor.clone(), &id),
        [
            format!("Neue Buchung: {}", german(date, "12:00")),
            format!("Buchung storniert: {}", german(date, "12:00")),
        ]
    );
    // Never told of the hold, the vendor hears nothing of its end.
    assert!(about(to_vendor, &hold_id).is_empty());
    assert!(scene.schedule(&id).await.is_none(), "the reminder is gone");
}

#[tokio::test]
async fn a_confirmation_overtaken_by_a_change_tells_the_guest_the_change_and_the_vendor_once() {
    let scene = Scene::new("en").await;
    let (date, later) = (in_days(25), in_days(26));
    let booked = scene.book(&scene.guest, date, "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let confirmed = scene.booking(&id).await;
    let changed = scene
        .api
        .put(
            &format!("/booking/{id}"),
            scene.guest.token(),
            &json!({"date": later.to_string(), "time": "20:00", "party_size": 2}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    let after = scene.booking(&id).await;

    scene.deliver_ok(&fact(Some(&confirmed), &after)).await;
    scene.deliver_ok(&fact(None, &confirmed)).await;

    let to_guest: Vec<String> = mailbox(&scene.guest.email)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    // One message per fact: the change, which shows the booking as it now is.
    assert_eq!(to_guest.len(), 1, "{to_guest:?}");
    assert!(to_guest[0].ends_with(" has changed"), "{to_guest:?}");
    let to_vendor: Vec<String> = mailbox(&scene.contact)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        to_vendor,
        [format!("Neue Buchung: {}", german(later, "20:00"))]
    );
    let schedule = scene.schedule(&id).await.expect("a reminder is scheduled");
    assert_eq!(
        schedule.schedule_expression(),
        Some(at_expression(after.arrival_at - Duration::hours(24)).as_str())
    );
}

#[tokio::test]
async fn an_update_after_an_applied_fact_catches_up_on_nothing_even_when_the_sent_log_forgot() {
    let scene = Scene::new("en").await;
    let booked = scene.book(&scene.guest, in_days(18), "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let confirmed = scene.booking(&id).await;
    scene.deliver_ok(&fact(None, &confirmed)).await;
    // The confirmation's sent-log entries are gone, as 30 days after it (TTL); what the
    // notifier applied last is still the confirmation.
    for key in ["confirmed#guest#email", "new#vendor#email"] {
        scene
            .dynamodb
            .delete_item()
            .table_name(std::env::var("LEDGER_TABLE").expect("LEDGER_TABLE is set"))
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("notifier#sent#{id}#{key}")),
            )
            .send()
            .await
            .expect("DynamoDB answers");
    }
    let mut bookkeeping = confirmed.clone();
    bookkeeping.version += 1;
    bookkeeping.updated_at += Duration::seconds(1);

    scene
        .deliver_ok(&fact(Some(&confirmed), &bookkeeping))
        .await;

    assert_eq!(mailbox(&scene.guest.email).await.len(), 1);
    assert_eq!(mailbox(&scene.contact).await.len(), 1);
}

/// The guest pays the hold's deposit at localstripe and Stripe's webhook reaches the gateway.
async fn pay(scene: &Scene, held: &Value) {
    let sdk = shared::aws::sdk_config().await;
    let stripe = StripeSettings::load(&sdk).await.expect("the Stripe secret");
    let intent = held["checkout"]["payment_intent_id"]
        .as_str()
        .expect("a checkout");
    let (status, body) =
        pay_intent(&stripe.api_base, "sk_test_local", intent, "pm_card_visa").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let intent: Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{intent}", stripe.api_base))
        .bearer_auth("sk_test_local")
        .send()
        .await
        .expect("localstripe answers")
        .json()
        .await
        .expect("an intent");
    let event = serde_json::to_vec(&json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": Utc::now().timestamp(),
        "data": {"object": intent},
    }))
    .expect("JSON");
    let secret = stripe.webhook_secrets.first().expect("a webhook secret");
    let reply = reqwest::Client::new()
        .post(format!("{}/payment/webhook", scene.api.base))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            webhook::sign(&event, secret, Utc::now().timestamp()),
        )
        .body(event)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(reply.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_hold_mails_its_payment_link_once_whichever_of_its_two_facts_comes_first() {
    let mut scene = Scene::with_table("fr-CA", resource_body("Table for four", 4, 3, 10_000)).await;
    scene.notifier.settings = settings(Some("https://book.example.test"));
    let date = in_days(10);
    let held = scene.book(&scene.guest, date, "19:30", 2).await;
    let id = held["id"].as_str().expect("an id").to_owned();
    // The hold is written, then its payment intent attached: two versions, two facts.
    let with_intent = scene.booking(&id).await;
    assert_eq!(with_intent.version, 2);
    let mut first = with_intent.clone();
    first.version = 1;
    first.deposit_payment = None;
    let hold_fact = fact(None, &first);
    let intent_fact = fact(Some(&first), &with_intent);

    scene.deliver_ok(&intent_fact).await;
    scene.deliver_ok(&hold_fact).await;
    scene.forget_facts(&id).await;
    scene.deliver_ok(&hold_fact).await;

    let mails = mailbox(&scene.guest.email).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(
        mails[0].subject.starts_with("Réglez votre acompte"),
        "{mails:#?}"
    );
    let body = &mails[0].body;
    assert!(
        body.contains(&format!("\nhttps://book.example.test/bookings/{id}/pay\n")),
        "{body}"
    );
    assert!(body.contains("l'acompte de 20,00\u{a0}€"), "{body}");
    // Nobody tells the vendor about a hold.
    assert!(mailbox(&scene.contact).await.is_empty());
}

#[tokio::test]
async fn without_a_guest_app_the_hold_mail_asks_to_pay_in_the_app_where_they_booked_with_no_link() {
    let scene = Scene::with_table("de", resource_body("Table for four", 4, 3, 10_000)).await;
    assert_eq!(scene.notifier.settings.app_base_url, None);
    let held = scene.book(&scene.guest, in_days(10), "19:30", 2).await;
    let id = held["id"].as_str().expect("an id").to_owned();
    let with_intent = scene.booking(&id).await;
    let mut first = with_intent.clone();
    first.version = 1;
    first.deposit_payment = None;

    scene.deliver_ok(&fact(None, &first)).await;

    let mails = mailbox(&scene.guest.email).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let body = &mails[0].body;
    assert!(
        body.contains("die Anzahlung von 20,00\u{a0}€ bis "),
        "{body}"
    );
    assert!(
        body.contains(" in der App, in der Sie gebucht haben.\n"),
        "{body}"
    );
    assert!(!body.contains("http"), "{body}");
    assert!(!body.contains("/pay"), "{body}");
}

#[tokio::test]
async fn a_due_reminder_mails_the_guest_once_and_nothing_for_a_cancelled_booking_or_a_moved_arrival()
 {
    let scene = Scene::new("de").await;
    let date = in_days(12);
    let first = scene.book(&scene.guest, date, "19:30", 2).await;
    let second = scene.book(&scene.guest, in_days(14), "19:30", 2).await;
    let mut reminders = Vec::new();
    for booked in [&first, &second] {
        let id = booked["id"].as_str().expect("an id");
        scene
            .deliver_ok(&fact(None, &scene.booking(id).await))
            .await;
        // What the scheduler puts on the queue is the schedule's own input.
        let schedule = scene.schedule(id).await.expect("a reminder is scheduled");
        reminders.push(
            schedule
                .target()
                .and_then(|t| t.input())
                .expect("an input")
                .to_owned(),
        );
    }
    let second_id = second["id"].as_str().expect("an id");
    scene.set_status(&scene.guest, second_id, "CANCELLED").await;
    // A reminder for an arrival the first booking no longer has is dropped too.
    let mut moved: Value = serde_json::from_str(&reminders[0]).expect("JSON");
    let arrival: DateTime<Utc> =
        serde_json::from_value(moved["arrival_at"].clone()).expect("a time");
    moved["arrival_at"] = json!(arrival - Duration::hours(1));
    scene.deliver_ok(&moved.to_string()).await;

    assert!(
        scene
            .deliver(&[reminders[0].clone(), reminders[0].clone()])
            .await
            .is_empty()
    );
    scene.deliver_ok(&reminders[1]).await;

    let subjects: Vec<String> = mailbox(&scene.guest.email)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    let reminder_subjects: Vec<&String> = subjects
        .iter()
        .filter(|s| s.starts_with("Erinnerung"))
        .collect();
    assert_eq!(reminder_subjects.len(), 1, "{subjects:#?}");
    let reminder = mailbox(&scene.guest.email)
        .await
        .into_iter()
        .find(|m| m.subject.starts_with("Erinnerung"))
        .expect("a reminder");
    assert!(
        reminder
            .body
            .contains(&format!("Wann: {}", german(date, "19:30"))),
        "{}",
        reminder.body
    );
    assert!(reminder.body.contains(first["id"].as_str().unwrap_or("?")));
}

#[tokio::test]
async fn a_front_desk_booking_for_a_guest_without_an_account_mails_only_the_vendor() {
    let scene = Scene::new("en").await;
    let date = in_days(8);
    // A walk-in with a name and no contact: a desk hold, which the desk confirms.
    let booked = scene
        .api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{}", scene.manager.vendor()),
            scene.manager.token(),
            Some(
                &json!({"resource_id": scene.table, "party_size": 3, "date": date.to_string(),
                         "time": "18:00", "guest": {"name": "Walk-in Guest"}}),
            ),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:#?}");
    let id = booked.body["id"].as_str().expect("an id");
    let held = scene.booking(id).await;
    assert_eq!(held.guest_id, None);
    scene.set_status(&scene.manager, id, "CONFIRMED").await;
    let booking = scene.booking(id).await;

    scene.deliver_ok(&fact(None, &held)).await;
    scene.deliver_ok(&fact(Some(&held), &booking)).await;

    let to_vendor = mailbox(&scene.contact).await;
    assert_eq!(to_vendor.len(), 1, "{to_vendor:#?}");
    assert!(to_vendor[0].body.contains("(Rezeption)"), "{to_vendor:#?}");
    assert!(
        to_vendor[0].body.contains("Personen: 3 Personen"),
        "{to_vendor:#?}"
    );
    assert!(mailbox(&scene.guest.email).await.is_empty());
}

#[tokio::test]
async fn the_sent_log_lets_one_copy_send_and_hands_a_crashed_senders_claim_on() {
    let sdk = shared::aws::sdk_config().await;
    let log = DynamoSentLog::from_env(&sdk).expect("LEDGER_TABLE is set");
    let key = format!(
        "notifier#sent#test-{}#confirmed#guest#email",
        uuid::Uuid::new_v4()
    );
    let now = Utc::now();

    assert_eq!(log.claim(&key, now).await.unwrap(), Claim::Ours);
    // A copy arriving while the first sends waits.
    assert_eq!(log.claim(&key, now).await.unwrap(), Claim::Busy);
    // The first died before sending: once its claim lapses, the next copy sends.
    let later = now + Duration::seconds(61);
    assert_eq!(log.claim(&key, later).await.unwrap(), Claim::Ours);
    log.sent(&key, later).await.unwrap();
    // Sent is final, however late a copy comes.
    assert_eq!(log.claim(&key, later).await.unwrap(), Claim::Sent);
    assert_eq!(
        log.claim(&key, later + Duration::days(1)).await.unwrap(),
        Claim::Sent
    );
    // A failed send is released, and the retry may send.
    let other = format!("{key}-failed");
    assert_eq!(log.claim(&other, now).await.unwrap(), Claim::Ours);
    log.release(&other).await.unwrap();
    assert_eq!(log.claim(&other, now).await.unwrap(), Claim::Ours);
}

/// Keeps the texts it is asked to send: LocalStack's SNS is not among the services this stack
/// runs yet (it is from its next start), and the decision is ours either way.
#[derive(Default)]
struct Texts(Mutex<Vec<(String, String)>>);

impl TextMessages for &Texts {
    async fn send(&self, to: &Phone, text: &str) -> anyhow::Result<()> {
        self.0
            .lock()
            .expect("not poisoned")
            .push((to.as_str().to_owned(), text.to_owned()));
        Ok(())
    }
}

#[tokio::test]
async fn with_sms_enabled_a_guest_with_a_phone_gets_a_short_text_once_beside_the_mail() {
    let scene = Scene::new("de").await;
    let sdk = shared::aws::sdk_config().await;
    let phone = "+4915112345678";
    let email = unique_email("guest");
    let created = scene
        .api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "Sam", "phone": phone, "locale": "de-DE"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let guest = Account {
        id: created.body["id"].as_str().unwrap_or_default().to_owned(),
        token: scene.api.login("/user/login", &email, PASSWORD).await,
        email,
        vendor_id: None,
    };
    let texts = Texts::default();
    let notifier = Notifier {
        store: scene.store.clone(),
        mail: SesMailer::from_env(&sdk).expect("SES_FROM_ADDRESS is set"),
        sms: Some(&texts),
        reminders: SchedulerReminders::from_env(&sdk).expect("the reminder settings are set"),
        sent: DynamoSentLog::from_env(&sdk).expect("LEDGER_TABLE is set"),
        settings: settings(None),
    };
    let date = in_days(9);
    let booked = scene.book(&guest, date, "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id");
    let confirmed = fact(None, &scene.booking(id).await);
    let body = || LambdaEvent::new(sqs_event(&[("m-1", confirmed.clone())]), Context::default());

    for _ in 0..2 {
        let response = notifier::handler(&scene.inbox, &notifier, body())
            .await
            .expect("the handler answers");
        assert!(response.batch_item_failures.is_empty());
    }
    scene.forget_facts(id).await;
    notifier::handler(&scene.inbox, &notifier, body())
        .await
        .expect("the handler answers");

    let vendor = scene
        .api
        .get(&format!("/vendor/{}", scene.manager.vendor()), None)
        .await;
    let vendor_name = vendor.body["name"].as_str().expect("a vendor name");
    let sent = texts.0.lock().expect("not poisoned").clone();
    assert_eq!(
        sent,
        [(
            phone.to_owned(),
            format!(
                "{}: Ihre Buchung für {} ist bestätigt.",
                vendor_name,
                german(date, "19:30")
            )
        )]
    );
    assert_eq!(mailbox(&guest.email).await.len(), 1);
}

/// Everything written to the logs, as the Lambda's JSON lines.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures everything logged in this test's process from here on, as the Lambda's JSON lines.
/// Each test runs in its own process (nextest), so the subscriber sees only this test; the
/// harness's own init then finds one in place and leaves it.
fn capture_logs() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter("info")
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(move || writer.clone())
        .init();
    captured
}

impl Captured {
    fn lines(&self) -> String {
        String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("UTF-8")
    }
}

/// Signs up a guest whose name, address and phone must never be logged.
async fn private_guest(api: &Api, phone: &str) -> Account {
    let email = unique_email("private");
    let created = api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "Zoë Privat", "phone": phone}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    Account {
        id: created.body["id"].as_str().unwrap_or_default().to_owned(),
        token: api.login("/user/login", &email, PASSWORD).await,
        email,
        vendor_id: None,
    }
}

/// Every captured line, whoever wrote it (the gateway, the inbox, the notifier, a 500's cause),
/// is free of the guest's and the vendor contact's personal data.
fn assert_no_personal_data(logs: &str, private: &[&str]) {
    for line in logs.lines() {
        for private in private {
            assert!(!line.contains(private), "{private} in the logs: {line}");
        }
    }
}

#[tokio::test]
async fn the_notifiers_logs_name_bookings_and_vendors_but_never_the_guests_address_name_or_phone() {
    let captured = capture_logs();
    let scene = Scene::new("de").await;
    let phone = "+4915112345678";
    let guest = private_guest(&scene.api, phone).await;
    let booked = scene.book(&guest, in_days(15), "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let confirmed = scene.booking(&id).await;
    let confirmation = fact(None, &confirmed);
    scene.deliver_ok(&confirmation).await;
    scene.deliver_ok(&confirmation).await;
    let reminder = scene
        .schedule(&id)
        .await
        .and_then(|s| s.target().and_then(|t| t.input()).map(str::to_owned))
        .expect("a reminder");
    scene.deliver_ok(&reminder).await;
    scene.set_status(&guest, &id, "CANCELLED").await;
    scene
        .deliver_ok(&fact(Some(&confirmed), &scene.booking(&id).await))
        .await;
    assert_eq!(
        mailbox(&guest.email).await.len(),
        3,
        "confirmed, reminded, cancelled"
    );

    let logs = captured.lines();
    assert!(
        logs.lines().any(|l| l.contains("\"target\":\"notifier")
            && l.contains("email sent")
            && l.contains(&id)),
        "the notifier logs what it sent, by booking: {logs}"
    );
    assert!(
        logs.lines().any(|l| l.contains("reminder due")
            && l.contains(&format!("\"version\":{}", confirmed.version))),
        "the reminder's version is logged: {logs}"
    );
    assert_no_personal_data(
        &logs,
        &[guest.email.as_str(), "Zoë", "Privat", phone, &scene.contact],
    );
}

#[tokio::test]
async fn a_mail_the_provider_refuses_is_logged_by_its_error_code_without_the_address_it_quotes() {
    let captured = capture_logs();
    let scene = Scene::new("en").await;
    let sdk = shared::aws::sdk_config().await;
    let phone = "+4915112345679";
    let guest = private_guest(&scene.api, phone).await;
    // SES refuses a sender that is not verified, quoting the address ("Email address not
    // verified <address>"), as it quotes a recipient in the sandbox.
    let unverified = unique_email("unverified-zoe-privat");
    let notifier = Notifier {
        store: scene.store.clone(),
        mail: SesMailer::new(&sdk, unverified.clone()),
        sms: None::<SnsTexts>,
        reminders: SchedulerReminders::from_env(&sdk).expect("the reminder settings are set"),
        sent: DynamoSentLog::from_env(&sdk).expect("LEDGER_TABLE is set"),
        settings: settings(None),
    };
    let booked = scene.book(&guest, in_days(16), "19:30", 2).await;
    let id = booked["id"].as_str().expect("an id").to_owned();
    let confirmed = fact(None, &scene.booking(&id).await);

    let failed = notifier::handler(
        &scene.inbox,
        &notifier,
        LambdaEvent::new(sqs_event(&[("m-1", confirmed)]), Context::default()),
    )
    .await
    .expect("the handler answers");

    assert_eq!(failed.batch_item_failures.len(), 1, "the fact comes back");
    assert!(mailbox(&guest.email).await.is_empty());
    let logs = captured.lines();
    let refusal: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("event not applied") && l.contains("\"consumer\":\"notifier\""))
        .collect();
    assert_eq!(refusal.len(), 1, "{logs}");
    assert!(
        refusal[0].contains("SES SendEmail refused: MessageRejected"),
        "{}",
        refusal[0]
    );
    assert_no_personal_data(
        &logs,
        &[
            unverified.as_str(),
            "unverified-zoe-privat",
            guest.email.as_str(),
            "Zoë",
            "Privat",
            phone,
            &scene.contact,
        ],
    );
}

#[tokio::test]
async fn a_no_show_mails_the_guest_the_fee_kept_in_their_language_and_drops_the_reminder() {
    // 20 % deposit of 100.00.
    let scene = Scene::with_table("de-CH", resource_body("Table for four", 4, 3, 10_000)).await;
    let date = in_days(6);
    let held = scene.book(&scene.guest, date, "20:00", 2).await;
    let id = held["id"].as_str().expect("an id").to_owned();
    pay(&scene, &held).await;
    let confirmed = scene.booking(&id).await;
    assert_eq!(confirmed.status, BookingStatus::Confirmed);
    scene.deliver_ok(&fact(None, &confirmed)).await;
    assert!(scene.schedule(&id).await.is_some());

    // Marked by the desk once the table's grace is over (the API refuses it before).
    shared::engine::transition(
        &scene.store,
        confirmed.id,
        shared::domain::booking::BookingAction::NoShow,
        &shared::engine::Requester::Caller(shared::auth::Caller::Admin("front-desk".into())),
        Utc::now() + Duration::days(7),
    )
    .await
    .expect("marked a no-show");
    let no_show = fact(Some(&confirmed), &scene.booking(&id).await);
    scene.deliver_ok(&no_show).await;
    scene.forget_facts(&id).await;
    scene.deliver_ok(&no_show).await;

    let mails = mailbox(&scene.guest.email).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(
        mails[1].subject.starts_with("Sie haben Ihre Buchung bei"),
        "{mails:#?}"
    );
    assert!(
        mails[1]
            .body
            .contains("Ihre Anzahlung von 20,00\u{a0}€ wird als No-Show-Gebühr einbehalten."),
        "{}",
        mails[1].body
    );
    assert!(
        mails[1]
            .body
            .contains(&format!("Wann: {}", german(date, "20:00"))),
        "{}",
        mails[1].body
    );
    // The vendor marked it; only the new booking was news to them.
    assert_eq!(mailbox(&scene.contact).await.len(), 1);
    assert!(scene.schedule(&id).await.is_none(), "the reminder is gone");
}

/// The SNS adapter itself, against LocalStack's SNS: a text to a phone number is published as a
/// transactional SMS with exactly the text, and LocalStack's SMS log (`GET /_aws/sns/sms-messages`)
/// holds it for that number.
#[tokio::test]
async fn the_sns_adapter_publishes_the_text_as_a_transactional_sms_to_the_number() {
    api_tests::require_env();
    let sdk = shared::aws::sdk_config().await;
    // A number of this run's own, so earlier runs' texts don't count.
    let digits: u64 = 4_915_100_000_000 + u64::from(rand::random::<u32>() % 9_999_999);
    let phone = Phone::parse(&format!("+{digits}")).expect("an E.164 number");
    let text = format!("Ihre Buchung ist bestätigt ({}).", uuid::Uuid::new_v4());
    SnsTexts::new(&sdk)
        .send(&phone, &text)
        .await
        .expect("SNS accepts the text");

    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL is set");
    let log: Value = reqwest::Client::new()
        .get(format!(
            "{}/_aws/sns/sms-messages",
            endpoint.trim_end_matches('/')
        ))
        .query(&[("phoneNumber", phone.as_str())])
        .send()
        .await
        .expect("LocalStack answers")
        .json()
        .await
        .expect("the SMS log as JSON");
    let sent = log["sms_messages"][phone.as_str()]
        .as_array()
        .expect("the number's texts");
    assert_eq!(sent.len(), 1, "{log:#}");
    assert_eq!(sent[0]["Message"], text.as_str());
    assert_eq!(
        sent[0]["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"], "Transactional",
        "{log:#}"
    );
}

#[tokio::test]
async fn a_guest_checked_in_and_out_at_the_desk_is_welcomed_to_their_room_and_thanked_once_in_german()
 {
    let (scene, zone) = Scene::hotel_at_noon("de-DE", json!({})).await;
    scene.room("214").await;
    let desk = scene.api.staff_as(&scene.manager, "desk").await;
    let today = today_in(zone);
    let (tomorrow, departure) = (today + Duration::days(1), today + Duration::days(2));
    let id = scene.stay(today, departure).await;
    let confirmed = scene.booking(&id).await;
    scene.deliver_ok(&fact(None, &confirmed)).await;

    // Checked in at the desk before the check-in time, which staff may allow.
    let arrived = scene
        .api
        .post(
            &format!("/booking/{id}/check-in"),
            desk.token(),
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    assert_eq!(
        arrived.body["booking"]["unit"]["number"], "214",
        "{arrived:#?}"
    );
    let checked_in = scene.booking(&id).await;
    let welcome = fact(Some(&confirmed), &checked_in);
    assert!(welcome.contains("BookingCheckedIn"), "{welcome}");
    scene.deliver_ok(&welcome).await;
    scene.deliver_ok(&welcome).await;
    scene.forget_facts(&id).await;
    scene.deliver_ok(&welcome).await;

    // Checked out on the arrival day: an early departure, cut to the one night stayed.
    let left = scene
        .api
        .post(
            &format!("/booking/{id}/check-out"),
            desk.token(),
            &json!({}),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{left:#?}");
    assert_eq!(left.body["status"], "COMPLETED", "{left:#?}");
    assert_eq!(left.body["time"]["check_out"], json!(tomorrow), "{left:#?}");
    let completed = scene.booking(&id).await;
    let goodbye = fact(Some(&checked_in), &completed);
    assert!(goodbye.contains("BookingCompleted"), "{goodbye}");
    scene.deliver_ok(&goodbye).await;
    scene.forget_facts(&id).await;
    scene.deliver_ok(&goodbye).await;

    let mails = mailbox(&scene.guest.email).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 3, "{mails:#?}");
    assert!(subjects[0].ends_with(" ist bestätigt"), "{subjects:?}");
    assert!(
        subjects[1].starts_with("Willkommen bei Test hotel "),
        "{subjects:?}"
    );
    assert!(
        subjects[2].starts_with("Vielen Dank für Ihren Aufenthalt bei Test hotel "),
        "{subjects:?}"
    );
    let welcome = &mails[1].body;
    assert!(welcome.starts_with("Guten Tag Alex Gast,\n"), "{welcome}");
    assert!(
        welcome.contains(&format!(
            "  Double room, Zimmer 214\n  Wann: {} bis {}\n  Personen: 2 Personen\n",
            german_day(today),
            german_day(departure)
        )),
        "{welcome}"
    );
    // Checked in at the desk, not on the phone: no digital key to speak of.
    assert!(!welcome.contains("Schlüssel"), "{welcome}");
    assert!(welcome.contains(&id), "{welcome}");
    let thanks = &mails[2].body;
    assert!(
        thanks.contains(&format!(
            "  Double room, Zimmer 214\n  Aufenthalt: {} bis {}\n  Gesamtpreis: 129,00\u{a0}€\n",
            german_day(today),
            german_day(tomorrow)
        )),
        "{thanks}"
    );
    // The vendor heard of the new booking only; its own desk did the rest.
    assert_eq!(mailbox(&scene.contact).await.len(), 1);
}

#[tokio::test]
async fn a_guest_checked_in_on_their_phone_is_told_the_digital_key_is_in_the_app_in_french() {
    // Check-in from midnight, so the phone check-in is open on the arrival day whatever the hour.
    let (scene, zone) = Scene::hotel_at_noon("fr-FR", json!({"check_in_time": "00:00"})).await;
    scene.room("31").await;
    let today = today_in(zone);
    let id = scene.stay(today, today + Duration::days(1)).await;
    let confirmed = scene.booking(&id).await;

    let arrived = scene
        .api
        .post(
            &format!("/booking/{id}/check-in"),
            scene.guest.token(),
            &json!({"method": "mobile"}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    scene
        .deliver_ok(&fact(Some(&confirmed), &scene.booking(&id).await))
        .await;

    let mails = mailbox(&scene.guest.email).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(
        mails[0].subject.starts_with("Bienvenue chez Test hotel "),
        "{mails:#?}"
    );
    let body = &mails[0].body;
    assert!(body.contains("  Double room, chambre 31\n"), "{body}");
    assert!(
        body.contains(
            "Votre clé de chambre numérique est dans l'application : elle ouvre votre chambre jusqu'à votre départ.\n"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn a_check_out_overtaken_by_the_next_update_still_thanks_the_guest_once() {
    let (scene, zone) = Scene::hotel_at_noon("en-GB", json!({})).await;
    scene.room("101").await;
    let desk = scene.api.staff_as(&scene.manager, "desk").await;
    let today = today_in(zone);
    let id = scene.stay(today, today + Duration::days(1)).await;
    let confirmed = scene.booking(&id).await;
    let arrived = scene
        .api
        .post(
            &format!("/booking/{id}/check-in"),
            desk.token(),
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let checked_in = scene.booking(&id).await;
    scene.deliver_ok(&fact(Some(&confirmed), &checked_in)).await;
    let left = scene
        .api
        .post(
            &format!("/booking/{id}/check-out"),
            desk.token(),
            &json!({}),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{left:#?}");
    let completed = scene.booking(&id).await;
    let completion = fact(Some(&checked_in), &completed);
    // The next version seconds later (as the payment consumer's amend), same status.
    let amend = fact(Some(&completed), &refunded(&completed));

    // SQS hands over the amend first; the completion, older than what was applied, is then
    // dropped by the inbox.
    scene.deliver_ok(&amend).await;
    scene.deliver_ok(&completion).await;
    scene.deliver_ok(&amend).await;

    let mails = mailbox(&scene.guest.email).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 2, "{mails:#?}");
    assert!(
        subjects[0].starts_with("Welcome to Test hotel "),
        "{subjects:?}"
    );
    assert!(
        subjects[1].starts_with("Thank you for staying at Test hotel "),
        "{subjects:?}"
    );
    assert!(
        mails[1].body.contains("  Double room, room 101\n"),
        "{}",
        mails[1].body
    );
    assert!(
        mails[1].body.contains("  Total: €129.00\n"),
        "{}",
        mails[1].body
    );
}
