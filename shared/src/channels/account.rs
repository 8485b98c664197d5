//! A channel account: a booking site, a channel manager or the hotel's own system that a manager
//! connected, and the secrets it proves itself with (only their hashes are kept).
use crate::domain::Invalid;
use crate::domain::ids::VendorId;
use crate::domain::text::Title;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// How long a secret keeps working after it was rotated, so a channel can switch without
/// downtime.
pub const SECRET_GRACE_HOURS: i64 = 24;

/// A channel account's id, which is also its OAuth `client_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(Uuid);

impl ChannelId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| Invalid::new("must be a UUID"))
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// What sort of system the channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A booking site.
    Ota,
    ChannelManager,
    /// The hotel's own property management system.
    Pms,
}

impl ChannelKind {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "ota" => Ok(Self::Ota),
            "channel_manager" => Ok(Self::ChannelManager),
            "pms" => Ok(Self::Pms),
            _ => Err(Invalid::new("must be ota, channel_manager or pms")),
        }
    }
}

/// Where pushes go: https, or plain http to this machine only (local tests and receivers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let invalid = || {
            Invalid::new(
                "must be an https URL (http only to 127.0.0.1 or localhost), at most 2048 characters",
            )
        };
        if raw.len() > 2048 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (scheme, rest) = raw.split_once("://").ok_or_else(invalid)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return Err(invalid());
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']').ok_or_else(invalid)?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid());
        }
        if host.is_empty() {
            return Err(invalid());
        }
        match scheme.to_ascii_lowercase().as_str() {
            "https" => Ok(Self(raw.to_owned())),
            "http"
                if matches!(
                    host.to_ascii_lowercase().as_str(),
                    "127.0.0.1" | "localhost"
                ) =>
            {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(invalid()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Active,
    /// Its secrets are gone and its tokens are refused; final.
    Disconnected,
}

/// A client secret as handed out once: 32 random bytes, base64url. Never stored, logged or
/// serialised; only its hash is kept.
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(B64.encode(bytes))
    }

    /// A secret a client offers: only bounded, so nobody can make us hash megabytes.
    pub fn attempt(raw: String) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.len() > 256 {
            return Err(Invalid::new("must be 1 to 256 characters"));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// A secret's hash, and until when it is accepted once a newer one replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    pub hash: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAccount {
    pub id: ChannelId,
    pub vendor_id: VendorId,
    pub kind: ChannelKind,
    pub name: Title,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<WebhookUrl>,
    pub status: ChannelStatus,
    /// The current secret first, then the one it replaced while that is in its grace period.
    pub secrets: Vec<StoredSecret>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A channel as its vendor's managers see it: never a secret or a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub client_id: ChannelId,
    pub vendor_id: VendorId,
    pub kind: ChannelKind,
    pub name: Title,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<WebhookUrl>,
    pub status: ChannelStatus,
    /// When the current secret was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_issued_at: Option<DateTime<Utc>>,
    /// Until when the secret before it is still accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl ChannelAccount {
    pub fn connect(
        vendor_id: VendorId,
        kind: ChannelKind,
        name: Title,
        webhook_url: Option<WebhookUrl>,
        secret_hash: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: ChannelId::generate(),
            vendor_id,
            kind,
            name,
            webhook_url,
            status: ChannelStatus::Active,
            secrets: vec![StoredSecret {
                hash: secret_hash,
                created_at: now,
                retires_at: None,
            }],
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == ChannelStatus::Active
    }

    /// The hashes a secret may match now: none once disconnected, else the current one and the
    /// one it replaced until its grace period ends.
    pub fn live_hashes(&self, now: DateTime<Utc>) -> Vec<String> {
        if !self.is_active() {
            return Vec::new();
        }
        self.secrets
            .iter()
            .filter(|s| s.retires_at.is_none_or(|end| now < end))
            .map(|s| s.hash.clone())
            .collect()
    }

    /// A new current secret; the current one keeps working for `SECRET_GRACE_HOURS`, and one
    /// already in its grace period stops at once (only one old secret is ever accepted).
    pub fn rotated(&self, new_hash: String, now: DateTime<Utc>) -> Self {
        let mut secrets = vec![StoredSecret {
            hash: new_hash,
            created_at: now,
            retires_at: None,
        }];
        if let Some(current) = self.secrets.iter().find(|s| s.retires_at.is_none()) {
            secrets.push(StoredSecret {
                retires_at: Some(now + Duration::hours(SECRET_GRACE_HOURS)),
                ..current.clone()
            });
        }
        Self {
            secrets,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Disconnected for good: its secrets are dropped, so no token can be had any more, and the
    /// channel endpoints refuse the tokens it already has (they read the account).
    pub fn disconnected(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: ChannelStatus::Disconnected,
            secrets: Vec::new(),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    pub fn view(&self, now: DateTime<Utc>) -> ChannelView {
        let current = self.secrets.iter().find(|s| s.retires_at.is_none());
        let previous = self
            .secrets
            .iter()
            .filter_map(|s| s.retires_at)
            .find(|end| now < *end);
        ChannelView {
            client_id: self.id,
            vendor_id: self.vendor_id,
            kind: self.kind,
            name: self.name.clone(),
            webhook_url: self.webhook_url.clone(),
            status: self.status,
            secret_issued_at: current.map(|s| s.created_at),
            previous_secret_valid_until: previous,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(now: DateTime<Utc>) -> ChannelAccount {
        ChannelAccount::connect(
            VendorId::generate(),
            ChannelKind::Ota,
            Title::parse("Booking site").unwrap(),
            None,
            "first".into(),
            now,
        )
    }

    #[test]
    fn a_rotated_secret_keeps_working_for_the_grace_period_only() {
        let now = Utc::now();
        let rotated = account(now).rotated("second".into(), now);
        assert_eq!(rotated.live_hashes(now), vec!["second", "first"]);
        let later = now + Duration::hours(SECRET_GRACE_HOURS);
        assert_eq!(rotated.live_hashes(later), vec!["second"]);
        assert_eq!(
            rotated.view(now).previous_secret_valid_until,
            Some(now + Duration::hours(SECRET_GRACE_HOURS))
        );
        assert_eq!(rotated.version, 2);
    }

    #[test]
    fn rotating_twice_ends_the_first_secrets_grace_at_once() {
        let now = Utc::now();
        let twice = account(now)
            .rotated("second".into(), now)
            .rotated("third".into(), now);
        assert_eq!(twice.live_hashes(now), vec!["third", "second"]);
    }

    #[test]
    fn a_disconnected_channel_has_no_secret_left() {
        let now = Utc::now();
        let gone = account(now).rotated("second".into(), now).disconnected(now);
        assert!(gone.live_hashes(now).is_empty());
        assert_eq!(gone.status, ChannelStatus::Disconnected);
    }

    #[test]
    fn the_view_never_shows_a_hash() {
        let now = Utc::now();
        let shown = serde_json::to_string(&account(now).view(now)).unwrap();
        assert!(!shown.contains("first"), "{shown}");
        assert!(shown.contains("client_id"), "{shown}");
    }

    #[test]
    fn secrets_are_32_random_bytes_in_base64url() {
        let (a, b) = (ClientSecret::generate(), ClientSecret::generate());
        assert_eq!(B64.decode(a.expose()).unwrap().len(), 32);
        assert_ne!(a.expose(), b.expose());
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(format!("{a:?}"), "ClientSecret(***)");
    }

    #[test]
    fn webhooks_are_https_or_local_http() {
        for good in [
            "https://channel.example.com/ari",
            "https://channel.example.com:8443/ari?x=1",
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://channel.example.com/ari",
            "ftp://channel.example.com",
            "https://",
            "https://user:pw@channel.example.com",
            "https://channel.example.com:/x",
            "https://chan nel.example.com",
            "channel.example.com",
            "http://127.0.0.1.example.com/x",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_are_the_three_named() {
        assert_eq!(
            ChannelKind::parse("channel_manager").unwrap(),
            ChannelKind::ChannelManager
        );
        assert!(ChannelKind::parse("gds").is_err());
    }
}
