//! Issues a booking's invoice once it is COMPLETED (a stay checked out, a seating completed):
//! reads the booking and its vendor's taxes and numbers the invoice in the vendor's sequence. A
//! booking already invoiced (by a repeat of the fact, or by the invoice route issuing on read)
//! keeps its invoice, so the effect may run twice. The invoice is archived (JSON and PDF, under
//! `invoices/<vendor>/<number>`) each time, the same bytes again on a repeat.
use anyhow::Context;
use shared::billing::archive::{InvoiceArchive, archive_invoice};
use shared::billing::{BillingStore, billing_of};
use shared::domain::booking::BookingStatus;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::store::{BookingStore, VendorStore};

pub const CONSUMER: Consumer = Consumer {
    name: "invoicer",
    order: Order::LatestWins,
};

pub struct Invoicer<S, B, A> {
    pub store: S,
    pub billing: B,
    pub archive: A,
}

impl<S, B, A> Effect for Invoicer<S, B, A>
where
    S: BookingStore + VendorStore,
    B: BillingStore,
    A: InvoiceArchive,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let detail = fact.booking();
        if detail.status != BookingStatus::Completed {
            return Ok(());
        }
        let Some(booking) = self.store.booking(detail.booking_id).await? else {
            // Archived meanwhile: the invoice route issues it from the record when asked.
            tracing::warn!(booking_id = %detail.booking_id, "a completed booking no longer stored; not invoiced here");
            return Ok(());
        };
        let vendor = self
            .store
            .vendor(booking.vendor_id)
            .await?
            .with_context(|| format!("vendor {} of booking {}", booking.vendor_id, booking.id))?;
        let Some(billing) =
            billing_of(&self.billing, &booking, &vendor.taxes, shared::clock::now()).await?
        else {
            return Ok(());
        };
        archive_invoice(&self.archive, &billing.invoice, &vendor).await
    }
}
