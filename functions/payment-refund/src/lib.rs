//! Settles deposits when bookings end. What a deposit comes to (cancellation policy, full refund
//! on completion, kept on a no-show) was decided and recorded on the booking by the transition
//! that ended it; this consumer carries it out at Stripe: the refund, or cancelling an intent
//! that was never paid. It acts on the booking as it is now, not on the fact, and each step is
//! idempotent, so a repeated or late fact changes nothing. Every fact is applied once, in
//! version order, by the shared inbox.
use shared::deposits::{self, DepositError, Settled};
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::payments::PaymentGateway;
use shared::store::{BookingStore, ResourceStore};

pub const CONSUMER: Consumer = Consumer {
    name: "payment-refund",
    order: Order::InOrder,
};

/// The consumer's effect: the store its bookings are in and the payment provider.
pub struct Refunds<S, P> {
    pub store: S,
    pub payments: P,
}

impl<S, P> Effect for Refunds<S, P>
where
    S: ResourceStore + BookingStore,
    P: PaymentGateway,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let detail = fact.booking();
        let pending = detail
            .deposit_payment
            .as_ref()
            .is_some_and(|deposit| deposit.status.is_open());
        if !(pending && detail.status.is_final()) {
            return Ok(());
        }
        // Reconciliation failed on it before and has taken it over: each pass that fails again
        // sets it aside with a new version, whose fact would only fail here too and fill the
        // dead-letter queue with copies of one problem.
        if detail
            .deposit_payment
            .as_ref()
            .is_some_and(|deposit| deposit.reconcile_failures > 0)
        {
            tracing::info!(booking_id = %detail.booking_id, "deposit left to reconciliation, which failed on it before");
            return Ok(());
        }
        match deposits::settle(
            &self.store,
            &self.payments,
            detail.booking_id,
            shared::clock::now(),
        )
        .await
        {
            Ok(Settled::Nothing) => Ok(()),
            // Stripe has it; its webhook, or reconciliation, says how it ends.
            Ok(Settled::RefundPending) => Ok(()),
            // Recorded as due again: the booking's next fact brings the next attempt here.
            Ok(Settled::RefundRetry) => Ok(()),
            Ok(done) => {
                tracing::info!(booking_id = %detail.booking_id, outcome = ?done, "deposit settled");
                Ok(())
            }
            // Left to the queue's retries, then the dead-letter queue and reconciliation.
            Err(DepositError::Unavailable(cause)) => Err(anyhow::Error::new(cause).context(
                format!("Stripe unavailable settling booking {}", detail.booking_id),
            )),
            Err(DepositError::Refused(cause)) => Err(anyhow::Error::new(cause).context(format!(
                "Stripe refused settling booking {}",
                detail.booking_id
            ))),
            Err(DepositError::Unexpected(cause)) => {
                Err(cause.context(format!("settling booking {}", detail.booking_id)))
            }
        }
    }
}
