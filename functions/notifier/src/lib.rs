//! Tells guests and vendors about their bookings: emails (and, when enabled, SMS) to the guest
//! on a hold awaiting its deposit, confirmation, change, cancellation, no-show, before arrival,
//! on check-in (a welcome) and on a stay's check-out (a thank-you); to the vendor's contact on
//! new and cancelled bookings. Only news is sent: a fact arriving after a newer one about the
//! same booking (a hold's link after its confirmation) is dropped by the inbox, so a change soon
//! after a status change also sends what that status change would have (see `plan`).
//!
//! Its queue carries five kinds of message, one module each: the bus's booking facts
//! (`booking_facts`), the reminders the scheduler puts there when one is due (`reminders`), the
//! night audit's overdue departures (`departures`), billing's invoices (`invoices`) and the
//! waitlist's offers (`waitlist`).
pub mod booking_facts;
pub mod compose;
pub mod departures;
pub mod format;
pub mod invoices;
pub mod outlets;
mod recipients;
pub mod reminders;
pub mod templates;
pub mod waitlist;

pub use booking_facts::{
    CATCH_UP, CatchUp, GuestNews, Plan, ReminderStep, confirmed_terms, digital_key, no_show_fee,
    plan, refund,
};
pub use reminders::reminder_in;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Duration;
use outlets::{
    AppliedFacts, DynamoSentLog, Mailer, Reminders, SchedulerReminders, SentLog, SesMailer,
    SnsTexts, TextMessages,
};
use serde::de::DeserializeOwned;
use shared::aws::SdkConfig;
use shared::config::{self, ConfigError};
use shared::domain::ids::BookingId;
use shared::events::ReceivedEvent;
use shared::inbox::{Consumer, Inbox, Ledger, Order, Redelivery, failed_messages};
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};
use std::future::Future;

pub const CONSUMER: Consumer = Consumer {
    name: "notifier",
    order: Order::LatestWins,
};

#[derive(Debug, Clone)]
pub struct Settings {
    /// The guest app, where guests pay: `{app_base_url}/bookings/{id}/pay`. `None` when there is
    /// none to link to (it is not part of this stack): the hold mail then asks the guest to pay
    /// in the app where they booked.
    pub app_base_url: Option<String>,
    /// How long before arrival the reminder goes out.
    pub reminder_lead: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let hours: u32 = config::optional("REMINDER_LEAD_HOURS", 24)?;
        Ok(Self {
            app_base_url: base_url(&config::optional("APP_BASE_URL", String::new())?),
            reminder_lead: Duration::hours(i64::from(hours)),
        })
    }

    /// Where the guest pays for this booking, if there is a guest app to link to.
    pub fn payment_link(&self, booking: BookingId) -> Option<String> {
        self.app_base_url
            .as_ref()
            .map(|base| format!("{base}/bookings/{booking}/pay"))
    }
}

/// A configured base URL without its trailing slash; `None` for an empty one.
fn base_url(configured: &str) -> Option<String> {
    Some(configured.trim().trim_end_matches('/').to_owned()).filter(|base| !base.is_empty())
}

/// The consumer's effect, and what it handles reminders with.
pub struct Notifier<S, M = SesMailer, T = SnsTexts, R = SchedulerReminders, L = DynamoSentLog> {
    pub store: S,
    pub mail: M,
    /// `None` unless SMS_ENABLED.
    pub sms: Option<T>,
    pub reminders: R,
    pub sent: L,
    pub settings: Settings,
}

impl<S> Notifier<S> {
    pub fn from_env(store: S, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let sms: bool = config::optional("SMS_ENABLED", false)?;
        Ok(Self {
            store,
            mail: SesMailer::from_env(sdk)?,
            sms: sms.then(|| SnsTexts::new(sdk)),
            reminders: SchedulerReminders::from_env(sdk)?,
            sent: DynamoSentLog::from_env(sdk)?,
            settings: Settings::from_env()?,
        })
    }
}

/// What a message of one of the night audit's or billing's events asks of the notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News<T> {
    /// The one event of its source the notifier writes about.
    Event(T),
    /// Another event of the same source: nothing to send.
    Nothing,
}

/// The event of `source` in a message, if it carries one; `detail_type` is the one written about.
fn news_in<T: DeserializeOwned>(
    message: &SqsMessage,
    source: &str,
    detail_type: &str,
) -> Option<News<T>> {
    let received: ReceivedEvent = serde_json::from_str(message.body.as_deref()?).ok()?;
    if received.source != source {
        return None;
    }
    if received.detail_type != detail_type {
        return Some(News::Nothing);
    }
    // One that does not read is left to the inbox, which fails it by name.
    serde_json::from_value(received.detail)
        .ok()
        .map(News::Event)
}

