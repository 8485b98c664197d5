//! Issued invoices kept with the archived bookings: `invoices/<vendor>/<number>.json` (the
//! document) and `.pdf` (as the guest gets it) in the archive bucket. Writing the same invoice
//! again writes the same bytes, so the invoicer may do it on every delivery of its fact.
use super::Billing;
use super::pdf::{Letterhead, render};
use crate::config::{self, ConfigError};
use crate::domain::invoice::Invoice;
use crate::domain::vendor::Vendor;
use anyhow::Context;
use std::future::Future;

pub const PREFIX: &str = "invoices/";

/// Where invoices are archived.
pub trait InvoiceArchive: Send + Sync {
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// `invoices/<vendor>/<number>.<extension>`.
pub fn key(invoice: &Invoice, extension: &str) -> String {
    format!(
        "{PREFIX}{}/{}.{extension}",
        invoice.draft.vendor_id, invoice.number
    )
}

/// The vendor as its documents name it: its name, and its address on one line.
pub fn letterhead(vendor: &Vendor) -> (String, String) {
    let address = &vendor.address;
    let mut parts = vec![address.line1.as_str().to_owned()];
    if let Some(line2) = &address.line2 {
        parts.push(line2.as_str().to_owned());
    }
    parts.push(format!("{} {}", address.postal_code, address.city.as_str()));
    parts.push(address.country.as_str().to_owned());
    (vendor.name.as_str().to_owned(), parts.join(", "))
}

/// Archives the invoice (credit notes are not part of it) as JSON and as PDF.
pub async fn archive_invoice(
    archive: &impl InvoiceArchive,
    invoice: &Invoice,
    vendor: &Vendor,
) -> anyhow::Result<()> {
    let json = serde_json::to_vec(invoice).context("serialising the invoice")?;
    let (vendor_name, vendor_address) = letterhead(vendor);
    let pdf = render(
        &Billing {
            invoice: invoice.clone(),
            credit_notes: Vec::new(),
        },
        &Letterhead {
            vendor_name: &vendor_name,
            vendor_address: &vendor_address,
        },
    );
    archive
        .put(&key(invoice, "json"), json, "application/json")
        .await?;
    archive
        .put(&key(invoice, "pdf"), pdf, "application/pdf")
        .await
}

/// The archive bucket (`ARCHIVE_BUCKET`), under `invoices/`.
#[derive(Debug, Clone)]
pub struct S3InvoiceArchive {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3InvoiceArchive {
    /// Against a local emulator buckets are addressed by path, as `S3Records` does.
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        let local = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(local)
            .build();
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: config::required("ARCHIVE_BUCKET")?,
        })
    }
}

impl InvoiceArchive for S3InvoiceArchive {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> anyhow::Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .with_context(|| format!("PutObject {key}"))?;
        Ok(())
    }
}

/// Keeps what is put, for unit tests.
#[derive(Debug, Default)]
pub struct MemoryInvoiceArchive {
    pub objects: std::sync::Mutex<std::collections::BTreeMap<String, (Vec<u8>, &'static str)>>,
}

impl InvoiceArchive for MemoryInvoiceArchive {
    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> anyhow::Result<()> {
        self.objects
            .lock()
            .map_err(|_| anyhow::anyhow!("the archive lock was poisoned"))?
            .insert(key.to_owned(), (body, content_type));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::{BillingStore, MemoryBilling, billing_of};
    use crate::store::memory::fixtures;

    #[tokio::test]
    async fn an_invoice_is_archived_as_json_and_pdf_under_its_vendor_and_number() {
        let vendor = fixtures::hotel();
        let mut booking = fixtures::ended_booking(None, vendor.id);
        booking.status = crate::domain::booking::BookingStatus::Completed;
        let store = MemoryBilling::default();
        let billing = billing_of(&store, &booking, &vendor.taxes, chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        let archive = MemoryInvoiceArchive::default();

        archive_invoice(&archive, &billing.invoice, &vendor)
            .await
            .unwrap();

        assert!(store.billing(booking.id).await.unwrap().is_some());
        let objects = archive.objects.lock().unwrap();
        let json_key = format!("invoices/{}/1.json", vendor.id);
        let pdf_key = format!("invoices/{}/1.pdf", vendor.id);
        assert_eq!(
            objects.keys().cloned().collect::<Vec<_>>(),
            vec![json_key.clone(), pdf_key.clone()]
        );
        let stored: Invoice = serde_json::from_slice(&objects[&json_key].0).unwrap();
        assert_eq!(stored, billing.invoice);
        assert!(objects[&pdf_key].0.starts_with(b"%PDF-"));
        assert_eq!(objects[&pdf_key].1, "application/pdf");
    }
}
