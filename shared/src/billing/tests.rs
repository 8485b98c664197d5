use super::*;
use crate::domain::ids::VendorId;
use crate::domain::invoice::{CreditRefused, DocumentNumber};
use crate::store::memory::fixtures;

fn completed(vendor: VendorId, price: i64) -> Booking {
    let mut booking = fixtures::ended_booking(None, vendor);
    booking.status = BookingStatus::Completed;
    booking.quote = serde_json::from_value(serde_json::json!({
        "lines": [{
            "date": "2026-01-31",
            "unit_price": {"amount_minor": price, "currency": "EUR"},
            "units": 1,
            "amount": {"amount_minor": price, "currency": "EUR"},
        }],
        "total": {"amount_minor": price, "currency": "EUR"},
    }))
    .unwrap();
    booking
}

fn now() -> DateTime<Utc> {
    "2026-02-01T10:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn concurrent_issues_take_consecutive_numbers_per_vendor() {
    let store = MemoryBilling::default();
    let (a, b) = (VendorId::generate(), VendorId::generate());
    let bookings: Vec<Booking> = (0..20)
        .map(|i| completed(if i % 2 == 0 { a } else { b }, 1_000))
        .collect();
    let rules = TaxRules::default();
    let issued = futures::future::join_all(
        bookings
            .iter()
            .map(|booking| billing_of(&store, booking, &rules, now())),
    )
    .await;
    for vendor in [a, b] {
        let mut numbers: Vec<u64> = issued
            .iter()
            .map(|b| b.as_ref().unwrap().as_ref().unwrap())
            .filter(|b| b.invoice.draft.vendor_id == vendor)
            .map(|b| b.invoice.number.get())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn a_booking_is_invoiced_once_and_only_when_completed() {
    let store = MemoryBilling::default();
    let vendor = VendorId::generate();
    let mut booking = completed(vendor, 1_000);
    booking.status = BookingStatus::CheckedIn;
    assert_eq!(
        billing_of(&store, &booking, &TaxRules::default(), now())
            .await
            .unwrap(),
        None
    );

    booking.status = BookingStatus::Completed;
    let first = billing_of(&store, &booking, &TaxRules::default(), now())
        .await
        .unwrap()
        .unwrap();
    let again = billing_of(&store, &booking, &TaxRules::default(), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, again);
    let draft = InvoiceDraft::for_booking(&booking, &TaxRules::default()).unwrap();
    assert_eq!(
        store.issue_invoice(draft, now()).await.unwrap(),
        Issued::Existing(first.invoice)
    );
}

#[tokio::test]
async fn a_credit_note_takes_the_next_number_and_leaves_the_invoice_as_it_was() {
    let store = MemoryBilling::default();
    let vendor = VendorId::generate();
    let booking = completed(vendor, 10_000);
    let invoice = billing_of(&store, &booking, &TaxRules::default(), now())
        .await
        .unwrap()
        .unwrap()
        .invoice;
    let other = completed(vendor, 5_000);
    billing_of(&store, &other, &TaxRules::default(), now())
        .await
        .unwrap();

    let note = store
        .issue_credit_note(
            booking.id,
            CreditRequest::Amount(4_000),
            "broken heater".into(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(note.number, DocumentNumber::new(3).unwrap());
    assert_eq!(note.draft.invoice_number, invoice.number);
    assert_eq!(note.draft.totals.gross.amount_minor, -4_000);

    let billing = store.billing(booking.id).await.unwrap().unwrap();
    assert_eq!(billing.invoice, invoice);
    assert_eq!(billing.credit_notes, vec![note]);
    assert!(matches!(
        store
            .issue_credit_note(booking.id, CreditRequest::Amount(6_001), "x".into(), now())
            .await,
        Err(CreditError::Refused(CreditRefused::ExceedsInvoice {
            remaining_minor: 6_000
        }))
    ));
    assert!(matches!(
        store
            .issue_credit_note(
                crate::domain::ids::BookingId::generate(),
                CreditRequest::Amount(1),
                "x".into(),
                now()
            )
            .await,
        Err(CreditError::NoInvoice)
    ));
}