/// Sends what `news` asks for with `send` (nothing for `News::Nothing`); an error means its
/// message is to be delivered again, and is logged naming `what` was not sent about `subject`.
async fn send_news<E, F>(
    news: News<E>,
    what: &'static str,
    subject: impl Fn(&E) -> String,
    send: impl FnOnce(E) -> F,
) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let News::Event(event) = news else {
        return Ok(());
    };
    let about = subject(&event);
    // Boxed: three kinds of news nested in the handler's future go past the compiler's depth
    // limit for its layout.
    Box::pin(send(event)).await.inspect_err(|err| {
        tracing::error!(consumer = CONSUMER.name, what, subject = %about, error = %format!("{err:#}"), "not sent; it will be delivered again");
    })
}

/// Takes the messages `read` knows out of `records` and hands each one's content to `send`;
/// the ids of those whose sending failed (to be delivered again) go to `failed`. The rest of
/// `records` comes back.
async fn deliver<N, F>(
    records: Vec<SqsMessage>,
    read: impl Fn(&SqsMessage) -> Option<N>,
    send: impl Fn(N) -> F,
    failed: &mut Vec<String>,
) -> Vec<SqsMessage>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let mut rest = Vec::with_capacity(records.len());
    let mut taken = Vec::new();
    for message in records {
        match read(&message) {
            Some(content) => taken.push((message, content)),
            None => rest.push(message),
        }
    }
    for (message, content) in taken {
        if send(content).await.is_err() {
            failed.push(message.message_id.unwrap_or_default());
        }
    }
    rest
}

/// The Lambda handler: the night audit's and billing's messages and reminders are sent (or
/// dropped) here, booking facts go through the inbox; the messages to deliver again, of every
/// kind, come back.
pub async fn handler<S, M, T, R, L>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    notifier: &Notifier<S, M, T, R, L>,
    event: lambda_http::lambda_runtime::LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_http::Error>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    let mut failed = Vec::new();
    let records = event.payload.records;
    let records = deliver(
        records,
        departures::audit_news_in,
        |news| {
            send_news(
                news,
                "departures overdue",
                |e| e.vendor_id.to_string(),
                |e| async move { notifier.departures_overdue(&e).await },
            )
        },
        &mut failed,
    )
    .await;
    let records = deliver(
        records,
        invoices::billing_news_in,
        |news| {
            send_news(
                news,
                "invoice email",
                |e| e.booking_id.to_string(),
                |e| async move { notifier.invoice_issued(&e).await },
            )
        },
        &mut failed,
    )
    .await;
    let records = deliver(
        records,
        waitlist::waitlist_news_in,
        |news| {
            send_news(
                news,
                "waitlist offer",
                |e| e.entry_id.to_string(),
                |e| async move { notifier.waitlist_offered(&e).await },
            )
        },
        &mut failed,
    )
    .await;
    let facts = deliver(
        records,
        reminder_in,
        |due| notifier.on_reminder(due),
        &mut failed,
    )
    .await;
    let mut batch = SqsEvent::default();
    batch.records = facts;
    let mut response = CONSUMER.consume(inbox, notifier, batch).await;
    response
        .batch_item_failures
        .extend(failed_messages(failed).batch_item_failures);
    Ok(response)
}

/// The published samples in `events/samples/`, as the notifier's queue delivers them.
#[cfg(test)]
mod samples {
    use aws_lambda_events::sqs::SqsMessage;

    pub(crate) fn sample(detail_type: &str) -> serde_json::Value {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    pub(crate) fn message(body: serde_json::Value) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.body = Some(body.to_string());
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_guest_app_there_is_no_payment_link_and_with_one_it_is_the_bookings_pay_page() {
        let booking = BookingId::parse("0195a1b2-0000-7000-8000-0000000000b1").unwrap();
        let settings = |base: Option<&str>| Settings {
            app_base_url: base.map(str::to_owned),
            reminder_lead: Duration::hours(24),
        };

        assert_eq!(base_url(""), None);
        assert_eq!(base_url("  "), None);
        assert_eq!(
            base_url("https://book.example.com/"),
            Some("https://book.example.com".to_owned())
        );
        assert_eq!(settings(None).payment_link(booking), None);
        assert_eq!(
            settings(Some("https://book.example.com")).payment_link(booking),
            Some(format!("https://book.example.com/bookings/{booking}/pay"))
        );
    }
}
