//! Reminders the scheduler puts on the notifier's queue when one is due (scheduled when a
//! booking is confirmed): sent only if the booking still stands as it was for that arrival.
use crate::compose::GuestNotice;
use crate::outlets::{AppliedFacts, Mailer, ReminderDue, Reminders, SentLog, TextMessages};
use crate::recipients::Facts;
use crate::{CONSUMER, Notifier};
use aws_lambda_events::sqs::SqsMessage;
use chrono::{DateTime, Utc};
use shared::domain::booking::BookingStatus;
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};

/// A reminder, if the message is one (anything else is the bus's).
pub fn reminder_in(message: &SqsMessage) -> Option<ReminderDue> {
    serde_json::from_str(message.body.as_deref()?).ok()
}

impl<S, M, T, R, L> Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    /// Handles a reminder message; an error means it is to be delivered again.
    pub async fn on_reminder(&self, due: ReminderDue) -> anyhow::Result<()> {
        self.remind(&due, shared::clock::now())
            .await
            .inspect_err(|err| {
                tracing::error!(consumer = CONSUMER.name, booking_id = %due.booking_id, error = %format!("{err:#}"), "reminder not sent; it will be delivered again");
            })
    }

    /// A reminder came due: sent only if the booking is still confirmed for that arrival, and
    /// that arrival is still ahead (not a reminder redriven from the dead-letter queue too late).
    pub async fn remind(&self, due: &ReminderDue, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(booking) = self.store.booking(due.booking_id).await? else {
            tracing::info!(booking_id = %due.booking_id, version = due.version, "reminder for a booking that is gone; dropped");
            return Ok(());
        };
        if booking.status != BookingStatus::Confirmed
            || booking.arrival_at != due.arrival_at
            || booking.arrival_at <= now
        {
            tracing::info!(booking_id = %due.booking_id, version = due.version, current_version = booking.version, status = ?booking.status, "reminder for a booking that moved or ended; dropped");
            return Ok(());
        }
        let facts = Facts::from(&booking);
        let vendor = self.vendor_of(booking.vendor_id).await?;
        let booked = self.booked(&facts, &vendor).await?;
        let occasion = format!("reminder-{}", due.arrival_at.timestamp());
        tracing::info!(booking_id = %due.booking_id, version = due.version, current_version = booking.version, "reminder due for a booking still confirmed for that arrival");
        self.tell_guest(&facts, &booked, &GuestNotice::Reminder, &occasion)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_is_told_apart_from_a_bus_event_on_the_same_queue() {
        let mut reminder = SqsMessage::default();
        reminder.body = Some(
            r#"{"kind":"booking_reminder","booking_id":"0195d0e9-6b7c-7d8e-9f0a-1b2c3d4e5f60","version":2,"arrival_at":"2026-03-28T18:30:00Z"}"#
                .into(),
        );
        let mut event = SqsMessage::default();
        event.body = Some(
            std::fs::read_to_string(format!(
                "{}/../../events/samples/BookingConfirmed.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        );

        assert_eq!(reminder_in(&reminder).map(|r| r.version), Some(2));
        assert_eq!(reminder_in(&event), None);
    }
}
