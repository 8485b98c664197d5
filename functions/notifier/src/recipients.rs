//! Who a message goes to and how it is sent once: the guest (their account, or the contact
//! given at the desk) or the vendor's contact, each message under its own sent-log key.
use crate::compose::{self, Booked, GuestNotice, Message, VendorNotice};
use crate::outlets::{AppliedFacts, Claim, Mailer, Reminders, SentLog, TextMessages};
use crate::{CONSUMER, Notifier, templates};
use chrono::{DateTime, Utc};
use shared::domain::account::Email;
use shared::domain::booking::{Booking, BookingTime};
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::money::Money;
use shared::domain::vendor::{TimeZone, Vendor};
use shared::events::BookingDetail;
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};
use std::future::Future;

/// The language a vendor is written to in: its country's (a vendor profile has no locale yet).
pub(crate) fn vendor_language(vendor: &Vendor) -> &'static str {
    match vendor.address.country.as_str() {
        "DE" | "AT" | "CH" | "LI" => "de",
        "FR" | "MC" => "fr",
        _ => "en",
    }
}

/// The parts of a booking every message needs, from a fact or from the stored booking.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) booking_id: BookingId,
    pub(crate) vendor_id: VendorId,
    pub(crate) guest_id: Option<UserId>,
    pub(crate) resource_id: ResourceId,
    pub(crate) time: BookingTime,
    pub(crate) time_zone: TimeZone,
    pub(crate) arrival_at: DateTime<Utc>,
    pub(crate) party: u16,
    pub(crate) total: Money,
    /// The room or table number it is put in.
    pub(crate) unit: Option<String>,
}

impl From<&BookingDetail> for Facts {
    fn from(d: &BookingDetail) -> Self {
        Self {
            booking_id: d.booking_id,
            vendor_id: d.vendor_id,
            guest_id: d.guest_id,
            resource_id: d.resource_id,
            time: d.time,
            time_zone: d.time_zone,
            arrival_at: d.arrival_at,
            party: d.party_size.get(),
            total: d.total,
            unit: d.unit.as_ref().map(|u| u.number.as_str().to_owned()),
        }
    }
}

impl From<&Booking> for Facts {
    fn from(b: &Booking) -> Self {
        Self {
            booking_id: b.id,
            vendor_id: b.vendor_id,
            guest_id: b.guest_id,
            resource_id: b.resource_id,
            time: b.time,
            time_zone: b.time_zone,
            arrival_at: b.arrival_at,
            party: b.party_size.get(),
            total: b.quote.total,
            unit: b.unit.as_ref().map(|u| u.number.as_str().to_owned()),
        }
    }
}

/// A guest as a message addresses them. Personal data: never logged.
pub(crate) struct Addressee {
    pub(crate) name: String,
    pub(crate) email: Option<shared::domain::account::Email>,
    pub(crate) phone: Option<shared::domain::account::Phone>,
    pub(crate) locale: String,
}

/// Who a message is for, as the sent log and the logs name them (never their address).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Recipient {
    Guest,
    Vendor,
}

impl Recipient {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Vendor => "vendor",
        }
    }
}

/// A message's entry in the sent log: the booking and the occasion (a booking is confirmed or
/// cancelled once, so those are per booking; a change per version; a reminder per arrival),
/// rather than the fact's event id, so a hold's link goes out once whichever of its two facts
/// comes first.
pub(crate) fn sent_key(booking: BookingId, occasion: &str, to: Recipient, channel: &str) -> String {
    format!(
        "{}#sent#{booking}#{occasion}#{}#{channel}",
        CONSUMER.name,
        to.as_str()
    )
}

/// The sent-log entry of a message sent once per event (not per booking occasion).
pub(crate) fn event_sent_key(event: &str, occasion: &str, to: Recipient) -> String {
    format!("{event}#{occasion}#{}#email", to.as_str())
}

