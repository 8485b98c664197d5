//! Keeps each booking's history: every booking fact becomes one entry of its booking's log
//! (`shared::store::HistoryLog`), which `GET /booking/{id}/history` reads. The shared inbox
//! applies each booking's facts once and in version order, and the log refuses a version it
//! already holds, so a fact applied again after a crash is not written twice.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};
use shared::store::{DynamoHistoryLog, HistoryEntry, HistoryLog};

pub const CONSUMER: Consumer = Consumer {
    name: "booking-history",
    order: Order::InOrder,
};

/// The consumer's effect: the log it writes to.
#[derive(Debug, Clone)]
pub struct HistoryWriter<L = DynamoHistoryLog> {
    pub log: L,
}

impl HistoryWriter {
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            log: DynamoHistoryLog::from_env(sdk)?,
        })
    }
}

impl<L: HistoryLog> Effect for HistoryWriter<L> {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        // Vendor, room type and unit facts are not a booking's.
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let (booking, entry) = HistoryEntry::of(fact);
        if self.log.record(booking, &entry).await? {
            tracing::info!(booking_id = %booking, version = entry.version, "recorded in the history");
        } else {
            tracing::info!(booking_id = %booking, version = entry.version, "already in the history");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::ids::BookingId;
    use shared::store::MemoryHistoryLog;

    fn sample(detail_type: &str) -> (Event, ReceivedEvent) {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let received: ReceivedEvent =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        (received.event().unwrap(), received)
    }

    fn booking_of(received: &ReceivedEvent) -> BookingId {
        BookingId::parse(received.detail["booking_id"].as_str().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn booking_facts_are_written_once_each_in_version_order_and_other_facts_are_not() {
        let writer = HistoryWriter {
            log: MemoryHistoryLog::default(),
        };
        let (held, held_received) = sample("BookingHeld");
        let (confirmed, confirmed_received) = sample("BookingConfirmed");
        for (event, received) in [
            sample("VendorOnboarded"),
            sample("ResourceChanged"),
            sample("UnitChanged"),
            (confirmed.clone(), confirmed_received.clone()),
            (held.clone(), held_received.clone()),
            (held, held_received.clone()),
            (confirmed, confirmed_received.clone()),
        ] {
            writer.apply(&event, &received).await.unwrap();
        }

        let history = writer
            .log
            .history(booking_of(&held_received))
            .await
            .unwrap();

        // Both samples are of one booking.
        assert_eq!(booking_of(&confirmed_received), booking_of(&held_received));
        let read: Vec<(u64, &str, Option<&str>)> = history
            .iter()
            .map(|e| {
                (
                    e.version,
                    e.detail_type.as_str(),
                    e.previous_status.map(|s| s.as_str()),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (1, "BookingHeld", None),
                (2, "BookingConfirmed", Some("HELD"))
            ]
        );
        assert_eq!(
            serde_json::to_value(history[0].total).unwrap(),
            held_received.detail["total"]
        );
    }
}
