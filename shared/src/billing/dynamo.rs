//! Billing in its own DynamoDB table (`billing`, streamed so the outbox publishes its
//! documents):
//! - `VENDOR#<v>` / `SEQ`: `last`, the last number issued by the vendor.
//! - `VENDOR#<v>` / `DOC#<000000000042>`: a document, immutable (`kind`, `number`, `doc` as JSON).
//! - `BOOKING#<b>` / `INVOICE`: the booking's invoice (the guard: one per booking) and `credits`,
//!   how many credit notes it has; `BOOKING#<b>` / `CREDIT#<n>`: each credit note.
//!
//! Issuing is one TransactWriteItems: `SEQ.last = n` on `last = n - 1` (absent for 1), the
//! document and the booking's item each on their absence. A writer that lost the sequence to
//! another reads it again and retries after a jittered pause, so concurrent issues take
//! consecutive numbers without a gap or a duplicate.
use super::{Billing, BillingStore, CreditError, Issued, credit_draft};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::invoice::{CreditNote, CreditRequest, DocumentNumber, Invoice, InvoiceDraft};
use crate::store::attr::{Item, n, optional_number, optional_text, s, text};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// How often an issue reads the sequence again after losing it. Each round some writer wins, so
/// a burst of `n` concurrent issues needs at most `n` rounds of its last writer.
const ISSUE_ATTEMPTS: u32 = 400;
/// The longest pause between two rounds.
const MAX_PAUSE_MS: u64 = 1_000;

pub const SEQ_SK: &str = "SEQ";
pub const DOC_PREFIX: &str = "DOC#";
pub const INVOICE_SK: &str = "INVOICE";
pub const CREDIT_PREFIX: &str = "CREDIT#";
pub const KIND_INVOICE: &str = "invoice";
pub const KIND_CREDIT_NOTE: &str = "credit_note";

#[derive(Debug, Clone)]
pub struct DynamoBilling {
    client: Client,
    table: String,
}

fn vendor_pk(vendor: VendorId) -> String {
    format!("VENDOR#{vendor}")
}

fn booking_pk(booking: BookingId) -> String {
    format!("BOOKING#{booking}")
}

/// A stored document's item: its keys, kind, number and the document as JSON.
fn doc_item(
    pk: String,
    sk: String,
    kind: &str,
    number: DocumentNumber,
    booking: BookingId,
    doc: &impl serde::Serialize,
) -> anyhow::Result<Item> {
    Ok(HashMap::from([
        ("pk".to_owned(), s(pk)),
        ("sk".to_owned(), s(sk)),
        ("kind".to_owned(), s(kind)),
        ("number".to_owned(), n(number.get())),
        ("booking_id".to_owned(), s(booking.to_string())),
        (
            "doc".to_owned(),
            s(serde_json::to_string(doc).context("serialising a document")?),
        ),
    ]))
}

fn put_new(table: &str, item: Item) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Raises the vendor's sequence from `last` to `last + 1`, only if it is still `last`.
fn take_number(
    table: &str,
    vendor: VendorId,
    last: Option<DocumentNumber>,
) -> anyhow::Result<(DocumentNumber, TransactWriteItem)> {
    let next = last.map_or(DocumentNumber::FIRST, DocumentNumber::next);
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(vendor_pk(vendor)))
        .key("sk", s(SEQ_SK))
        .update_expression("SET #last = :next")
        .expression_attribute_names("#last", "last")
        .expression_attribute_values(":next", n(next.get()));
    let update = match last {
        None => update.condition_expression("attribute_not_exists(#last)"),
        Some(last) => update
            .condition_expression("#last = :last")
            .expression_attribute_values(":last", n(last.get())),
    };
    Ok((
        next,
        TransactWriteItem::builder().update(update.build()?).build(),
    ))
}

/// A transaction DynamoDB refused: per item, whether its condition failed; `None` when the
/// refusal is a conflict with another transaction or throttling (try again).
enum Refusal {
    Conditions(Vec<bool>),
    Transient,
}

async fn pause(attempt: u32) {
    use rand::Rng;
    let ceiling = (20u64 << attempt.min(6)).min(MAX_PAUSE_MS);
    let pause = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
}

