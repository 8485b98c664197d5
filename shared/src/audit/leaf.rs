//! A booking fact as a leaf of its vendor's audit log: the fact's own fields (status, dates,
//! room and resource, price, the deposit paid, refunded and kept, money taken at the desk), who
//! acted by kind (a desk payment's taker by role), the channel, and a salted commitment to the
//! guest.
//! Nothing else of the event goes in: no name, email, phone or account id can reach a leaf.
use crate::domain::booking::BookingStatus;
use crate::domain::booking::BookingTime;
use crate::domain::money::Money;
use crate::domain::unit::CheckInMethod;
use crate::events::{Booker, BookingDetail, BookingEvent};
use serde::Serialize;
use tlog::leaf::{ActorKind, Amount, BookingTime as LeafTime};

/// Who the commitment of a booking's leaves is to: the guest's account id for a guest with an
/// account, `desk:<booking id>` for a guest the desk booked without one. Only the booking's
/// owner learns it (with the secret, from the receipt), so nobody else can link two leaves to
/// one guest, and a guest's account id never appears in a leaf.
pub fn guest_identity(detail: &BookingDetail) -> String {
    match detail.guest_id {
        Some(guest) => guest.to_string(),
        None => format!("desk:{}", detail.booking_id),
    }
}

/// The leaf a booking fact becomes, committing to the guest with the booking's secret.
pub fn leaf_of(event: &BookingEvent, secret: &tlog::CommitmentSecret) -> tlog::Leaf {
    let detail = event.booking();
    let deposit = detail.deposit_payment.as_ref();
    let settlement = deposit.and_then(|deposit| deposit.settlement.as_ref());
    tlog::Leaf {
        booking_id: detail.booking_id.to_string(),
        vendor_id: detail.vendor_id.to_string(),
        version: detail.header.version,
        detail_type: event.detail_type().to_owned(),
        status: label(&detail.status),
        previous_status: detail.previous_status.as_ref().map(label),
        time: Some(time(&detail.time)),
        unit_number: detail.unit.as_ref().map(|unit| unit.number.to_string()),
        total: Some(amount(&detail.total)),
        deposit_status: deposit.map(|deposit| label(&deposit.status)),
        resource_id: Some(detail.resource_id.to_string()),
        deposit_paid: deposit
            .and_then(|deposit| deposit.paid.as_ref())
            .map(amount),
        deposit_refund: settlement.map(|settlement| amount(&settlement.refund)),
        deposit_kept: settlement.map(|settlement| amount(&settlement.kept)),
        desk_payments: detail
            .desk_payments
            .iter()
            .map(|payment| tlog::leaf::DeskPayment {
                amount: amount(&payment.amount),
                method: label(&payment.method),
                taken_by: role(&payment.taken_by),
                taken_at: rfc3339(&payment.taken_at),
            })
            .collect(),
        channel: label(&detail.channel),
        actor: actor(event),
        occurred_at: rfc3339(&detail.header.occurred_at),
        guest_commitment: secret.commit(&guest_identity(detail)),
    }
}

/// The leaf's canonical bytes, as appended.
pub fn leaf_bytes(event: &BookingEvent, secret: &tlog::CommitmentSecret) -> Vec<u8> {
    leaf_of(event, secret).to_bytes()
}

/// Who acted, by kind, as far as the fact tells it:
/// - a hold, or a change of its terms, is the booker's (guest, or staff for staff and admins);
/// - a check-in is the guest's when they checked in on their phone, staff's at the desk;
/// - an ending (cancelled, completed, no-show) is whoever its settlement names, else the booker;
/// - an expiry is the system's, and so is a confirmation by a paid deposit (the provider's
///   webhook), and any change after the booking ended (a refund settling);
/// - other changes of a live booking (a room assigned or moved, money taken at the desk) are
///   staff's.
fn actor(event: &BookingEvent) -> ActorKind {
    let detail = event.booking();
    let booker = match detail.booked_by {
        Booker::Guest => ActorKind::Guest,
        Booker::Staff | Booker::Admin => ActorKind::Staff,
        // A channel is an outside system acting for the vendor; the leaf has no kind for it.
        Booker::Channel => ActorKind::System,
    };
    let settled_by = detail
        .deposit_payment
        .as_ref()
        .and_then(|deposit| deposit.settlement.as_ref())
        .and_then(|settlement| settlement.acted_by.as_deref())
        .map(|role| match role {
            "guest" => ActorKind::Guest,
            "staff" | "admin" => ActorKind::Staff,
            _ => ActorKind::System,
        });
    let ended = matches!(
        detail.status,
        BookingStatus::Cancelled
            | BookingStatus::Expired
            | BookingStatus::Completed
            | BookingStatus::NoShow
    );
    match event {
        BookingEvent::Held(_) => booker,
        BookingEvent::Expired(_) => ActorKind::System,
        BookingEvent::Confirmed(_) => {
            if detail
                .deposit_payment
                .as_ref()
                .is_some_and(|d| d.paid.is_some())
            {
                ActorKind::System
            } else {
                booker
            }
        }
        BookingEvent::CheckedIn(_) => match detail.check_in.as_ref().map(|c| c.method) {
            Some(CheckInMethod::Desk) | None => ActorKind::Staff,
            Some(_) => ActorKind::Guest,
        },
        BookingEvent::Cancelled(_) | BookingEvent::Completed(_) | BookingEvent::NoShow(_) => {
            settled_by.unwrap_or(booker)
        }
        BookingEvent::Updated(_) if ended => ActorKind::System,
        BookingEvent::Updated(_)
            if detail
                .previous
                .as_ref()
                .is_some_and(|p| p != &detail.terms()) =>
        {
            booker
        }
        BookingEvent::Updated(_) => ActorKind::Staff,
    }
}

fn time(time: &BookingTime) -> LeafTime {
    match time {
        BookingTime::Stay {
            check_in,
            check_out,
        } => LeafTime::Stay {
            check_in: check_in.to_string(),
            check_out: check_out.to_string(),
        },
        BookingTime::Seating { date, time } => LeafTime::Seating {
            date: date.to_string(),
            time: time.format("%H:%M").to_string(),
        },
    }
}

fn amount(money: &Money) -> Amount {
    Amount {
        minor: money.amount_minor,
        currency: label(&money.currency),
    }
}

fn rfc3339(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The role part of who acted (`staff:<id>` gives `staff`): a leaf names a role, never a person.
fn role(acted_by: &str) -> String {
    acted_by
        .split_once(':')
        .map_or(acted_by, |(role, _)| role)
        .to_owned()
}

/// A unit enum or code as the events spell it (`CONFIRMED`, `walk_in`, `EUR`).
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
