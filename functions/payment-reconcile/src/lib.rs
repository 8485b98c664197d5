//! Runs every few minutes (routes.json `schedules`) and repairs bookings whose payment state and
//! Stripe's disagree, or whose next step was lost: a webhook that never came (the guest paid;
//! the booking is confirmed), a hold timer that never fired (the hold expires), a refund or void
//! that failed after its retries (made now), a refund still pending at Stripe (read again). Only
//! bookings quiet for a while are looked at, so the regular path (webhook, hold expiry, refund
//! consumer) has had its chance first.
use chrono::{DateTime, Duration, Utc};
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use shared::deposits::{self, Reconciled};
use shared::payments::PaymentGateway;
use shared::store::{BookingStore, PaymentsPending, ResourceStore};

#[derive(Debug, Clone, Copy)]
pub struct ReconcileSettings {
    /// A booking unchanged for this long is looked at.
    pub quiet_for: Duration,
    /// At most this many bookings per run; the next run takes the rest.
    pub batch: usize,
}

impl ReconcileSettings {
    /// `RECONCILE_QUIET_SECONDS` (default 600) and `RECONCILE_BATCH` (default 500).
    pub fn from_env() -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            quiet_for: Duration::seconds(shared::config::optional("RECONCILE_QUIET_SECONDS", 600)?),
            batch: shared::config::optional("RECONCILE_BATCH", 500)?,
        })
    }
}

/// The scheduler's event carries nothing we need.
pub async fn handler(
    store: &(impl ResourceStore + BookingStore + PaymentsPending),
    payments: &impl PaymentGateway,
    settings: &ReconcileSettings,
    _event: LambdaEvent<serde_json::Value>,
) -> Result<Reconciled, Error> {
    Ok(run(store, payments, settings, shared::clock::now()).await?)
}

/// One pass. It fails (so the Lambda's Errors alarm fires, beside the `ReconcileFailures`
/// metric's) when any booking could not be repaired, after trying every other one; the failed
/// ones were set aside, so the next pass reaches the bookings behind them.
pub async fn run(
    store: &(impl ResourceStore + BookingStore + PaymentsPending),
    payments: &impl PaymentGateway,
    settings: &ReconcileSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Reconciled> {
    let report =
        deposits::reconcile(store, payments, now, settings.quiet_for, settings.batch).await?;
    if report.failed > 0 {
        anyhow::bail!(
            "{} of {} bookings could not be reconciled: {report:?}",
            report.failed,
            report.examined
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::booking::Booking;
    use shared::domain::calendar::Bucket;
    use shared::domain::ids::{BookingId, ResourceId, VendorId};
    use shared::domain::money::Money;
    use shared::domain::resource::Resource;
    use shared::payments::{Intent, IntentId, PaymentError, Refund, RefundId};
    use shared::store::{BookingWriteError, CounterChange, WriteError};
    use std::collections::HashMap;

    /// Lists one booking whose refund is due, then cannot read it back (DynamoDB failing).
    struct Failing(Booking);

    fn down() -> anyhow::Error {
        anyhow::anyhow!("DynamoDB is down")
    }

    impl PaymentsPending for Failing {
        async fn payments_pending(
            &self,
            _: DateTime<Utc>,
            _: usize,
        ) -> anyhow::Result<Vec<Booking>> {
            Ok(vec![self.0.clone()])
        }
    }

    impl BookingStore for Failing {
        async fn insert_booking(
            &self,
            _: &Booking,
            _: &[CounterChange],
        ) -> Result<(), BookingWriteError> {
            Err(down().into())
        }

        async fn booking(&self, _: BookingId) -> anyhow::Result<Option<Booking>> {
            Err(down())
        }

        async fn replace_booking(
            &self,
            _: &Booking,
            _: (shared::domain::booking::BookingStatus, u64),
            _: &shared::store::BookingChanges,
        ) -> Result<(), BookingWriteError> {
            Err(down().into())
        }

        async fn sold(
            &self,
            _: VendorId,
            _: ResourceId,
            _: &[Bucket],
        ) -> anyhow::Result<HashMap<Bucket, u32>> {
            Err(down())
        }
    }

    impl ResourceStore for Failing {
        async fn create_resource(&self, _: &Resource) -> Result<(), WriteError> {
            Err(WriteError::Unexpected(down()))
        }

        async fn resources(&self, _: VendorId) -> anyhow::Result<Vec<Resource>> {
            Err(down())
        }

        async fn resource(&self, _: VendorId, _: ResourceId) -> anyhow::Result<Option<Resource>> {
            Err(down())
        }

        async fn update_resource(&self, _: &Resource, _: u64) -> Result<(), WriteError> {
            Err(WriteError::Unexpected(down()))
        }
    }

    struct NoStripe;

    fn unavailable() -> PaymentError {
        PaymentError::Unavailable(anyhow::anyhow!("not reached"))
    }

    impl PaymentGateway for NoStripe {
        async fn create_deposit(
            &self,
            _: BookingId,
            _: Money,
            _: &str,
        ) -> Result<Intent, PaymentError> {
            Err(unavailable())
        }

        async fn intent(&self, _: &IntentId) -> Result<Intent, PaymentError> {
            Err(unavailable())
        }

        async fn cancel(&self, _: &IntentId, _: &str) -> Result<Intent, PaymentError> {
            Err(unavailable())
        }

        async fn refund(&self, _: &IntentId, _: Money, _: &str) -> Result<Refund, PaymentError> {
            Err(unavailable())
        }

        async fn read_refund(&self, _: &RefundId) -> Result<Refund, PaymentError> {
            Err(unavailable())
        }
    }

    #[tokio::test]
    async fn a_run_in_which_a_booking_could_not_be_repaired_fails() {
        let booking: Booking = serde_json::from_value(serde_json::json!({
            "id": BookingId::generate(),
            "vendor_id": VendorId::generate(),
            "resource_id": ResourceId::generate(),
            "booked_by": "staff:x",
            "channel": "front_desk",
            "party_size": 2,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "time_zone": "Europe/Berlin",
            "buckets": [],
            "arrival_at": "2026-01-31T14:00:00Z",
            "quote": {"lines": [], "total": {"amount_minor": 100, "currency": "EUR"}},
            "status": "CANCELLED",
            "deposit_payment": {"intent_id": "pi_1", "status": "REFUND_DUE",
                "paid": {"amount_minor": 100, "currency": "EUR"}},
            "version": 3,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
        }))
        .unwrap();
        let settings = ReconcileSettings {
            quiet_for: Duration::minutes(10),
            batch: 10,
        };

        let result = run(&Failing(booking), &NoStripe, &settings, Utc::now()).await;

        let error = result.expect_err("the run fails");
        assert!(
            format!("{error:#}").contains("1 of 1 bookings could not be reconciled"),
            "{error:#}"
        );
    }
}
