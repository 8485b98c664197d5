//! What happened to a booking's deposit at the payment provider: the intent the guest pays, what
//! was paid, and what was decided and done when the booking ended (refunded, kept, voided).
//! Pure rules; the flows that talk to Stripe live in `crate::deposits`.
use super::Invalid;
use super::booking::BookingAction;
use super::deposit::PaymentTerms;
use super::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! stripe_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Only the prefix followed by letters, digits and underscores: the id goes into
            /// URL paths, so nothing else may pass.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let valid = raw.len() > $prefix.len()
                    && raw.len() <= 255
                    && raw.starts_with($prefix)
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if valid {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(Invalid::new(concat!("must be a Stripe id starting with ", $prefix)))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;

            fn try_from(raw: String) -> Result<Self, Invalid> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

stripe_id!(
    /// A PaymentIntent's id, `pi_...`.
    IntentId,
    "pi_"
);
stripe_id!(
    /// A Refund's id, `re_...`.
    RefundId,
    "re_"
);

/// The deposit of one booking, as recorded on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositPayment {
    pub intent_id: IntentId,
    pub status: DepositStatus,
    /// What the guest paid; set once the payment succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<Money>,
    /// What was decided when the booking ended, or when a payment came for a booking that had
    /// already ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement: Option<Settlement>,
    /// The refund made at the provider, once it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DepositStatus {
    /// The intent exists; the guest has not paid (yet).
    AwaitingPayment,
    /// Paid, and the booking is live.
    Paid,
    /// The booking ended and part or all of the deposit goes back; the refund is not made yet.
    RefundDue,
    /// The refund was made (the settlement says whether in full).
    Refunded,
    /// The booking ended and the vendor keeps the whole deposit (no-show, late cancellation).
    Kept,
    /// The booking ended unpaid and the intent was cancelled: nothing was charged.
    Voided,
}

impl DepositStatus {
    /// Whether something is still to be done at the provider.
    pub fn is_open(self) -> bool {
        matches!(self, Self::AwaitingPayment | Self::RefundDue)
    }
}

/// Why a deposit was refunded or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SettlementReason {
    /// The guest or the vendor cancelled: the cancellation policy applies.
    Cancelled,
    /// The stay or meal was billed at the property: the deposit goes back.
    Completed,
    /// The guest did not come: the vendor keeps the deposit.
    NoShow,
    /// The payment arrived after the hold had expired or was cancelled: there is no booking to
    /// keep it for, so all of it goes back.
    NotBooked,
}

/// The split of a paid deposit between the guest and the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub reason: SettlementReason,
    pub refund: Money,
    pub kept: Money,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    pub refund_id: RefundId,
    pub amount: Money,
    pub refunded_at: DateTime<Utc>,
}

impl DepositPayment {
    pub fn awaiting(intent_id: IntentId) -> Self {
        Self {
            intent_id,
            status: DepositStatus::AwaitingPayment,
            paid: None,
            settlement: None,
            refund: None,
        }
    }

    /// The guest paid `amount` for a booking that is being confirmed.
    pub fn pay(&mut self, amount: Money) {
        self.status = DepositStatus::Paid;
        self.paid = Some(amount);
    }

    /// The guest paid `amount` after the booking ended unpaid: all of it is due back.
    pub fn paid_too_late(&mut self, amount: Money, at: DateTime<Utc>) {
        self.pay(amount);
        self.settle(SettlementReason::NotBooked, amount, at);
    }

    /// Decides the deposit's fate when `action` ends the booking at `at`, by the terms agreed at
    /// hold. Only a paid deposit has one; any other action, or an unpaid deposit, changes
    /// nothing.
    pub fn booking_ended(
        &mut self,
        action: BookingAction,
        terms: &PaymentTerms,
        total: Money,
        arrival_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), Invalid> {
        let (DepositStatus::Paid, Some(paid)) = (self.status, self.paid) else {
            return Ok(());
        };
        let (reason, refund) = match action {
            BookingAction::Cancel => (
                SettlementReason::Cancelled,
                terms.cancellation.refund(paid, total, arrival_at, at)?,
            ),
            BookingAction::Complete => (SettlementReason::Completed, paid),
            BookingAction::NoShow => (SettlementReason::NoShow, paid.with_amount(0)),
            BookingAction::Confirm | BookingAction::Expire | BookingAction::CheckIn => {
                return Ok(());
            }
        };
        self.settle(reason, refund, at);
        Ok(())
    }

    fn settle(&mut self, reason: SettlementReason, refund: Money, at: DateTime<Utc>) {
        let paid = self.paid.unwrap_or(refund);
        let refund = refund.with_amount(refund.amount_minor.clamp(0, paid.amount_minor));
        self.settlement = Some(Settlement {
            reason,
            refund,
            kept: paid.with_amount(paid.amount_minor - refund.amount_minor),
            decided_at: at,
        });
        self.status = if refund.amount_minor > 0 {
            DepositStatus::RefundDue
        } else {
            DepositStatus::Kept
        };
    }

    /// The refund the settlement asked for was made.
    pub fn refunded(&mut self, record: RefundRecord) {
        self.status = DepositStatus::Refunded;
        self.refund = Some(record);
    }

    /// The unpaid intent was cancelled.
    pub fn voided(&mut self) {
        self.status = DepositStatus::Voided;
    }

