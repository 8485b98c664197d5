//! Keeps each vendor's change feed: every booking, room/table type and unit fact is appended to
//! its vendor's log at the next position (`shared::feed`). The shared inbox applies each
//! aggregate's facts once and in version order, and the log itself refuses a fact it already
//! holds, so a fact applied again after a crash is not appended twice.
use shared::events::{Event, ReceivedEvent};
use shared::feed::{Change, ChangeLog, DynamoFeed, Feed};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "change-feed",
    order: Order::InOrder,
};

/// The consumer's effect: the feed it appends to.
#[derive(Debug, Clone)]
pub struct FeedWriter<L = DynamoFeed> {
    pub feed: Feed<L>,
}

impl FeedWriter {
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            feed: Feed::new(DynamoFeed::from_env(sdk)?),
        })
    }
}

impl<L: ChangeLog> Effect for FeedWriter<L> {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let Some((vendor, change)) = Change::of(event)? else {
            return Ok(());
        };
        match self
            .feed
            .record(vendor, change, shared::clock::now())
            .await?
        {
            Some(position) => {
                tracing::info!(vendor_id = %vendor, position = position.get(), "recorded in the feed")
            }
            None => tracing::info!(vendor_id = %vendor, "already in the feed"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use shared::domain::ids::VendorId;
    use shared::feed::{Audience, MemoryFeed, Position};

    fn sample(detail_type: &str) -> (Event, ReceivedEvent) {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let received: ReceivedEvent =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        (received.event().unwrap(), received)
    }

    fn vendor_of(received: &ReceivedEvent) -> VendorId {
        VendorId::parse(received.detail["vendor_id"].as_str().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn booking_and_room_type_facts_are_appended_once_and_the_profile_and_rating_are_not() {
        let writer = FeedWriter {
            feed: Feed::new(MemoryFeed::default()),
        };
        let (held, held_received) = sample("BookingHeld");
        let (room, room_received) = sample("ResourceChanged");
        for (event, received) in [
            sample("VendorOnboarded"),
            sample("VendorRated"),
            (held.clone(), held_received.clone()),
            (held, held_received.clone()),
            (room, room_received.clone()),
        ] {
            writer.apply(&event, &received).await.unwrap();
        }

        // Both samples are of one vendor.
        let feed = writer
            .feed
            .changes(
                vendor_of(&held_received),
                Position::START,
                10,
                Audience::Everything,
                Utc::now(),
            )
            .await
            .unwrap();
        let types: Vec<&str> = feed
            .changes
            .iter()
            .map(|e| e.change.detail_type.as_str())
            .collect();

        assert_eq!(vendor_of(&room_received), vendor_of(&held_received));
        assert_eq!(types, ["BookingHeld", "ResourceChanged"]);
        assert_eq!(feed.changes[0].change.detail, held_received.detail);
    }
}
