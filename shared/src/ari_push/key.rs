//! The platform's ARI push key, from which each channel's signing secret is derived. In AWS it
//! lives in Secrets Manager (`ARI_PUSH_SECRET_ID`, `{"push_key": "..."}`), read once per cold
//! start; never in code, a template or a function's plain environment.
use crate::config::{self, ConfigError};
use anyhow::Context;
use serde::Deserialize;
use std::fmt;

/// Shorter keys are refused at cold start: the key is the root of every channel's secret.
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct PushKey(Vec<u8>);

impl fmt::Debug for PushKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PushKey(<redacted>)")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    push_key: String,
}

impl PushKey {
    pub fn new(key: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let key = key.into();
        if key.len() < MIN_KEY_BYTES {
            return Err(ConfigError::Invalid {
                name: "ARI_PUSH_KEY",
                reason: format!("must be at least {MIN_KEY_BYTES} bytes"),
            });
        }
        Ok(Self(key))
    }

    /// `ARI_PUSH_SECRET_ID` names the secret. Without it, `ARI_PUSH_KEY` is the key itself, for
    /// a machine without a secrets store.
    pub async fn load(sdk: &crate::aws::SdkConfig) -> anyhow::Result<Self> {
        match std::env::var("ARI_PUSH_SECRET_ID") {
            Ok(id) if !id.trim().is_empty() => {
                let value = aws_sdk_secretsmanager::Client::new(sdk)
                    .get_secret_value()
                    .secret_id(id.trim())
                    .send()
                    .await
                    .context("reading the ARI push key from Secrets Manager")?;
                let json = value
                    .secret_string()
                    .context("the ARI push secret has no string value")?;
                // The error would quote the key; say only where it is wrong.
                let stored = serde_json::from_str::<StoredKey>(json).map_err(|e| {
                    anyhow::anyhow!(
                        "the ARI push secret is not {{\"push_key\"}} JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    )
                })?;
                Ok(Self::new(stored.push_key)?)
            }
            _ => Ok(Self::new(config::required("ARI_PUSH_KEY")?)?),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_refused_and_a_key_is_never_shown() {
        assert!(PushKey::new("short").is_err());
        let key = PushKey::new("k".repeat(MIN_KEY_BYTES)).unwrap();
        assert!(!format!("{key:?}").contains("kkk"));
    }
}