    /// The refund still to be made, if any.
    pub fn refund_due(&self) -> Option<Money> {
        match (self.status, self.settlement) {
            (DepositStatus::RefundDue, Some(settlement)) => Some(settlement.refund),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deposit::{CancellationPolicy, Charge, FreeHours, Percent};

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    /// 48 hours free, then a fee of 10% of the booking's total.
    fn terms() -> PaymentTerms {
        PaymentTerms {
            deposit: Some(eur(5_160)),
            cancellation: CancellationPolicy {
                free_until_hours: FreeHours::new(48).unwrap(),
                late_fee: Some(Charge::Percent {
                    percent: Percent::new(10).unwrap(),
                }),
            },
        }
    }

    fn paid(amount: i64) -> DepositPayment {
        let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_123").unwrap());
        deposit.pay(eur(amount));
        deposit
    }

    const ARRIVAL: &str = "2026-06-10T13:00:00Z";

    fn ended(action: BookingAction, when: &str) -> DepositPayment {
        let mut deposit = paid(5_160);
        deposit
            .booking_ended(action, &terms(), eur(25_800), at(ARRIVAL), at(when))
            .unwrap();
        deposit
    }

    #[test]
    fn cancelling_in_the_free_window_refunds_everything() {
        let deposit = ended(BookingAction::Cancel, "2026-06-08T13:00:00Z");

        assert_eq!(deposit.status, DepositStatus::RefundDue);
        assert_eq!(deposit.refund_due(), Some(eur(5_160)));
        assert_eq!(deposit.settlement.unwrap().kept, eur(0));
    }

    #[test]
    fn cancelling_a_second_late_keeps_the_fee() {
        let deposit = ended(BookingAction::Cancel, "2026-06-08T13:00:01Z");

        // 10% of 25 800 is 2 580; the rest of the 5 160 goes back.
        let settlement = deposit.settlement.unwrap();
        assert_eq!(settlement.refund, eur(2_580));
        assert_eq!(settlement.kept, eur(2_580));
        assert_eq!(settlement.reason, SettlementReason::Cancelled);
    }

    #[test]
    fn a_fee_larger_than_the_deposit_keeps_the_deposit_and_refunds_nothing() {
        let mut deposit = paid(1_000);
        deposit
            .booking_ended(
                BookingAction::Cancel,
                &terms(),
                eur(25_800),
                at(ARRIVAL),
                at("2026-06-10T12:00:00Z"),
            )
            .unwrap();

        assert_eq!(deposit.status, DepositStatus::Kept);
        assert_eq!(deposit.refund_due(), None);
        assert_eq!(deposit.settlement.unwrap().kept, eur(1_000));
    }

    #[test]
    fn completion_refunds_all_and_a_no_show_keeps_all() {
        let completed = ended(BookingAction::Complete, "2026-06-12T09:00:00Z");
        let no_show = ended(BookingAction::NoShow, "2026-06-11T09:00:00Z");

        assert_eq!(completed.refund_due(), Some(eur(5_160)));
        assert_eq!(no_show.status, DepositStatus::Kept);
        assert_eq!(no_show.settlement.unwrap().kept, eur(5_160));
    }

    #[test]
    fn check_in_and_an_unpaid_deposit_decide_nothing() {
        let checked_in = ended(BookingAction::CheckIn, "2026-06-10T14:00:00Z");
        let mut unpaid = DepositPayment::awaiting(IntentId::parse("pi_9").unwrap());
        unpaid
            .booking_ended(
                BookingAction::Cancel,
                &terms(),
                eur(25_800),
                at(ARRIVAL),
                at("2026-06-01T00:00:00Z"),
            )
            .unwrap();

        assert_eq!(checked_in.status, DepositStatus::Paid);
        assert_eq!(checked_in.settlement, None);
        assert_eq!(unpaid.status, DepositStatus::AwaitingPayment);
        assert!(unpaid.status.is_open());
    }

    #[test]
    fn a_payment_after_the_booking_ended_is_all_due_back() {
        let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_7").unwrap());
        deposit.paid_too_late(eur(5_160), at("2026-06-01T10:00:00Z"));

        let settlement = deposit.settlement.unwrap();
        assert_eq!(settlement.reason, SettlementReason::NotBooked);
        assert_eq!(deposit.refund_due(), Some(eur(5_160)));
        assert_eq!(settlement.kept, eur(0));
    }

    #[test]
    fn a_refunded_deposit_has_nothing_due_and_nothing_open() {
        let mut deposit = ended(BookingAction::Complete, "2026-06-12T09:00:00Z");
        deposit.refunded(RefundRecord {
            refund_id: RefundId::parse("re_1").unwrap(),
            amount: eur(5_160),
            refunded_at: at("2026-06-12T09:00:05Z"),
        });

        assert_eq!(deposit.refund_due(), None);
        assert!(!deposit.status.is_open());
    }

    #[test]
    fn the_record_serialises_with_screaming_statuses_and_no_empty_parts() {
        let json =
            serde_json::to_value(DepositPayment::awaiting(IntentId::parse("pi_abc").unwrap()))
                .unwrap();

        assert_eq!(
            json,
            serde_json::json!({"intent_id": "pi_abc", "status": "AWAITING_PAYMENT"})
        );
    }
}
