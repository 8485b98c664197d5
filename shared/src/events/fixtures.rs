//! Bookings, vendors, room types and ratings to build facts from, for the tests of any module
//! that needs a fact (`use crate::events::fixtures::{hold, moved}`).
use crate::domain::account::{Email, Phone};
use crate::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::{BookedTime, CheckInTime, StayNights};
use crate::domain::deposit::{CancellationPolicy, Charge, FreeHours, PaymentTerms, Percent};
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::inventory::OverbookingAllowance;
use crate::domain::money::{Currency, Money};
use crate::domain::party::PartySize;
use crate::domain::pricing::PricePlan;
use crate::domain::resource::{Capacity, Resource, ResourceKind, UnitCount};
use crate::domain::review::Rating;
use crate::domain::text::{AddressLine, Description, Title};
use crate::domain::vendor::{
    Address, Contact, CountryCode, GeoPoint, TimeZone, Vendor, VendorKind,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

pub(crate) fn utc(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
}

pub(crate) fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

/// A two-night hold of one double room in Berlin, taken by a guest online.
pub(crate) fn hold() -> Booking {
    let zone = TimeZone::parse("Europe/Berlin").unwrap();
    let stay = StayNights::new(date("2026-03-27"), date("2026-03-29")).unwrap();
    let booked = BookedTime::Stay(stay);
    let quote = PricePlan::flat(Money::price(12_900, "EUR").unwrap())
        .quote(&booked, 1)
        .unwrap();
    let created = utc("2026-03-01T09:15:00Z");
    Booking {
        id: BookingId::parse("0195a1b2-0000-7000-8000-0000000000b1").unwrap(),
        vendor_id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
        resource_id: ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c1").unwrap(),
        guest_id: Some(UserId::parse("0195a1b2-0000-7000-8000-0000000000d1").unwrap()),
        booked_by: "guest:0195a1b2-0000-7000-8000-0000000000d1".into(),
        channel: Channel::Online,
        party_size: PartySize::new(2).unwrap(),
        units: 1,
        time: BookingTime::Stay {
            check_in: stay.check_in(),
            check_out: stay.check_out(),
        },
        time_zone: zone,
        buckets: booked.buckets(),
        arrival_at: booked.arrival(zone, CheckInTime::default()).unwrap(),
        quote,
        status: BookingStatus::Held,
        version: 1,
        unit: None,
        check_in: None,
        hold_expires_at: Some(created + Duration::minutes(10)),
        payment: PaymentTerms {
            deposit: Some(Money::price(7_740, "EUR").unwrap()),
            cancellation: CancellationPolicy {
                free_until_hours: FreeHours::new(48).unwrap(),
                late_fee: Some(Charge::Percent {
                    percent: Percent::new(50).unwrap(),
                }),
                no_show_grace_minutes: None,
            },
        },
        deposit_payment: None,
        desk_guest: None,
        desk_payments: Vec::new(),
        request_hash: "9f2c".into(),
        created_at: created,
        updated_at: created,
    }
}

/// The next committed version of `booking`, as the engine writes it.
pub(crate) fn next(booking: &Booking, change: impl FnOnce(&mut Booking)) -> Booking {
    let mut changed = booking.clone();
    changed.version += 1;
    changed.updated_at += Duration::minutes(3);
    change(&mut changed);
    changed
}

pub(crate) fn moved(booking: &Booking, action: BookingAction) -> Booking {
    next(booking, |b| {
        b.status = booking.status.next(action).unwrap();
        if b.status != BookingStatus::Held {
            b.hold_expires_at = None;
        }
    })
}

pub(crate) fn vendor() -> Vendor {
    let at = utc("2026-02-01T08:00:00Z");
    Vendor {
        id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
        kind: VendorKind::Hotel,
        name: Title::parse("Hotel Spreeblick").unwrap(),
        description: Description::parse("Rooms over the river.").unwrap(),
        address: Address {
            line1: AddressLine::parse("Am Ufer 1").unwrap(),
            line2: None,
            postal_code: "10178".into(),
            city: AddressLine::parse("Berlin").unwrap(),
            country: CountryCode::parse("DE").unwrap(),
        },
        location: GeoPoint::new(52.52, 13.40).unwrap(),
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        facilities: vec!["pool".into(), "wifi".into()],
        cuisines: vec![],
        contact: Contact {
            email: Email::parse("desk@spreeblick.example").unwrap(),
            phone: Some(Phone::parse("+49301234567").unwrap()),
        },
        desk_hold_minutes: Default::default(),
        taxes: Default::default(),
        night_audit_at: Default::default(),
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

pub(crate) fn room_type() -> Resource {
    let at = utc("2026-02-01T08:05:00Z");
    Resource {
        id: ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c1").unwrap(),
        vendor_id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
        kind: ResourceKind::RoomType,
        name: Title::parse("Double room").unwrap(),
        description: Description::empty(),
        capacity: Capacity::new(2).unwrap(),
        units: UnitCount::new(20).unwrap(),
        shards: Default::default(),
        units_in_service: None,
        base_price: Money::price(12_900, "EUR").unwrap(),
        amenities: vec![],
        price_rules: vec![],
        overbooking_percent: OverbookingAllowance::new(10).unwrap(),
        booking_window: Default::default(),
        check_in_time: None,
        seating: None,
        deposit: Default::default(),
        cancellation: Default::default(),
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

/// The rating of `count` reviews adding up to `stars_total`, `minutes` after the first.
pub(crate) fn rating(stars_total: u64, count: u64, minutes: i64) -> Rating {
    Rating {
        vendor_id: vendor().id,
        stars_total,
        count,
        version: count,
        updated_at: utc("2026-04-01T12:00:00Z") + Duration::minutes(minutes),
    }
}
