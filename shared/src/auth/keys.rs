//! Digital door keys: ES256 JWTs from the same KMS-backed issuer as access tokens, which a door
//! lock or a housekeeping cart device checks offline against the issuer's JWKS. A door key never
//! passes as an access token (another audience, another `typ`, no `role`), nor the reverse.
use super::token::{Jwk, Jwks, TokenSettings, TokenSigner, sign_jws};
use crate::domain::ids::{BookingId, StaffId, UnitId, VendorId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The JOSE `typ` of a door key; access tokens say `JWT`.
pub const DOOR_KEY_TYPE: &str = "door-key+jwt";

/// The audience of door keys: the issuer's, never the API's.
pub fn door_audience(issuer: &str) -> String {
    format!("{}/doors", issuer.trim_end_matches('/'))
}

/// Whom a key opens the door for. In the token it is `sub`: `booking:<id>` or `staff:<id>`, so
/// the key names no person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum KeyHolder {
    /// The guests of this booking.
    Guest(BookingId),
    /// This housekeeper (their cart device).
    Housekeeping(StaffId),
}

impl fmt::Display for KeyHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Guest(booking) => write!(f, "booking:{booking}"),
            Self::Housekeeping(staff) => write!(f, "staff:{staff}"),
        }
    }
}

impl From<KeyHolder> for String {
    fn from(holder: KeyHolder) -> Self {
        holder.to_string()
    }
}

impl TryFrom<String> for KeyHolder {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        let invalid = || format!("{raw} is not booking:<id> or staff:<id>");
        match raw.split_once(':') {
            Some(("booking", id)) => BookingId::parse(id).map(Self::Guest).map_err(|_| invalid()),
            Some(("staff", id)) => StaffId::parse(id)
                .map(Self::Housekeeping)
                .map_err(|_| invalid()),
            _ => Err(invalid()),
        }
    }
}

/// What a key is for: one unit of one vendor, for one holder, from `valid_from` to `valid_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorKey {
    pub vendor_id: VendorId,
    pub unit_id: UnitId,
    /// The number on the door (`214`), so that a lock's log and the guest's app can show it.
    pub unit_number: String,
    pub holder: KeyHolder,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
}

/// The claims of a door key, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorKeyClaims {
    pub iss: String,
    pub aud: String,
    pub sub: KeyHolder,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub vendor_id: VendorId,
    pub unit_id: UnitId,
    pub unit: String,
}

/// A signed door key and what it says.
#[derive(Debug, Clone)]
pub struct IssuedDoorKey {
    /// The compact JWS to hand to the holder's phone or device.
    pub token: String,
    pub claims: DoorKeyClaims,
}

/// Signs `key` as the issuer of `settings`. Fails on an empty window (`valid_to` not after
/// `valid_from`): callers decide windows before asking for a key.
pub async fn issue_door_key(
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    key: &DoorKey,
    now: DateTime<Utc>,
) -> anyhow::Result<IssuedDoorKey> {
    let (nbf, exp) = (key.valid_from.timestamp(), key.valid_to.timestamp());
    anyhow::ensure!(exp > nbf, "a door key's window must not be empty");
    let claims = DoorKeyClaims {
        iss: settings.issuer.clone(),
        aud: door_audience(&settings.issuer),
        sub: key.holder,
        iat: now.timestamp(),
        nbf,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
        vendor_id: key.vendor_id,
        unit_id: key.unit_id,
        unit: key.unit_number.clone(),
    };
    let token = sign_jws(signer, DOOR_KEY_TYPE, &claims).await?;
    Ok(IssuedDoorKey { token, claims })
}

/// Why a lock keeps its door shut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoorKeyRejected {
    #[error("not a door key")]
    NotADoorKey,
    #[error("signed by a key the issuer does not publish")]
    UnknownKey,
    #[error("the signature does not match")]
    BadSignature,
    #[error("not issued by this issuer for doors")]
    NotForUs,
    #[error("the key is for another unit")]
    WrongUnit,
    #[error("the key is not valid yet")]
    NotYetValid,
    #[error("the key has expired")]
    Expired,
}

