//! Verifying our tokens the way API Gateway's JWT authorizer does: discover the JWKS from the
//! issuer's OpenID configuration, check the ES256 signature, issuer, audience and lifetime.
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use std::collections::HashMap;
use tokio::sync::RwLock;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is signed by an unknown key")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("the signing keys could not be fetched: {0}")]
    KeysUnavailable(String),
}

/// The JWKS also publishes the audit log's checkpoint key (`audit-` kids); a token must never
/// pass under it, whatever it signed.
fn is_token_kid(kid: &str) -> bool {
    !kid.starts_with(crate::audit::sign::AUDIT_KID_PREFIX)
}

pub struct JwtVerifier {
    issuer: String,
    audience: String,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<jsonwebtoken::jwk::Jwk>,
}

impl JwtVerifier {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            audience: audience.into(),
            http: reqwest::Client::new(),
            keys: RwLock::new(HashMap::new()),
        }
    }

    /// The token's claims, once signature, issuer, audience and lifetime check out.
    pub async fn verify(
        &self,
        token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, VerifyError> {
        let header = decode_header(token).map_err(|_| VerifyError::Malformed)?;
        if header.alg != Algorithm::ES256 {
            return Err(VerifyError::Invalid("only ES256 is accepted".into()));
        }
        let kid = header.kid.ok_or(VerifyError::Malformed)?;
        if !is_token_kid(&kid) {
            return Err(VerifyError::UnknownKey);
        }
        // Bound first: a guard held in the match would deadlock with refresh's write lock.
        let known = self.keys.read().await.get(&kid).cloned();
        let key = match known {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.keys
                    .read()
                    .await
                    .get(&kid)
                    .cloned()
                    .ok_or(VerifyError::UnknownKey)?
            }
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // The lifetime is checked below against business time (`clock`), which tokens are
        // issued on: a test that moves the clock past a token's expiry sees it refused.
        validation.validate_exp = false;
        let claims = decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::Invalid(e.to_string()))?;
        check_lifetime(&claims, crate::clock::now().timestamp())?;
        Ok(claims)
    }

    /// Re-reads the issuer's keys (on start and whenever a token names a key we don't know).
    async fn refresh(&self) -> Result<(), VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::KeysUnavailable(e.to_string());
        let discovery: Discovery = self
            .http
            .get(format!("{}/.well-known/openid-configuration", self.issuer))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let set: JwkSet = self
            .http
            .get(&discovery.jwks_uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
                && is_token_kid(&kid)
            {
                keys.insert(kid, key);
            }
        }
        *self.keys.write().await = keys;
        Ok(())
    }
}

/// Seconds of clock skew allowed either way, as API Gateway's authorizer allows.
const LEEWAY_SECONDS: i64 = 5;

fn check_lifetime(
    claims: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<(), VerifyError> {
    let second = |name: &str| {
        claims
            .get(name)
            .map(|v| v.as_i64().ok_or(VerifyError::Malformed))
    };
    let exp = second("exp").ok_or(VerifyError::Malformed)??;
    if now - LEEWAY_SECONDS >= exp {
        return Err(VerifyError::Invalid("ExpiredSignature".into()));
    }
    if let Some(nbf) = second("nbf").transpose()?
        && now + LEEWAY_SECONDS < nbf
    {
        return Err(VerifyError::Invalid("ImmatureSignature".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_keys_are_trusted_for_tokens_never_the_audit_key() {
        assert!(is_token_kid("Ql3bq0hZ0qWdXnIu8r5wLNcDJDjyYb1KdkUczMHLyBM"));
        assert!(!is_token_kid(
            "audit-Ql3bq0hZ0qWdXnIu8r5wLNcDJDjyYb1KdkUczMHLyBM"
        ));
    }

    #[test]
    fn a_token_lives_until_its_exp_within_the_leeway_and_not_before_its_nbf() {
        let claims = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let token = claims(serde_json::json!({"exp": 1_000, "nbf": 100}));
        assert!(check_lifetime(&token, 500).is_ok());
        assert!(check_lifetime(&token, 1_004).is_ok());
        assert!(check_lifetime(&token, 1_005).is_err());
        assert!(check_lifetime(&token, 95).is_ok());
        assert!(check_lifetime(&token, 94).is_err());
        assert!(matches!(
            check_lifetime(&claims(serde_json::json!({"nbf": 100})), 500),
            Err(VerifyError::Malformed)
        ));
        assert!(matches!(
            check_lifetime(&claims(serde_json::json!({"exp": "soon"})), 500),
            Err(VerifyError::Malformed)
        ));
    }

    #[tokio::test]
    async fn a_token_naming_the_audit_key_is_refused_before_any_key_is_fetched() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
        // An issuer nobody serves: the refusal must not depend on fetching the JWKS.
        let verifier = JwtVerifier::new("http://127.0.0.1:9", "reservations-api");
        let header = B64.encode(br#"{"alg":"ES256","typ":"JWT","kid":"audit-abc"}"#);
        let token = format!("{header}.{}.{}", B64.encode(b"{}"), B64.encode([0u8; 64]));
        assert!(matches!(
            verifier.verify(&token).await,
            Err(VerifyError::UnknownKey)
        ));
    }
}
