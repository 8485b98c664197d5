//! The night audit of one vendor per message, put on the queue by the vendor's schedule at its
//! `night_audit_at`: no-shows, overdue departures, then the day close (`shared::night_audit`).
//! A message that fails (a booking not marked, a vendor gone) comes back alone and ends in the
//! dead-letter queue; the other vendors' messages are not held up by it.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use shared::night_audit::{AuditError, AuditRequest, DayEvents, run};
use shared::reports::ReportStore;
use shared::store::{AllotmentRelease, ArrivingBookings, BookingStore, ResourceStore, VendorStore};

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore + ArrivingBookings + AllotmentRelease),
    reports: &impl ReportStore,
    events: &impl DayEvents,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    Ok(audit_batch(store, reports, events, event.payload, shared::clock::now()).await)
}

/// Runs each message's audit; reports the messages to be delivered again.
pub async fn audit_batch(
    store: &(impl VendorStore + ResourceStore + BookingStore + ArrivingBookings + AllotmentRelease),
    reports: &impl ReportStore,
    events: &impl DayEvents,
    batch: SqsEvent,
    now: DateTime<Utc>,
) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in batch.records {
        let id = record.message_id.clone().unwrap_or_default();
        let request: AuditRequest = match record.body.as_deref().map(serde_json::from_str) {
            Some(Ok(request)) => request,
            _ => {
                tracing::error!(message_id = %id, "night-audit message is not an audit request");
                failures.push(id);
                continue;
            }
        };
        let vendor = request.vendor_id;
        match run(store, reports, events, &request, now).await {
            Ok(outcome) => tracing::info!(
                vendor_id = %vendor,
                day = %outcome.day,
                no_shows = outcome.no_shows.len(),
                overdue_departures = outcome.overdue_departures.len(),
                closed = ?outcome.closed,
                "night audit done"
            ),
            Err(AuditError::DayNotEnded { day, ends_at }) => {
                // A schedule firing early (a clock change): it comes back after its visibility timeout.
                tracing::warn!(vendor_id = %vendor, %day, %ends_at, "night audit: the day has not ended");
                failures.push(id);
            }
            Err(err) => {
                tracing::error!(vendor_id = %vendor, error = %format!("{err:#}"), "night audit failed; the message comes back");
                failures.push(id);
            }
        }
    }
    shared::inbox::failed_messages(failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsMessage;
    use shared::domain::ids::VendorId;
    use shared::domain::vendor::Vendor;
    use shared::events::EventEntry;
    use shared::outbox::EventBus;
    use shared::reports::MemoryReports;
    use shared::store::memory::MemoryStore;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Bus(Mutex<Vec<EventEntry>>);

    impl EventBus for Bus {
        async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
            self.0.lock().unwrap().extend_from_slice(entries);
            Ok(vec![None; entries.len()])
        }
    }

    fn vendor() -> Vendor {
        serde_json::from_value(serde_json::json!({
            "id": VendorId::generate(),
            "kind": "restaurant",
            "name": "Trattoria",
            "description": "",
            "address": {"line1": "Via Roma 1", "postal_code": "00100", "city": "Roma", "country": "IT"},
            "location": {"lat": 41.9, "lon": 12.5},
            "time_zone": "Europe/Rome",
            "currency": "EUR",
            "facilities": [],
            "contact": {"email": "desk@trattoria.example"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
        }))
        .unwrap()
    }

    fn message(id: &str, body: String) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.to_owned());
        message.body = Some(body);
        message
    }

    #[tokio::test]
    async fn a_vendor_whose_audit_fails_does_not_stop_another_from_closing() {
        let store = MemoryStore::default();
        let open = vendor();
        store.put_vendor(&open);
        let (reports, bus) = (MemoryReports::default(), Bus::default());
        let mut batch = SqsEvent::default();
        batch.records = vec![
            message(
                "gone",
                format!(r#"{{"vendor_id":"{}"}}"#, VendorId::generate()),
            ),
            message("garbled", "{}".to_owned()),
            message("open", format!(r#"{{"vendor_id":"{}"}}"#, open.id)),
        ];
        let now = "2027-03-21T01:00:00Z".parse().unwrap();

        let response = audit_batch(&store, &reports, &bus, batch, now).await;

        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["gone", "garbled"]);
        let day = "2027-03-20".parse().unwrap();
        let closed = reports.day(open.id, day).await.unwrap().unwrap();
        assert_eq!(closed.closed_at, Some(now));
        let put: Vec<&str> = bus
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.detail_type)
            .collect();
        assert_eq!(put, ["DayClosed"]);
    }
}
