//! What happened to a booking's deposit at the payment provider: the intent the guest pays, what
//! was paid, and what was decided and done when the booking ended (refunded, kept, voided).
//! Pure rules; the flows that talk to Stripe live in `crate::deposits`.
use super::Invalid;
use super::deposit::PaymentTerms;
use super::money::Money;
pub use super::terms::SettlementRule;
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
    /// The latest refund made at the provider, as the provider last reported it (a failed one
    /// stays here, with its reason, until the next attempt replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundRecord>,
    /// Reconciliation passes that failed on this booking (each set it aside for the next).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reconcile_failures: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DepositStatus {
    /// The intent exists; the guest has not paid (yet).
    AwaitingPayment,
    /// Paid, and the booking is live.
    Paid,
    /// The booking ended and part or all of the deposit goes back; the refund is not made yet
    /// (or the last attempt failed and another is due).
    RefundDue,
    /// The refund was made and the provider has not settled it yet (`refund.status` pending).
    RefundPending,
    /// The refund succeeded at the provider (the settlement says whether in full).
    Refunded,
    /// Every attempt to refund failed (`refund.failure_reason` says why): staff must return
    /// the money another way. Nothing is tried again automatically.
    RefundFailed,
    /// The booking ended and the vendor keeps the whole deposit (no-show, late cancellation).
    Kept,
    /// The booking ended unpaid and the intent was cancelled: nothing was charged.
    Voided,
}

impl DepositStatus {
    /// Whether something is still to be done at the provider.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::AwaitingPayment | Self::RefundDue | Self::RefundPending
        )
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

impl SettlementReason {
    fn of(rule: SettlementRule) -> Self {
        match rule {
            SettlementRule::FreeCancellation
            | SettlementRule::LateCancellation
            | SettlementRule::VendorCancellation => Self::Cancelled,
            SettlementRule::Completed => Self::Completed,
            SettlementRule::CancelledAfterArrival | SettlementRule::NoShow => Self::NoShow,
            SettlementRule::NotBooked => Self::NotBooked,
        }
    }
}

/// Who `acted_by` names when the platform itself ended a booking.
pub const SYSTEM: &str = "system";

/// The split of a paid deposit between the guest and the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub reason: SettlementReason,
    /// The rule that split it (absent on settlements made before rules were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<SettlementRule>,
    /// Who ended the booking: `guest:<id>`, `staff:<id>`, `admin:<id>` or `system`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acted_by: Option<String>,
    pub refund: Money,
    pub kept: Money,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRecord {
    pub refund_id: RefundId,
    pub amount: Money,
    /// When the refund was made.
    pub refunded_at: DateTime<Utc>,
    /// The provider's status of it, as last read (records from before statuses were kept were
    /// all made succeeded).
    #[serde(default = "RefundState::succeeded")]
    pub status: RefundState,
    /// The provider's `failure_reason` of a failed refund (`expired_or_canceled_card`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Which attempt this is, from 1; each attempt is a new refund at the provider.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

/// A refund's state at the provider (Stripe's `pending` and `requires_action` are both
/// `Pending`: the money has not moved yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundState {
    fn succeeded() -> Self {
        Self::Succeeded
    }
}

/// How many refunds are tried for one booking before it is left to staff (`RefundFailed`).
pub const REFUND_ATTEMPTS: u32 = 3;

