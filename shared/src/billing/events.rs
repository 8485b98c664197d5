//! What billing tells the bus: an invoice or a credit note was issued. Published by the outbox
//! from the billing table's stream (a document's item is written once, so each is one fact);
//! the id is derived from the vendor and the number, so a repeat is dropped by consumers. Ids,
//! numbers and totals only: no names, no lines.
use super::dynamo::{DOC_PREFIX, KIND_CREDIT_NOTE, KIND_INVOICE};
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::invoice::{CreditNote, DocumentNumber, Invoice, Totals};
use crate::domain::money::{Currency, Money};
use crate::events::{EventEntry, SchemaVersion};
use crate::store::StreamImage;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const BILLING_SOURCE: &str = "reservations.billing";
pub const INVOICE_ISSUED: &str = "InvoiceIssued";
pub const CREDIT_NOTE_ISSUED: &str = "CreditNoteIssued";
/// Each with a schema and a sample in `events/`.
pub const DETAIL_TYPES: [&str; 2] = [INVOICE_ISSUED, CREDIT_NOTE_ISSUED];

/// A document's totals as events carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentTotals {
    pub net: Money,
    pub vat: Money,
    pub city_tax: Money,
    pub gross: Money,
}

impl DocumentTotals {
    fn of(totals: &Totals, currency: Currency) -> Self {
        Self {
            net: totals.net,
            vat: Money {
                amount_minor: totals.vat_minor(),
                currency,
            },
            city_tax: totals.city_tax,
            gross: totals.gross,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceIssued {
    pub schema_version: SchemaVersion,
    /// `invoice:<vendor>:<number>`.
    pub event_id: String,
    pub vendor_id: VendorId,
    pub booking_id: BookingId,
    pub number: DocumentNumber,
    pub issued_at: DateTime<Utc>,
    pub totals: DocumentTotals,
    /// What the guest still owes (negative: what the vendor owes the guest).
    pub balance: Money,
}

impl InvoiceIssued {
    pub fn of(invoice: &Invoice) -> Self {
        let draft = &invoice.draft;
        Self {
            schema_version: SchemaVersion,
            event_id: format!("invoice:{}:{}", draft.vendor_id, invoice.number),
            vendor_id: draft.vendor_id,
            booking_id: draft.booking_id,
            number: invoice.number,
            issued_at: invoice.issued_at,
            totals: DocumentTotals::of(&draft.totals, draft.currency),
            balance: draft.balance,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteIssued {
    pub schema_version: SchemaVersion,
    /// `credit-note:<vendor>:<number>`.
    pub event_id: String,
    pub vendor_id: VendorId,
    pub booking_id: BookingId,
    pub number: DocumentNumber,
    pub invoice_number: DocumentNumber,
    pub issued_at: DateTime<Utc>,
    /// Negative: what is taken off the invoice.
    pub totals: DocumentTotals,
}

impl CreditNoteIssued {
    pub fn of(note: &CreditNote) -> Self {
        let draft = &note.draft;
        Self {
            schema_version: SchemaVersion,
            event_id: format!("credit-note:{}:{}", draft.vendor_id, note.number),
            vendor_id: draft.vendor_id,
            booking_id: draft.booking_id,
            number: note.number,
            invoice_number: draft.invoice_number,
            issued_at: note.issued_at,
            totals: DocumentTotals::of(&draft.totals, draft.currency),
        }
    }
}

/// One billing fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingFact {
    InvoiceIssued(InvoiceIssued),
    CreditNoteIssued(CreditNoteIssued),
}

impl BillingFact {
    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::InvoiceIssued(_) => INVOICE_ISSUED,
            Self::CreditNoteIssued(_) => CREDIT_NOTE_ISSUED,
        }
    }

    pub fn event_id(&self) -> &str {
        match self {
            Self::InvoiceIssued(detail) => &detail.event_id,
            Self::CreditNoteIssued(detail) => &detail.event_id,
        }
    }

    pub fn booking_id(&self) -> BookingId {
        match self {
            Self::InvoiceIssued(detail) => detail.booking_id,
            Self::CreditNoteIssued(detail) => detail.booking_id,
        }
    }

    fn issued_at(&self) -> DateTime<Utc> {
        match self {
            Self::InvoiceIssued(detail) => detail.issued_at,
            Self::CreditNoteIssued(detail) => detail.issued_at,
        }
    }

    pub fn entry(&self) -> Result<EventEntry, serde_json::Error> {
        let detail = match self {
            Self::InvoiceIssued(detail) => serde_json::to_string(detail)?,
            Self::CreditNoteIssued(detail) => serde_json::to_string(detail)?,
        };
        Ok(EventEntry {
            source: BILLING_SOURCE,
            detail_type: self.detail_type(),
            detail,
            time: self.issued_at(),
        })
    }

    /// The fact a billing table item's new image means: a `DOC#` item is a document issued;
    /// anything else (the sequence, the booking's copies) is bookkeeping, `None`.
    pub fn of_item(sort_key: &str, new_image: StreamImage<'_>) -> anyhow::Result<Option<Self>> {
        if !sort_key.starts_with(DOC_PREFIX) || new_image.is_empty() {
            return Ok(None);
        }
        let kind = new_image
            .text("kind")
            .with_context(|| format!("billing document {sort_key} has no kind"))?;
        let doc = new_image
            .text("doc")
            .with_context(|| format!("billing document {sort_key} has no document"))?;
        match kind {
            KIND_INVOICE => {
                let invoice: Invoice = serde_json::from_str(doc).context("reading an invoice")?;
                Ok(Some(Self::InvoiceIssued(InvoiceIssued::of(&invoice))))
            }
            KIND_CREDIT_NOTE => {
                let note: CreditNote =
                    serde_json::from_str(doc).context("reading a credit note")?;
                Ok(Some(Self::CreditNoteIssued(CreditNoteIssued::of(&note))))
            }
            other => anyhow::bail!("billing document {sort_key} is of an unknown kind {other}"),
        }
    }
}
