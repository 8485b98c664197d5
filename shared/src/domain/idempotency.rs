//! The key a client sends with a desk action it may send again (`Idempotency-Key`): an action
//! applied whose answer was lost is recognised by its key when it comes again, not done twice.
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// 1 to `MAX_LEN` visible ASCII characters (a UUID, say): Stripe's bound, which a booking's key
/// meets as it is passed on. Small, and says nothing of anyone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let visible = raw.bytes().all(|b| b.is_ascii_graphic());
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !visible {
            return Err(Invalid::new(format!(
                "must be 1 to {} visible ASCII characters (e.g. a UUID), one per action; a retry reuses it",
                Self::MAX_LEN
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a keyed action was done by this request or found done by an earlier one with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Applied,
    Replayed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        let uuid = "3f2b8c1e-9a4d-4c7e-8b1a-2d3e4f5a6b7c";
        assert_eq!(IdempotencyKey::parse(uuid).unwrap().as_str(), uuid);
        assert!(IdempotencyKey::parse(&"k".repeat(IdempotencyKey::MAX_LEN)).is_ok());
        for bad in [
            String::new(),
            "k".repeat(IdempotencyKey::MAX_LEN + 1),
            "two words".into(),
            "tab\there".into(),
            "schlüssel".into(),
        ] {
            assert!(IdempotencyKey::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
