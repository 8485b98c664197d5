//! Facts about a booking: one detail, one detail-type per status it reaches, and
//! `BookingUpdated` for any other change.
use super::{BOOKINGS_SOURCE, EventId, FactHeader};
use crate::domain::booking::{Booking, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::Bucket;
use crate::domain::deposit::PaymentTerms;
use crate::domain::desk::{DeskPayment, DeskPaymentMethod};
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::money::Money;
use crate::domain::party::PartySize;
use crate::domain::payment::DepositPayment;
use crate::domain::unit::{CheckInMethod, UnitAssignment};
use crate::domain::vendor::TimeZone;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Who made a booking, by role only: the person's id stays in the bookings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Booker {
    Guest,
    Staff,
    Admin,
    /// A connected channel (booking site, channel manager, the hotel's system) imported it.
    Channel,
}

impl Booker {
    fn of(booking: &Booking) -> Self {
        match booking.booked_by.split_once(':').map(|(role, _)| role) {
            Some("guest") => Self::Guest,
            Some("staff") => Self::Staff,
            Some("admin") => Self::Admin,
            Some("channel") => Self::Channel,
            // Every creator is written as `<role>:<id>`; the channel tells the role otherwise.
            _ => match booking.channel {
                Channel::Online => Self::Guest,
                Channel::WalkIn | Channel::Phone | Channel::FrontDesk => Self::Staff,
                Channel::Ota | Channel::ChannelManager | Channel::Pms => Self::Channel,
            },
        }
    }
}

/// Money taken at the desk as a fact tells it: how much, how, when and by which role. The member
/// of staff and the receipt's reference stay in the bookings table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskPaymentFact {
    pub amount: Money,
    pub method: DeskPaymentMethod,
    /// `staff` or `admin`.
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

impl DeskPaymentFact {
    fn of(payment: &DeskPayment) -> Self {
        let role = payment
            .taken_by
            .split_once(':')
            .map_or(payment.taken_by.as_str(), |(role, _)| role);
        Self {
            amount: payment.amount,
            method: payment.method,
            taken_by: role.to_owned(),
            taken_at: payment.taken_at,
        }
    }
}

/// What is booked: the part of a booking a change request can alter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingTerms {
    pub resource_id: ResourceId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub buckets: Vec<Bucket>,
    pub arrival_at: DateTime<Utc>,
    /// The quoted price of the whole booking.
    pub total: Money,
}

impl BookingTerms {
    fn of(booking: &Booking) -> Self {
        Self {
            resource_id: booking.resource_id,
            party_size: booking.party_size,
            units: booking.units,
            time: booking.time,
            buckets: booking.buckets.clone(),
            arrival_at: booking.arrival_at,
            total: booking.quote.total,
        }
    }
}

/// A check-in as a fact carries it: when, how, whether staff saw an identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInFact {
    pub at: DateTime<Utc>,
    pub method: CheckInMethod,
    pub early: bool,
    pub id_checked: bool,
}

/// A booking as consumers see it after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub booking_id: BookingId,
    pub vendor_id: VendorId,
    /// `None` for a front-desk booking of a guest without an account.
    pub guest_id: Option<UserId>,
    pub booked_by: Booker,
    pub channel: Channel,
    pub status: BookingStatus,
    /// `None` when the booking was just created.
    pub previous_status: Option<BookingStatus>,
    pub resource_id: ResourceId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub buckets: Vec<Bucket>,
    pub arrival_at: DateTime<Utc>,
    /// The quoted price of the whole booking.
    pub total: Money,
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// The deposit and cancellation terms agreed when it was held (what a refund follows).
    pub payment: PaymentTerms,
    /// What happened to the deposit at the payment provider: paid, and when the booking ended,
    /// refunded or kept with the amounts. `None` while no payment was asked for.
    pub deposit_payment: Option<DepositPayment>,
    /// Money taken at the desk, outside Stripe. A desk guest's name and contact are never here:
    /// a consumer that needs them reads the booking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desk_payments: Vec<DeskPaymentFact>,
    /// The room or table it is put in (a move is a `BookingUpdated` with another one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitAssignment>,
    /// How and when the guest was checked in; who did it stays in the bookings table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<CheckInFact>,
    /// `BookingUpdated` only: the terms before the change, so a refund or a notification can tell
    /// what moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<BookingTerms>,
    /// The quote's lines: the price of each night (hotels) or of the seating, in the total's
    /// currency, so reports can attribute revenue to nights. Empty in facts published before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_lines: Vec<PriceLine>,
    /// When the booking was created (reports count the lead time from it); absent in facts
    /// published before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// One line of a booking's quote as facts carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    /// The local date of the night, or of the seating.
    pub date: NaiveDate,
    pub amount_minor: i64,
}

