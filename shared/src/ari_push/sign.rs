//! Signed pushes, as Stripe signs webhooks: the header `ARI-Signature: t=<unix seconds>,v1=<hex>`
//! where v1 is HMAC-SHA256 over `<t>.<body>` with the channel's signing secret. The secret is
//! derived, not stored: HMAC-SHA256 of the platform's push key over `ari-push:v1:<client id>`,
//! base64url, so a rotation of the push key rotates every channel's at once.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "ARI-Signature";
/// How old a signature a receiver should accept (replays beyond it are refused).
pub const TOLERANCE_SECONDS: i64 = 300;

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts every key length"),
    }
}

/// The channel's signing secret.
pub fn signing_secret(push_key: &[u8], client_id: &str) -> String {
    let mut m = mac(push_key);
    m.update(b"ari-push:v1:");
    m.update(client_id.as_bytes());
    URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The header's value for `body` sent at `at`.
pub fn signature(secret: &str, at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let mut m = mac(secret.as_bytes());
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

/// What a receiver does: parse `t` and each `v1`, recompute, compare in constant time, and
/// refuse a `t` further than `TOLERANCE_SECONDS` from now.
pub fn verify(secret: &str, header: &str, body: &[u8], now: DateTime<Utc>) -> bool {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now.timestamp() - t).abs() > TOLERANCE_SECONDS {
        return false;
    }
    candidates.iter().any(|candidate| {
        let mut m = mac(secret.as_bytes());
        m.update(format!("{t}.").as_bytes());
        m.update(body);
        m.verify_slice(candidate).is_ok()
    })
}