/// What the lock of `unit` runs, offline: the key's signature against `keys` (the issuer's
/// JWKS, fetched whenever the lock can), its `typ`, issuer, door audience, unit and window at
/// `now`. Returns the key's claims (whom it opened for) for the lock's log.
pub fn verify_door_key(
    keys: &Jwks,
    issuer: &str,
    token: &str,
    unit: UnitId,
    now: DateTime<Utc>,
) -> Result<DoorKeyClaims, DoorKeyRejected> {
    let header = decode_header(token).map_err(|_| DoorKeyRejected::NotADoorKey)?;
    if header.alg != Algorithm::ES256 || header.typ.as_deref() != Some(DOOR_KEY_TYPE) {
        return Err(DoorKeyRejected::NotADoorKey);
    }
    // The JWKS also publishes the audit log's checkpoint key: whatever it signed opens no door.
    let jwk = header
        .kid
        .filter(|kid| !kid.starts_with(crate::audit::sign::AUDIT_KID_PREFIX))
        .and_then(|kid| keys.keys.iter().find(|k| k.kid == kid))
        .ok_or(DoorKeyRejected::UnknownKey)?;
    let key = decoding_key(jwk).ok_or(DoorKeyRejected::UnknownKey)?;
    let issuer = issuer.trim_end_matches('/');
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[door_audience(issuer)]);
    validation.set_required_spec_claims(&["iss", "aud", "sub", "nbf", "exp"]);
    // The window is checked against the lock's `now` below, not the verifier's own clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = decode::<DoorKeyClaims>(token, &key, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::InvalidSignature => DoorKeyRejected::BadSignature,
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => DoorKeyRejected::NotForUs,
                _ => DoorKeyRejected::NotADoorKey,
            }
        })?
        .claims;
    if claims.unit_id != unit {
        return Err(DoorKeyRejected::WrongUnit);
    }
    let now = now.timestamp();
    if now < claims.nbf {
        return Err(DoorKeyRejected::NotYetValid);
    }
    if now >= claims.exp {
        return Err(DoorKeyRejected::Expired);
    }
    Ok(claims)
}

