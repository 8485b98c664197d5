//! A deposit's journey through the payment provider: asked for when a room or table is held,
//! paid (which confirms the booking), then refunded, kept or voided when the booking ends.
//!
//! booking-create, the payment webhook, hold expiry, the payment-refund consumer and
//! reconciliation all run these steps, and any of them may run one again after a crash or a
//! timeout: every call to the provider carries an idempotency key derived from the booking, and
//! every change to the booking is a conditional write on its version (`engine`). What a paid
//! deposit comes to when a booking ends is decided by the engine's transition, at that moment;
//! here it is only carried out. Refunds are made by the payment-refund consumer and, for the ones
//! it missed, reconciliation; nothing else refunds a booking's deposit, so two refunds of one
//! booking can never race.
use crate::domain::booking::{Booking, BookingAction, BookingStatus};
use crate::domain::ids::BookingId;
use crate::domain::money::Money;
use crate::domain::payment::{DepositPayment, DepositStatus, IntentId, RefundRecord};
use crate::engine::{self, Requester, TransitionError};
use crate::payments::metrics;
use crate::payments::{Intent, IntentStatus, PaymentError, PaymentGateway, Refund};
use crate::store::{ArchiveIndex, BookingStore, ResourceStore};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// How long past its expiry a hold waits for a payment that is under way (a 3-D Secure check,
/// a payment method that settles slowly) or for an unreachable provider, before it lapses.
pub const PAYMENT_GRACE_SECONDS: i64 = 300;

mod reconcile;

pub use reconcile::*;

