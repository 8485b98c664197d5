//! What connecting, rotating and disconnecting a channel tell the bus. Channel accounts live in
//! the accounts table, whose stream the outbox publisher reads: a committed change to an account
//! becomes its fact there (`ChannelFact::change`), so none is lost after the write and none is
//! told of a write that did not commit. Its id comes from the account and its version, so a
//! record delivered again is the same fact and consumers drop the copy. No secret, hash or
//! webhook URL is in it.
use super::account::{ChannelAccount, ChannelId, ChannelKind, ChannelStatus};
use crate::domain::ids::VendorId;
use crate::events::{EventEntry, SchemaVersion};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const CHANNELS_SOURCE: &str = "reservations.channels";
pub const CHANNEL_CONNECTED: &str = "ChannelConnected";
pub const CHANNEL_SECRET_ROTATED: &str = "ChannelSecretRotated";
pub const CHANNEL_DISCONNECTED: &str = "ChannelDisconnected";
/// Each with a schema and a sample in `events/`.
pub const DETAIL_TYPES: [&str; 3] = [
    CHANNEL_CONNECTED,
    CHANNEL_SECRET_ROTATED,
    CHANNEL_DISCONNECTED,
];

/// A channel account as its facts carry it, after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelFact {
    pub schema_version: SchemaVersion,
    /// `channel:<client id>:<version>`.
    pub event_id: String,
    pub client_id: ChannelId,
    pub version: u64,
    pub vendor_id: VendorId,
    pub kind: ChannelKind,
    pub status: ChannelStatus,
    /// Whether pushes have somewhere to go (the URL itself is not in the fact).
    pub has_webhook: bool,
    /// When the current secret was issued; `None` once disconnected.
    pub secret_issued_at: Option<DateTime<Utc>>,
    /// Until when the secret before it still works; `None` when there is none.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub occurred_at: DateTime<Utc>,
}

impl ChannelFact {
    pub fn of(account: &ChannelAccount) -> Self {
        let view = account.view(account.updated_at);
        Self {
            schema_version: SchemaVersion,
            event_id: format!("channel:{}:{}", account.id, account.version),
            client_id: account.id,
            version: account.version,
            vendor_id: account.vendor_id,
            kind: account.kind,
            status: account.status,
            has_webhook: account.webhook_url.is_some(),
            secret_issued_at: view.secret_issued_at,
            previous_secret_valid_until: view.previous_secret_valid_until,
            occurred_at: account.updated_at,
        }
    }
}

impl ChannelFact {
    /// The fact a committed change of an account tells (`old` and `new` as the stream has
    /// them), with its detail-type; `None` for a change no consumer hears of.
    pub fn change(
        old: Option<&ChannelAccount>,
        new: Option<&ChannelAccount>,
    ) -> Option<(&'static str, Self)> {
        let new = new?;
        let detail_type = match old {
            None => CHANNEL_CONNECTED,
            Some(old) if old.version >= new.version => return None,
            Some(old) if old.is_active() && !new.is_active() => CHANNEL_DISCONNECTED,
            Some(old) if new.is_active() && current_secret(old) != current_secret(new) => {
                CHANNEL_SECRET_ROTATED
            }
            Some(_) => return None,
        };
        Some((detail_type, Self::of(new)))
    }

    pub fn entry(&self, detail_type: &'static str) -> serde_json::Result<EventEntry> {
        Ok(EventEntry {
            source: CHANNELS_SOURCE,
            detail_type,
            detail: serde_json::to_string(self)?,
            time: self.occurred_at,
        })
    }
}

/// The current secret's hash: a rotation changes it, nothing else does.
fn current_secret(account: &ChannelAccount) -> Option<&str> {
    account
        .secrets
        .iter()
        .find(|s| s.retires_at.is_none())
        .map(|s| s.hash.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Title;
    use chrono::Duration;

    #[test]
    fn a_fact_names_the_channel_and_its_version_and_never_a_secret_or_url() {
        let now = Utc::now();
        let account = ChannelAccount::connect(
            VendorId::generate(),
            ChannelKind::Ota,
            Title::parse("Booking site").unwrap(),
            Some(super::super::WebhookUrl::parse("https://ota.example.com/push").unwrap()),
            "$argon2id$secret-hash".into(),
            now,
        );
        let rotated = account.rotated("$argon2id$second".into(), now + Duration::minutes(1));
        let fact = ChannelFact::of(&rotated);
        assert_eq!(fact.event_id, format!("channel:{}:2", account.id));
        assert_eq!(fact.occurred_at, now + Duration::minutes(1));
        assert!(fact.previous_secret_valid_until.is_some());
        assert!(fact.has_webhook);
        let text = serde_json::to_string(&fact).unwrap();
        for secret in ["argon2", "ota.example.com", "Booking site"] {
            assert!(!text.contains(secret), "{text}");
        }
        let gone = ChannelFact::of(&rotated.disconnected(now + Duration::minutes(2)));
        assert_eq!(gone.status, ChannelStatus::Disconnected);
        assert_eq!(gone.secret_issued_at, None);
    }
}
