//! The event contract in `events/`: one schema and one sample per detail-type, the samples read
//! into the Rust types and back unchanged, and what `shared::events` builds from real-looking
//! bookings, vendors and resources is what the schemas promise. Needs no emulator.
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};
use shared::domain::account::Email;
use shared::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime, Channel};
use shared::domain::calendar::{BookedTime, CheckInTime, Seating, SlotGrid, StayNights};
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::inventory::OverbookingAllowance;
use shared::domain::money::{Currency, Money};
use shared::domain::party::PartySize;
use shared::domain::payment::{
    DepositPayment, IntentId, RefundId, RefundRecord, RefundState, SettlementRule,
};
use shared::domain::resource::{Capacity, Resource, ResourceKind, UnitCount};
use shared::domain::review::Rating;
use shared::domain::text::{AddressLine, Description, Title};
use shared::domain::vendor::{
    Address, Contact, CountryCode, GeoPoint, TimeZone, Vendor, VendorKind,
};
use shared::events::{
    BookingEvent, Event, EventId, ReceivedEvent, VendorEvent, booking_event, rating_event,
    resource_event, vendor_event,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(detail_type: &str) -> Value {
    read_json(&events_dir().join(format!("schemas/{detail_type}.json")))
}

fn sample(detail_type: &str) -> Value {
    read_json(&events_dir().join(format!("samples/{detail_type}.json")))
}

/// Formats are asserted, not just annotated: a malformed uuid or date-time fails.
fn validator(detail_type: &str) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema(detail_type))
        .unwrap_or_else(|e| panic!("{detail_type}: {e}"))
}

#[track_caller]
fn assert_valid(detail_type: &str, instance: &Value) {
    let validator = validator(detail_type);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{detail_type}: {errors:#?}\n{instance:#}"
    );
}

/// The file stems in `events/<folder>/`.
fn stems(folder: &str) -> BTreeSet<String> {
    std::fs::read_dir(events_dir().join(folder))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            assert_eq!(
                path.extension().and_then(|e| e.to_str()),
                Some("json"),
                "{}",
                path.display()
            );
            path.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect()
}

/// An event as EventBridge delivers it to a consumer, built from what the publisher puts.
fn delivered(event: &Event) -> Value {
    let entry = event.entry().unwrap();
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4(),
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": "123456789012",
        "time": entry.time,
        "region": "eu-central-1",
        "resources": [],
        "detail": serde_json::from_str::<Value>(&entry.detail).unwrap(),
    })
}

#[test]
fn every_detail_type_has_one_schema_and_one_sample_and_nothing_else_is_there() {
    let detail_types: BTreeSet<String> = Event::detail_types()
        .chain(shared::night_audit::DETAIL_TYPES)
        .chain(shared::billing::events::DETAIL_TYPES)
        .chain(shared::waitlist::DETAIL_TYPES)
        .chain(shared::channels::events::DETAIL_TYPES)
        .chain(shared::ari_push::allotted::DETAIL_TYPES)
        .map(str::to_owned)
        .collect();

    assert_eq!(detail_types.len(), 26);
    assert_eq!(stems("schemas"), detail_types);
    assert_eq!(stems("samples"), detail_types);
}

#[test]
fn every_schema_is_a_draft_2020_12_schema_of_its_detail_type() {
    for detail_type in Event::detail_types() {
        let schema = schema(detail_type);

        jsonschema::draft202012::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["title"], detail_type);
        assert_eq!(schema["properties"]["detail-type"]["const"], detail_type);
    }
}

#[test]
fn every_sample_validates_against_its_schema() {
    for detail_type in Event::detail_types() {
        assert_valid(detail_type, &sample(detail_type));
    }
}

#[test]
fn every_sample_reads_into_its_rust_type_and_writes_back_unchanged() {
    for detail_type in Event::detail_types() {
        let sample = sample(detail_type);

        let received: ReceivedEvent =
            serde_json::from_value(sample.clone()).unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        let event = received
            .event()
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));

        assert_eq!(event.detail_type(), detail_type);
        assert_eq!(event.source(), received.source);
        assert_eq!(event.detail().unwrap(), sample["detail"], "{detail_type}");
        assert_eq!(serde_json::to_value(&received).unwrap(), sample);
        let reread = Event::parse(event.source(), detail_type, event.detail().unwrap()).unwrap();
        assert_eq!(reread, event, "{detail_type}");
    }
}