/// What a guest's browser needs to pay the deposit (Stripe.js `confirmPayment`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Checkout {
    pub payment_intent_id: IntentId,
    pub client_secret: String,
    pub amount: Money,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout")
            .field("payment_intent_id", &self.payment_intent_id)
            .field("client_secret", &"<redacted>")
            .field("amount", &self.amount)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DepositError {
    /// The provider could not be reached or failed; the step is safe to retry as it is.
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] PaymentError),
    /// The provider refused the request (an amount below its minimum, say); sending it again
    /// changes nothing.
    #[error("the payment provider refused the request")]
    Refused(#[source] PaymentError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<PaymentError> for DepositError {
    fn from(err: PaymentError) -> Self {
        match err {
            PaymentError::Unavailable(_) => Self::Unavailable(err),
            PaymentError::Rejected { .. } | PaymentError::Invalid(_) => Self::Refused(err),
            PaymentError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

impl From<TransitionError> for DepositError {
    fn from(err: TransitionError) -> Self {
        Self::Unexpected(anyhow::Error::new(err))
    }
}

fn deposit_key(id: BookingId) -> String {
    format!("deposit:{id}")
}

/// One refund per attempt: a retry of the same attempt gets the same refund back, and the next
/// attempt after a failed one is a new refund.
fn refund_key(id: BookingId, attempt: u32) -> String {
    match attempt {
        0 | 1 => format!("refund:{id}"),
        n => format!("refund:{id}:{n}"),
    }
}

fn void_key(id: BookingId) -> String {
    format!("void:{id}")
}

/// What was paid on an intent that succeeded.
fn received(intent: &Intent) -> Money {
    intent.amount.with_amount(intent.amount_received)
}

fn checkout(intent: Intent) -> Option<Checkout> {
    let payable = matches!(
        intent.status,
        IntentStatus::RequiresPaymentMethod
            | IntentStatus::RequiresConfirmation
            | IntentStatus::RequiresAction
    );
    Some(Checkout {
        payment_intent_id: intent.id,
        client_secret: intent.client_secret.filter(|_| payable)?,
        amount: intent.amount,
    })
}

/// Asks for a HELD booking's deposit: creates the payment intent (once per booking, whatever
/// the retries) and records it on the booking. Returns the booking as it now is and what the
/// guest needs to pay; no checkout when nothing is to be paid (no deposit, no longer held,
/// already paid).
pub async fn ask(
    store: &impl BookingStore,
    gateway: &impl PaymentGateway,
    booking: Booking,
    now: DateTime<Utc>,
) -> Result<(Booking, Option<Checkout>), DepositError> {
    let Some(amount) = booking.payment.deposit else {
        return Ok((booking, None));
    };
    if booking.status != BookingStatus::Held {
        return Ok((booking, None));
    }
    if let Some(deposit) = &booking.deposit_payment {
        let intent = gateway.intent(&deposit.intent_id).await?;
        return Ok((booking, checkout(intent)));
    }
    let intent = gateway
        .create_deposit(booking.id, amount, &deposit_key(booking.id))
        .await?;
    let attached = engine::amend(store, booking.id, now, |b| {
        let attach = b.status == BookingStatus::Held && b.deposit_payment.is_none();
        if attach {
            b.deposit_payment = Some(DepositPayment::awaiting(intent.id.clone()));
        }
        attach
    })
    .await?;
    match &attached.deposit_payment {
        Some(deposit) if deposit.intent_id == intent.id => Ok((attached, checkout(intent))),
        // A concurrent retry attached its own intent first (a provider that does not honour
        // idempotency keys creates one per call), or the hold ended meanwhile: ours is not
        // needed, and must never be paid.
        other => {
            let other = other.as_ref().map(|d| d.intent_id.clone());
            if let Err(err) = gateway.cancel(&intent.id, &void_key(booking.id)).await {
                tracing::warn!(booking_id = %booking.id, intent_id = %intent.id, error = %err, "could not cancel a surplus payment intent");
            }
            match other {
                Some(theirs) if attached.status == BookingStatus::Held => {
                    let intent = gateway.intent(&theirs).await?;
                    Ok((attached, checkout(intent)))
                }
                _ => Ok((attached, None)),
            }
        }
    }
}

/// What a payment intent's state meant for its booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Not an intent of ours (no booking id in its metadata).
    NotOurs,
    /// Not paid (yet): nothing changes; the hold lapses unless a later attempt succeeds.
    Unpaid,
    /// Paid in time: the booking is CONFIRMED.
    Confirmed,
    /// Paid, and recorded before.
    AlreadyRecorded,
    /// Paid after the hold had ended: recorded on the booking with all of it due back.
    RefundDue,
    /// Paid on an intent its booking does not know (a surplus one), or for a booking that does
    /// not exist: refunded at once.
    Refunded(Money),
    /// For a booking that was archived: its payment was settled before it could be archived
    /// (an archived booking has nothing left to charge, void or refund), so nothing is done.
    Archived,
}

/// `on_intent` for a payment event from the provider: a booking missing from the bookings table
/// is looked up in the archive first. Stripe re-sends events for days, and one for an
/// archived booking must not be taken for a payment without a booking and refunded in full (a
/// kept no-show deposit would go back).
pub async fn on_intent_event(
    store: &(impl ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    gateway: &impl PaymentGateway,
    intent: &Intent,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, DepositError> {
    if let Some(booking_id) = intent.booking_id
        && store.booking(booking_id).await?.is_none()
        && archive.archived(booking_id).await?.is_some()
    {
        tracing::info!(%booking_id, intent_id = %intent.id, "payment event for an archived booking; its deposit was settled before, nothing to do");
        return Ok(PaymentOutcome::Archived);
    }
    on_intent(store, gateway, intent, now).await
}

/// Brings a booking in line with its payment intent's current state: a succeeded payment
/// confirms a HELD booking, or is refunded if the booking has ended or does not exist. Reads
/// nothing from the event that prompted it, so webhooks may arrive late, twice or out of order.
pub async fn on_intent(
    store: &(impl ResourceStore + BookingStore),
    gateway: &impl PaymentGateway,
    intent: &Intent,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, DepositError> {
    let Some(booking_id) = intent.booking_id else {
        return Ok(PaymentOutcome::NotOurs);
    };
    if intent.status != IntentStatus::Succeeded {
        return Ok(PaymentOutcome::Unpaid);
    }
    let paid = received(intent);
    let Some(booking) = store.booking(booking_id).await? else {
        tracing::error!(%booking_id, intent_id = %intent.id, "payment for a booking that does not exist; refunding it");
        return refund_whole(gateway, intent).await;
    };
    match &booking.deposit_payment {
        Some(deposit) if deposit.intent_id != intent.id => {
            tracing::warn!(%booking_id, intent_id = %intent.id, "payment on a surplus intent; refunding it");
            return refund_whole(gateway, intent).await;
        }
        Some(deposit) if deposit.status != DepositStatus::AwaitingPayment => {
            return Ok(PaymentOutcome::AlreadyRecorded);
        }
        _ => {}
    }
    if booking.status == BookingStatus::Held {
        let confirmed = engine::transition_with(
            store,
            booking_id,
            BookingAction::Confirm,
            &Requester::System,
            now,
            |b| {
                let deposit = b
                    .deposit_payment
                    .get_or_insert_with(|| DepositPayment::awaiting(intent.id.clone()));
                if deposit.intent_id != intent.id {
                    return Err(anyhow::anyhow!("another intent was attached meanwhile").into());
                }
                deposit.pay(paid);
                Ok(())
            },
        )
        .await;
        match confirmed {
            Ok(booking) if booking.status == BookingStatus::Confirmed => {
                tracing::info!(%booking_id, intent_id = %intent.id, amount_minor = paid.amount_minor, "deposit paid; booking confirmed");
                return Ok(PaymentOutcome::Confirmed);
            }
            // The hold ended between the read and the write: a payment too late.
            Ok(_) | Err(TransitionError::Invalid(_)) => {}
            Err(err) => return Err(err.into()),
        }
    }
    late_payment(store, booking_id, intent, paid, now).await
}

/// Records a payment that came after its booking had ended (expired or cancelled unpaid): all
/// of it is due back, and the refund consumer is told by the booking's next fact.
async fn late_payment(
    store: &impl BookingStore,
    booking_id: BookingId,
    intent: &Intent,
    paid: Money,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, DepositError> {
    let recorded = engine::amend(store, booking_id, now, |b| {
        if b.status == BookingStatus::Held {
            return false;
        }
        let deposit = b
            .deposit_payment
            .get_or_insert_with(|| DepositPayment::awaiting(intent.id.clone()));
        let awaiting = deposit.intent_id == intent.id
            && matches!(
                deposit.status,
                DepositStatus::AwaitingPayment | DepositStatus::Voided
            );
        if awaiting {
            deposit.paid_too_late(paid, now);
        }
        awaiting
    })
    .await?;
    match &recorded.deposit_payment {
        Some(deposit) if deposit.status == DepositStatus::RefundDue => {
            tracing::warn!(%booking_id, intent_id = %intent.id, status = %recorded.status, "deposit paid after the booking ended; refund due");
            Ok(PaymentOutcome::RefundDue)
        }
        _ => Ok(PaymentOutcome::AlreadyRecorded),
    }
}

async fn refund_whole(
    gateway: &impl PaymentGateway,
    intent: &Intent,
) -> Result<PaymentOutcome, DepositError> {
    let paid = received(intent);
    gateway
        .refund(&intent.id, paid, &format!("refund:{}", intent.id))
        .await?;
    Ok(PaymentOutcome::Refunded(paid))
}

/// What settling an ended booking's deposit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Nothing was left to do, or nothing changed.
    Nothing,
    /// The refund the booking's settlement asked for succeeded.
    Refunded(Money),
    /// The refund was made and the provider has not settled it yet: REFUND_PENDING.
    RefundPending,
    /// The refund failed; another attempt is due (REFUND_DUE again).
    RefundRetry,
    /// The last attempt failed too: REFUND_FAILED, left to staff (and counted in the
    /// `RefundsFailed` metric, which raises an alarm).
    RefundFailed,
    /// The unpaid intent was cancelled: nothing was charged.
    Voided,
}

/// Carries out what an ended booking's deposit still needs at the provider: the refund its
/// settlement decided, or cancelling an intent that was never paid (and, if it was paid after
/// all, refunding it).
pub async fn settle(
    store: &(impl ResourceStore + BookingStore),
    gateway: &impl PaymentGateway,
    id: BookingId,
    now: DateTime<Utc>,
) -> Result<Settled, DepositError> {
    // At most: void fails because it was paid, the payment is recorded, the refund is made.
    for _ in 0..2 {
        let Some(booking) = store.booking(id).await? else {
            return Ok(Settled::Nothing);
        };
        let Some(deposit) = booking.deposit_payment.clone() else {
            return Ok(Settled::Nothing);
        };
        match deposit.status {
            DepositStatus::RefundDue => {
                return refund_due(store, gateway, &booking, &deposit, now).await;
            }
            // The provider may have settled it since: read it again.
            DepositStatus::RefundPending => {
                let Some(latest) = &deposit.refund else {
                    return Ok(Settled::Nothing);
                };
                let refund = gateway.read_refund(&latest.refund_id).await?;
                return refund_moved(store, &booking, &refund, now).await;
            }
            DepositStatus::AwaitingPayment if booking.status.is_final() => {
                match gateway.cancel(&deposit.intent_id, &void_key(id)).await {
                    Ok(intent) if intent.status == IntentStatus::Canceled => {
                        engine::amend(store, id, now, |b| match &mut b.deposit_payment {
                            Some(d) if d.status == DepositStatus::AwaitingPayment => {
                                d.voided();
                                true
                            }
                            _ => false,
                        })
                        .await?;
                        tracing::info!(booking_id = %id, intent_id = %deposit.intent_id, "unpaid deposit voided");
                        return Ok(Settled::Voided);
                    }
                    Ok(_) | Err(PaymentError::Rejected { .. }) => {
                        // Not cancellable: most likely paid just now. Record what it is.
                        let intent = gateway.intent(&deposit.intent_id).await?;
                        if on_intent(store, gateway, &intent, now).await?
                            != PaymentOutcome::RefundDue
                        {
                            return Err(anyhow::anyhow!(
                                "intent {} of ended booking {id} is {:?} and cannot be cancelled",
                                intent.id,
                                intent.status
                            )
                            .into());
                        }
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            _ => return Ok(Settled::Nothing),
        }
    }
    Ok(Settled::Nothing)
}

async fn refund_due(
    store: &impl BookingStore,
    gateway: &impl PaymentGateway,
    booking: &Booking,
    deposit: &DepositPayment,
    now: DateTime<Utc>,
) -> Result<Settled, DepositError> {
    let Some(amount) = deposit.refund_due() else {
        return Ok(Settled::Nothing);
    };
    let amount = payable_refund(amount, deposit.paid);
    let attempt = deposit.next_refund_attempt();
    let refund = gateway
        .refund(&deposit.intent_id, amount, &refund_key(booking.id, attempt))
        .await?;
    let record = RefundRecord {
        refund_id: refund.id.clone(),
        amount: refund.amount,
        refunded_at: now,
        status: refund.status.state(),
        failure_reason: refund.failure_reason.clone(),
        attempt,
    };
    record_refund(store, booking.id, deposit, record, now).await
}

/// A refund the provider can make. A settlement decided before deposits and fees were rounded to
/// payment steps may ask for one that is not (a three-decimal late fee of 1.2345 KWD kept out of
/// 2.470): it is rounded up, in the guest's favour, never above what was paid (itself whole
/// steps, or the provider could not have charged it).
fn payable_refund(amount: Money, paid: Option<Money>) -> Money {
    let step = amount.currency.payment_step();
    let up = amount.amount_minor.div_euclid(step) * step
        + if amount.amount_minor.rem_euclid(step) == 0 {
            0
        } else {
            step
        };
    let most = paid.map_or(up, |p| p.amount_minor);
    amount.with_amount(up.min(most.max(amount.amount_minor)))
}

/// Records what the provider now says of a booking's latest refund (a webhook, or
/// reconciliation reading it again). A refund that is not the booking's latest (a surplus
/// intent's, an earlier attempt's) changes nothing.
async fn refund_moved(
    store: &impl BookingStore,
    booking: &Booking,
    refund: &Refund,
    now: DateTime<Utc>,
) -> Result<Settled, DepositError> {
    let Some(deposit) = &booking.deposit_payment else {
        return Ok(Settled::Nothing);
    };
    let Some(latest) = deposit.refund.as_ref().filter(|r| r.refund_id == refund.id) else {
        return Ok(Settled::Nothing);
    };
    let record = RefundRecord {
        status: refund.status.state(),
        failure_reason: refund.failure_reason.clone(),
        ..latest.clone()
    };
    record_refund(store, booking.id, deposit, record, now).await
}

async fn record_refund(
    store: &impl BookingStore,
    id: BookingId,
    before: &DepositPayment,
    record: RefundRecord,
    now: DateTime<Utc>,
) -> Result<Settled, DepositError> {
    let after = engine::amend(store, id, now, |b| match &mut b.deposit_payment {
        Some(d) if d.intent_id == before.intent_id => d.refund_reported(record.clone()),
        _ => false,
    })
    .await?;
    let Some(deposit) = after
        .deposit_payment
        .as_ref()
        .filter(|d| d.refund.as_ref() == Some(&record))
    else {
        return Ok(Settled::Nothing);
    };
    let (amount, reason) = (
        record.amount,
        record.failure_reason.as_deref().unwrap_or("none"),
    );
    Ok(match deposit.status {
        DepositStatus::Refunded => {
            tracing::info!(booking_id = %id, refund_id = %record.refund_id, amount_minor = amount.amount_minor, currency = %amount.currency, "deposit refunded");
            Settled::Refunded(amount)
        }
        DepositStatus::RefundPending => {
            tracing::info!(booking_id = %id, refund_id = %record.refund_id, "deposit refund pending at the provider");
            Settled::RefundPending
        }
        DepositStatus::RefundDue => {
            tracing::warn!(booking_id = %id, refund_id = %record.refund_id, attempt = record.attempt, %reason, "deposit refund failed; another attempt is due");
            Settled::RefundRetry
        }
        DepositStatus::RefundFailed => {
            if before.status != DepositStatus::RefundFailed {
                metrics::count(metrics::REFUNDS_FAILED, 1);
            }
            tracing::error!(booking_id = %id, refund_id = %record.refund_id, attempt = record.attempt, %reason, "deposit refund failed for good; left to staff");
            Settled::RefundFailed
        }
        _ => Settled::Nothing,
    })
}

/// Brings a booking in line with one of its refunds as the provider holds it now (a refund
/// webhook: the event's copy is not trusted, the refund is read again, as intents are).
pub async fn on_refund(
    store: &impl BookingStore,
    gateway: &impl PaymentGateway,
    refund: &Refund,
    now: DateTime<Utc>,
) -> Result<Settled, DepositError> {
    let refund = gateway.read_refund(&refund.id).await?;
    let booking_id = match (refund.booking_id, &refund.intent_id) {
        (Some(id), _) => Some(id),
        (None, Some(intent)) => gateway.intent(intent).await?.booking_id,
        (None, None) => None,
    };
    let Some(booking_id) = booking_id else {
        return Ok(Settled::Nothing);
    };
    // Gone (archived, or a payment for a booking that never existed): nothing to record on.
    let Some(booking) = store.booking(booking_id).await? else {
        tracing::info!(%booking_id, refund_id = %refund.id, "refund event for a booking not in the table");
        return Ok(Settled::Nothing);
    };
    refund_moved(store, &booking, &refund, now).await
}

/// What became of a hold that was due to expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// It lapsed: EXPIRED, its inventory released.
    Expired,
    /// Its deposit had been paid after all: CONFIRMED (or recorded as paid too late).
    Paid(PaymentOutcome),
    /// A payment is under way, or the provider cannot say: try again shortly.
    Wait,
    /// It is no longer held (confirmed, cancelled, gone): nothing to do.
    NotHeld,
    /// Not due yet.
    NotDue,
}

/// Expires a hold whose time is up, unless its deposit was paid after all: the provider is
/// asked first, so a guest who paid at the last second is confirmed, not refunded. A payment
/// still under way, or a provider that does not answer, gets `PAYMENT_GRACE_SECONDS` more.
pub async fn expire_hold(
    store: &(impl ResourceStore + BookingStore),
    gateway: &impl PaymentGateway,
    id: BookingId,
    now: DateTime<Utc>,
) -> Result<Expiry, DepositError> {
    let Some(booking) = store.booking(id).await? else {
        return Ok(Expiry::NotHeld);
    };
    if booking.status != BookingStatus::Held {
        return Ok(Expiry::NotHeld);
    }
    let expires_at = booking.hold_expires_at.unwrap_or(booking.created_at);
    if expires_at > now {
        return Ok(Expiry::NotDue);
    }
    let in_grace = now < expires_at + Duration::seconds(PAYMENT_GRACE_SECONDS);
    if let Some(deposit) = &booking.deposit_payment {
        match gateway.intent(&deposit.intent_id).await {
            Ok(intent) if intent.status == IntentStatus::Succeeded => {
                return Ok(Expiry::Paid(on_intent(store, gateway, &intent, now).await?));
            }
            Ok(intent)
                if in_grace
                    && matches!(
                        intent.status,
                        IntentStatus::Processing
                            | IntentStatus::RequiresAction
                            | IntentStatus::RequiresCapture
                    ) =>
            {
                return Ok(Expiry::Wait);
            }
            Ok(_) => {}
            Err(err) if err.is_retryable() && in_grace => {
                tracing::warn!(booking_id = %id, error = %err, "payment provider unavailable at hold expiry; waiting");
                return Ok(Expiry::Wait);
            }
            Err(err) => {
                tracing::error!(booking_id = %id, error = %err, "payment state unknown at hold expiry; expiring the hold (a later payment is refunded)");
            }
        }
    }
    match engine::transition(store, id, BookingAction::Expire, &Requester::System, now).await {
        Ok(booking) if booking.status == BookingStatus::Expired => Ok(Expiry::Expired),
        Ok(_) | Err(TransitionError::Invalid(_) | TransitionError::NotFound) => Ok(Expiry::NotHeld),
        Err(TransitionError::NotExpiredYet) => Ok(Expiry::NotDue),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    //! The refund and reconciliation rules against the in-memory store and a fake Stripe whose
    //! refunds fail or stay pending on demand (localstripe's refunds always succeed at once).
    use super::*;
    use crate::domain::booking::Booking;
    use crate::domain::calendar::Bucket;
    use crate::domain::ids::{ResourceId, VendorId};
    use crate::domain::payment::{REFUND_ATTEMPTS, RefundState};
    use crate::domain::resource::Resource;
    use crate::payments::{RefundId, RefundStatus};
    use crate::store::memory::{MemoryStore, fixtures};
    use crate::store::{
        ArchiveEntry, BookingWriteError, CounterChange, PaymentsPending, WriteError,
    };
    use std::collections::{HashMap, HashSet, VecDeque};
    use std::sync::Mutex;

    /// The in-memory store, with the pending-payments list reconciliation reads (as gsi3: open
    /// deposits unchanged since `before`, longest unchanged first).
    #[derive(Default)]
    struct Desk {
        memory: MemoryStore,
        ids: Mutex<Vec<BookingId>>,
    }

    impl Desk {
        async fn put(&self, booking: &Booking) {
            self.memory.insert_booking(booking, &[]).await.unwrap();
            self.ids.lock().unwrap().push(booking.id);
        }

        async fn get(&self, id: BookingId) -> Booking {
            self.memory.booking(id).await.unwrap().unwrap()
        }

        async fn deposit(&self, id: BookingId) -> DepositPayment {
            self.get(id).await.deposit_payment.unwrap()
        }
    }

    impl BookingStore for Desk {
        async fn insert_booking(
            &self,
            booking: &Booking,
            takes: &[CounterChange],
        ) -> Result<(), BookingWriteError> {
            self.memory.insert_booking(booking, takes).await
        }

        async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
            self.memory.booking(id).await
        }

        async fn replace_booking(
            &self,
            booking: &Booking,
            read: (BookingStatus, u64),
            changes: &crate::store::BookingChanges,
        ) -> Result<(), BookingWriteError> {
            self.memory.replace_booking(booking, read, changes).await
        }

        async fn sold(
            &self,
            vendor: VendorId,
            resource: ResourceId,
            buckets: &[Bucket],
        ) -> anyhow::Result<HashMap<Bucket, u32>> {
            self.memory.sold(vendor, resource, buckets).await
        }
    }

    impl ResourceStore for Desk {
        async fn create_resource(&self, resource: &Resource) -> Result<(), WriteError> {
            self.memory.create_resource(resource).await
        }

        async fn resources(&self, vendor: VendorId) -> anyhow::Result<Vec<Resource>> {
            self.memory.resources(vendor).await
        }

        async fn resource(
            &self,
            vendor: VendorId,
            id: ResourceId,
        ) -> anyhow::Result<Option<Resource>> {
            self.memory.resource(vendor, id).await
        }

        async fn update_resource(
            &self,
            resource: &Resource,
            expected_version: u64,
        ) -> Result<(), WriteError> {
            self.memory
                .update_resource(resource, expected_version)
                .await
        }
    }

    impl PaymentsPending for Desk {
        async fn payments_pending(
            &self,
            before: DateTime<Utc>,
            limit: usize,
        ) -> anyhow::Result<Vec<Booking>> {
            let ids = self.ids.lock().unwrap().clone();
            let mut pending = Vec::new();
            for id in ids {
                if let Some(b) = self.memory.booking(id).await?
                    && b.payment_pending()
                    && b.updated_at < before
                {
                    pending.push(b);
                }
            }
            pending.sort_by_key(|b| (b.updated_at, b.id.to_string()));
            pending.truncate(limit);
            Ok(pending)
        }
    }

    /// Stripe with paid intents; each refund takes the next scripted status (succeeded when
    /// none is left); intents in `down` answer as if Stripe were unreachable.
    #[derive(Default)]
    struct FakeStripe {
        intents: Mutex<HashMap<IntentId, Intent>>,
        down: Mutex<HashSet<IntentId>>,
        script: Mutex<VecDeque<RefundStatus>>,
        refunds: Mutex<Vec<(String, Refund)>>,
    }

    impl FakeStripe {
        fn paid(&self, booking: BookingId, amount: Money) -> IntentId {
            let id =
                IntentId::parse(&format!("pi_{}", booking.to_string().replace('-', ""))).unwrap();
            self.intents.lock().unwrap().insert(
                id.clone(),
                Intent {
                    id: id.clone(),
                    status: IntentStatus::Succeeded,
                    amount,
                    amount_received: amount.amount_minor,
                    client_secret: None,
                    booking_id: Some(booking),
                },
            );
            id
        }

        fn keys(&self) -> Vec<String> {
            self.refunds
                .lock()
                .unwrap()
                .iter()
                .map(|(k, _)| k.clone())
                .collect()
        }

        /// Stripe settles (or fails) a refund later.
        fn refund_becomes(&self, id: &RefundId, status: RefundStatus) {
            for (_, refund) in self.refunds.lock().unwrap().iter_mut() {
                if refund.id == *id {
                    refund.failure_reason = (status == RefundStatus::Failed)
                        .then(|| "expired_or_canceled_card".to_owned());
                    refund.status = status.clone();
                }
            }
        }

        fn unavailable() -> PaymentError {
            PaymentError::Unavailable(anyhow::anyhow!("Stripe is down"))
        }
    }

    impl PaymentGateway for FakeStripe {
        async fn create_deposit(
            &self,
            _: BookingId,
            _: Money,
            _: &str,
        ) -> Result<Intent, PaymentError> {
            Err(anyhow::anyhow!("not used here").into())
        }

        async fn intent(&self, id: &IntentId) -> Result<Intent, PaymentError> {
            if self.down.lock().unwrap().contains(id) {
                return Err(Self::unavailable());
            }
            self.intents
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .ok_or(PaymentError::Rejected {
                    code: None,
                    message: "no such intent".into(),
                    status: 404,
                })
        }

        async fn cancel(&self, _: &IntentId, _: &str) -> Result<Intent, PaymentError> {
            Err(anyhow::anyhow!("not used here").into())
        }

        async fn refund(
            &self,
            id: &IntentId,
            amount: Money,
            key: &str,
        ) -> Result<Refund, PaymentError> {
            if self.down.lock().unwrap().contains(id) {
                return Err(Self::unavailable());
            }
            let mut refunds = self.refunds.lock().unwrap();
            if let Some((_, made)) = refunds.iter().find(|(k, _)| k == key) {
                return Ok(made.clone());
            }
            let status = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(RefundStatus::Succeeded);
            let refund = Refund {
                id: RefundId::parse(&format!("re_{}", refunds.len() + 1)).unwrap(),
                failure_reason: (status == RefundStatus::Failed)
                    .then(|| "expired_or_canceled_card".to_owned()),
                status,
                amount,
                intent_id: Some(id.clone()),
                booking_id: self
                    .intents
                    .lock()
                    .unwrap()
                    .get(id)
                    .and_then(|i| i.booking_id),
            };
            refunds.push((key.to_owned(), refund.clone()));
            Ok(refund)
        }

        async fn read_refund(&self, id: &RefundId) -> Result<Refund, PaymentError> {
            let refunds = self.refunds.lock().unwrap();
            refunds
                .iter()
                .find(|(_, r)| r.id == *id)
                .map(|(_, r)| r.clone())
                .ok_or(PaymentError::Rejected {
                    code: None,
                    message: "no such refund".into(),
                    status: 404,
                })
        }
    }

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    /// An ended booking whose deposit of 100.00 was paid and is all due back, last changed at
    /// `changed`.
    async fn refund_due(desk: &Desk, stripe: &FakeStripe, changed: &str) -> BookingId {
        let mut booking = fixtures::ended_booking(None, VendorId::generate());
        let intent = stripe.paid(booking.id, eur(10_000));
        let mut deposit = DepositPayment::awaiting(intent);
        deposit.paid_too_late(eur(10_000), at(changed));
        booking.deposit_payment = Some(deposit);
        booking.updated_at = at(changed);
        desk.put(&booking).await;
        booking.id
    }

    const NOW: &str = "2026-06-01T12:00:00Z";

    #[tokio::test]
    async fn a_refund_that_keeps_failing_is_tried_anew_then_left_to_staff() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let id = refund_due(&desk, &stripe, NOW).await;
        stripe.script.lock().unwrap().extend([
            RefundStatus::Failed,
            RefundStatus::Canceled,
            RefundStatus::Failed,
        ]);

        let mut outcomes = Vec::new();
        for _ in 0..REFUND_ATTEMPTS {
            outcomes.push(settle(&desk, &stripe, id, at(NOW)).await.unwrap());
        }
        let after_last = settle(&desk, &stripe, id, at(NOW)).await.unwrap();

        assert_eq!(
            outcomes,
            [
                Settled::RefundRetry,
                Settled::RefundRetry,
                Settled::RefundFailed
            ]
        );
        assert_eq!(after_last, Settled::Nothing, "nothing more is tried");
        assert_eq!(
            stripe.keys(),
            [
                format!("refund:{id}"),
                format!("refund:{id}:2"),
                format!("refund:{id}:3")
            ],
            "each attempt is a new refund"
        );
        let deposit = desk.deposit(id).await;
        assert_eq!(deposit.status, DepositStatus::RefundFailed);
        let last = deposit.refund.unwrap();
        assert_eq!(
            last.failure_reason.as_deref(),
            Some("expired_or_canceled_card")
        );
        assert_eq!(last.attempt, REFUND_ATTEMPTS);
        assert!(!desk.get(id).await.payment_pending());
    }

    #[test]
    fn a_refund_decided_before_rounding_is_rounded_up_to_what_stripe_can_refund() {
        let kwd = |minor| Money::price(minor, "KWD").unwrap();

        assert_eq!(payable_refund(kwd(1_235), Some(kwd(2_470))), kwd(1_240));
        assert_eq!(payable_refund(kwd(1_240), Some(kwd(2_470))), kwd(1_240));
        assert_eq!(payable_refund(kwd(2_469), Some(kwd(2_470))), kwd(2_470));
        assert_eq!(payable_refund(eur(1_235), Some(eur(2_470))), eur(1_235));
    }

    #[tokio::test]
    async fn a_pending_refund_counts_as_refunded_only_once_stripe_says_it_succeeded() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let id = refund_due(&desk, &stripe, NOW).await;
        stripe
            .script
            .lock()
            .unwrap()
            .push_back(RefundStatus::Pending);

        let made = settle(&desk, &stripe, id, at(NOW)).await.unwrap();
        let pending = desk.get(id).await;
        let still = reconcile_booking(&desk, &stripe, &pending, at(NOW))
            .await
            .unwrap();
        let refund_id = pending
            .deposit_payment
            .as_ref()
            .unwrap()
            .refund
            .as_ref()
            .unwrap()
            .refund_id
            .clone();
        stripe.refund_becomes(&refund_id, RefundStatus::Succeeded);
        let settled = reconcile_booking(&desk, &stripe, &pending, at(NOW))
            .await
            .unwrap();

        assert_eq!(made, Settled::RefundPending);
        assert_eq!(
            pending.deposit_payment.as_ref().unwrap().status,
            DepositStatus::RefundPending
        );
        assert!(pending.payment_pending(), "reconciliation still sees it");
        assert_eq!(still, Some(Repair::RefundOpen));
        assert_eq!(settled, Some(Repair::Refunded));
        assert_eq!(
            stripe.keys().len(),
            1,
            "one refund, read again, never made twice"
        );
        let deposit = desk.deposit(id).await;
        assert_eq!(deposit.status, DepositStatus::Refunded);
        assert_eq!(deposit.refund.unwrap().status, RefundState::Succeeded);
    }

    #[tokio::test]
    async fn a_refund_webhook_records_a_later_failure_and_the_refund_is_made_again() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let id = refund_due(&desk, &stripe, NOW).await;
        settle(&desk, &stripe, id, at(NOW)).await.unwrap();
        let first = desk.deposit(id).await.refund.unwrap().refund_id;
        // Stripe's event says it succeeded; what Stripe holds now says it failed.
        stripe.refund_becomes(&first, RefundStatus::Failed);
        let mut stale = stripe.read_refund(&first).await.unwrap();
        stale.status = RefundStatus::Succeeded;

        let told = on_refund(&desk, &stripe, &stale, at(NOW)).await.unwrap();
        let again = settle(&desk, &stripe, id, at(NOW)).await.unwrap();

        assert_eq!(told, Settled::RefundRetry);
        assert_eq!(again, Settled::Refunded(eur(10_000)));
        let deposit = desk.deposit(id).await;
        assert_eq!(deposit.status, DepositStatus::Refunded);
        assert_eq!(deposit.refund.unwrap().attempt, 2);
    }

    #[tokio::test]
    async fn reconciliation_gets_past_bookings_that_keep_failing_to_the_ones_behind_them() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let limit = 3;
        // More bookings that fail every time (Stripe is down for their intents) than one run
        // takes, all older than one that can be repaired.
        let mut failing = Vec::new();
        for minute in 0..5 {
            let id = refund_due(&desk, &stripe, &format!("2026-06-01T10:0{minute}:00Z")).await;
            let intent = desk.deposit(id).await.intent_id;
            stripe.down.lock().unwrap().insert(intent);
            failing.push(id);
        }
        let repairable = refund_due(&desk, &stripe, "2026-06-01T10:30:00Z").await;
        let quiet = Duration::minutes(10);

        let first = reconcile(&desk, &stripe, at(NOW), quiet, limit)
            .await
            .unwrap();
        let later = at(NOW) + Duration::minutes(11);
        let second = reconcile(&desk, &stripe, later, quiet, limit)
            .await
            .unwrap();

        assert_eq!(first.failed, limit, "{first:?}");
        assert_eq!(first.refunded, 0);
        assert_eq!(second.refunded, 1, "{second:?}");
        assert_eq!(
            desk.deposit(repairable).await.status,
            DepositStatus::Refunded
        );
        for id in &failing[..limit] {
            assert_eq!(desk.deposit(*id).await.reconcile_failures, 1);
        }
    }

    #[tokio::test]
    async fn a_booking_repaired_after_failing_is_handed_back_to_payment_refund() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let id = refund_due(&desk, &stripe, "2026-06-01T10:00:00Z").await;
        let intent = desk.deposit(id).await.intent_id;
        stripe.down.lock().unwrap().insert(intent.clone());
        let quiet = Duration::minutes(10);
        reconcile(&desk, &stripe, at(NOW), quiet, 10).await.unwrap();
        assert_eq!(desk.deposit(id).await.reconcile_failures, 1);

        stripe.down.lock().unwrap().remove(&intent);
        let later = at(NOW) + Duration::minutes(11);
        let repaired = reconcile(&desk, &stripe, later, quiet, 10).await.unwrap();

        assert_eq!(repaired.refunded, 1, "{repaired:?}");
        let deposit = desk.deposit(id).await;
        assert_eq!(deposit.status, DepositStatus::Refunded);
        assert_eq!(deposit.reconcile_failures, 0);
    }

    #[tokio::test]
    async fn a_payment_event_for_an_archived_booking_refunds_nothing() {
        let (desk, stripe) = (Desk::default(), FakeStripe::default());
        let booking = fixtures::ended_booking(None, VendorId::generate());
        let intent_id = stripe.paid(booking.id, eur(10_000));
        desk.memory
            .archive(ArchiveEntry::of(&booking, "records/x.json".into(), at(NOW)));
        let intent = stripe.intent(&intent_id).await.unwrap();

        let outcome = on_intent_event(&desk, &desk.memory, &stripe, &intent, at(NOW))
            .await
            .unwrap();

        assert_eq!(outcome, PaymentOutcome::Archived);
        assert!(stripe.keys().is_empty(), "no refund");
    }
}