impl DynamoBilling {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("BILLING_TABLE")?,
        ))
    }

    async fn last(&self, vendor: VendorId) -> anyhow::Result<Option<DocumentNumber>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(vendor_pk(vendor)))
            .key("sk", s(SEQ_SK))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem billing sequence")?;
        let last = match &output.item {
            Some(item) => optional_number::<u64>(item, "SEQ", "last")?,
            None => None,
        };
        Ok(last.and_then(DocumentNumber::new))
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> anyhow::Result<Option<Refusal>> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(err) => match err.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let codes: Vec<&str> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None"))
                        .collect();
                    if codes.contains(&"ConditionalCheckFailed") {
                        Ok(Some(Refusal::Conditions(
                            codes
                                .iter()
                                .map(|c| *c == "ConditionalCheckFailed")
                                .collect(),
                        )))
                    } else if codes.iter().any(|c| {
                        matches!(
                            *c,
                            "TransactionConflict"
                                | "ThrottlingError"
                                | "ProvisionedThroughputExceeded"
                        )
                    }) {
                        Ok(Some(Refusal::Transient))
                    } else {
                        anyhow::bail!("billing transaction cancelled: {codes:?}")
                    }
                }
                TransactWriteItemsError::TransactionInProgressException(_) => {
                    Ok(Some(Refusal::Transient))
                }
                other => Err(anyhow::Error::new(other).context("TransactWriteItems billing")),
            },
        }
    }

    async fn items(&self, booking: BookingId) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(booking_pk(booking)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query billing of a booking")?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

/// The document an item holds.
fn doc<T: serde::de::DeserializeOwned>(item: &Item) -> anyhow::Result<T> {
    serde_json::from_str(text(item, "a billing item", "doc")?).context("reading a document")
}

fn credits(item: &Item) -> u64 {
    optional_number(item, "a booking's invoice", "credits")
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// The billing of one booking from its items: its invoice and credit notes (sorted by key, so
/// by number).
fn billing_from(items: &[Item]) -> anyhow::Result<Option<(Billing, u64)>> {
    fn sk(item: &Item) -> &str {
        optional_text(item, "sk").unwrap_or_default()
    }
    let Some(guard) = items.iter().find(|item| sk(item) == INVOICE_SK) else {
        return Ok(None);
    };
    let invoice: Invoice = doc(guard)?;
    let credit_notes = items
        .iter()
        .filter(|item| sk(item).starts_with(CREDIT_PREFIX))
        .map(doc::<CreditNote>)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Some((
        Billing {
            invoice,
            credit_notes,
        },
        credits(guard),
    )))
}

impl BillingStore for DynamoBilling {
    async fn billing(&self, booking: BookingId) -> anyhow::Result<Option<Billing>> {
        Ok(billing_from(&self.items(booking).await?)?.map(|(billing, _)| billing))
    }

    async fn issue_invoice(
        &self,
        draft: InvoiceDraft,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Issued> {
        let (vendor, booking) = (draft.vendor_id, draft.booking_id);
        for attempt in 1..=ISSUE_ATTEMPTS {
            let last = self.last(vendor).await?;
            let (number, seq) = take_number(&self.table, vendor, last)?;
            let invoice = draft.clone().issue(number, at);
            let items = vec![
                seq,
                put_new(
                    &self.table,
                    doc_item(
                        vendor_pk(vendor),
                        format!("{DOC_PREFIX}{}", number.padded()),
                        KIND_INVOICE,
                        number,
                        booking,
                        &invoice,
                    )?,
                )?,
                put_new(
                    &self.table,
                    doc_item(
                        booking_pk(booking),
                        INVOICE_SK.to_owned(),
                        KIND_INVOICE,
                        number,
                        booking,
                        &invoice,
                    )?,
                )?,
            ];
            match self.transact(items).await? {
                None => return Ok(Issued::New(invoice)),
                Some(Refusal::Conditions(failed)) if failed.get(2) == Some(&true) => {
                    let found = self
                        .billing(booking)
                        .await?
                        .context("the invoice guard is set but the invoice is not stored")?;
                    return Ok(Issued::Existing(found.invoice));
                }
                // The sequence moved on (its condition, or the document of the number taken,
                // fails: DynamoDB may report either), or another transaction held an item.
                Some(_) => pause(attempt).await,
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
            .context(format!("issuing an invoice for vendor {vendor}")))
    }

    async fn issue_credit_note(
        &self,
        booking: BookingId,
        request: CreditRequest,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<CreditNote, CreditError> {
        for attempt in 1..=ISSUE_ATTEMPTS {
            let items = self.items(booking).await?;
            let (billing, count) = billing_from(&items)?.ok_or(CreditError::NoInvoice)?;
            let draft = credit_draft(&billing, &request, &reason)?;
            let vendor = draft.vendor_id;
            let last = self.last(vendor).await?;
            let (number, seq) = take_number(&self.table, vendor, last)?;
            let note = draft.issue(number, at);
            // The credit notes read are all there are: another one since takes the count on.
            let guard = Update::builder()
                .table_name(&self.table)
                .key("pk", s(booking_pk(booking)))
                .key("sk", s(INVOICE_SK))
                .update_expression("SET credits = :next")
                .expression_attribute_values(":next", n(count + 1));
            let guard = if count == 0 {
                guard.condition_expression("attribute_exists(pk) AND attribute_not_exists(credits)")
            } else {
                guard
                    .condition_expression("credits = :count")
                    .expression_attribute_values(":count", n(count))
            }
            .build()
            .map_err(anyhow::Error::from)?;
            let writes = vec![
                seq,
                put_new(
                    &self.table,
                    doc_item(
                        vendor_pk(vendor),
                        format!("{DOC_PREFIX}{}", number.padded()),
                        KIND_CREDIT_NOTE,
                        number,
                        booking,
                        &note,
                    )?,
                )?,
                TransactWriteItem::builder().update(guard).build(),
                put_new(
                    &self.table,
                    doc_item(
                        booking_pk(booking),
                        format!("{CREDIT_PREFIX}{}", number.padded()),
                        KIND_CREDIT_NOTE,
                        number,
                        booking,
                        &note,
                    )?,
                )?,
            ];
            match self.transact(writes).await? {
                None => return Ok(note),
                // The sequence moved on (its condition, or the document of the number taken,
                // fails: DynamoDB may report either), or another transaction held an item.
                Some(_) => pause(attempt).await,
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
            .context(format!("issuing a credit note for booking {booking}"))
            .into())
    }
}