#[test]
fn every_sample_carries_the_event_id_its_aggregate_and_version_derive() {
    for detail_type in Event::detail_types() {
        let received: ReceivedEvent = serde_json::from_value(sample(detail_type)).unwrap();
        let event = received.event().unwrap();

        let derived = match &event {
            Event::Booking(booking) => {
                EventId::for_booking(booking.booking().booking_id, event.version())
            }
            Event::Vendor(VendorEvent::Onboarded(vendor) | VendorEvent::Updated(vendor)) => {
                EventId::for_vendor(vendor.vendor_id, event.version())
            }
            Event::Vendor(VendorEvent::ResourceChanged(resource)) => {
                EventId::for_resource(resource.resource_id, event.version())
            }
            Event::Vendor(VendorEvent::Rated(rating)) => {
                EventId::for_rating(rating.vendor_id, event.version())
            }
            Event::Vendor(VendorEvent::UnitChanged(unit)) => {
                EventId::for_unit(unit.unit_id, event.version())
            }
            Event::Vendor(VendorEvent::UnitBlockChanged(block)) => {
                EventId::for_block(block.block_id, event.version())
            }
        };

        assert_eq!(event.event_id(), derived, "{detail_type}");
        assert_eq!(
            received.time,
            event.occurred_at(),
            "{detail_type}: time is the commit time"
        );
    }
}

#[test]
fn a_schema_rejects_personal_data_a_wrong_status_and_a_malformed_id() {
    let mut with_email = sample("BookingHeld");
    with_email["detail"]["guest_email"] = json!("ada@example.com");
    let mut with_contact = sample("VendorOnboarded");
    with_contact["detail"]["contact"] = json!({"email": "desk@example.com"});
    let mut wrong_status = sample("BookingConfirmed");
    wrong_status["detail"]["status"] = json!("CANCELLED");
    let mut held_without_expiry = sample("BookingHeld");
    held_without_expiry["detail"]["hold_expires_at"] = Value::Null;
    let mut status_changed_in_an_update = sample("BookingUpdated");
    status_changed_in_an_update["detail"]["previous_status"] = json!("HELD");
    let mut malformed_id = sample("ResourceChanged");
    malformed_id["detail"]["event_id"] = json!("not-a-uuid");
    let mut six_stars = sample("VendorRated");
    six_stars["detail"]["average"] = json!(6.0);
    let mut named_reviewer = sample("VendorRated");
    named_reviewer["detail"]["guest_id"] = json!("01a201cf-858d-7142-8d22-1962b1b858f7");

    for (detail_type, instance) in [
        ("BookingHeld", with_email),
        ("VendorOnboarded", with_contact),
        ("BookingConfirmed", wrong_status),
        ("BookingHeld", held_without_expiry),
        ("BookingUpdated", status_changed_in_an_update),
        ("ResourceChanged", malformed_id),
        ("VendorRated", six_stars),
        ("VendorRated", named_reviewer),
    ] {
        assert!(
            !validator(detail_type).is_valid(&instance),
            "{detail_type} accepted {:#}",
            instance["detail"]
        );
    }
}

fn utc(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
}

fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

fn berlin() -> TimeZone {
    TimeZone::parse("Europe/Berlin").unwrap()
}

/// A hold as the engine makes it: buckets, arrival and quote from the domain's own rules.
fn hold(id: &str, resource: &Resource, booked: BookedTime, time: BookingTime) -> Booking {
    let created = utc("2026-03-01T09:15:00Z");
    let quote = resource.price_plan().quote(&booked, 1).unwrap();
    Booking {
        id: BookingId::parse(id).unwrap(),
        vendor_id: resource.vendor_id,
        resource_id: resource.id,
        guest_id: Some(UserId::parse("0195a7e3-9b1c-7d2e-8f3a-4b5c6d7e8f90").unwrap()),
        booked_by: "guest:0195a7e3-9b1c-7d2e-8f3a-4b5c6d7e8f90".into(),
        channel: Channel::Online,
        party_size: PartySize::new(2).unwrap(),
        units: 1,
        time,
        time_zone: berlin(),
        buckets: booked.buckets(),
        arrival_at: booked.arrival(berlin(), resource.check_in()).unwrap(),
        quote,
        status: BookingStatus::Held,
        version: 1,
        unit: None,
        check_in: None,
        hold_expires_at: Some(created + Duration::minutes(10)),
        payment: Default::default(),
        deposit_payment: None,
        desk_guest: None,
        desk_payments: Vec::new(),
        request_hash: "4e1d7c".into(),
        created_at: created,
        updated_at: created,
    }
}