impl DepositPayment {
    pub fn awaiting(intent_id: IntentId) -> Self {
        Self {
            intent_id,
            status: DepositStatus::AwaitingPayment,
            paid: None,
            settlement: None,
            refund: None,
            reconcile_failures: 0,
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
        self.settle(SettlementRule::NotBooked, SYSTEM, amount, at);
    }

    /// Decides the deposit's fate when a booking ends at `at` under `rule` (decided by who acted
    /// and when, `terms::SettlementRule::for_ending`), by the booking's current terms. Only a
    /// paid deposit has one; an unpaid deposit changes nothing.
    pub fn booking_ended(
        &mut self,
        rule: SettlementRule,
        acted_by: &str,
        terms: &PaymentTerms,
        total: Money,
        arrival_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), Invalid> {
        let (DepositStatus::Paid, Some(paid)) = (self.status, self.paid) else {
            return Ok(());
        };
        let refund = match rule {
            SettlementRule::FreeCancellation
            | SettlementRule::VendorCancellation
            | SettlementRule::Completed
            | SettlementRule::NotBooked => paid,
            SettlementRule::LateCancellation => {
                terms.cancellation.refund(paid, total, arrival_at, at)?
            }
            // The deposit the terms ask for is kept; what was paid beyond it (a change to a
            // cheaper stay, or to a type that takes none) goes back.
            SettlementRule::CancelledAfterArrival | SettlementRule::NoShow => {
                let kept = terms
                    .deposit
                    .map_or(0, |d| d.amount_minor.min(paid.amount_minor));
                paid.with_amount(paid.amount_minor - kept)
            }
        };
        self.settle(rule, acted_by, refund, at);
        Ok(())
    }

    fn settle(&mut self, rule: SettlementRule, acted_by: &str, refund: Money, at: DateTime<Utc>) {
        let paid = self.paid.unwrap_or(refund);
        let refund = refund.with_amount(refund.amount_minor.clamp(0, paid.amount_minor));
        self.settlement = Some(Settlement {
            reason: SettlementReason::of(rule),
            rule: Some(rule),
            acted_by: Some(acted_by.to_owned()),
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

    /// The refund the settlement asked for was made (or, for an update, the provider says what
    /// became of it): succeeded, it is REFUNDED; pending, REFUND_PENDING; failed or canceled,
    /// due again for another attempt, or after `REFUND_ATTEMPTS` left to staff
    /// (REFUND_FAILED). An update about another refund than the latest one, or one that says
    /// nothing new, changes nothing; returns whether anything changed.
    pub fn refund_reported(&mut self, record: RefundRecord) -> bool {
        let expected = match (&self.refund, self.status) {
            // A new attempt: only while one is due.
            (_, DepositStatus::RefundDue) => self
                .refund
                .as_ref()
                .is_none_or(|r| r.refund_id != record.refund_id),
            // The latest attempt moved on (a succeeded refund can still fail later).
            (Some(latest), DepositStatus::RefundPending | DepositStatus::Refunded) => {
                latest.refund_id == record.refund_id && latest.status != record.status
            }
            _ => false,
        };
        if !expected {
            return false;
        }
        self.status = match record.status {
            RefundState::Succeeded => DepositStatus::Refunded,
            RefundState::Pending => DepositStatus::RefundPending,
            RefundState::Failed | RefundState::Canceled if record.attempt < REFUND_ATTEMPTS => {
                DepositStatus::RefundDue
            }
            RefundState::Failed | RefundState::Canceled => DepositStatus::RefundFailed,
        };
        self.refund = Some(record);
        true
    }

    /// The attempt the next refund is: 1 for the first, one more after a failed one.
    pub fn next_refund_attempt(&self) -> u32 {
        self.refund.as_ref().map_or(1, |r| r.attempt + 1)
    }

    /// The unpaid intent was cancelled.
    pub fn voided(&mut self) {
        self.status = DepositStatus::Voided;
    }

    /// The refund still to be made, if any.
    pub fn refund_due(&self) -> Option<Money> {
        match (self.status, &self.settlement) {
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
                no_show_grace_minutes: None,
            },
        }
    }

    fn paid(amount: i64) -> DepositPayment {
        let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_123").unwrap());
        deposit.pay(eur(amount));
        deposit
    }

    const ARRIVAL: &str = "2026-06-10T13:00:00Z";

    fn ended(rule: SettlementRule, when: &str) -> DepositPayment {
        let mut deposit = paid(5_160);
        deposit
            .booking_ended(
                rule,
                "guest:g",
                &terms(),
                eur(25_800),
                at(ARRIVAL),
                at(when),
            )
            .unwrap();
        deposit
    }

    #[test]
    fn cancelling_in_the_free_window_refunds_everything() {
        let deposit = ended(SettlementRule::FreeCancellation, "2026-06-08T13:00:00Z");

        assert_eq!(deposit.status, DepositStatus::RefundDue);
        assert_eq!(deposit.refund_due(), Some(eur(5_160)));
        assert_eq!(deposit.settlement.unwrap().kept, eur(0));
    }

    #[test]
    fn cancelling_a_second_late_keeps_the_fee() {
        let deposit = ended(SettlementRule::LateCancellation, "2026-06-08T13:00:01Z");

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
                SettlementRule::LateCancellation,
                "guest:g",
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
        let completed = ended(SettlementRule::Completed, "2026-06-12T09:00:00Z");
        let no_show = ended(SettlementRule::NoShow, "2026-06-11T09:00:00Z");

        assert_eq!(completed.refund_due(), Some(eur(5_160)));
        assert_eq!(no_show.status, DepositStatus::Kept);
        assert_eq!(no_show.settlement.unwrap().kept, eur(5_160));
    }

    #[test]
    fn an_unpaid_deposit_decides_nothing() {
        let mut unpaid = DepositPayment::awaiting(IntentId::parse("pi_9").unwrap());
        unpaid
            .booking_ended(
                SettlementRule::FreeCancellation,
                "guest:g",
                &terms(),
                eur(25_800),
                at(ARRIVAL),
                at("2026-06-01T00:00:00Z"),
            )
            .unwrap();

        assert_eq!(unpaid.status, DepositStatus::AwaitingPayment);
        assert!(unpaid.status.is_open());
    }

    #[test]
    fn a_payment_after_the_booking_ended_is_all_due_back() {
        let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_7").unwrap());
        deposit.paid_too_late(eur(5_160), at("2026-06-01T10:00:00Z"));

        let settlement = deposit.settlement.clone().unwrap();
        assert_eq!(settlement.reason, SettlementReason::NotBooked);
        assert_eq!(deposit.refund_due(), Some(eur(5_160)));
        assert_eq!(settlement.kept, eur(0));
    }

    #[test]
    fn a_refunded_deposit_has_nothing_due_and_nothing_open() {
        let mut deposit = ended(SettlementRule::Completed, "2026-06-12T09:00:00Z");
        deposit.refund_reported(refund("re_1", RefundState::Succeeded, 1));

        assert_eq!(deposit.status, DepositStatus::Refunded);
        assert_eq!(deposit.refund_due(), None);
        assert!(!deposit.status.is_open());
    }

    fn refund(id: &str, status: RefundState, attempt: u32) -> RefundRecord {
        RefundRecord {
            refund_id: RefundId::parse(id).unwrap(),
            amount: eur(5_160),
            refunded_at: at("2026-06-12T09:00:05Z"),
            status,
            failure_reason: (status == RefundState::Failed)
                .then(|| "expired_or_canceled_card".into()),
            attempt,
        }
    }

    #[test]
    fn a_pending_refund_stays_open_until_the_provider_settles_it() {
        let mut deposit = ended(SettlementRule::Completed, "2026-06-12T09:00:00Z");

        assert!(deposit.refund_reported(refund("re_1", RefundState::Pending, 1)));
        assert_eq!(deposit.status, DepositStatus::RefundPending);
        assert!(deposit.status.is_open());
        assert_eq!(
            deposit.refund_due(),
            None,
            "nothing more to send while it is pending"
        );
        // Told again that it is pending: nothing new.
        assert!(!deposit.refund_reported(refund("re_1", RefundState::Pending, 1)));
        // About some other refund: not ours.
        assert!(!deposit.refund_reported(refund("re_other", RefundState::Succeeded, 1)));
        assert!(deposit.refund_reported(refund("re_1", RefundState::Succeeded, 1)));
        assert_eq!(deposit.status, DepositStatus::Refunded);
        assert!(!deposit.status.is_open());
    }

    #[test]
    fn a_failed_refund_is_due_again_until_the_last_attempt_fails_and_staff_must_act() {
        let mut deposit = ended(SettlementRule::Completed, "2026-06-12T09:00:00Z");
        assert_eq!(deposit.next_refund_attempt(), 1);

        deposit.refund_reported(refund("re_1", RefundState::Succeeded, 1));
        // A succeeded refund can still fail later (a closed account).
        deposit.refund_reported(refund("re_1", RefundState::Failed, 1));
        assert_eq!(deposit.status, DepositStatus::RefundDue);
        assert_eq!(deposit.refund_due(), Some(eur(5_160)));
        assert_eq!(deposit.next_refund_attempt(), 2);
        deposit.refund_reported(refund("re_2", RefundState::Canceled, 2));
        assert_eq!(deposit.status, DepositStatus::RefundDue);
        deposit.refund_reported(refund("re_3", RefundState::Failed, REFUND_ATTEMPTS));

        assert_eq!(deposit.status, DepositStatus::RefundFailed);
        assert_eq!(deposit.refund_due(), None);
        assert!(
            !deposit.status.is_open(),
            "nothing more is tried automatically"
        );
        let shown = serde_json::to_value(&deposit).unwrap();
        assert_eq!(shown["status"], "REFUND_FAILED");
        assert_eq!(
            shown["refund"]["failure_reason"],
            "expired_or_canceled_card"
        );
        assert_eq!(shown["refund"]["attempt"], REFUND_ATTEMPTS);
    }

    #[test]
    fn a_refund_recorded_before_statuses_were_kept_reads_as_succeeded() {
        let old: RefundRecord = serde_json::from_value(serde_json::json!({
            "refund_id": "re_1",
            "amount": {"amount_minor": 5_160, "currency": "EUR"},
            "refunded_at": "2026-06-12T09:00:05Z",
        }))
        .unwrap();

        assert_eq!(old.status, RefundState::Succeeded);
        assert_eq!(old.attempt, 1);
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
