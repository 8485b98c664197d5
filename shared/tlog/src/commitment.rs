//! The guest's commitment: `HMAC-SHA256(secret, "reservations/guest-commitment/v1\n" ||
//! identity)` with a random 32-byte secret per booking. A leaf carries only the commitment;
//! whoever holds the secret and the identity can check it, nobody else can link two leaves.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use std::fmt;

const DOMAIN: &[u8] = b"reservations/guest-commitment/v1\n";

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    #[error("not base64 of 32 bytes")]
    Encoding,
}

fn decode32(text: &str) -> Result<[u8; 32], CommitmentError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| CommitmentError::Encoding)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| CommitmentError::Encoding)
}

/// The per-booking secret. Its `Debug` hides the bytes so it never lands in a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct CommitmentSecret([u8; 32]);

impl CommitmentSecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    #[cfg(feature = "generate")]
    pub fn generate() -> Self {
        Self(rand::random())
    }

    pub fn from_base64(text: &str) -> Result<Self, CommitmentError> {
        decode32(text).map(Self)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn mac(&self, identity: &str) -> HmacSha256 {
        // HMAC pads a short key with zeros to the 64-byte block, so padding it here gives the
        // same MAC through the infallible constructor (the tests check it against the other).
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&self.0);
        let mut mac = <HmacSha256 as hmac::digest::KeyInit>::new(&key.into());
        mac.update(DOMAIN);
        mac.update(identity.as_bytes());
        mac
    }

    /// The commitment to `identity`, exactly as given (the caller normalises it).
    pub fn commit(&self, identity: &str) -> GuestCommitment {
        GuestCommitment(self.mac(identity).finalize().into_bytes().into())
    }

    /// Whether `commitment` is this secret's commitment to `identity`, compared in constant time.
    pub fn matches(&self, identity: &str, commitment: &GuestCommitment) -> bool {
        self.mac(identity).verify_slice(&commitment.0).is_ok()
    }
}

impl fmt::Debug for CommitmentSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CommitmentSecret(..)")
    }
}

/// What a leaf carries instead of the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestCommitment(pub [u8; 32]);

impl GuestCommitment {
    pub fn from_base64(text: &str) -> Result<Self, CommitmentError> {
        decode32(text).map(Self)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

macro_rules! base64_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_base64())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::from_base64(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

base64_serde!(CommitmentSecret);
base64_serde!(GuestCommitment);

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> CommitmentSecret {
        CommitmentSecret::from_bytes([byte; 32])
    }

    #[test]
    fn a_commitment_matches_its_identity_and_secret_only() {
        let commitment = secret(7).commit("guest@example.com");
        assert!(secret(7).matches("guest@example.com", &commitment));
        assert!(!secret(7).matches("other@example.com", &commitment));
        assert!(!secret(8).matches("guest@example.com", &commitment));
    }

    #[test]
    fn the_commitment_is_a_domain_separated_hmac() {
        let mut plain = <HmacSha256 as Mac>::new_from_slice(&[7; 32]).unwrap();
        plain.update(b"guest@example.com");
        let undomained: [u8; 32] = plain.finalize().into_bytes().into();
        assert_ne!(secret(7).commit("guest@example.com").0, undomained);

        let mut domained = <HmacSha256 as Mac>::new_from_slice(&[7; 32]).unwrap();
        domained.update(b"reservations/guest-commitment/v1\nguest@example.com");
        let want: [u8; 32] = domained.finalize().into_bytes().into();
        assert_eq!(secret(7).commit("guest@example.com").0, want);
    }

    #[cfg(feature = "generate")]
    #[test]
    fn generated_secrets_differ() {
        assert_ne!(CommitmentSecret::generate(), CommitmentSecret::generate());
    }

    #[test]
    fn the_secret_is_not_printed() {
        assert_eq!(format!("{:?}", secret(1)), "CommitmentSecret(..)");
    }
}
