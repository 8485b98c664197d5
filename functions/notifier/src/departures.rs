//! The night audit's messages on the notifier's queue: `DeparturesOverdue` tells the vendor's
//! contact which rooms still have guests checked in past their departure day (room numbers from
//! the bookings, no guest names), once per vendor and day; `DayClosed` asks for nothing here.
use crate::compose::Message;
use crate::outlets::{AppliedFacts, Mailer, Reminders, SentLog, TextMessages};
use crate::recipients::{Recipient, event_sent_key, vendor_language};
use crate::{News, Notifier, news_in};
use aws_lambda_events::sqs::SqsMessage;
use chrono::NaiveDate;
use shared::night_audit::{DEPARTURES_OVERDUE, DeparturesOverdue, NIGHT_AUDIT_SOURCE};
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};

/// What a night-audit message on the queue asks of the notifier: its overdue departures, or
/// nothing (a day closed).
pub type AuditNews = News<DeparturesOverdue>;

/// The night audit's event in a message, if it carries one.
pub fn audit_news_in(message: &SqsMessage) -> Option<AuditNews> {
    news_in(message, NIGHT_AUDIT_SOURCE, DEPARTURES_OVERDUE)
}

/// The desk's message: the rooms (or bookings without one) still checked in on `day`.
pub fn overdue_mail(language: &str, vendor: &str, day: NaiveDate, rooms: &[String]) -> Message {
    let list: String = rooms.iter().map(|room| format!("  - {room}\n")).collect();
    match language {
        "de" => Message {
            subject: format!(
                "Abreise überfällig: {} Zimmer ({})",
                rooms.len(),
                day.format("%d.%m.%Y")
            ),
            body: format!(
                "Beim Tagesabschluss von {vendor} für den {} waren diese Gäste nach ihrem Abreisetag noch eingecheckt:\n\n{list}\nBitte checken Sie sie aus oder verlängern Sie ihren Aufenthalt.\n",
                day.format("%d.%m.%Y")
            ),
        },
        _ => Message {
            subject: format!("Departures overdue: {} rooms ({day})", rooms.len()),
            body: format!(
                "The night audit of {vendor} for {day} found these guests still checked in past their departure day:\n\n{list}\nPlease check them out or extend their stay.\n"
            ),
        },
    }
}

impl<S, M, T, R, L> Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    /// Tells the vendor's contact about the overdue departures, once per vendor and day.
    pub async fn departures_overdue(&self, event: &DeparturesOverdue) -> anyhow::Result<()> {
        let vendor = self
            .store
            .vendor(event.vendor_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("vendor {} does not exist", event.vendor_id))?;
        let language = vendor_language(&vendor);
        let mut rooms = Vec::with_capacity(event.booking_ids.len());
        for id in &event.booking_ids {
            let booking = self.store.booking(*id).await?;
            rooms.push(match booking.and_then(|b| b.unit) {
                Some(unit) => unit.number.as_str().to_owned(),
                // Not put in a room (checked in without one): the desk finds it by its booking.
                None if language == "de" => format!("Buchung {id}"),
                None => format!("booking {id}"),
            });
        }
        let message = overdue_mail(language, vendor.name.as_str(), event.day, &rooms);
        let key = event_sent_key(&event.event_id, "departures-overdue", Recipient::Vendor);
        if self
            .mail_once(&key, &vendor.contact.email, &message)
            .await?
        {
            tracing::info!(vendor_id = %event.vendor_id, day = %event.day, rooms = rooms.len(), recipient = "vendor", "departures overdue email sent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{message, sample};

    #[test]
    fn the_night_audits_events_are_told_from_booking_facts() {
        let overdue = audit_news_in(&message(sample("DeparturesOverdue")));
        assert!(
            matches!(&overdue, Some(News::Event(e)) if e.booking_ids.len() == 1),
            "{overdue:?}"
        );
        assert_eq!(
            audit_news_in(&message(sample("DayClosed"))),
            Some(News::Nothing)
        );
        assert_eq!(audit_news_in(&message(sample("BookingConfirmed"))), None);
    }

    #[test]
    fn the_desk_hears_of_the_rooms_by_number_in_its_language() {
        let day = "2026-04-04".parse().unwrap();
        let rooms = ["101".to_owned(), "214".to_owned()];

        let english = overdue_mail("en", "Hotel Spreeblick", day, &rooms);
        let german = overdue_mail("de", "Hotel Spreeblick", day, &rooms);

        assert_eq!(english.subject, "Departures overdue: 2 rooms (2026-04-04)");
        assert!(
            english.body.contains("  - 101\n  - 214\n"),
            "{}",
            english.body
        );
        assert!(german.subject.contains("04.04.2026"), "{}", german.subject);
        assert!(german.body.contains("  - 214\n"), "{}", german.body);
    }
}
