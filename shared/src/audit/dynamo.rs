//! The audit logs in the `audit` table (filled in next; every call answers an error until then).
use super::{Appended, AuditError, AuditLog, StoredCheckpoint, TreeHead};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct DynamoAudit {
    #[allow(dead_code)]
    client: Client,
    #[allow(dead_code)]
    table: String,
}

fn pending() -> AuditError {
    AuditError::Unexpected(anyhow::anyhow!("the DynamoDB audit log is not written yet"))
}

impl DynamoAudit {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("AUDIT_TABLE")?,
        ))
    }
}

impl AuditLog for DynamoAudit {
    async fn append(
        &self,
        _: VendorId,
        _: BookingId,
        _: EventId,
        _: &[u8],
    ) -> Result<Appended, AuditError> {
        Err(pending())
    }
    async fn head(&self, _: VendorId) -> Result<Option<TreeHead>, AuditError> {
        Err(pending())
    }
    async fn nodes(&self, _: VendorId, _: &[tlog::NodeId]) -> Result<Vec<tlog::Hash>, AuditError> {
        Err(pending())
    }
    async fn leaf(&self, _: VendorId, _: u64) -> Result<Option<Vec<u8>>, AuditError> {
        Err(pending())
    }
    async fn booking_leaves(&self, _: BookingId) -> Result<Vec<(VendorId, u64)>, AuditError> {
        Err(pending())
    }
    async fn commitment_secret(&self, _: BookingId) -> Result<tlog::CommitmentSecret, AuditError> {
        Err(pending())
    }
    async fn grown(&self, _: usize) -> Result<Vec<(VendorId, TreeHead)>, AuditError> {
        Err(pending())
    }
    async fn store_checkpoint(
        &self,
        _: VendorId,
        _: u64,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, AuditError> {
        Err(pending())
    }
    async fn checkpoint(
        &self,
        _: VendorId,
        _: Option<u64>,
    ) -> Result<Option<StoredCheckpoint>, AuditError> {
        Err(pending())
    }
}
