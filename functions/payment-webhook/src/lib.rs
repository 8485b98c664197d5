//! Stripe's webhook. A request counts only if its `Stripe-Signature` proves that Stripe signed
//! this very body within the tolerance (400 and no change otherwise). Each Stripe event id is
//! processed once. The event's own copy of the payment is not trusted to be current (deliveries
//! come late, twice and out of order): the intent is read from Stripe, and the booking is brought
//! in line with it (`deposits::on_intent_event`): a paid hold is confirmed, a payment for a
//! booking that ended or never existed is refunded, one for an archived booking changes nothing.
//! Refund events (`refund.*`, `charge.refund.updated`) likewise read the refund again and record
//! its status on the booking (`deposits::on_refund`): succeeded, pending, or failed (another
//! attempt, or left to staff).
use chrono::{DateTime, Utc};
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::deposits::{self, DepositError};
use shared::http::{Problem, json, respond};
use shared::inbox::{Claimed, Ledger, LedgerEntry, Order};
use shared::payments::webhook::{self, EventObject, WebhookError};
use shared::payments::{PaymentError, PaymentGateway};
use shared::store::{ArchiveIndex, BookingStore, ResourceStore};
use std::time::Duration;

/// The endpoint's signing secrets (several while one is rolled) and how old a signature may be.
#[derive(Clone)]
pub struct WebhookSettings {
    pub secrets: Vec<String>,
    pub tolerance: Duration,
}

impl WebhookSettings {
    /// The secrets come from the Stripe settings (Secrets Manager); the tolerance from
    /// `STRIPE_WEBHOOK_TOLERANCE_SECONDS` (default 300, Stripe's own).
    pub fn new(secrets: Vec<String>) -> Result<Self, shared::config::ConfigError> {
        let seconds = shared::config::optional(
            "STRIPE_WEBHOOK_TOLERANCE_SECONDS",
            webhook::DEFAULT_TOLERANCE.as_secs(),
        )?;
        Ok(Self {
            secrets,
            tolerance: Duration::from_secs(seconds),
        })
    }
}

#[derive(serde::Serialize)]
struct Received {
    received: bool,
    /// The event was processed before; nothing was done again.
    duplicate: bool,
}

pub async fn handler(
    store: &(impl ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    ledger: &impl Ledger,
    settings: &WebhookSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(receive(store, archive, payments, ledger, settings, &req, Utc::now()).await)
}

async fn receive(
    store: &(impl ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    ledger: &impl Ledger,
    settings: &WebhookSettings,
    req: &Request,
    // The wall clock: Stripe signs with the real time, and the ledger's lease is real time too.
    now: DateTime<Utc>,
) -> Result<Response<Body>, Problem> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let event = webhook::verify(
        req.body().as_ref(),
        signature,
        &settings.secrets,
        now,
        settings.tolerance,
    )
    .map_err(rejected)?;
    let entry = LedgerEntry {
        key: format!("payment-webhook#{}", event.id),
        version: 1,
        order: Order::LatestWins,
        previous_version_at: None,
    };
    match ledger
        .claim(&entry, now)
        .await
        .map_err(|e| Problem::internal(&e))?
    {
        Claimed::Fresh => {}
        Claimed::Done => {
            tracing::info!(event_id = %event.id, kind = %event.kind, "webhook event seen before");
            return Ok(json(
                StatusCode::OK,
                &Received {
                    received: true,
                    duplicate: true,
                },
            ));
        }
        // Another delivery of it is being processed: Stripe retries this one later.
        Claimed::Busy => {
            return Err(Problem::edit_conflict().with_detail("the event is being processed"));
        }
    }
    let outcome = match &event.object {
        EventObject::PaymentIntent(intent) => match payments.intent(&intent.id).await {
            Ok(current) => {
                deposits::on_intent_event(store, archive, payments, &current, shared::clock::now())
                    .await
                    .map(|o| Some(format!("{o:?}")))
            }
            // Stripe does not know it (a test event, another account's): nothing to do.
            Err(PaymentError::Rejected { status: 404, .. }) => Ok(None),
            Err(err) => Err(DepositError::from(err)),
        },
        EventObject::Refund(refund) => {
            match deposits::on_refund(store, payments, refund, shared::clock::now()).await {
                Ok(settled) => Ok(Some(format!("{settled:?}"))),
                Err(DepositError::Refused(PaymentError::Rejected { status: 404, .. })) => Ok(None),
                Err(err) => Err(err),
            }
        }
        EventObject::Other(_) => Ok(None),
    };
    match outcome {
        Ok(outcome) => {
            tracing::info!(event_id = %event.id, kind = %event.kind, ?outcome, "webhook event processed");
            if let Err(err) = ledger.complete(&entry, now).await {
                // Processing is idempotent: a redelivery does no harm.
                tracing::warn!(event_id = %event.id, error = %err, "could not record the webhook event");
            }
            Ok(json(
                StatusCode::OK,
                &Received {
                    received: true,
                    duplicate: false,
                },
            ))
        }
        Err(err) => {
            if let Err(release) = ledger.release(&entry).await {
                tracing::warn!(event_id = %event.id, error = %release, "could not release the webhook event's claim");
            }
            Err(failed(&event.id, err))
        }
    }
}

fn rejected(err: WebhookError) -> Problem {
    tracing::warn!(reason = %err, "webhook rejected");
    let detail = match err {
        WebhookError::MissingHeader => "the Stripe-Signature header is required".to_owned(),
        WebhookError::Stale { .. } => {
            "the signature's timestamp is outside the tolerance (a replay?)".to_owned()
        }
        other => other.to_string(),
    };
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-webhook",
        "The webhook is not a current event signed by Stripe",
    )
    .with_detail(detail)
}

fn failed(event_id: &str, err: DepositError) -> Problem {
    match err {
        DepositError::Unavailable(cause) => {
            tracing::warn!(%event_id, error = %cause, "Stripe unavailable while processing a webhook; Stripe retries it");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment-unavailable",
                "The payment provider is unavailable",
            )
            .with_detail("the event was not processed; deliver it again later")
            .with_header(http::header::RETRY_AFTER, "30")
        }
        // Stripe retries the delivery for days; the log says why it keeps failing.
        DepositError::Refused(cause) => {
            tracing::error!(%event_id, error = %cause, "Stripe refused a step of processing a webhook");
            Problem::internal(&anyhow::Error::new(cause))
        }
        DepositError::Unexpected(cause) => Problem::internal(&cause),
    }
}
