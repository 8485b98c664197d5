//! The front desk: a guest booked by staff without an account (their name and how to reach them),
//! how long a desk hold lasts, and money taken at the desk outside Stripe.
use super::Invalid;
use super::account::{Email, Locale, Phone};
use super::booking::{Booking, BookingStatus};
use super::money::Money;
use super::text::PersonName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The guest of a desk booking who has no account. Personal data: it lives on the booking record
/// (read by the vendor's staff) and nowhere else: never in events, logs or keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskGuest {
    pub name: PersonName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// The language messages to the guest are written in; English when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
}

/// How many minutes a desk hold keeps its inventory before it lapses unless staff confirm it:
/// 1 to 60, 5 unless the vendor sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct DeskHoldMinutes(u8);

impl DeskHoldMinutes {
    pub const DEFAULT: u8 = 5;
    pub const MAX: u8 = 60;

    pub fn new(minutes: i64) -> Result<Self, Invalid> {
        u8::try_from(minutes)
            .ok()
            .filter(|m| (1..=Self::MAX).contains(m))
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 1 and {} minutes", Self::MAX)))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.0))
    }
}

impl Default for DeskHoldMinutes {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl TryFrom<i64> for DeskHoldMinutes {
    type Error = Invalid;

    fn try_from(minutes: i64) -> Result<Self, Invalid> {
        Self::new(minutes)
    }
}

impl From<DeskHoldMinutes> for i64 {
    fn from(minutes: DeskHoldMinutes) -> i64 {
        i64::from(minutes.0)
    }
}

/// How money was taken at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskPaymentMethod {
    Cash,
    CardTerminal,
}

impl DeskPaymentMethod {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "cash" => Ok(Self::Cash),
            "card_terminal" => Ok(Self::CardTerminal),
            _ => Err(Invalid::new("must be cash or card_terminal")),
        }
    }
}

/// A terminal's receipt or a till's slip number: up to 64 visible characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentReference(String);

impl PaymentReference {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.is_empty() || value.len() > 64 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Invalid::new(
                "must be 1 to 64 visible characters without spaces, e.g. a receipt number",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Money taken at the desk, settled outside Stripe, as recorded on the booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskPayment {
    pub amount: Money,
    pub method: DeskPaymentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<PaymentReference>,
    /// Who took it: `staff:<id>` or `admin:<id>`.
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
    /// The request's `Idempotency-Key`: a retry finds its payment instead of adding another.
    pub idempotency_key: String,
}

/// A booking records at most this many desk payments (its item stays small).
pub const MAX_DESK_PAYMENTS: usize = 50;

/// Why a desk payment cannot be recorded on a booking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskPaymentRefused {
    #[error("a booking that is {0} takes no payment")]
    Ended(BookingStatus),
    #[error("the booking is priced in {booking}, not {paid}")]
    Currency {
        booking: &'static str,
        paid: &'static str,
    },
    #[error("the idempotency key was used for another payment")]
    KeyReused,
    #[error("a booking records at most {MAX_DESK_PAYMENTS} desk payments")]
    TooMany,
}

/// What recording `payment` on a booking came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskPaymentOutcome {
    Recorded,
    /// The same payment (same key, amount, method and reference) is already on the booking.
    AlreadyRecorded,
}

impl DeskPayment {
    /// Whether `other` is this payment sent again: the same key for the same money.
    fn same_request(&self, other: &DeskPayment) -> bool {
        self.amount == other.amount
            && self.method == other.method
            && self.reference == other.reference
    }
}

/// Whether the booking's deposit is due at the desk: a desk booking (walk-in, phone, or an old
/// front-desk one) that no Stripe intent was made for. The Stripe rules (a hold waits for its
/// intent, a change may not ask more than was paid online) do not apply to it.
pub fn deposit_due_at_desk(booking: &Booking) -> bool {
    booking.channel.is_desk() && booking.deposit_payment.is_none()
}

/// Whether staff may confirm this hold: one whose deposit is due at the desk. A guest's online
/// hold is confirmed by its deposit only.
pub fn staff_may_confirm(booking: &Booking) -> bool {
    deposit_due_at_desk(booking)
}

