//! Keeps each vendor's change feed: every booking, room/table type and unit fact is appended to
//! its vendor's log at the next position (`shared::feed`). The shared inbox applies each
//! aggregate's facts once and in version order, and the log itself refuses a fact it already
//! holds, so a fact applied again after a crash is not appended twice.
use chrono::Utc;
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
        match self.feed.record(vendor, change, Utc::now()).await? {
            Some(position) => {
                tracing::info!(vendor_id = %vendor, position = position.get(), "recorded in the feed")
            }
            None => tracing::info!(vendor_id = %vendor, "already in the feed"),
        }
        Ok(())
    }
}
