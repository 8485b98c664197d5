//! Expires holds whose time is up and that are still HELD, releasing their inventory. Stripe is
//! asked first: a deposit paid at the last second (its webhook not here yet) confirms the booking
//! instead, and a payment still under way gets a few minutes' grace. Safe to receive a message
//! twice, or after payment confirmed the booking: the transition is a conditional write on the
//! booking's status and version, so it happens at most once.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use shared::deposits::{self, Expiry};
use shared::payments::PaymentGateway;
use shared::store::{BookingStore, ResourceStore};
use shared::timer::HoldDue;

pub async fn handler(
    store: &(impl ResourceStore + BookingStore),
    payments: &impl PaymentGateway,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(expire_due(store, payments, event.payload, shared::clock::now()).await)
}

/// Expires each hold in the batch; reports the messages to be delivered again (not due yet, or
/// a failure), so one bad record never replays the whole batch.
pub async fn expire_due(
    store: &(impl ResourceStore + BookingStore),
    payments: &impl PaymentGateway,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let due: HoldDue = match record.body.as_deref().map(serde_json::from_str) {
            Some(Ok(due)) => due,
            _ => {
                // Retrying cannot fix it; the dead-letter queue keeps it for a human.
                tracing::error!(message_id = %id, "hold-expiry message is not a HoldDue");
                failures.push(id);
                continue;
            }
        };
        match deposits::expire_hold(store, payments, due.booking_id, now).await {
            Ok(outcome @ (Expiry::Expired | Expiry::Paid(_))) => {
                tracing::info!(booking_id = %due.booking_id, ?outcome, "hold expiry")
            }
            // Confirmed or cancelled in time, or gone: nothing to expire.
            Ok(Expiry::NotHeld) => {
                tracing::info!(booking_id = %due.booking_id, "hold no longer held")
            }
            Ok(Expiry::NotDue | Expiry::Wait) => failures.push(id),
            Err(err) => {
                tracing::error!(booking_id = %due.booking_id, error = %err, "hold expiry failed");
                failures.push(id);
            }
        }
    }
    shared::inbox::failed_messages(failures)
}
