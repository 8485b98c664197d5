//! Signed pushes, as Stripe signs webhooks: the header `ARI-Signature: t=<unix seconds>,v1=<hex>`
//! where v1 is HMAC-SHA256 over `<t>.<body>` with the channel's push signing secret. Each channel
//! has its own secret, so one channel cannot forge pushes to another. It is derived, not stored:
//! base64url(HMAC-SHA256(platform push key, `ari-push:v2:<client id>:<ms>`)), where `<ms>` is
//! when the channel's client secret was issued, so rotating the client secret rotates the push
//! secret too. While the previous client secret is in its grace period, a push carries a second
//! `v1` made with the previous push secret, so the channel can switch without missing one.
use super::key::PushKey;
use crate::channels::ChannelAccount;
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

/// A channel's push signing secret for the client secret issued at `issued_at`.
pub fn signing_secret(push_key: &PushKey, client_id: &str, issued_at: DateTime<Utc>) -> String {
    let mut m = mac(push_key.bytes());
    m.update(b"ari-push:v2:");
    m.update(client_id.as_bytes());
    m.update(format!(":{}", issued_at.timestamp_millis()).as_bytes());
    URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The secrets a push to `account` is signed with now: the current one first, then the one of the
/// client secret still in its grace period. None for a disconnected channel.
pub fn channel_secrets(
    push_key: &PushKey,
    account: &ChannelAccount,
    now: DateTime<Utc>,
) -> Vec<String> {
    if !account.is_active() {
        return Vec::new();
    }
    let id = account.id.to_string();
    let mut live: Vec<_> = account
        .secrets
        .iter()
        .filter(|s| s.retires_at.is_none_or(|end| now < end))
        .collect();
    live.sort_by_key(|s| s.retires_at.is_some());
    live.iter()
        .map(|s| signing_secret(push_key, &id, s.created_at))
        .collect()
}

/// The current push signing secret of `account`, as its manager is shown it.
pub fn current_secret(push_key: &PushKey, account: &ChannelAccount) -> Option<String> {
    let current = account.secrets.iter().find(|s| s.retires_at.is_none())?;
    Some(signing_secret(
        push_key,
        &account.id.to_string(),
        current.created_at,
    ))
}

/// The header's value for `body` sent at `at`: one `v1` per secret.
pub fn signature(secrets: &[String], at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let mut header = format!("t={t}");
    for secret in secrets {
        let mut m = mac(secret.as_bytes());
        m.update(format!("{t}.").as_bytes());
        m.update(body);
        header.push_str(&format!(",v1={}", hex::encode(m.finalize().into_bytes())));
    }
    header
}

/// What a receiver does: parse `t` and each `v1`, recompute with its secret, compare in constant
/// time, accept if any `v1` matches, and refuse a `t` further than `TOLERANCE_SECONDS` from now.
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