impl<S, M, T, R, L> Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    /// Sends one message unless it was sent before.
    ///
    /// Claimed before sending and marked sent after: a copy of the fact arriving meanwhile
    /// sends nothing, and a send that fails is released for the retry. Only a crash between the
    /// provider accepting it and the mark leaves a claim that lapses, and the retry sends that
    /// message again: a guest who reads a confirmation twice is better off than one who never
    /// hears that a booking was cancelled.
    pub(crate) async fn once(
        &self,
        key: &str,
        send: impl Future<Output = anyhow::Result<()>> + Send,
    ) -> anyhow::Result<bool> {
        match self.sent.claim(key, Utc::now()).await? {
            Claim::Sent => return Ok(false),
            Claim::Busy => anyhow::bail!("another copy is sending this message right now"),
            Claim::Ours => {}
        }
        if let Err(err) = send.await {
            if let Err(release) = self.sent.release(key).await {
                tracing::warn!(error = %format!("{release:#}"), "sent-log claim not released; it lapses by itself");
            }
            return Err(err);
        }
        self.sent.sent(key, Utc::now()).await?;
        Ok(true)
    }

    /// Emails `message` to `to` unless the message under `key` went out before; whether it went
    /// out now.
    pub(crate) async fn mail_once(
        &self,
        key: &str,
        to: &Email,
        message: &Message,
    ) -> anyhow::Result<bool> {
        self.once(key, self.mail.send(to, message)).await
    }

    /// Emails the booking's guest `compose(addressee, vendor)`, once per `key`; whether it went
    /// out now (not when there is nobody to write to by email, or it went out before).
    pub(crate) async fn mail_guest_once(
        &self,
        booking: &Booking,
        key: &str,
        compose: impl FnOnce(&Addressee, &Vendor) -> Message,
    ) -> anyhow::Result<bool> {
        let Some(addressee) = self.addressee(&Facts::from(booking)).await? else {
            return Ok(false);
        };
        let Some(email) = &addressee.email else {
            return Ok(false);
        };
        let vendor = self.vendor_of(booking.vendor_id).await?;
        self.mail_once(key, email, &compose(&addressee, &vendor))
            .await
    }

    pub(crate) async fn vendor_of(&self, id: VendorId) -> anyhow::Result<Vendor> {
        self.store
            .vendor(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("vendor {id} of the booking does not exist"))
    }

    pub(crate) async fn resource_name(
        &self,
        vendor: VendorId,
        id: ResourceId,
    ) -> anyhow::Result<String> {
        Ok(self
            .store
            .resource(vendor, id)
            .await?
            .map(|r| r.name.as_str().to_owned())
            .unwrap_or_default())
    }

    pub(crate) async fn booked(&self, facts: &Facts, vendor: &Vendor) -> anyhow::Result<Booked> {
        Ok(Booked {
            booking_id: facts.booking_id,
            vendor_name: vendor.name.as_str().to_owned(),
            what: self
                .resource_name(facts.vendor_id, facts.resource_id)
                .await?,
            time: facts.time,
            time_zone: facts.time_zone,
            arrival_at: facts.arrival_at,
            party: facts.party,
            total: facts.total,
            unit: facts.unit.clone(),
        })
    }

    /// Who the guest is and how to reach them: their account, or for a desk guest without one,
    /// the name and contact on the booking record (facts never carry them). `None`: nobody to
    /// write to (no contact given at the desk, or the account is gone).
    pub(crate) async fn addressee(&self, facts: &Facts) -> anyhow::Result<Option<Addressee>> {
        if let Some(guest_id) = facts.guest_id {
            let Some(guest) = self.store.guest(guest_id).await? else {
                tracing::info!(booking_id = %facts.booking_id, "the guest's account is gone; no message");
                return Ok(None);
            };
            return Ok(Some(Addressee {
                name: guest.name.as_str().to_owned(),
                email: Some(guest.email),
                phone: guest.phone,
                locale: guest.locale.as_str().to_owned(),
            }));
        }
        let desk_guest = self
            .store
            .booking(facts.booking_id)
            .await?
            .and_then(|booking| booking.desk_guest);
        Ok(desk_guest.map(|guest| Addressee {
            name: guest.name.as_str().to_owned(),
            email: guest.email,
            phone: guest.phone,
            locale: guest
                .locale
                .map_or_else(|| "en".to_owned(), |l| l.as_str().to_owned()),
        }))
    }

    /// The guest's email (and SMS, for the notices that have one), each once per occasion. A
    /// desk guest is written to at the contact given at the desk; a booking with nobody to
    /// write to, or whose account is gone, gets none.
    pub(crate) async fn tell_guest(
        &self,
        facts: &Facts,
        booked: &Booked,
        notice: &GuestNotice,
        occasion: &str,
    ) -> anyhow::Result<()> {
        let Some(guest) = self.addressee(facts).await? else {
            return Ok(());
        };
        let catalog = templates::catalog(&guest.locale);
        if let Some(email) = &guest.email {
            let message = compose::guest_mail(catalog, notice, booked, Some(&guest.name));
            let key = sent_key(facts.booking_id, occasion, Recipient::Guest, "email");
            if self.mail_once(&key, email, &message).await? {
                tracing::info!(booking_id = %facts.booking_id, message = notice.name(), recipient = "guest", language = catalog.tag, "email sent");
            }
        }
        if let (Some(sms), Some(phone), Some(text)) = (
            &self.sms,
            &guest.phone,
            compose::text(catalog, notice, booked),
        ) {
            let key = sent_key(facts.booking_id, occasion, Recipient::Guest, "sms");
            if self.once(&key, sms.send(phone, &text)).await? {
                tracing::info!(booking_id = %facts.booking_id, message = notice.name(), recipient = "guest", "sms sent");
            }
        }
        Ok(())
    }

    pub(crate) async fn tell_vendor(
        &self,
        facts: &Facts,
        booked: &Booked,
        vendor: &Vendor,
        notice: VendorNotice,
    ) -> anyhow::Result<()> {
        let catalog = templates::catalog(vendor_language(vendor));
        let message = compose::vendor_mail(catalog, notice, booked);
        let key = sent_key(facts.booking_id, notice.name(), Recipient::Vendor, "email");
        if self
            .mail_once(&key, &vendor.contact.email, &message)
            .await?
        {
            tracing::info!(booking_id = %facts.booking_id, vendor_id = %facts.vendor_id, message = notice.name(), recipient = "vendor", "email sent");
        }
        Ok(())
    }
}