impl BookingDetail {
    fn of(booking: &Booking, previous: Option<&Booking>) -> Self {
        Self {
            header: FactHeader::new(
                EventId::for_booking(booking.id, booking.version),
                booking.version,
                booking.updated_at,
                previous.map(|b| b.updated_at),
            ),
            booking_id: booking.id,
            vendor_id: booking.vendor_id,
            guest_id: booking.guest_id,
            booked_by: Booker::of(booking),
            channel: booking.channel,
            status: booking.status,
            previous_status: previous.map(|b| b.status),
            resource_id: booking.resource_id,
            party_size: booking.party_size,
            units: booking.units,
            time: booking.time,
            time_zone: booking.time_zone,
            buckets: booking.buckets.clone(),
            arrival_at: booking.arrival_at,
            total: booking.quote.total,
            hold_expires_at: booking.hold_expires_at,
            payment: booking.payment,
            deposit_payment: booking.deposit_payment.clone().map(by_role),
            desk_payments: booking
                .desk_payments
                .iter()
                .map(DeskPaymentFact::of)
                .collect(),
            unit: booking.unit.clone(),
            check_in: booking.check_in.as_ref().map(|record| CheckInFact {
                at: record.at,
                method: record.method,
                early: record.early,
                id_checked: record.id_checked_by.is_some(),
            }),
            previous: None,
            price_lines: booking
                .quote
                .lines
                .iter()
                .map(|line| PriceLine {
                    date: line.date,
                    amount_minor: line.amount.amount_minor,
                })
                .collect(),
            created_at: Some(booking.created_at),
        }
    }

    /// What is booked after the change.
    pub fn terms(&self) -> BookingTerms {
        BookingTerms {
            resource_id: self.resource_id,
            party_size: self.party_size,
            units: self.units,
            time: self.time,
            buckets: self.buckets.clone(),
            arrival_at: self.arrival_at,
            total: self.total,
        }
    }
}

/// The deposit with its settlement's `acted_by` cut to the role (`staff:<id>` -> `staff`), as
/// `booked_by` is: who in particular acted stays in the bookings table.
fn by_role(mut deposit: DepositPayment) -> DepositPayment {
    if let Some(acted_by) = deposit
        .settlement
        .as_mut()
        .and_then(|settlement| settlement.acted_by.as_mut())
        && let Some((role, _)) = acted_by.split_once(':')
    {
        *acted_by = role.to_owned();
    }
    deposit
}

super::fact_family! {
    /// One fact about a booking; each is its own EventBridge detail-type.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum BookingEvent from BOOKINGS_SOURCE {
        Held(BookingDetail) = "BookingHeld",
        Confirmed(BookingDetail) = "BookingConfirmed",
        /// Anything but the status changed (usually the terms, within a held or confirmed
        /// booking); `previous` says what the terms were.
        Updated(BookingDetail) = "BookingUpdated",
        Cancelled(BookingDetail) = "BookingCancelled",
        Expired(BookingDetail) = "BookingExpired",
        CheckedIn(BookingDetail) = "BookingCheckedIn",
        Completed(BookingDetail) = "BookingCompleted",
        NoShow(BookingDetail) = "BookingNoShow",
    }
}

impl BookingEvent {
    /// The event that reports reaching the detail's status.
    fn reaching(detail: BookingDetail) -> Self {
        match detail.status {
            BookingStatus::Held => Self::Held(detail),
            BookingStatus::Confirmed => Self::Confirmed(detail),
            BookingStatus::Cancelled => Self::Cancelled(detail),
            BookingStatus::Expired => Self::Expired(detail),
            BookingStatus::CheckedIn => Self::CheckedIn(detail),
            BookingStatus::Completed => Self::Completed(detail),
            BookingStatus::NoShow => Self::NoShow(detail),
        }
    }

