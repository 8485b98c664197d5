//! The guest's waitlist offer on `WaitlistOffered`, in their language (en, de, fr): a room or
//! table they waited for is held for them, with the booking id, what is held and until when (in
//! the vendor's time zone), and where to pay its deposit. Once per offer. Not sent when the type
//! takes no deposit (the hold was confirmed at once: the confirmation says so) or when the hold
//! is no longer waiting for its deposit by the time the fact arrives.
use crate::compose::Message;
use crate::outlets::{AppliedFacts, Mailer, Reminders, SentLog, TextMessages};
use crate::recipients::{Recipient, event_sent_key};
use crate::{News, Notifier, format, news_in, templates};
use aws_lambda_events::sqs::SqsMessage;
use chrono::{DateTime, Utc};
use shared::domain::booking::{BookingStatus, BookingTime};
use shared::domain::ids::BookingId;
use shared::domain::vendor::TimeZone;
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};
use shared::waitlist::{WAITLIST_OFFERED, WAITLIST_SOURCE, WaitlistFact};

/// What a waitlist message on the queue asks of the notifier: an offer to tell the guest of, or
/// nothing (joined, lapsed, left).
pub type WaitlistNews = News<Box<WaitlistFact>>;

/// The waitlist event in a message, if it carries one.
pub fn waitlist_news_in(message: &SqsMessage) -> Option<WaitlistNews> {
    news_in(message, WAITLIST_SOURCE, WAITLIST_OFFERED)
}

/// What an offer mail says.
pub struct OfferDetails<'a> {
    pub guest: &'a str,
    pub vendor: &'a str,
    pub what: &'a str,
    pub booking_id: BookingId,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub expires_at: DateTime<Utc>,
    pub payment_link: Option<String>,
}

