//! Invoices and credit notes, stored: one gap-free sequence of document numbers per vendor
//! (invoices and credit notes share it), the documents (immutable once numbered), and per
//! booking a guard so it gets one invoice only. The DynamoDB layout is in `dynamo`.
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::ids::BookingId;
use crate::domain::invoice::{
    CreditDraft, CreditNote, CreditRefused, CreditRequest, Invoice, InvoiceDraft,
};
use crate::domain::tax::TaxRules;
use crate::domain::vendor::Vendor;
use crate::store::{ArchiveIndex, ArchiveRecords, BookingStore, VendorStore};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::future::Future;

pub mod archive;
mod dynamo;
pub mod events;
mod memory;
pub mod pdf;

pub use dynamo::DynamoBilling;
pub use memory::MemoryBilling;

/// A booking's invoice and the credit notes against it, in number order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Billing {
    pub invoice: Invoice,
    pub credit_notes: Vec<CreditNote>,
}

/// Whether issuing made a new invoice, or found the one the booking already had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {
    New(Invoice),
    Existing(Invoice),
}

impl Issued {
    pub fn invoice(self) -> Invoice {
        match self {
            Self::New(invoice) | Self::Existing(invoice) => invoice,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("the booking has no invoice")]
    NoInvoice,
    #[error(transparent)]
    Refused(#[from] CreditRefused),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub trait BillingStore: Send + Sync {
    /// The booking's invoice and credit notes; `None` before it is invoiced.
    fn billing(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<Billing>>> + Send;

    /// Numbers and stores the invoice in one transaction with the next number of its vendor's
    /// sequence and the booking's guard; the booking's existing invoice if it has one.
    fn issue_invoice(
        &self,
        draft: InvoiceDraft,
        at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Issued>> + Send;

    /// Numbers and stores a credit note against the booking's invoice, checked against the
    /// credit notes it already has (no line twice, never more than the invoice).
    fn issue_credit_note(
        &self,
        booking: BookingId,
        request: CreditRequest,
        reason: String,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<CreditNote, CreditError>> + Send;
}

/// The booking's billing, issuing its invoice first if it is COMPLETED and has none yet (what
/// the invoicer does on the fact, and the invoice route on read, so a lagging consumer is never
/// visible). `None` for a booking not completed and not invoiced.
pub async fn billing_of(
    store: &impl BillingStore,
    booking: &Booking,
    taxes: &TaxRules,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<Billing>> {
    if let Some(found) = store.billing(booking.id).await? {
        return Ok(Some(found));
    }
    if booking.status != BookingStatus::Completed {
        return Ok(None);
    }
    let draft = InvoiceDraft::for_booking(booking, taxes)?;
    match store.issue_invoice(draft, at).await? {
        Issued::New(invoice) => {
            tracing::info!(booking_id = %booking.id, vendor_id = %booking.vendor_id, number = %invoice.number, "invoice issued");
            Ok(Some(Billing {
                invoice,
                credit_notes: Vec::new(),
            }))
        }
        Issued::Existing(_) => store.billing(booking.id).await,
    }
}

/// What the billing routes read first: the booking wherever it is, if `visible` lets the caller
/// see it, and its vendor (whose taxes and letterhead the documents use). `None` when the
/// booking does not exist or is hidden from the caller.
pub async fn booking_and_vendor(
    store: &(impl BookingStore + VendorStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    id: BookingId,
    visible: impl FnOnce(&Booking) -> bool,
) -> anyhow::Result<Option<(Booking, Vendor)>> {
    let Some(booking) = booking_anywhere(store, archive, records, id)
        .await?
        .filter(|booking| visible(booking))
    else {
        return Ok(None);
    };
    let vendor = store
        .vendor(booking.vendor_id)
        .await?
        .with_context(|| format!("vendor of booking {id} is not stored"))?;
    Ok(Some((booking, vendor)))
}

/// A booking wherever it is: the live table, or its archived record (an invoice outlives the
/// booking's move to the archive).
async fn booking_anywhere(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    id: BookingId,
) -> anyhow::Result<Option<Booking>> {
    if let Some(booking) = store.booking(id).await? {
        return Ok(Some(booking));
    }
    // Read after the live table: a booking moved out meanwhile is in the archive by now.
    let Some(entry) = archive.archived(id).await? else {
        return Ok(None);
    };
    records.record(&entry.record_key).await
}

/// The credit note `request` of `billing`'s invoice would be: the rule both stores apply.
fn credit_draft(
    billing: &Billing,
    request: &CreditRequest,
    reason: &str,
) -> Result<CreditDraft, CreditRefused> {
    CreditDraft::of(&billing.invoice, &billing.credit_notes, request, reason)
}

#[cfg(test)]
mod tests;