/// Records `payment` on `booking` if the rules allow it: not on a booking that ended without
/// being used (expired, cancelled, no-show), only in the booking's currency, once per key.
pub fn record_desk_payment(
    booking: &mut Booking,
    payment: &DeskPayment,
) -> Result<DeskPaymentOutcome, DeskPaymentRefused> {
    if let Some(earlier) = booking
        .desk_payments
        .iter()
        .find(|p| p.idempotency_key == payment.idempotency_key)
    {
        return if earlier.same_request(payment) {
            Ok(DeskPaymentOutcome::AlreadyRecorded)
        } else {
            Err(DeskPaymentRefused::KeyReused)
        };
    }
    if matches!(
        booking.status,
        BookingStatus::Expired | BookingStatus::Cancelled | BookingStatus::NoShow
    ) {
        return Err(DeskPaymentRefused::Ended(booking.status));
    }
    let currency = booking.quote.total.currency;
    if payment.amount.currency != currency {
        return Err(DeskPaymentRefused::Currency {
            booking: currency.code(),
            paid: payment.amount.currency.code(),
        });
    }
    if booking.desk_payments.len() >= MAX_DESK_PAYMENTS {
        return Err(DeskPaymentRefused::TooMany);
    }
    booking.desk_payments.push(payment.clone());
    Ok(DeskPaymentOutcome::Recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::fixtures::hold;

    fn cash(amount_minor: i64, key: &str) -> DeskPayment {
        DeskPayment {
            amount: Money::price(amount_minor, "EUR").unwrap(),
            method: DeskPaymentMethod::Cash,
            reference: None,
            taken_by: "staff:0190f0e0-5555-7000-8000-000000000005".into(),
            taken_at: Utc::now(),
            idempotency_key: key.into(),
        }
    }

    #[test]
    fn desk_hold_minutes_run_from_one_to_sixty_and_default_to_five() {
        assert_eq!(DeskHoldMinutes::default().get(), 5);
        assert!(DeskHoldMinutes::new(1).is_ok());
        assert!(DeskHoldMinutes::new(60).is_ok());
        for wrong in [0, 61, -1, 300] {
            assert!(DeskHoldMinutes::new(wrong).is_err(), "{wrong}");
        }
        let stored: DeskHoldMinutes = serde_json::from_value(serde_json::json!(12)).unwrap();
        assert_eq!(stored.duration(), chrono::Duration::minutes(12));
        assert!(serde_json::from_value::<DeskHoldMinutes>(serde_json::json!(0)).is_err());
    }

    #[test]
    fn only_cash_and_the_card_terminal_are_desk_payment_methods() {
        assert_eq!(
            DeskPaymentMethod::parse("cash"),
            Ok(DeskPaymentMethod::Cash)
        );
        assert_eq!(
            DeskPaymentMethod::parse("card_terminal"),
            Ok(DeskPaymentMethod::CardTerminal)
        );
        assert!(DeskPaymentMethod::parse("stripe").is_err());
        assert!(DeskPaymentMethod::parse("Cash").is_err());
    }

    #[test]
    fn a_reference_is_a_short_visible_token() {
        assert_eq!(
            PaymentReference::parse(" R-0042 ").unwrap().as_str(),
            "R-0042"
        );
        assert!(PaymentReference::parse("").is_err());
        assert!(PaymentReference::parse("two words").is_err());
        assert!(PaymentReference::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn staff_confirm_desk_holds_but_not_holds_waiting_for_stripe() {
        use crate::domain::booking::Channel;
        use crate::domain::payment::{DepositPayment, IntentId};
        let online = hold();
        let mut walk_in = hold();
        walk_in.channel = Channel::WalkIn;
        let mut phone = hold();
        phone.channel = Channel::Phone;
        let mut old_desk_with_intent = hold();
        old_desk_with_intent.channel = Channel::FrontDesk;
        old_desk_with_intent.deposit_payment =
            Some(DepositPayment::awaiting(IntentId::parse("pi_123").unwrap()));

        assert!(!staff_may_confirm(&online));
        assert!(staff_may_confirm(&walk_in));
        assert!(staff_may_confirm(&phone));
        assert!(!staff_may_confirm(&old_desk_with_intent));
    }

    #[test]
    fn a_payment_is_recorded_once_per_key() {
        let mut booking = hold();

        let first = record_desk_payment(&mut booking, &cash(5_000, "k1"));
        let again = record_desk_payment(&mut booking, &cash(5_000, "k1"));
        let other = record_desk_payment(&mut booking, &cash(2_000, "k2"));

        assert_eq!(first, Ok(DeskPaymentOutcome::Recorded));
        assert_eq!(again, Ok(DeskPaymentOutcome::AlreadyRecorded));
        assert_eq!(other, Ok(DeskPaymentOutcome::Recorded));
        let amounts: Vec<i64> = booking
            .desk_payments
            .iter()
            .map(|p| p.amount.amount_minor)
            .collect();
        assert_eq!(amounts, [5_000, 2_000]);
    }

    #[test]
    fn a_key_sent_again_with_other_money_is_refused() {
        let mut booking = hold();
        record_desk_payment(&mut booking, &cash(5_000, "k1")).unwrap();

        let reused = record_desk_payment(&mut booking, &cash(4_000, "k1"));

        assert_eq!(reused, Err(DeskPaymentRefused::KeyReused));
        assert_eq!(booking.desk_payments.len(), 1);
    }

    #[test]
    fn a_payment_in_another_currency_is_refused() {
        let mut booking = hold();
        let mut dollars = cash(5_000, "k1");
        dollars.amount = Money::price(5_000, "USD").unwrap();

        let refused = record_desk_payment(&mut booking, &dollars);

        assert_eq!(
            refused,
            Err(DeskPaymentRefused::Currency {
                booking: "EUR",
                paid: "USD"
            })
        );
        assert!(booking.desk_payments.is_empty());
    }

    #[test]
    fn an_ended_booking_takes_no_payment_but_a_completed_one_does() {
        for status in BookingStatus::ALL {
            let mut booking = hold();
            booking.status = status;

            let outcome = record_desk_payment(&mut booking, &cash(5_000, "k1"));

            let ended = matches!(
                status,
                BookingStatus::Expired | BookingStatus::Cancelled | BookingStatus::NoShow
            );
            assert_eq!(outcome.is_err(), ended, "{status}");
            if ended {
                assert_eq!(outcome, Err(DeskPaymentRefused::Ended(status)));
            }
        }
    }

    #[test]
    fn a_booking_records_a_bounded_number_of_payments() {
        let mut booking = hold();
        for n in 0..MAX_DESK_PAYMENTS {
            record_desk_payment(&mut booking, &cash(100, &format!("k{n}"))).unwrap();
        }

        let one_more = record_desk_payment(&mut booking, &cash(100, "last"));

        assert_eq!(one_more, Err(DeskPaymentRefused::TooMany));
    }
}
