//! Deposits through Stripe: the narrow `PaymentGateway` the booking flows use, its Stripe adapter
//! and the check of Stripe's webhook signatures.
//!
//! No Stripe SDK crate: async-stripe 0.x pulls in hyper 0.14, a second TLS stack and minutes of
//! generated API to compile, and 1.0 is an alpha. We call the few endpoints we need with the
//! workspace's `reqwest` (rustls), form-encoded as Stripe's API expects, and verify webhook
//! signatures with `hmac` + `sha2`.
mod currency;
pub mod metrics;
mod settings;
pub mod stripe;
pub mod webhook;

pub use crate::domain::payment::{IntentId, RefundId};
pub use settings::StripeSettings;
pub use stripe::StripeClient;

/// Err (saying why) when deposits cannot be charged in this currency through Stripe.
pub fn chargeable(currency: crate::domain::money::Currency) -> Result<(), String> {
    currency::check_currency(currency)
}

/// The least Stripe charges in this currency, where it is known ahead (see `currency.rs`).
pub fn minimum_charge(currency: crate::domain::money::Currency) -> Option<Money> {
    currency::minimum_charge(currency)
}

use crate::domain::ids::BookingId;
use crate::domain::money::Money;
use std::fmt;

/// What the hold, webhook, refund and reconciliation flows need from a payment provider.
pub trait PaymentGateway: Send + Sync {
    /// A PaymentIntent for a booking's deposit: amount in the currency's minor units, booking id
    /// in metadata, automatic capture; `idempotency_key` is sent as Stripe's Idempotency-Key
    /// header so a retry never creates a second intent.
    fn create_deposit(
        &self,
        booking_id: BookingId,
        amount: Money,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Intent, PaymentError>> + Send;

    fn intent(&self, id: &IntentId) -> impl Future<Output = Result<Intent, PaymentError>> + Send;

    /// Cancels an intent that was never paid (a hold that expired); cancelling an
    /// already-cancelled one is Ok.
    fn cancel(
        &self,
        id: &IntentId,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Intent, PaymentError>> + Send;

    /// Refunds `amount` of a succeeded intent (partial allowed), idempotently.
    fn refund(
        &self,
        id: &IntentId,
        amount: Money,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Refund, PaymentError>> + Send;

    /// A refund as the provider holds it now (its status may have moved since it was made).
    fn read_refund(
        &self,
        id: &RefundId,
    ) -> impl Future<Output = Result<Refund, PaymentError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Stripe could not be reached or asked us to come back (network error, timeout, 5xx, 429,
    /// 409): retry with the same idempotency key.
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Stripe refused the request (4xx): a declined card, a bad or contradictory request.
    /// Sending it again will not change the answer.
    #[error("the payment provider rejected the request ({status}): {message}")]
    Rejected {
        code: Option<String>,
        message: String,
        status: u16,
    },
    /// Refused before asking Stripe: an amount Stripe would read differently from what we mean
    /// (see `currency.rs`), or a refund that cannot fit the payment it refers to.
    #[error("not a payment request we can send: {0}")]
    Invalid(String),
    /// A response we cannot read.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl PaymentError {
    /// Whether the same request, with the same idempotency key, is worth sending again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A Stripe PaymentIntent: one deposit, from creation until it is paid or cancelled.
#[derive(Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: IntentId,
    pub status: IntentStatus,
    pub amount: Money,
    /// What has been paid, in minor units of `amount`'s currency. Refunds do not lower it.
    pub amount_received: i64,
    /// What the guest's browser needs to confirm the payment. Never log it.
    pub client_secret: Option<String>,
    /// From the intent's metadata; None for an intent we did not create.
    pub booking_id: Option<BookingId>,
}

impl fmt::Debug for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("amount", &self.amount)
            .field("amount_received", &self.amount_received)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("booking_id", &self.booking_id)
            .finish()
    }
}

/// A PaymentIntent's `status`, as Stripe documents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// A status this code does not know yet.
    Other(String),
}

impl IntentStatus {
    pub fn from_stripe(status: &str) -> Self {
        match status {
            "requires_payment_method" => Self::RequiresPaymentMethod,
            "requires_confirmation" => Self::RequiresConfirmation,
            "requires_action" => Self::RequiresAction,
            "processing" => Self::Processing,
            "requires_capture" => Self::RequiresCapture,
            "canceled" => Self::Canceled,
            "succeeded" => Self::Succeeded,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A refund of part or all of a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: RefundId,
    pub status: RefundStatus,
    pub amount: Money,
    /// Why it failed (Stripe's `failure_reason`), when it did.
    pub failure_reason: Option<String>,
    /// The intent it refunds.
    pub intent_id: Option<IntentId>,
    /// From its metadata; None for a refund we did not make.
    pub booking_id: Option<BookingId>,
}

/// A Refund's `status`, as Stripe documents it: most card refunds succeed at once, some stay
/// pending for days, a few fail later (a `charge.refund.updated` event says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    /// A status this code does not know yet.
    Other(String),
}

impl RefundStatus {
    /// What it means for the booking: a status not known yet counts as pending (nothing moved
    /// that we know of; reconciliation reads it again later).
    pub fn state(&self) -> crate::domain::payment::RefundState {
        use crate::domain::payment::RefundState;
        match self {
            Self::Succeeded => RefundState::Succeeded,
            Self::Failed => RefundState::Failed,
            Self::Canceled => RefundState::Canceled,
            Self::Pending | Self::RequiresAction | Self::Other(_) => RefundState::Pending,
        }
    }

    pub fn from_stripe(status: &str) -> Self {
        match status {
            "pending" => Self::Pending,
            "requires_action" => Self::RequiresAction,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_ids_are_stripe_ids_that_are_safe_in_a_path() {
        assert_eq!(
            IntentId::parse("pi_3MtwBwLkdIwHu7ix28a3tqPa")
                .unwrap()
                .as_str(),
            "pi_3MtwBwLkdIwHu7ix28a3tqPa"
        );
        for bad in [
            "",
            "pi_",
            "re_123",
            "pi_123/../../v1/refunds",
            "pi_12?x=1",
            "pi_1 2",
        ] {
            assert!(IntentId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(RefundId::parse("re_3MtwBwLkdIwHu7ix").is_ok());
        assert!(RefundId::parse("pi_3MtwBwLkdIwHu7ix").is_err());
    }

    #[test]
    fn intent_ids_round_trip_through_json_and_reject_bad_ones() {
        let id: IntentId = serde_json::from_str("\"pi_abc123\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"pi_abc123\"");
        assert!(serde_json::from_str::<IntentId>("\"ch_abc123\"").is_err());
    }

    #[test]
    fn an_intent_never_shows_its_client_secret_in_debug_output() {
        let intent = Intent {
            id: IntentId::parse("pi_abc").unwrap(),
            status: IntentStatus::RequiresPaymentMethod,
            amount: Money::price(2_500, "EUR").unwrap(),
            amount_received: 0,
            client_secret: Some("pi_abc_secret_TOPSECRET".into()),
            booking_id: None,
        };
        let shown = format!("{intent:?} {intent:#?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn unknown_statuses_are_kept_rather_than_refused() {
        assert_eq!(
            IntentStatus::from_stripe("succeeded"),
            IntentStatus::Succeeded
        );
        assert_eq!(
            IntentStatus::from_stripe("requires_reauthorization"),
            IntentStatus::Other("requires_reauthorization".into())
        );
        assert_eq!(RefundStatus::from_stripe("pending"), RefundStatus::Pending);
    }
}
