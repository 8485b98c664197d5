//! The logs in memory, for unit tests of the feed's rules and of handlers.
use super::{Appended, ChangeLog, FeedEntry, Position, Slice};
use crate::domain::ids::VendorId;
use crate::events::EventId;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct Log {
    head: Position,
    entries: BTreeMap<Position, FeedEntry>,
    facts: HashSet<EventId>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryFeed {
    logs: Arc<Mutex<HashMap<VendorId, Log>>>,
}

impl MemoryFeed {
    fn logs(&self) -> MutexGuard<'_, HashMap<VendorId, Log>> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What DynamoDB's TTL does, some time after `expires_at`: deletes the expired entries.
    pub fn delete_expired(&self, now: DateTime<Utc>) {
        for log in self.logs().values_mut() {
            log.entries.retain(|_, entry| entry.expires_at() > now);
        }
    }
}

impl ChangeLog for MemoryFeed {
    async fn head(&self, vendor: VendorId) -> anyhow::Result<Position> {
        Ok(self.logs().get(&vendor).map_or(Position::START, |l| l.head))
    }

    async fn append(
        &self,
        vendor: VendorId,
        expected: Position,
        entry: &FeedEntry,
    ) -> anyhow::Result<Appended> {
        let mut logs = self.logs();
        let log = logs.entry(vendor).or_default();
        if log.facts.contains(&entry.change.event_id) {
            return Ok(Appended::Duplicate);
        }
        if log.head != expected || entry.position != expected.next() {
            return Ok(Appended::HeadMoved);
        }
        log.head = entry.position;
        log.facts.insert(entry.change.event_id);
        log.entries.insert(entry.position, entry.clone());
        Ok(Appended::Appended)
    }

    async fn read(&self, vendor: VendorId, after: Position, limit: usize) -> anyhow::Result<Slice> {
        let logs = self.logs();
        let Some(log) = logs.get(&vendor) else {
            return Ok(Slice {
                entries: Vec::new(),
                last: Some(Position::START),
            });
        };
        let mut following = log.entries.range(after.next()..);
        let entries: Vec<FeedEntry> = following
            .by_ref()
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect();
        let last = following.next().is_none().then_some(log.head);
        Ok(Slice { entries, last })
    }
}
