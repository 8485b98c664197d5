//! Channel accounts in memory, for handlers' unit tests.
use super::account::{ChannelAccount, ChannelId};
use super::import::{ChannelImports, ImportedReservation, RejectedImport};
use super::store::{ChannelStore, ClientBudget};
use crate::domain::ids::VendorId;
use crate::store::{LoginAttempts, WriteError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct MemoryChannels {
    accounts: Mutex<HashMap<ChannelId, ChannelAccount>>,
    attempts: Mutex<HashMap<String, LoginAttempts>>,
    imports: Mutex<Vec<ImportedReservation>>,
    rejections: Mutex<Vec<RejectedImport>>,
}

fn budget_key(budget: ClientBudget<'_>) -> String {
    match budget {
        ClientBudget::Client(id) => id.to_string(),
        ClientBudget::ClientFromSource(id, source) => format!("{id}#{source}"),
    }
}

impl ChannelStore for MemoryChannels {
    async fn create_channel(&self, account: &ChannelAccount) -> anyhow::Result<()> {
        let mut accounts = self
            .accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        anyhow::ensure!(!accounts.contains_key(&account.id), "channel exists");
        accounts.insert(account.id, account.clone());
        Ok(())
    }

    async fn channel(&self, id: ChannelId) -> anyhow::Result<Option<ChannelAccount>> {
        let accounts = self
            .accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(accounts.get(&id).cloned())
    }

    async fn channels(&self, vendor: VendorId) -> anyhow::Result<Vec<ChannelAccount>> {
        let accounts = self
            .accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        let mut found: Vec<_> = accounts
            .values()
            .filter(|a| a.vendor_id == vendor)
            .cloned()
            .collect();
        found.sort_by_key(|a| a.id);
        Ok(found)
    }

    async fn replace_channel(
        &self,
        account: &ChannelAccount,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        let mut accounts = self
            .accounts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        match accounts.get(&account.id) {
            Some(stored) if stored.version == expected_version => {
                accounts.insert(account.id, account.clone());
                Ok(())
            }
            _ => Err(WriteError::VersionConflict),
        }
    }

    async fn count_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LoginAttempts> {
        let mut attempts = self
            .attempts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        let entry = attempts.entry(budget_key(budget)).or_insert(LoginAttempts {
            count: 0,
            window_ends_at: now + Duration::minutes(super::ATTEMPT_WINDOW_MINUTES),
        });
        if entry.window_ends_at <= now {
            *entry = LoginAttempts {
                count: 0,
                window_ends_at: now + Duration::minutes(super::ATTEMPT_WINDOW_MINUTES),
            };
        }
        entry.count += 1;
        Ok(*entry)
    }

    async fn forgive_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut attempts = self
            .attempts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        if let Some(entry) = attempts.get_mut(&budget_key(budget))
            && entry.window_ends_at > now
        {
            entry.count = entry.count.saturating_sub(1);
        }
        Ok(())
    }

    async fn reset_attempts(&self, budget: ClientBudget<'_>) -> anyhow::Result<()> {
        let mut attempts = self
            .attempts
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        attempts.remove(&budget_key(budget));
        Ok(())
    }
}

impl MemoryChannels {
    /// What was recorded of a channel's reservations, in the order written.
    pub fn imports(&self) -> Vec<ImportedReservation> {
        self.imports.lock().map(|i| i.clone()).unwrap_or_default()
    }
}

impl ChannelImports for MemoryChannels {
    async fn record_import(&self, record: &ImportedReservation) -> anyhow::Result<()> {
        self.imports
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(record.clone());
        Ok(())
    }

    async fn record_rejection(&self, record: &RejectedImport) -> anyhow::Result<()> {
        self.rejections
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(record.clone());
        Ok(())
    }

    async fn rejections(
        &self,
        channel: ChannelId,
        limit: usize,
    ) -> anyhow::Result<Vec<RejectedImport>> {
        let rejections = self
            .rejections
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(rejections
            .iter()
            .rev()
            .filter(|r| r.channel_id == channel)
            .take(limit)
            .cloned()
            .collect())
    }
}
