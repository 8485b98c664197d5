//! The log's P-256 public keys, read from SPKI DER, PEM, a JWK or a JWKS, and their signed-note
//! key IDs. For signature type 0x02 (ECDSA) the C2SP signed-note spec says the key ID "is the
//! truncated SHA-256 hash of the DER encoded public key in SPKI format".
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::EncodedPoint;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// The signed-note signature type byte for ECDSA.
pub const ECDSA_SIGNATURE_TYPE: u8 = 0x02;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a P-256 public key in SPKI DER")]
    Der,
    #[error("not a P-256 public key in PEM (\"BEGIN PUBLIC KEY\")")]
    Pem,
    #[error("not a JWK or JWKS: {0}")]
    Json(String),
    #[error("the JWK is not an EC P-256 key with x and y")]
    JwkShape,
    #[error("the JWK's x and y are not a point on P-256")]
    JwkPoint,
    #[error("the JWKS has no EC P-256 key{}", .0.as_ref().map(|k| format!(" with kid {k}")).unwrap_or_default())]
    NoKey(Option<String>),
    #[error("the key could not be encoded as SPKI DER")]
    Encode,
}

/// The first four bytes of SHA-256 over the key's SPKI DER.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A P-256 ECDSA public key and its key ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    pub fn from_verifying_key(key: VerifyingKey) -> Result<Self, KeyError> {
        let der = key.to_public_key_der().map_err(|_| KeyError::Encode)?;
        let digest = Sha256::digest(der.as_bytes());
        let id = KeyId([digest[0], digest[1], digest[2], digest[3]]);
        Ok(Self { key, id })
    }

    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_public_key_der(der).map_err(|_| KeyError::Der)?;
        Self::from_verifying_key(key)
    }

    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_public_key_pem(pem.trim()).map_err(|_| KeyError::Pem)?;
        Self::from_verifying_key(key)
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") {
            return Err(KeyError::JwkShape);
        }
        let coordinate = |c: &Option<String>| -> Result<[u8; 32], KeyError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(c.as_deref().ok_or(KeyError::JwkShape)?)
                .map_err(|_| KeyError::JwkShape)?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::JwkShape)
        };
        let (x, y) = (coordinate(&jwk.x)?, coordinate(&jwk.y)?);
        let point = EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
        let key = VerifyingKey::from_encoded_point(&point).map_err(|_| KeyError::JwkPoint)?;
        Self::from_verifying_key(key)
    }
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JwkOrSet {
    Set { keys: Vec<Jwk> },
    One(Jwk),
}

/// The keys a verifier trusts. A note names its key by ID; keys that are not P-256 in a JWKS
/// are skipped, since another service's keys may share the set.
#[derive(Clone, Debug, Default)]
pub struct PublicKeys(Vec<PublicKey>);

impl PublicKeys {
    pub fn new(keys: Vec<PublicKey>) -> Self {
        Self(keys)
    }

    /// A JWK or a JWKS; with `kid`, only that key of the set.
    pub fn from_jwks(json: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let parsed: JwkOrSet =
            serde_json::from_str(json).map_err(|e| KeyError::Json(e.to_string()))?;
        let jwks = match parsed {
            JwkOrSet::Set { keys } => keys,
            JwkOrSet::One(jwk) => vec![jwk],
        };
        let keys: Vec<PublicKey> = jwks
            .iter()
            .filter(|jwk| kid.is_none() || jwk.kid.as_deref() == kid)
            .filter_map(|jwk| PublicKey::from_jwk(jwk).ok())
            .collect();
        if keys.is_empty() {
            return Err(KeyError::NoKey(kid.map(str::to_owned)));
        }
        Ok(Self(keys))
    }

    /// A key file as the CLI gets it: PEM, a JWK/JWKS, or raw SPKI DER.
    pub fn from_file_bytes(bytes: &[u8], kid: Option<&str>) -> Result<Self, KeyError> {
        match std::str::from_utf8(bytes).map(str::trim_start) {
            Ok(text) if text.starts_with("-----BEGIN") => {
                Ok(Self(vec![PublicKey::from_pem(text)?]))
            }
            Ok(text) if text.starts_with('{') => Self::from_jwks(text, kid),
            _ => Ok(Self(vec![PublicKey::from_spki_der(bytes)?])),
        }
    }

    pub fn by_id(&self, id: KeyId) -> impl Iterator<Item = &PublicKey> {
        self.0.iter().filter(move |k| k.id == id)
    }

    pub fn keys(&self) -> &[PublicKey] {
        &self.0
    }
}

impl From<PublicKey> for PublicKeys {
    fn from(key: PublicKey) -> Self {
        Self(vec![key])
    }
}
