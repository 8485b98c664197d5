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
    Ok(run(store, payments, settings, Utc::now()).await?)
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
