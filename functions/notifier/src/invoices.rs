//! The guest's invoice email on `InvoiceIssued`, in their language (en, de): the number and the
//! totals, no attachment and no link (the mailer sends text only; the guest finds the PDF in the
//! app, GET /booking/{id}/invoice). Once per invoice. The event carries ids and totals only; the
//! guest's address is looked up as for every other message.
use crate::compose::Message;
use crate::outlets::{AppliedFacts, Mailer, Reminders, SentLog, TextMessages};
use crate::recipients::{Recipient, event_sent_key};
use crate::{News, Notifier, format, news_in, templates};
use aws_lambda_events::sqs::SqsMessage;
use shared::billing::events::{BILLING_SOURCE, INVOICE_ISSUED, InvoiceIssued};
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};

/// What a billing message on the queue asks of the notifier: an invoice to tell the guest of,
/// or nothing (a credit note).
pub type BillingNews = News<Box<InvoiceIssued>>;

/// The billing event in a message, if it carries one.
pub fn billing_news_in(message: &SqsMessage) -> Option<BillingNews> {
    news_in(message, BILLING_SOURCE, INVOICE_ISSUED)
}

/// The guest's message about their invoice.
pub fn invoice_mail(locale: &str, guest: &str, vendor: &str, invoice: &InvoiceIssued) -> Message {
    let catalog = templates::catalog(locale);
    let money = |m| format::money(catalog, m);
    let (total, vat, balance) = (
        money(invoice.totals.gross),
        money(invoice.totals.vat),
        money(invoice.balance),
    );
    let number = invoice.number;
    if locale.to_ascii_lowercase().starts_with("de") {
        let owed = if invoice.balance.amount_minor < 0 {
            format!(
                "Wir erstatten Ihnen {}.",
                money(invoice.balance.with_amount(-invoice.balance.amount_minor))
            )
        } else if invoice.balance.amount_minor > 0 {
            format!("Offener Betrag: {balance}.")
        } else {
            "Die Rechnung ist beglichen.".to_owned()
        };
        Message {
            subject: format!("Ihre Rechnung {number} von {vendor}"),
            body: format!(
                "Hallo {guest},\n\nvielen Dank für Ihren Besuch bei {vendor}. Ihre Rechnung Nr. {number} über {total} (darin MwSt. {vat}) ist ausgestellt. {owed}\n\nSie finden sie als PDF in der App bei Ihrer Buchung.\n"
            ),
        }
    } else {
        let owed = if invoice.balance.amount_minor < 0 {
            format!(
                "We will refund you {}.",
                money(invoice.balance.with_amount(-invoice.balance.amount_minor))
            )
        } else if invoice.balance.amount_minor > 0 {
            format!("Balance due: {balance}.")
        } else {
            "It is paid in full.".to_owned()
        };
        Message {
            subject: format!("Your invoice {number} from {vendor}"),
            body: format!(
                "Hello {guest},\n\nthank you for staying with {vendor}. Your invoice no. {number} for {total} (VAT {vat} included) has been issued. {owed}\n\nYou find it as a PDF with your booking in the app.\n"
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
    /// Emails the guest their invoice's summary, once per invoice.
    pub async fn invoice_issued(&self, event: &InvoiceIssued) -> anyhow::Result<()> {
        let Some(booking) = self.store.booking(event.booking_id).await? else {
            tracing::info!(booking_id = %event.booking_id, "the invoiced booking is archived; no invoice email");
            return Ok(());
        };
        let key = event_sent_key(&event.event_id, "invoice", Recipient::Guest);
        let sent = self
            .mail_guest_once(&booking, &key, |guest, vendor| {
                invoice_mail(&guest.locale, &guest.name, vendor.name.as_str(), event)
            })
            .await?;
        if sent {
            tracing::info!(booking_id = %event.booking_id, number = %event.number, recipient = "guest", "invoice email sent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{message, sample};

    #[test]
    fn billing_events_are_told_from_booking_facts() {
        assert!(matches!(
            billing_news_in(&message(sample("InvoiceIssued"))),
            Some(News::Event(invoice)) if invoice.number.get() == 42
        ));
        assert_eq!(
            billing_news_in(&message(sample("CreditNoteIssued"))),
            Some(News::Nothing)
        );
        assert_eq!(billing_news_in(&message(sample("BookingConfirmed"))), None);
    }

    #[test]
    fn the_invoice_email_speaks_the_guests_language_and_states_the_totals() {
        let Some(News::Event(invoice)) = billing_news_in(&message(sample("InvoiceIssued"))) else {
            panic!("an invoice");
        };
        let en = invoice_mail("en-GB", "Erika", "Hotel Spreeblick", &invoice);
        assert!(en.subject.contains("invoice 42"), "{}", en.subject);
        assert!(en.body.contains("256.90"), "{}", en.body);
        assert!(en.body.contains("paid in full"), "{}", en.body);
        let de = invoice_mail("de-DE", "Erika", "Hotel Spreeblick", &invoice);
        assert!(de.subject.contains("Rechnung 42"), "{}", de.subject);
        assert!(de.body.contains("256,90"), "{}", de.body);
        assert!(de.body.contains("beglichen"), "{}", de.body);
    }
}