/// The guest's message about their offer.
pub fn offer_mail(locale: &str, offer: &OfferDetails<'_>) -> Message {
    let catalog = templates::catalog(locale);
    let until = format::date_time(catalog, offer.expires_at, offer.time_zone);
    let day = |d| format::date(catalog, d);
    let (guest, vendor, what, id) = (offer.guest, offer.vendor, offer.what, offer.booking_id);
    let language = locale.to_ascii_lowercase();
    if language.starts_with("de") {
        let when = match offer.time {
            BookingTime::Stay {
                check_in,
                check_out,
            } => format!("vom {} bis {}", day(check_in), day(check_out)),
            BookingTime::Seating { date, time } => {
                format!("am {} um {}", day(date), time.format("%H:%M"))
            }
        };
        let pay = offer.payment_link.as_ref().map_or_else(
            || "Zahlen Sie die Anzahlung in der App, in der Sie gebucht haben.".to_owned(),
            |link| format!("Zahlen Sie die Anzahlung hier: {link}"),
        );
        Message {
            subject: format!("Ein Platz ist frei geworden: {vendor}"),
            body: format!(
                "Hallo {guest},\n\nauf Ihrer Warteliste bei {vendor} ist etwas frei geworden: {what} {when} ist für Sie reserviert (Buchung {id}) bis {until}. {pay}\n\nOhne Zahlung bis dahin geht das Angebot an den nächsten Gast auf der Warteliste.\n"
            ),
        }
    } else if language.starts_with("fr") {
        let when = match offer.time {
            BookingTime::Stay {
                check_in,
                check_out,
            } => format!("du {} au {}", day(check_in), day(check_out)),
            BookingTime::Seating { date, time } => {
                format!("le {} à {}", day(date), time.format("%H:%M"))
            }
        };
        let pay = offer.payment_link.as_ref().map_or_else(
            || "Réglez l'acompte dans l'application où vous avez réservé.".to_owned(),
            |link| format!("Réglez l'acompte ici : {link}"),
        );
        Message {
            subject: format!("Une place s'est libérée : {vendor}"),
            body: format!(
                "Bonjour {guest},\n\nune place s'est libérée sur votre liste d'attente chez {vendor} : {what} {when} vous est réservé (réservation {id}) jusqu'au {until}. {pay}\n\nSans paiement d'ici là, l'offre passe au client suivant sur la liste d'attente.\n"
            ),
        }
    } else {
        let when = match offer.time {
            BookingTime::Stay {
                check_in,
                check_out,
            } => format!("from {} to {}", day(check_in), day(check_out)),
            BookingTime::Seating { date, time } => {
                format!("on {} at {}", day(date), time.format("%H:%M"))
            }
        };
        let pay = offer.payment_link.as_ref().map_or_else(
            || "Pay the deposit in the app where you booked.".to_owned(),
            |link| format!("Pay the deposit here: {link}"),
        );
        Message {
            subject: format!("A place has come free at {vendor}"),
            body: format!(
                "Hello {guest},\n\nsomething you waited for at {vendor} has come free: {what} {when} is held for you (booking {id}) until {until}. {pay}\n\nIf it is not paid by then, the offer goes to the next guest on the waitlist.\n"
            ),
        }
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
    /// Emails the guest their offer, once per offer.
    pub async fn waitlist_offered(&self, fact: &WaitlistFact) -> anyhow::Result<()> {
        let (Some(booking_id), Some(expires_at)) = (fact.booking_id, fact.hold_expires_at) else {
            return Ok(());
        };
        let Some(booking) = self.store.booking(booking_id).await? else {
            return Ok(());
        };
        if booking.status != BookingStatus::Held {
            tracing::info!(booking_id = %booking_id, "the offer's hold moved on before its mail; none sent");
            return Ok(());
        }
        let what = self
            .resource_name(booking.vendor_id, booking.resource_id)
            .await?;
        let key = event_sent_key(&fact.event_id, "waitlist-offer", Recipient::Guest);
        let sent = self
            .mail_guest_once(&booking, &key, |guest, vendor| {
                offer_mail(
                    &guest.locale,
                    &OfferDetails {
                        guest: &guest.name,
                        vendor: vendor.name.as_str(),
                        what: &what,
                        booking_id,
                        time: booking.time,
                        time_zone: booking.time_zone,
                        expires_at,
                        payment_link: self.settings.payment_link(booking_id),
                    },
                )
            })
            .await?;
        if sent {
            tracing::info!(booking_id = %booking_id, entry_id = %fact.entry_id, recipient = "guest", "waitlist offer email sent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{message, sample};

    #[test]
    fn waitlist_events_are_told_from_booking_facts_and_only_the_offer_is_news() {
        assert!(matches!(
            waitlist_news_in(&message(sample("WaitlistOffered"))),
            Some(News::Event(offer)) if offer.booking_id.is_some()
        ));
        assert_eq!(
            waitlist_news_in(&message(sample("WaitlistJoined"))),
            Some(News::Nothing)
        );
        assert_eq!(waitlist_news_in(&message(sample("BookingConfirmed"))), None);
    }

    #[test]
    fn the_offer_speaks_the_guests_language_with_the_expiry_in_the_vendors_zone() {
        let Some(News::Event(offer)) = waitlist_news_in(&message(sample("WaitlistOffered"))) else {
            panic!("an offer");
        };
        let details = |link: Option<&str>| OfferDetails {
            guest: "Erika",
            vendor: "Hotel Spreeblick",
            what: "Double room",
            booking_id: offer.booking_id.unwrap(),
            time: offer.time,
            time_zone: offer.time_zone,
            expires_at: offer.hold_expires_at.unwrap(),
            payment_link: link.map(str::to_owned),
        };
        // 10:10 UTC is 11:10 in Berlin in March.
        let en = offer_mail("en-GB", &details(Some("https://book.example/pay")));
        assert!(en.subject.contains("Hotel Spreeblick"), "{}", en.subject);
        assert!(en.body.contains("11:10"), "{}", en.body);
        assert!(
            en.body.contains(&offer.booking_id.unwrap().to_string()),
            "{}",
            en.body
        );
        assert!(en.body.contains("https://book.example/pay"), "{}", en.body);
        let de = offer_mail("de-AT", &details(None));
        assert!(de.body.contains("Warteliste"), "{}", de.body);
        assert!(de.body.contains("11:10"), "{}", de.body);
        assert!(de.body.contains("in der App"), "{}", de.body);
        let fr = offer_mail("fr", &details(None));
        assert!(fr.body.contains("liste d'attente"), "{}", fr.body);
    }
}