fn stay(resource: &Resource, id: &str, check_in: &str, check_out: &str) -> Booking {
    let nights = StayNights::new(date(check_in), date(check_out)).unwrap();
    let time = BookingTime::Stay {
        check_in: nights.check_in(),
        check_out: nights.check_out(),
    };
    hold(id, resource, BookedTime::Stay(nights), time)
}

fn seating(resource: &Resource, id: &str, on: &str, at: &str) -> Booking {
    let (day, clock) = (date(on), NaiveTime::parse_from_str(at, "%H:%M").unwrap());
    let seating = Seating::new(resource.seating_grid(), berlin(), day, clock).unwrap();
    let time = BookingTime::Seating {
        date: day,
        time: clock,
    };
    hold(id, resource, BookedTime::Seating(seating), time)
}

/// The next committed version, as the engine writes it.
fn then(booking: &Booking, change: impl FnOnce(&mut Booking)) -> Booking {
    let mut next = booking.clone();
    next.version += 1;
    next.updated_at += Duration::minutes(7);
    change(&mut next);
    next
}

fn act(booking: &Booking, action: BookingAction) -> Booking {
    then(booking, |b| {
        b.status = booking.status.next(action).unwrap();
        if b.status != BookingStatus::Held {
            b.hold_expires_at = None;
        }
    })
}

