//! Reconciliation: bookings whose deposit and the provider disagree, or whose next step was
//! lost, brought in line on a schedule, without the ones that keep failing starving the rest.
use super::*;

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    pub examined: usize,
    pub confirmed: usize,
    pub expired: usize,
    pub refunded: usize,
    pub voided: usize,
    /// Refunds still pending at the provider, or failed and due for another attempt.
    pub refunds_open: usize,
    /// Refunds that failed for good (left to staff).
    pub refunds_failed: usize,
    /// Bookings that could not be repaired (an error); counted in the `ReconcileFailures`
    /// metric.
    pub failed: usize,
}

/// Repairs bookings whose payment state and the provider's disagree, or whose next step was
/// lost (a webhook that never came, a hold timer that never fired, a refund that failed or is
/// still pending): up to `limit` bookings with a deposit still open, unchanged for `quiet_for`,
/// longest unchanged first.
///
/// A booking that cannot be repaired now (an error, or a refund the provider still has pending)
/// is set aside: its record is touched (and its `reconcile_failures` counted on an error), so
/// it is unchanged for the shortest time of all and goes to the back of the list. Bookings that
/// keep failing can then never fill a pass and starve those behind them. The report counts the
/// failures; the caller decides whether the run failed.
pub async fn reconcile(
    store: &(impl ResourceStore + BookingStore + crate::store::PaymentsPending),
    gateway: &impl PaymentGateway,
    now: DateTime<Utc>,
    quiet_for: Duration,
    limit: usize,
) -> anyhow::Result<Reconciled> {
    let pending = store.payments_pending(now - quiet_for, limit).await?;
    let mut report = Reconciled {
        examined: pending.len(),
        ..Reconciled::default()
    };
    for booking in pending {
        let id = booking.id;
        let set_aside = match reconcile_booking(store, gateway, &booking, now).await {
            Ok(Some(Repair::Confirmed)) => {
                report.confirmed += 1;
                None
            }
            Ok(Some(Repair::Expired)) => {
                report.expired += 1;
                None
            }
            Ok(Some(Repair::Refunded)) => {
                report.refunded += 1;
                None
            }
            Ok(Some(Repair::Voided)) => {
                report.voided += 1;
                None
            }
            Ok(Some(Repair::RefundFailed)) => {
                report.refunds_failed += 1;
                None
            }
            Ok(Some(Repair::RefundOpen)) => {
                report.refunds_open += 1;
                Some(false)
            }
            Ok(None) => None,
            Err(err) => {
                tracing::error!(booking_id = %id, error = %err, "reconciliation failed for a booking");
                report.failed += 1;
                Some(true)
            }
        };
        match set_aside {
            Some(failed) => set_aside_booking(store, &booking, failed, now).await,
            None if booking
                .deposit_payment
                .as_ref()
                .is_some_and(|d| d.reconcile_failures > 0) =>
            {
                clear_failures(store, id, now).await;
            }
            None => {}
        }
    }
    if report.failed > 0 {
        metrics::count(metrics::RECONCILE_FAILURES, report.failed as u64);
    }
    tracing::info!(?report, "payments reconciled");
    Ok(report)
}

/// Moves a booking reconciliation could not finish to the back of its list (see `reconcile`).
/// Best effort: one that changed since it was read has moved there already.
pub(super) async fn set_aside_booking(
    store: &impl BookingStore,
    booking: &Booking,
    failed: bool,
    now: DateTime<Utc>,
) {
    let touched = engine::amend(store, booking.id, now, |b| {
        if b.version != booking.version {
            return false;
        }
        if let Some(deposit) = &mut b.deposit_payment {
            // A pass that did not fail ends the run of failures: payment-refund takes the
            // booking's facts again.
            deposit.reconcile_failures = if failed {
                deposit.reconcile_failures + 1
            } else {
                0
            };
        }
        true
    })
    .await;
    if let Err(err) = touched {
        tracing::warn!(booking_id = %booking.id, error = %err, "could not set a booking aside for the next reconciliation");
    }
}

/// A booking reconciliation failed on before and has now repaired, or found nothing to do on:
/// its failures are forgotten, so payment-refund acts on its facts again.
pub(super) async fn clear_failures(
    store: &impl BookingStore,
    id: crate::domain::ids::BookingId,
    now: DateTime<Utc>,
) {
    let cleared = engine::amend(store, id, now, |b| match &mut b.deposit_payment {
        Some(deposit) if deposit.reconcile_failures > 0 => {
            deposit.reconcile_failures = 0;
            true
        }
        _ => false,
    })
    .await;
    if let Err(err) = cleared {
        tracing::warn!(booking_id = %id, error = %err, "could not clear a repaired booking's reconciliation failures");
    }
}

/// What reconciliation repaired on one booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Its payment had succeeded unnoticed: confirmed.
    Confirmed,
    /// Its hold had lapsed unnoticed: expired.
    Expired,
    /// Its refund was made, or the provider settled a pending one.
    Refunded,
    Voided,
    /// Its refund is still pending at the provider, or failed and another attempt is due.
    RefundOpen,
    /// Its refund failed for good: left to staff.
    RefundFailed,
}

/// Brings one booking with a pending deposit in line with the provider; `None` when there was
/// nothing to repair.
pub async fn reconcile_booking(
    store: &(impl ResourceStore + BookingStore),
    gateway: &impl PaymentGateway,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<Option<Repair>, DepositError> {
    if booking.status == BookingStatus::Held {
        match expire_hold(store, gateway, booking.id, now).await? {
            Expiry::Expired => return Ok(Some(Repair::Expired)),
            Expiry::Paid(PaymentOutcome::Confirmed) => return Ok(Some(Repair::Confirmed)),
            Expiry::NotDue => {
                // Still in time: only a payment whose webhook was lost needs us.
                if let Some(deposit) = &booking.deposit_payment {
                    let intent = gateway.intent(&deposit.intent_id).await?;
                    if on_intent(store, gateway, &intent, now).await? == PaymentOutcome::Confirmed {
                        return Ok(Some(Repair::Confirmed));
                    }
                }
                return Ok(None);
            }
            // Paid too late, or not held by now: the refund consumer follows the booking's
            // fresh fact; a later pass settles what it misses.
            _ => return Ok(None),
        }
    }
    Ok(match settle(store, gateway, booking.id, now).await? {
        Settled::Refunded(_) => Some(Repair::Refunded),
        Settled::Voided => Some(Repair::Voided),
        Settled::RefundPending | Settled::RefundRetry => Some(Repair::RefundOpen),
        Settled::RefundFailed => Some(Repair::RefundFailed),
        Settled::Nothing => None,
    })
}
