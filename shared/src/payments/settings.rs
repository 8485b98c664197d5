//! Stripe's keys. In AWS they live in Secrets Manager, never in code or in a function's plain
//! environment; the secret is read once per cold start.
use super::StripeClient;
use crate::config::{self, ConfigError};
use anyhow::Context;
use serde::Deserialize;
use std::fmt;

const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// The API key the functions call Stripe with, and the secrets Stripe signs webhooks with
/// (more than one while a secret is being rolled).
#[derive(Clone)]
pub struct StripeSettings {
    pub api_base: String,
    secret_key: String,
    pub webhook_secrets: Vec<String>,
}

impl fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSettings")
            .field("api_base", &self.api_base)
            .field("secret_key", &"<redacted>")
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish()
    }
}

/// The secret's JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSecret {
    secret_key: String,
    #[serde(default)]
    webhook_secrets: Vec<String>,
}

impl StripeSettings {
    /// `STRIPE_SECRET_ID` names a Secrets Manager secret holding
    /// `{"secret_key": "sk_...", "webhook_secrets": ["whsec_..."]}`. Without it,
    /// `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRETS` (comma-separated) are read, for a machine
    /// without a secrets store. `STRIPE_API_BASE` (default Stripe's own) points at localstripe.
    pub async fn load(sdk: &crate::aws::SdkConfig) -> anyhow::Result<Self> {
        let api_base = config::optional("STRIPE_API_BASE", DEFAULT_API_BASE.to_owned())?;
        let stored = match std::env::var("STRIPE_SECRET_ID") {
            Ok(id) if !id.trim().is_empty() => {
                let value = aws_sdk_secretsmanager::Client::new(sdk)
                    .get_secret_value()
                    .secret_id(id.trim())
                    .send()
                    .await
                    .context("reading the Stripe secret from Secrets Manager")?;
                let json = value
                    .secret_string()
                    .context("the Stripe secret has no string value")?;
                // The error would quote the secret; say only where it is wrong.
                serde_json::from_str::<StoredSecret>(json).map_err(|e| {
                    anyhow::anyhow!(
                        "the Stripe secret is not {{\"secret_key\", \"webhook_secrets\"}} JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    )
                })?
            }
            _ => StoredSecret {
                secret_key: config::required("STRIPE_SECRET_KEY")?,
                webhook_secrets: config::optional("STRIPE_WEBHOOK_SECRETS", String::new())?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        };
        Self::new(api_base, stored.secret_key, stored.webhook_secrets)
    }

    pub fn new(
        api_base: impl Into<String>,
        secret_key: impl Into<String>,
        webhook_secrets: Vec<String>,
    ) -> anyhow::Result<Self> {
        let secret_key = secret_key.into();
        // A publishable key (pk_) would fail every call; say so at cold start, without the value.
        if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
            return Err(ConfigError::Invalid {
                name: "STRIPE_SECRET_KEY",
                reason: "must be a secret (sk_...) or restricted (rk_...) key".into(),
            }
            .into());
        }
        if let Some(bad) = webhook_secrets.iter().find(|s| !s.starts_with("whsec_")) {
            let shown: String = bad.chars().take(6).collect();
            anyhow::bail!("a webhook signing secret starts with whsec_, not {shown:?}");
        }
        Ok(Self {
            api_base: api_base.into(),
            secret_key,
            webhook_secrets,
        })
    }

    pub fn client(&self) -> anyhow::Result<StripeClient> {
        StripeClient::new(&self.api_base, &self.secret_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_the_wrong_kind_are_refused_without_showing_them() {
        let publishable = StripeSettings::new("http://x", "pk_test_123", vec![]).unwrap_err();
        assert!(publishable.to_string().contains("sk_"), "{publishable}");
        assert!(!publishable.to_string().contains("pk_test_123"));
        let webhook = StripeSettings::new("http://x", "sk_test_1", vec!["sk_test_secret".into()])
            .unwrap_err();
        assert!(!webhook.to_string().contains("sk_test_secret"), "{webhook}");
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let settings = StripeSettings::new(
            "http://x",
            "sk_test_TOPSECRET",
            vec!["whsec_TOPSECRET".into()],
        )
        .unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
    }
}