fn resource(id: &str, name: &str, kind: ResourceKind, price_minor: i64) -> Resource {
    let at = utc("2026-02-01T08:05:00Z");
    Resource {
        id: ResourceId::parse(id).unwrap(),
        vendor_id: VendorId::parse("0195b2f0-1c3d-7e4f-8a9b-0c1d2e3f4a5b").unwrap(),
        kind,
        name: Title::parse(name).unwrap(),
        description: Description::parse("Quiet, by the courtyard.").unwrap(),
        capacity: Capacity::new(4).unwrap(),
        units: UnitCount::new(20).unwrap(),
        shards: Default::default(),
        base_price: Money::price(price_minor, "EUR").unwrap(),
        amenities: vec!["balcony".into()],
        price_rules: vec![],
        overbooking_percent: OverbookingAllowance::new(10).unwrap(),
        booking_window: Default::default(),
        check_in_time: (kind == ResourceKind::RoomType)
            .then(|| CheckInTime::parse("15:00").unwrap()),
        seating: (kind == ResourceKind::TableType).then(|| SlotGrid::new(30, 90).unwrap()),
        deposit: Default::default(),
        cancellation: Default::default(),
        units_in_service: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

#[test]
fn the_events_of_real_looking_bookings_match_their_schemas() {
    let room = resource(
        "0195b2f0-4a6b-7c8d-9e0f-1a2b3c4d5e6f",
        "Double room",
        ResourceKind::RoomType,
        12_900,
    );
    let suite = resource(
        "0195b2f0-4a6b-7c8d-9e0f-1a2b3c4d5e70",
        "Junior suite",
        ResourceKind::RoomType,
        24_900,
    );
    let table = resource(
        "0195b311-5f6a-7b8c-9d0e-1f2a3b4c5d6e",
        "Table for four",
        ResourceKind::TableType,
        2_000,
    );
    // Across the spring-forward night (29 March 2026 in Berlin), then moved a night later into a
    // suite while confirmed, checked in and completed.
    let held = stay(
        &room,
        "0195c8a4-7d2e-7b3a-9f41-2c6d8e0a1b57",
        "2026-03-28",
        "2026-03-30",
    );
    let confirmed = act(&held, BookingAction::Confirm);
    let moved = then(&confirmed, |b| {
        let later = stay(
            &suite,
            "0195c8a4-7d2e-7b3a-9f41-2c6d8e0a1b57",
            "2026-03-29",
            "2026-03-31",
        );
        b.resource_id = suite.id;
        b.time = later.time;
        b.buckets = later.buckets;
        b.arrival_at = later.arrival_at;
        b.quote = later.quote;
    });
    let checked_in = act(&moved, BookingAction::CheckIn);
    let completed = act(&checked_in, BookingAction::Complete);
    // A table: a larger party while still held, then it expires; another is cancelled after
    // confirming; a phone booking for a guest without an account is a no-show.
    let table_hold = seating(
        &table,
        "0195d0e1-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
        "2026-03-28",
        "19:30",
    );
    let bigger = then(&table_hold, |b| b.party_size = PartySize::new(4).unwrap());
    let expired = act(&bigger, BookingAction::Expire);
    let other_table = seating(
        &table,
        "0195d0e9-6b7c-7d8e-9f0a-1b2c3d4e5f60",
        "2026-03-29",
        "23:30",
    );
    let other_confirmed = act(&other_table, BookingAction::Confirm);
    let cancelled = act(&other_confirmed, BookingAction::Cancel);
    let mut phone = seating(
        &table,
        "0195d1a2-8c9d-7e0f-a1b2-c3d4e5f6a7b8",
        "2026-04-04",
        "20:00",
    );
    phone.guest_id = None;
    phone.booked_by = "staff:0195b2f0-9999-7000-8000-000000000001".into();
    phone.channel = Channel::Phone;
    phone.desk_guest = Some(shared::domain::desk::DeskGuest {
        name: shared::domain::text::PersonName::parse("Ana Quaresma").unwrap(),
        email: Some(Email::parse("ana.quaresma@example.org").unwrap()),
        phone: Some(shared::domain::account::Phone::parse("+351912345678").unwrap()),
        locale: None,
    });
    let phone_confirmed = act(&phone, BookingAction::Confirm);
    let paid_at_desk = then(&phone_confirmed, |b| {
        b.desk_payments.push(shared::domain::desk::DeskPayment {
            amount: Money::price(3_000, "EUR").unwrap(),
            method: shared::domain::desk::DeskPaymentMethod::Cash,
            reference: None,
            taken_by: "staff:0195b2f0-9999-7000-8000-000000000001".into(),
            taken_at: b.updated_at,
            idempotency_key: "desk-1".into(),
        })
    });
    let no_show = act(&paid_at_desk, BookingAction::NoShow);
    // What happens to deposits after the bookings ended: versions of their own (BookingUpdated
    // with the status unchanged).
    let intent = |raw: &str| IntentId::parse(raw).unwrap();
    let refunded = then(&completed, |b| {
        let paid = Money::price(5_160, "EUR").unwrap();
        let mut deposit = DepositPayment::awaiting(intent("pi_3QxRoom"));
        deposit.pay(paid);
        deposit
            .booking_ended(
                SettlementRule::Completed,
                "staff:0195b2f0-9999-7000-8000-000000000001",
                &b.payment,
                b.quote.total,
                b.arrival_at,
                b.updated_at,
            )
            .unwrap();
        deposit.refund_reported(RefundRecord {
            refund_id: RefundId::parse("re_3QxRoom").unwrap(),
            amount: paid,
            refunded_at: b.updated_at,
            status: RefundState::Succeeded,
            failure_reason: None,
            attempt: 1,
        });
        b.deposit_payment = Some(deposit);
    });
    let voided = then(&expired, |b| {
        let mut deposit = DepositPayment::awaiting(intent("pi_3QxTable"));
        deposit.voided();
        b.deposit_payment = Some(deposit);
    });
    let paid_late = then(&cancelled, |b| {
        let mut deposit = DepositPayment::awaiting(intent("pi_3QxLate"));
        deposit.paid_too_late(Money::price(400, "EUR").unwrap(), b.updated_at);
        b.deposit_payment = Some(deposit);
    });
    let changes: [(Option<&Booking>, &Booking); 18] = [
        (None, &held),
        (Some(&held), &confirmed),
        (Some(&confirmed), &moved),
        (Some(&moved), &checked_in),
        (Some(&checked_in), &completed),
        (None, &table_hold),
        (Some(&table_hold), &bigger),
        (Some(&bigger), &expired),
        (None, &other_table),
        (Some(&other_table), &other_confirmed),
        (Some(&other_confirmed), &cancelled),
        (None, &phone),
        (Some(&phone), &phone_confirmed),
        (Some(&phone_confirmed), &paid_at_desk),
        (Some(&paid_at_desk), &no_show),
        (Some(&completed), &refunded),
        (Some(&expired), &voided),
        (Some(&cancelled), &paid_late),
    ];

    let mut seen = BTreeSet::new();
    for (old, new) in changes {
        let event = booking_event(old, Some(new)).expect("every change here is a fact");
        let delivered = delivered(&event.clone().into());

        assert_valid(event.detail_type(), &delivered);
        let text = delivered["detail"].to_string();
        assert!(!text.contains("staff:"), "{text}");
        assert!(!text.contains("4e1d7c"), "{text}");
        assert!(
            !text.contains("Quaresma") && !text.contains("351912345678"),
            "{text}"
        );
        seen.insert(event.detail_type());
    }
    assert_eq!(seen, BookingEvent::DETAIL_TYPES.into_iter().collect());
}

#[test]
fn the_events_of_a_real_looking_vendor_and_its_tables_match_their_schemas() {
    let at = utc("2026-02-01T08:00:00Z");
    let restaurant = Vendor {
        id: VendorId::parse("0195b311-2e4f-7a6b-8c9d-0e1f2a3b4c5d").unwrap(),
        kind: VendorKind::Restaurant,
        name: Title::parse("Trattoria Lumen").unwrap(),
        description: Description::parse("Wood-fired pizza by the canal.").unwrap(),
        address: Address {
            line1: AddressLine::parse("Paul-Lincke-Ufer 8").unwrap(),
            line2: None,
            postal_code: "10999".into(),
            city: AddressLine::parse("Berlin").unwrap(),
            country: CountryCode::parse("DE").unwrap(),
        },
        location: GeoPoint::new(52.4953, 13.4241).unwrap(),
        time_zone: berlin(),
        currency: Currency::parse("EUR").unwrap(),
        facilities: vec!["terrace".into()],
        cuisines: vec!["italian".into(), "pizza".into()],
        contact: Contact {
            email: Email::parse("ciao@lumen.example").unwrap(),
            phone: None,
        },
        desk_hold_minutes: Default::default(),
        taxes: Default::default(),
        night_audit_at: Default::default(),
        created_at: at,
        updated_at: at,
        version: 1,
    };
    let with_step_free_access = Vendor {
        facilities: vec!["terrace".into(), "wheelchair access".into()],
        updated_at: at + Duration::days(3),
        version: 2,
        ..restaurant.clone()
    };
    let mut table = resource(
        "0195b311-5f6a-7b8c-9d0e-1f2a3b4c5d6e",
        "Table for four",
        ResourceKind::TableType,
        2_000,
    );
    table.vendor_id = restaurant.id;
    let more_tables = Resource {
        units: UnitCount::new(24).unwrap(),
        version: 2,
        ..table.clone()
    };

    let events: Vec<Event> = vec![
        vendor_event(None, Some(&restaurant)).unwrap().into(),
        vendor_event(Some(&restaurant), Some(&with_step_free_access))
            .unwrap()
            .into(),
        resource_event(None, Some(&table)).unwrap().into(),
        resource_event(Some(&table), Some(&more_tables))
            .unwrap()
            .into(),
    ];

    let detail_types: Vec<&str> = events.iter().map(Event::detail_type).collect();
    assert_eq!(
        detail_types,
        [
            "VendorOnboarded",
            "VendorUpdated",
            "ResourceChanged",
            "ResourceChanged"
        ]
    );
    for event in events {
        let delivered = delivered(&event);

        assert_valid(event.detail_type(), &delivered);
        assert!(!delivered.to_string().contains("lumen.example"));
    }
}

#[test]
fn the_facts_of_a_real_looking_rating_match_their_schema() {
    let vendor = VendorId::parse("0195b311-2e4f-7a6b-8c9d-0e1f2a3b4c5d").unwrap();
    let mut ratings = Vec::new();
    let mut previous: Option<Rating> = None;
    // Five guests review over a week: 5, 4, 4, 2 and 5 stars.
    for (day, stars) in [5u64, 4, 4, 2, 5].into_iter().enumerate() {
        let rating = Rating {
            vendor_id: vendor,
            stars_total: previous.as_ref().map_or(0, |r| r.stars_total) + stars,
            count: day as u64 + 1,
            version: day as u64 + 1,
            updated_at: utc("2026-03-01T20:15:00Z") + Duration::days(day as i64),
        };
        ratings.push(rating_event(previous.as_ref(), Some(&rating)).unwrap());
        previous = Some(rating);
    }

    let averages: Vec<f64> = ratings
        .iter()
        .map(|event| match event {
            VendorEvent::Rated(detail) => detail.average,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(averages, [5.0, 4.5, 4.3, 3.8, 4.0]);
    for event in ratings {
        let event = Event::from(event);
        let delivered = delivered(&event);

        assert_valid("VendorRated", &delivered);
        assert_eq!(event.aggregate_id(), format!("{vendor}#rating"));
    }
}

#[test]
fn the_night_audits_samples_validate_and_read_back_unchanged() {
    use shared::night_audit::{DAY_CLOSED, DEPARTURES_OVERDUE, DayClosed, DeparturesOverdue};
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(detail_type: &str) {
        let delivered = sample(detail_type);
        assert_valid(detail_type, &delivered);
        assert_eq!(delivered["source"], "reservations.night-audit");
        let detail: T = serde_json::from_value(delivered["detail"].clone())
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(serde_json::to_value(&detail).unwrap(), delivered["detail"]);
    }
    round_trip::<DayClosed>(DAY_CLOSED);
    round_trip::<DeparturesOverdue>(DEPARTURES_OVERDUE);

    let mut named = sample(DEPARTURES_OVERDUE);
    named["detail"]["guest_name"] = json!("Erika Mustermann");
    assert!(validator(DEPARTURES_OVERDUE).validate(&named).is_err());
}

#[test]
fn the_billing_samples_validate_and_read_back_unchanged_and_carry_no_guest_data() {
    use shared::billing::events::{
        CREDIT_NOTE_ISSUED, CreditNoteIssued, INVOICE_ISSUED, InvoiceIssued,
    };
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(detail_type: &str) {
        let delivered = sample(detail_type);
        assert_valid(detail_type, &delivered);
        jsonschema::draft202012::meta::validate(&schema(detail_type))
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(delivered["source"], "reservations.billing");
        let detail: T = serde_json::from_value(delivered["detail"].clone())
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(serde_json::to_value(&detail).unwrap(), delivered["detail"]);
    }
    round_trip::<InvoiceIssued>(INVOICE_ISSUED);
    round_trip::<CreditNoteIssued>(CREDIT_NOTE_ISSUED);

    let mut named = sample(INVOICE_ISSUED);
    named["detail"]["guest_email"] = json!("erika@example.com");
    assert!(validator(INVOICE_ISSUED).validate(&named).is_err());
}

#[test]
fn the_waitlists_samples_validate_and_read_back_unchanged_and_carry_no_guest_data() {
    use shared::waitlist::{DETAIL_TYPES, WaitlistFact};
    for detail_type in DETAIL_TYPES {
        let delivered = sample(detail_type);
        assert_valid(detail_type, &delivered);
        jsonschema::draft202012::meta::validate(&schema(detail_type))
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(delivered["source"], "reservations.waitlist");
        let detail: WaitlistFact = serde_json::from_value(delivered["detail"].clone())
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(serde_json::to_value(&detail).unwrap(), delivered["detail"]);
    }

    let mut named = sample("WaitlistOffered");
    named["detail"]["guest_email"] = json!("erika@example.com");
    assert!(validator("WaitlistOffered").validate(&named).is_err());
}

#[test]
fn the_channel_samples_validate_and_read_back_unchanged_and_carry_no_secret() {
    use shared::channels::events::{CHANNELS_SOURCE, ChannelFact, DETAIL_TYPES};
    for detail_type in DETAIL_TYPES {
        let delivered = sample(detail_type);
        assert_valid(detail_type, &delivered);
        jsonschema::draft202012::meta::validate(&schema(detail_type))
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(delivered["source"], CHANNELS_SOURCE);
        let detail: ChannelFact = serde_json::from_value(delivered["detail"].clone())
            .unwrap_or_else(|e| panic!("{detail_type}: {e}"));
        assert_eq!(serde_json::to_value(&detail).unwrap(), delivered["detail"]);
        assert_eq!(
            detail.event_id,
            format!("channel:{}:{}", detail.client_id, detail.version)
        );
    }
    for (member, value) in [
        (
            "client_secret",
            json!("q8J0n7m1Yb3v5Xc2Zt4Rw6Ps9Lk0Hf1Dg3Ja5Sb7Nc8"),
        ),
        ("webhook_url", json!("https://cm.example.com/ari")),
    ] {
        let mut leaked = sample("ChannelConnected");
        leaked["detail"][member] = value;
        assert!(
            validator("ChannelConnected").validate(&leaked).is_err(),
            "{member}"
        );
    }
}
