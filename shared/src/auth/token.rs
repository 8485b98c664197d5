//! Issuing access tokens: ES256 JWTs signed by a KMS key that never leaves KMS, and the public
//! half published as a JWK so API Gateway's JWT authorizer (and the local gateway) can verify them.
use super::claims::AccessClaims;
use crate::config::{self, ConfigError};
use crate::domain::account::Credential;
use anyhow::Context;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;

/// Who issues tokens for whom, and for how long.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// The `iss` claim, also the base URL of the discovery document and JWKS.
    pub issuer: String,
    pub audience: String,
    pub ttl_seconds: i64,
}

impl TokenSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            issuer: config::required("JWT_ISSUER")?
                .trim_end_matches('/')
                .to_owned(),
            audience: config::optional("JWT_AUDIENCE", "reservations-api".to_owned())?,
            ttl_seconds: config::optional("JWT_TTL_SECONDS", 900)?,
        })
    }
}

/// A public key in JWK form (RFC 7517), as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub usage: String,
    pub alg: String,
}

impl Jwk {
    /// The JWK of a P-256 public key in DER SubjectPublicKeyInfo form (what KMS returns), with
    /// its RFC 7638 thumbprint as the key id.
    pub fn from_spki_der(der: &[u8]) -> anyhow::Result<Self> {
        let key = p256::PublicKey::from_public_key_der(der).context("not a P-256 public key")?;
        let point = p256::EncodedPoint::from(key);
        let (x, y) = point
            .x()
            .zip(point.y())
            .context("public key point is not uncompressed")?;
        let (x, y) = (B64.encode(x), B64.encode(y));
        let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = B64.encode(Sha256::digest(thumbprint.as_bytes()));
        Ok(Self {
            kty: "EC".into(),
            crv: "P-256".into(),
            x,
            y,
            kid,
            usage: "sig".into(),
            alg: "ES256".into(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Signs a JWT's `header.payload`, returning the raw 64-byte `r || s` ES256 signature.
pub trait TokenSigner: Send + Sync {
    fn key_id(&self) -> &str;
    fn sign(&self, message: Vec<u8>) -> impl Future<Output = anyhow::Result<Vec<u8>>> + Send;
}

/// An asymmetric ECC_NIST_P256 KMS key.
#[derive(Debug, Clone)]
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    jwk: Jwk,
}

impl KmsSigner {
    /// Fetches the public key once; this also opens the connection to KMS before the first login.
    pub async fn connect(client: aws_sdk_kms::Client, key_id: String) -> anyhow::Result<Self> {
        let public = client
            .get_public_key()
            .key_id(&key_id)
            .send()
            .await
            .with_context(|| format!("reading the public key of KMS key {key_id}"))?;
        let der = public.public_key().context("KMS returned no public key")?;
        let jwk = Jwk::from_spki_der(der.as_ref())?;
        Ok(Self {
            client,
            key_id,
            jwk,
        })
    }

    pub async fn from_env(sdk: &crate::aws::SdkConfig) -> anyhow::Result<Self> {
        let key_id = config::required("JWT_KMS_KEY_ID")?;
        Self::connect(aws_sdk_kms::Client::new(sdk), key_id).await
    }

    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }
}

impl TokenSigner for KmsSigner {
    fn key_id(&self) -> &str {
        &self.jwk.kid
    }

    async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let signed = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .context("signing a token with KMS")?;
        let der = signed.signature().context("KMS returned no signature")?;
        // KMS returns an ASN.1 DER signature; JWS wants the fixed-size r || s form.
        let signature = p256::ecdsa::Signature::from_der(der.as_ref())
            .context("KMS returned a malformed signature")?;
        let signature = signature.normalize_s().unwrap_or(signature);
        Ok(signature.to_bytes().to_vec())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
}

/// A signed compact JWT carrying exactly these claims.
pub async fn sign_claims(
    signer: &impl TokenSigner,
    claims: &AccessClaims,
) -> anyhow::Result<String> {
    sign_jws(signer, "JWT", claims).await
}

/// A compact ES256 JWS of `payload` with this `typ` header, signed by `signer`.
pub(super) async fn sign_jws(
    signer: &impl TokenSigner,
    typ: &str,
    payload: &impl Serialize,
) -> anyhow::Result<String> {
    let header = serde_json::json!({"alg": "ES256", "typ": typ, "kid": signer.key_id()});
    let signing_input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(&header)?),
        B64.encode(serde_json::to_vec(payload)?)
    );
    let signature = signer.sign(signing_input.clone().into_bytes()).await?;
    Ok(format!("{signing_input}.{}", B64.encode(signature)))
}

/// The access token for an account that just proved its password.
pub async fn issue_token(
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    credential: &Credential,
    now: DateTime<Utc>,
) -> anyhow::Result<IssuedToken> {
    let iat = now.timestamp();
    let claims = AccessClaims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: credential.account_id.clone(),
        iat,
        nbf: iat,
        exp: iat + settings.ttl_seconds,
        jti: uuid::Uuid::new_v4().to_string(),
        role: credential.role,
        vendor_id: credential.vendor_id,
        manager: credential.manager,
    };
    Ok(IssuedToken {
        access_token: sign_claims(signer, &claims).await?,
        token_type: "Bearer".into(),
        expires_in: settings.ttl_seconds,
    })
}
