//! Feeds the reports projection (`shared::reports`): each booking fact becomes the booking's new
//! contribution to its vendor's business days, written as the difference from the one applied
//! before. The shared inbox applies a booking's facts once and in version order; the store's
//! version condition makes a fact applied again after a crash change nothing.
use anyhow::Context;
use shared::domain::tax::TaxRules;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::reports::{DynamoReports, Recorded, ReportError, ReportStore, record};
use shared::store::{DynamoStore, VendorStore};

pub const CONSUMER: Consumer = Consumer {
    name: "reports",
    order: Order::InOrder,
};

/// The consumer's effect: the vendors (for their taxes) and the reports table.
#[derive(Debug, Clone)]
pub struct ReportWriter<S = DynamoStore, R = DynamoReports> {
    pub store: S,
    pub reports: R,
}

impl ReportWriter {
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            store: DynamoStore::from_env(sdk)?,
            reports: DynamoReports::from_env(sdk)?,
        })
    }
}

impl<S: VendorStore, R: ReportStore> Effect for ReportWriter<S, R> {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let detail = fact.booking();
        let vendor = detail.vendor_id;
        let taxes: TaxRules = self
            .store
            .vendor(vendor)
            .await?
            .map(|v| v.taxes)
            .with_context(|| format!("the vendor {vendor} of a booking fact is unknown"))?;
        match record(&self.reports, detail, &taxes).await {
            Ok(Recorded::Written { redirected }) => {
                tracing::info!(
                    booking_id = %detail.booking_id,
                    vendor_id = %vendor,
                    version = detail.header.version,
                    adjusted_closed_days = redirected.len(),
                    "in the reports"
                );
                Ok(())
            }
            Ok(Recorded::AlreadyNewer) => Ok(()),
            Err(ReportError::Contended) => Err(anyhow::anyhow!(
                "the booking's report contribution kept changing while this fact was applied; it comes back"
            )),
            Err(err) => Err(unexpected(err)),
        }
    }
}

fn unexpected(err: ReportError) -> anyhow::Error {
    anyhow::Error::new(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::ids::VendorId;
    use shared::reports::MemoryReports;
    use shared::store::memory::MemoryStore;

    fn sample(detail_type: &str) -> (Event, ReceivedEvent) {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let received: ReceivedEvent =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        (received.event().unwrap(), received)
    }

    #[tokio::test]
    async fn a_confirmed_stay_s_nights_are_counted_once_however_often_its_facts_come() {
        let (held, held_received) = sample("BookingHeld");
        let (confirmed, confirmed_received) = sample("BookingConfirmed");
        let vendor_id =
            VendorId::parse(held_received.detail["vendor_id"].as_str().unwrap()).unwrap();
        let store = MemoryStore::default();
        let vendor: shared::domain::vendor::Vendor = serde_json::from_value(serde_json::json!({
            "id": vendor_id,
            "kind": "hotel",
            "name": "Hotel am Park",
            "description": "",
            "address": {"line1": "Parkweg 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
            "location": {"lat": 52.5, "lon": 13.4},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": [],
            "contact": {"email": "desk@hotel.example"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
        }))
        .unwrap();
        store.put_vendor(&vendor);
        let writer = ReportWriter {
            store,
            reports: MemoryReports::default(),
        };

        for (event, received) in [
            sample("VendorOnboarded"),
            (held.clone(), held_received.clone()),
            (confirmed.clone(), confirmed_received.clone()),
            (confirmed, confirmed_received.clone()),
            (held, held_received),
        ] {
            writer.apply(&event, &received).await.unwrap();
        }

        let detail = &confirmed_received.detail;
        let lines = detail["price_lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        for line in lines {
            let day: chrono::NaiveDate = line["date"].as_str().unwrap().parse().unwrap();
            let figures = writer.reports.day(vendor_id, day).await.unwrap().unwrap();
            assert_eq!(figures.count("room_nights"), 1, "{day}");
            assert_eq!(
                figures.count("rev_net"),
                line["amount_minor"].as_i64().unwrap()
            );
        }
        let arrival: chrono::NaiveDate = detail["time"]["check_in"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let figures = writer
            .reports
            .day(vendor_id, arrival)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(figures.count("bookings"), 1);
        assert_eq!(figures.count("stays"), 1);
    }
}