fn decoding_key(jwk: &Jwk) -> Option<DecodingKey> {
    (jwk.kty == "EC" && jwk.crv == "P-256" && jwk.alg == "ES256")
        .then(|| DecodingKey::from_ec_components(&jwk.x, &jwk.y).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AccessClaims, sign_claims};
    use crate::domain::account::Role;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use chrono::Duration;
    use p256::pkcs8::EncodePublicKey;

    /// An in-memory P-256 key: the same signatures KMS makes, published the same way.
    struct LocalKey {
        key: p256::ecdsa::SigningKey,
        jwk: Jwk,
    }

    impl LocalKey {
        fn new(seed: u8) -> Self {
            let key = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
            let der = key.verifying_key().to_public_key_der().unwrap();
            let jwk = Jwk::from_spki_der(der.as_bytes()).unwrap();
            Self { key, jwk }
        }

        fn jwks(&self) -> Jwks {
            Jwks {
                keys: vec![self.jwk.clone()],
            }
        }
    }

    impl TokenSigner for LocalKey {
        fn key_id(&self) -> &str {
            &self.jwk.kid
        }

        async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
            use p256::ecdsa::signature::Signer;
            let signature: p256::ecdsa::Signature = self.key.sign(&message);
            Ok(signature.to_bytes().to_vec())
        }
    }

    const ISSUER: &str = "https://api.example.com";

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: ISSUER.into(),
            audience: "reservations-api".into(),
            ttl_seconds: 900,
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(hour.into())
    }

    /// A guest's key for room 214 from 15:00 on one day to 11:00 the next.
    fn door_key() -> DoorKey {
        DoorKey {
            vendor_id: VendorId::generate(),
            unit_id: UnitId::generate(),
            unit_number: "214".into(),
            holder: KeyHolder::Guest(BookingId::generate()),
            valid_from: at(15),
            valid_to: at(24 + 11),
        }
    }

    async fn issue(signer: &LocalKey, key: &DoorKey) -> IssuedDoorKey {
        issue_door_key(signer, &settings(), key, at(14))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_key_opens_its_unit_inside_its_window() {
        let signer = LocalKey::new(1);
        let key = door_key();
        let issued = issue(&signer, &key).await;
        let opened = verify_door_key(&signer.jwks(), ISSUER, &issued.token, key.unit_id, at(20));
        assert_eq!(opened, Ok(issued.claims.clone()));
        assert_eq!(issued.claims.sub, key.holder);
        assert_eq!(issued.claims.unit, "214");
        assert_eq!(issued.claims.aud, "https://api.example.com/doors");
        // The first and the last second of the window.
        for now in [at(15), at(24 + 11) - Duration::seconds(1)] {
            assert!(
                verify_door_key(&signer.jwks(), ISSUER, &issued.token, key.unit_id, now).is_ok()
            );
        }
    }

    #[tokio::test]
    async fn a_key_is_refused_by_another_unit_and_outside_its_window() {
        let signer = LocalKey::new(1);
        let key = door_key();
        let issued = issue(&signer, &key).await;
        let verify = |unit, now| verify_door_key(&signer.jwks(), ISSUER, &issued.token, unit, now);
        assert_eq!(
            verify(UnitId::generate(), at(20)),
            Err(DoorKeyRejected::WrongUnit)
        );
        assert_eq!(
            verify(key.unit_id, at(15) - Duration::seconds(1)),
            Err(DoorKeyRejected::NotYetValid)
        );
        assert_eq!(
            verify(key.unit_id, at(24 + 11)),
            Err(DoorKeyRejected::Expired)
        );
    }

    #[tokio::test]
    async fn a_tampered_key_or_one_signed_by_another_key_is_refused() {
        let signer = LocalKey::new(1);
        let key = door_key();
        let issued = issue(&signer, &key).await;
        let jwks = signer.jwks();

        // Another unit written into a genuine key: the signature no longer matches.
        let mut parts = issued.token.split('.');
        let (header, _, signature) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let other_unit = UnitId::generate();
        let tampered_claims = DoorKeyClaims {
            unit_id: other_unit,
            ..issued.claims.clone()
        };
        let tampered = format!(
            "{header}.{}.{signature}",
            B64.encode(serde_json::to_vec(&tampered_claims).unwrap())
        );
        assert_eq!(
            verify_door_key(&jwks, ISSUER, &tampered, other_unit, at(20)),
            Err(DoorKeyRejected::BadSignature)
        );

        // An attacker's key claiming our key id.
        let forger = LocalKey {
            jwk: signer.jwk.clone(),
            ..LocalKey::new(2)
        };
        let forged = issue(&forger, &key).await;
        assert_eq!(
            verify_door_key(&jwks, ISSUER, &forged.token, key.unit_id, at(20)),
            Err(DoorKeyRejected::BadSignature)
        );

        // A key the issuer does not publish (say, after a rotation the lock has heard of).
        let stranger = issue(&LocalKey::new(3), &key).await;
        assert_eq!(
            verify_door_key(&jwks, ISSUER, &stranger.token, key.unit_id, at(20)),
            Err(DoorKeyRejected::UnknownKey)
        );

        // Another issuer's door key, signed with a key the lock trusts.
        let elsewhere = TokenSettings {
            issuer: "https://evil.example".into(),
            ..settings()
        };
        let foreign = issue_door_key(&signer, &elsewhere, &key, at(14))
            .await
            .unwrap();
        assert_eq!(
            verify_door_key(&jwks, ISSUER, &foreign.token, key.unit_id, at(20)),
            Err(DoorKeyRejected::NotForUs)
        );
    }

    #[tokio::test]
    async fn a_key_signed_under_the_audit_kid_opens_no_door() {
        let mut audit = LocalKey::new(9);
        audit.jwk.kid = format!("{}{}", crate::audit::sign::AUDIT_KID_PREFIX, audit.jwk.kid);
        let key = door_key();
        // A well-formed door key in every other respect, signed by the published audit key.
        let issued = issue(&audit, &key).await;

        assert_eq!(
            verify_door_key(&audit.jwks(), ISSUER, &issued.token, key.unit_id, at(20)),
            Err(DoorKeyRejected::UnknownKey)
        );
    }

    #[tokio::test]
    async fn an_access_token_is_not_a_door_key() {
        let signer = LocalKey::new(1);
        let key = door_key();
        let now = at(20).timestamp();
        let access = AccessClaims {
            iss: ISSUER.into(),
            aud: "reservations-api".into(),
            sub: StaffId::generate().to_string(),
            iat: now,
            nbf: now,
            exp: now + 900,
            jti: "j".into(),
            role: Role::Housekeeping,
            vendor_id: Some(key.vendor_id),
            manager: false,
        };
        let token = sign_claims(&signer, &access).await.unwrap();
        assert_eq!(
            verify_door_key(&signer.jwks(), ISSUER, &token, key.unit_id, at(20)),
            Err(DoorKeyRejected::NotADoorKey)
        );
    }

    #[tokio::test]
    async fn a_door_key_is_not_an_access_token() {
        let signer = LocalKey::new(1);
        let issued = issue(&signer, &door_key()).await;
        // The same checks an API verifier makes: the API's audience, and claims naming a role.
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[settings().audience]);
        validation.validate_exp = false;
        let key = decoding_key(&signer.jwk).unwrap();
        let as_access = decode::<serde_json::Value>(&issued.token, &key, &validation);
        assert!(
            matches!(
                as_access.as_ref().map_err(|e| e.kind()),
                Err(jsonwebtoken::errors::ErrorKind::InvalidAudience)
            ),
            "{as_access:?}"
        );
        assert!(
            serde_json::to_value(&issued.claims)
                .unwrap()
                .get("role")
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_key_carries_no_personal_data_and_names_its_holder_by_id() {
        let signer = LocalKey::new(1);
        let staff = StaffId::generate();
        let key = DoorKey {
            holder: KeyHolder::Housekeeping(staff),
            ..door_key()
        };
        let issued = issue(&signer, &key).await;
        let payload = issued.token.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["sub"], format!("staff:{staff}"));
        let mut names: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "nbf",
                "sub",
                "unit",
                "unit_id",
                "vendor_id"
            ]
        );
        let header = decode_header(&issued.token).unwrap();
        assert_eq!(header.typ.as_deref(), Some(DOOR_KEY_TYPE));
    }

    #[tokio::test]
    async fn an_empty_window_gets_no_key() {
        let key = DoorKey {
            valid_to: at(15),
            ..door_key()
        };
        assert!(
            issue_door_key(&LocalKey::new(1), &settings(), &key, at(14))
                .await
                .is_err()
        );
    }
}
