//! Billing in memory, for unit tests: the same rules as DynamoDB, one lock for a transaction.
use super::{Billing, BillingStore, CreditError, Issued, credit_draft};
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::invoice::{CreditNote, CreditRequest, DocumentNumber, InvoiceDraft};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct State {
    last: HashMap<VendorId, DocumentNumber>,
    billing: HashMap<BookingId, Billing>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryBilling {
    state: Arc<Mutex<State>>,
}

impl MemoryBilling {
    fn lock(&self) -> anyhow::Result<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| anyhow::anyhow!("the billing lock was poisoned"))
    }
}

impl State {
    fn next(&mut self, vendor: VendorId) -> DocumentNumber {
        let next = self
            .last
            .get(&vendor)
            .map_or(DocumentNumber::FIRST, |n| n.next());
        self.last.insert(vendor, next);
        next
    }
}

impl BillingStore for MemoryBilling {
    async fn billing(&self, booking: BookingId) -> anyhow::Result<Option<Billing>> {
        Ok(self.lock()?.billing.get(&booking).cloned())
    }

    async fn issue_invoice(
        &self,
        draft: InvoiceDraft,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Issued> {
        let mut state = self.lock()?;
        if let Some(found) = state.billing.get(&draft.booking_id) {
            return Ok(Issued::Existing(found.invoice.clone()));
        }
        let number = state.next(draft.vendor_id);
        let invoice = draft.issue(number, at);
        state.billing.insert(
            invoice.draft.booking_id,
            Billing {
                invoice: invoice.clone(),
                credit_notes: Vec::new(),
            },
        );
        Ok(Issued::New(invoice))
    }

    async fn issue_credit_note(
        &self,
        booking: BookingId,
        request: CreditRequest,
        reason: String,
        at: DateTime<Utc>,
    ) -> Result<CreditNote, CreditError> {
        let mut state = self.lock()?;
        let billing = state.billing.get(&booking).ok_or(CreditError::NoInvoice)?;
        let draft = credit_draft(billing, &request, &reason)?;
        let number = state.next(draft.vendor_id);
        let note = draft.issue(number, at);
        if let Some(billing) = state.billing.get_mut(&booking) {
            billing.credit_notes.push(note.clone());
        }
        Ok(note)
    }
}