    /// The booking as it is after the change, whichever the fact.
    pub fn booking(&self) -> &BookingDetail {
        match self {
            Self::Held(detail)
            | Self::Confirmed(detail)
            | Self::Updated(detail)
            | Self::Cancelled(detail)
            | Self::Expired(detail)
            | Self::CheckedIn(detail)
            | Self::Completed(detail)
            | Self::NoShow(detail) => detail,
        }
    }
}

/// The event a committed change of one booking means.
///
/// A new booking reports its status (a hold); a status change reports the new status; any other
/// change is `BookingUpdated` (with the previous terms). Nothing is published for a pair that is
/// not one booking moving forward (a stale or replayed pair), or for a delete (which is
/// archiving's business).
pub fn booking_event(old: Option<&Booking>, new: Option<&Booking>) -> Option<BookingEvent> {
    let new = new?;
    let Some(old) = old else {
        return Some(BookingEvent::reaching(BookingDetail::of(new, None)));
    };
    if old.id != new.id || new.version <= old.version {
        return None;
    }
    let detail = BookingDetail::of(new, Some(old));
    if old.status != new.status {
        return Some(BookingEvent::reaching(detail));
    }
    Some(BookingEvent::Updated(BookingDetail {
        previous: Some(BookingTerms::of(old)),
        ..detail
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::BookingAction;
    use crate::domain::calendar::StayNights;
    use crate::events::fixtures::{date, hold, moved, next};
    use serde_json::{Value, json};
    use uuid::Uuid;

    const STAFF_ID: &str = "0190f0e0-5555-7000-8000-000000000005";

    /// Every key anywhere in a JSON document.
    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map
                .iter()
                .flat_map(|(key, inner)| std::iter::once(key.clone()).chain(keys(inner)))
                .collect(),
            Value::Array(items) => items.iter().flat_map(keys).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_new_hold_is_published_as_booking_held_with_no_previous_status() {
        let booking = hold();

        let event = booking_event(None, Some(&booking)).unwrap();

        assert_eq!(event.detail_type(), "BookingHeld");
        assert_eq!(event.source(), "reservations.bookings");
        let detail = event.booking();
        assert_eq!(detail.booking_id, booking.id);
        assert_eq!(detail.header.version, 1);
        assert_eq!(detail.status, BookingStatus::Held);
        assert_eq!(detail.previous_status, None);
        assert_eq!(detail.header.occurred_at, booking.updated_at);
        assert_eq!(detail.hold_expires_at, booking.hold_expires_at);
        assert_eq!(detail.total, Money::price(25_800, "EUR").unwrap());
        assert_eq!(detail.previous, None);
        assert_eq!(
            detail.header.event_id,
            EventId::for_booking(booking.id, booking.version)
        );
    }

    #[test]
    fn every_lifecycle_transition_publishes_the_event_named_for_the_new_status() {
        let expected = [
            (BookingStatus::Confirmed, "BookingConfirmed"),
            (BookingStatus::Cancelled, "BookingCancelled"),
            (BookingStatus::Expired, "BookingExpired"),
            (BookingStatus::CheckedIn, "BookingCheckedIn"),
            (BookingStatus::Completed, "BookingCompleted"),
            (BookingStatus::NoShow, "BookingNoShow"),
        ];
        let mut transitions = 0;
        for from in BookingStatus::ALL {
            for action in BookingAction::ALL {
                let Ok(to) = from.next(action) else { continue };
                let before = next(&hold(), |b| b.status = from);
                let after = moved(&before, action);

                let event = booking_event(Some(&before), Some(&after)).unwrap();

                let name = expected.iter().find(|(s, _)| *s == to).unwrap().1;
                assert_eq!(event.detail_type(), name, "{from} + {action:?}");
                assert_eq!(event.booking().status, to);
                assert_eq!(event.booking().previous_status, Some(from));
                assert_eq!(event.booking().header.version, after.version);
                transitions += 1;
            }
        }
        assert_eq!(transitions, 7);
    }

    #[test]
    fn changed_dates_party_units_or_room_type_publish_booking_updated_with_the_previous_terms() {
        let confirmed = moved(&hold(), BookingAction::Confirm);
        type Change = fn(&mut Booking);
        let changes: [(&str, Change); 4] = [
            ("dates", |b| {
                b.time = BookingTime::Stay {
                    check_in: date("2026-03-28"),
                    check_out: date("2026-03-30"),
                };
                b.buckets = StayNights::new(date("2026-03-28"), date("2026-03-30"))
                    .unwrap()
                    .buckets();
            }),
            ("party", |b| b.party_size = PartySize::new(1).unwrap()),
            ("units", |b| b.units = 2),
            ("room type", |b| {
                b.resource_id = ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c2").unwrap()
            }),
        ];
        for (what, change) in changes {
            let changed = next(&confirmed, change);

            let event = booking_event(Some(&confirmed), Some(&changed)).unwrap();

            let BookingEvent::Updated(updated) = &event else {
                panic!("{what}: {event:?}");
            };
            assert_eq!(updated.status, BookingStatus::Confirmed, "{what}");
            assert_eq!(updated.previous_status, Some(BookingStatus::Confirmed));
            assert_eq!(
                updated.previous,
                Some(BookingTerms::of(&confirmed)),
                "{what}"
            );
            assert_eq!(updated.terms(), BookingTerms::of(&changed), "{what}");
        }
    }

    #[test]
    fn every_version_is_a_fact_even_when_only_bookkeeping_changed_so_versions_have_no_gaps() {
        let held = hold();
        let bookkeeping_only = next(&held, |b| {
            b.request_hash = "other".into();
        });

        let event = booking_event(Some(&held), Some(&bookkeeping_only)).unwrap();

        let BookingEvent::Updated(detail) = event else {
            panic!("{event:?}")
        };
        assert_eq!(detail.header.version, 2);
        assert_eq!(detail.header.previous_version_at, Some(held.updated_at));
        assert_eq!(detail.previous, Some(BookingTerms::of(&held)));
    }

    #[test]
    fn stale_replayed_and_mismatched_pairs_publish_nothing() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let other = next(&held, |b| {
            b.id = BookingId::parse("0195a1b2-0000-7000-8000-0000000000b2").unwrap();
            b.status = BookingStatus::Confirmed;
        });

        assert_eq!(booking_event(Some(&confirmed), Some(&held)), None);
        assert_eq!(booking_event(Some(&confirmed), Some(&confirmed)), None);
        assert_eq!(booking_event(Some(&held), Some(&other)), None);
    }

    #[test]
    fn the_same_change_published_twice_has_the_same_event_id() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);

        let first = booking_event(Some(&held), Some(&confirmed)).unwrap();
        let again = booking_event(Some(&held), Some(&confirmed.clone())).unwrap();
        let hold_event = booking_event(None, Some(&held)).unwrap();

        assert_eq!(
            first.booking().header.event_id,
            again.booking().header.event_id
        );
        assert_ne!(
            first.booking().header.event_id,
            hold_event.booking().header.event_id
        );
        assert_eq!(
            first.booking().header.event_id.to_string(),
            Uuid::new_v5(
                &EventId::NAMESPACE,
                format!("booking#{}#2", held.id).as_bytes()
            )
            .to_string()
        );
    }

    #[test]
    fn a_desk_booking_s_facts_carry_neither_the_guest_s_name_nor_contact_and_payments_by_role() {
        use crate::domain::account::{Email, Locale, Phone};
        use crate::domain::desk::{DeskGuest, DeskPayment, PaymentReference};
        use crate::domain::text::PersonName;
        let walk_in = next(&hold(), |b| {
            b.guest_id = None;
            b.booked_by = format!("staff:{STAFF_ID}");
            b.channel = Channel::WalkIn;
            b.desk_guest = Some(DeskGuest {
                name: PersonName::parse("Ana Quaresma").unwrap(),
                email: Some(Email::parse("ana.quaresma@example.org").unwrap()),
                phone: Some(Phone::parse("+351912345678").unwrap()),
                locale: Some(Locale::parse("pt-PT").unwrap()),
            });
        });
        let paid = next(&walk_in, |b| {
            b.desk_payments.push(DeskPayment {
                amount: Money::price(5_000, "EUR").unwrap(),
                method: DeskPaymentMethod::CardTerminal,
                reference: Some(PaymentReference::parse("RCPT-77").unwrap()),
                taken_by: format!("staff:{STAFF_ID}"),
                taken_at: b.updated_at,
                idempotency_key: "desk-pay-1".into(),
            })
        });

        for event in [
            booking_event(None, Some(&walk_in)).unwrap(),
            booking_event(Some(&walk_in), Some(&paid)).unwrap(),
        ] {
            let detail = event.detail().unwrap();
            let text = detail.to_string();

            assert_eq!(detail["channel"], "walk_in");
            for personal in ["Ana", "Quaresma", "ana.quaresma", "912345678", STAFF_ID] {
                assert!(!text.contains(personal), "{personal} leaked: {text}");
            }
            assert!(!keys(&detail).contains(&"desk_guest".to_owned()), "{text}");
            assert!(
                !text.contains("RCPT-77") && !text.contains("desk-pay-1"),
                "{text}"
            );
        }
        let updated = booking_event(Some(&walk_in), Some(&paid)).unwrap();
        assert_eq!(updated.detail_type(), "BookingUpdated");
        let detail = updated.detail().unwrap();
        assert_eq!(
            detail["desk_payments"],
            json!([{
                "amount": {"amount_minor": 5_000, "currency": "EUR"},
                "method": "card_terminal",
                "taken_by": "staff",
                "taken_at": paid.updated_at,
            }])
        );
    }

    #[test]
    fn booking_events_carry_the_guest_by_id_and_the_booker_by_role_only() {
        let phone_booking = next(&hold(), |b| {
            b.guest_id = None;
            b.booked_by = format!("staff:{STAFF_ID}");
            b.channel = Channel::FrontDesk;
        });
        let confirmed = moved(&phone_booking, BookingAction::Confirm);
        let changed = next(&confirmed, |b| b.units = 2);

        for event in [
            booking_event(None, Some(&phone_booking)).unwrap(),
            booking_event(Some(&phone_booking), Some(&confirmed)).unwrap(),
            booking_event(Some(&confirmed), Some(&changed)).unwrap(),
        ] {
            let detail = event.detail().unwrap();
            let text = detail.to_string();

            assert_eq!(detail["booked_by"], "staff");
            assert_eq!(detail["guest_id"], Value::Null);
            assert!(!text.contains(STAFF_ID), "{text}");
            assert!(!text.contains("9f2c"), "the request hash leaked: {text}");
            for key in keys(&detail) {
                for personal in ["email", "phone", "name", "request_hash", "booked_by_id"] {
                    assert!(!key.contains(personal), "{} has {key}", event.detail_type());
                }
            }
        }
    }

    #[test]
    fn a_booking_detail_lists_what_consumers_need() {
        let event = booking_event(None, Some(&hold())).unwrap();

        let detail = event.detail().unwrap();

        assert_eq!(
            detail,
            json!({
                "schema_version": 1,
                "event_id": EventId::for_booking(hold().id, 1),
                "booking_id": "0195a1b2-0000-7000-8000-0000000000b1",
                "version": 1,
                "previous_version_at": null,
                "occurred_at": "2026-03-01T09:15:00Z",
                "vendor_id": "0195a1b2-0000-7000-8000-0000000000a1",
                "guest_id": "0195a1b2-0000-7000-8000-0000000000d1",
                "booked_by": "guest",
                "channel": "online",
                "status": "HELD",
                "previous_status": null,
                "resource_id": "0195a1b2-0000-7000-8000-0000000000c1",
                "party_size": 2,
                "units": 1,
                "time": {"kind": "stay", "check_in": "2026-03-27", "check_out": "2026-03-29"},
                "buckets": ["N#2026-03-27", "N#2026-03-28"],
                "arrival_at": "2026-03-27T14:00:00Z",
                "total": {"amount_minor": 25_800, "currency": "EUR"},
                "time_zone": "Europe/Berlin",
                "hold_expires_at": "2026-03-01T09:25:00Z",
                "payment": {
                    "deposit": {"amount_minor": 7_740, "currency": "EUR"},
                    "cancellation": {
                        "free_until_hours": 48,
                        "late_fee": {"kind": "percent", "percent": 50}
                    }
                },
                "deposit_payment": null,
                "price_lines": [
                    {"date": "2026-03-27", "amount_minor": 12_900},
                    {"date": "2026-03-28", "amount_minor": 12_900}
                ],
                "created_at": "2026-03-01T09:15:00Z",
            })
        );
    }
}
