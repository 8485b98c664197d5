//! Checking that a webhook request came from Stripe, as Stripe documents it: the
//! `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each `v1` an
//! HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's `whsec_...` secret (the secret's
//! text as it is, not decoded). Any `v1` matching any configured secret will do, so a secret can
//! be rolled while the old one still signs. `v0` and other schemes are ignored, as Stripe advises,
//! so a forged header cannot downgrade the check.
use super::stripe::{WireIntent, WireRefund};
use super::{Intent, Refund};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// Stripe's libraries' default. They only refuse old timestamps; we refuse ones this far ahead of
/// our clock too.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The parts of Stripe's event envelope we act on.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// `evt_...`: the same event may be delivered more than once; deduplicate on it.
    pub id: String,
    /// The event's `type`, e.g. `payment_intent.succeeded`.
    pub kind: String,
    pub created: DateTime<Utc>,
    /// `data.object`, the object as it was when the event happened.
    pub object: EventObject,
}

#[derive(Clone, PartialEq)]
pub enum EventObject {
    /// For every `payment_intent.*` event.
    PaymentIntent(Intent),
    /// For `refund.*` and `charge.refund.updated` events.
    Refund(Refund),
    /// Anything else, unparsed.
    Other(serde_json::Value),
}

/// Other objects may carry secrets of their own (a SetupIntent's client secret): show only what
/// they are.
impl fmt::Debug for EventObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PaymentIntent(intent) => f.debug_tuple("PaymentIntent").field(intent).finish(),
            Self::Refund(refund) => f.debug_tuple("Refund").field(refund).finish(),
            Self::Other(object) => f
                .debug_struct("Other")
                .field("object", &object["object"])
                .field("id", &object["id"])
                .finish_non_exhaustive(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the Stripe-Signature header is missing")]
    MissingHeader,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("no v1 signature matches any of the endpoint secrets")]
    NoMatchingSignature,
    /// Signed, but too long ago (positive) or too far ahead (negative): a replay, or a clock off.
    #[error("the event was signed {age_seconds} s ago, outside the tolerance")]
    Stale { age_seconds: i64 },
    #[error("the signed payload is not a Stripe event: {0}")]
    BadPayload(String),
}

/// The event in `payload` (the raw request body, byte for byte), once `header` proves that one
/// of `secrets` signed it within `tolerance` of `now`.
pub fn verify(
    payload: &[u8],
    header: &str,
    secrets: &[String],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<WebhookEvent, WebhookError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(WebhookError::MissingHeader);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=').ok_or(WebhookError::Malformed)?;
        match key {
            "t" if timestamp.is_none() => timestamp = Some(value),
            "t" => return Err(WebhookError::Malformed),
            // Not hex, so it cannot match; another v1 still may.
            "v1" => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    // The signed text holds `t` exactly as the header gives it.
    let signed_t = timestamp.ok_or(WebhookError::Malformed)?;
    let t: i64 = signed_t.parse().map_err(|_| WebhookError::Malformed)?;

    let matched = secrets.iter().filter(|s| !s.is_empty()).any(|secret| {
        let expected = mac(secret, signed_t, payload);
        signatures
            .iter()
            .any(|signature| expected.clone().verify_slice(signature).is_ok())
    });
    if !matched {
        return Err(WebhookError::NoMatchingSignature);
    }
    let age_seconds = now.timestamp().saturating_sub(t);
    if age_seconds.unsigned_abs() > tolerance.as_secs() {
        return Err(WebhookError::Stale { age_seconds });
    }
    parse_event(payload)
}

/// The `Stripe-Signature` header Stripe would send for `payload` signed with `secret` at unix
/// time `t`: for tests, and for the local stack, where nothing else signs webhooks.
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    let signature = mac(secret, &t.to_string(), payload).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(signature))
}

fn mac(secret: &str, t: &str, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length"); // allow-panic: new_from_slice cannot fail for HMAC
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

#[derive(Deserialize)]
struct WireEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: WireData,
}

#[derive(Deserialize)]
struct WireData {
    object: serde_json::Value,
}

/// The events whose object is a Refund: `refund.created`, `refund.updated`, `refund.failed`
/// and the older `charge.refund.updated`.
fn is_refund_event(kind: &str) -> bool {
    kind.starts_with("refund.") || kind == "charge.refund.updated"
}

fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let bad = |e: &dyn fmt::Display| WebhookError::BadPayload(e.to_string());
    let event: WireEvent = serde_json::from_slice(payload).map_err(|e| bad(&e))?;
    let created = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| bad(&format!("created {} is not a time", event.created)))?;
    let object = if event.kind.starts_with("payment_intent.") {
        let intent: WireIntent = serde_json::from_value(event.data.object).map_err(|e| bad(&e))?;
        EventObject::PaymentIntent(intent.into_intent().map_err(|e| bad(&format!("{e:#}")))?)
    } else if is_refund_event(&event.kind) {
        let refund: WireRefund = serde_json::from_value(event.data.object).map_err(|e| bad(&e))?;
        EventObject::Refund(refund.into_refund().map_err(|e| bad(&format!("{e:#}")))?)
    } else {
        EventObject::Other(event.data.object)
    };
    Ok(WebhookEvent {
        id: event.id,
        kind: event.kind,
        created,
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::BookingId;
    use crate::payments::IntentStatus;

    const SECRET: &str = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH";
    const OLD_SECRET: &str = "whsec_test_old_Q2hhbmdlZEluQXByaWw";
    const T: i64 = 1_700_000_000;
    const PAYLOAD: &str = r#"{"id":"evt_1Known","object":"event","type":"payment_intent.succeeded","created":1700000000,"data":{"object":{"id":"pi_1Known","object":"payment_intent","amount":12900,"amount_received":12900,"currency":"eur","status":"succeeded","client_secret":"pi_1Known_secret_abc","metadata":{"booking_id":"0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f"}}}}"#;
    /// Computed apart from this code, with Python:
    /// `hmac.new(SECRET, b"1700000000." + PAYLOAD, hashlib.sha256).hexdigest()`.
    const KNOWN_V1: &str = "4a8a9ce43b77df6a5146cbdd01aa05bbb43d4267ddbdbc6f80bf3b6decbf97fe";

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(t, 0).unwrap()
    }

    fn secrets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn check(
        payload: &str,
        header: &str,
        keys: &[&str],
        now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        verify(
            payload.as_bytes(),
            header,
            &secrets(keys),
            at(now),
            DEFAULT_TOLERANCE,
        )
    }

    #[test]
    fn signing_matches_an_independently_computed_signature() {
        assert_eq!(
            sign(PAYLOAD.as_bytes(), SECRET, T),
            format!("t={T},v1={KNOWN_V1}")
        );
    }

    #[test]
    fn a_correctly_signed_event_verifies_and_parses() {
        let header = format!("t={T},v1={KNOWN_V1}");
        let event = check(PAYLOAD, &header, &[SECRET], T + 5).unwrap();
        assert_eq!(event.id, "evt_1Known");
        assert_eq!(event.kind, "payment_intent.succeeded");
        assert_eq!(event.created, at(T));
        let EventObject::PaymentIntent(intent) = event.object else {
            panic!("a payment_intent event carries an intent: {event:?}");
        };
        assert_eq!(intent.id.as_str(), "pi_1Known");
        assert_eq!(intent.status, IntentStatus::Succeeded);
        assert_eq!(intent.amount_received, 12_900);
        assert_eq!(
            intent.booking_id,
            Some(BookingId::parse("0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f").unwrap())
        );
    }

    #[test]
    fn any_v1_may_match() {
        let wrong = "0".repeat(64);
        let header = format!("t={T},v1={wrong},v1=not-hex,v1={KNOWN_V1},v0={wrong}");
        assert!(check(PAYLOAD, &header, &[SECRET], T).is_ok());
    }

    #[test]
    fn an_event_signed_with_a_rolled_secret_verifies_while_that_secret_is_configured() {
        let header = sign(PAYLOAD.as_bytes(), OLD_SECRET, T);
        assert!(check(PAYLOAD, &header, &[SECRET, OLD_SECRET], T).is_ok());
        assert_eq!(
            check(PAYLOAD, &header, &[SECRET], T),
            Err(WebhookError::NoMatchingSignature)
        );
        assert_eq!(
            check(PAYLOAD, &header, &[], T),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn old_and_future_timestamps_are_refused_beyond_the_tolerance() {
        let header = format!("t={T},v1={KNOWN_V1}");
        assert!(check(PAYLOAD, &header, &[SECRET], T + 300).is_ok());
        assert!(check(PAYLOAD, &header, &[SECRET], T - 300).is_ok());
        assert_eq!(
            check(PAYLOAD, &header, &[SECRET], T + 301),
            Err(WebhookError::Stale { age_seconds: 301 })
        );
        assert_eq!(
            check(PAYLOAD, &header, &[SECRET], T - 301),
            Err(WebhookError::Stale { age_seconds: -301 })
        );
    }

    #[test]
    fn a_changed_body_or_timestamp_no_longer_matches() {
        let tampered = PAYLOAD.replace("12900", "1");
        let header = format!("t={T},v1={KNOWN_V1}");
        assert_eq!(
            check(&tampered, &header, &[SECRET], T),
            Err(WebhookError::NoMatchingSignature)
        );
        let moved = format!("t={},v1={KNOWN_V1}", T + 1);
        assert_eq!(
            check(PAYLOAD, &moved, &[SECRET], T),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn missing_and_garbled_headers_are_told_apart() {
        assert_eq!(
            check(PAYLOAD, "", &[SECRET], T),
            Err(WebhookError::MissingHeader)
        );
        assert_eq!(
            check(PAYLOAD, "  ", &[SECRET], T),
            Err(WebhookError::MissingHeader)
        );
        for garbled in [
            "garbage".to_owned(),
            format!("v1={KNOWN_V1}"),
            format!("t=yesterday,v1={KNOWN_V1}"),
            format!("t={T},t={T},v1={KNOWN_V1}"),
            format!("t={T};v1={KNOWN_V1}"),
        ] {
            assert_eq!(
                check(PAYLOAD, &garbled, &[SECRET], T),
                Err(WebhookError::Malformed),
                "{garbled}"
            );
        }
    }

    #[test]
    fn a_header_with_only_v0_signatures_is_refused() {
        let header = format!("t={T},v0={KNOWN_V1}");
        assert_eq!(
            check(PAYLOAD, &header, &[SECRET], T),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn a_signed_payload_that_is_not_an_event_is_a_bad_payload() {
        for payload in [
            "not json",
            r#"{"id":"evt_1","type":"payment_intent.created"}"#,
        ] {
            let header = sign(payload.as_bytes(), SECRET, T);
            assert!(
                matches!(
                    check(payload, &header, &[SECRET], T),
                    Err(WebhookError::BadPayload(_))
                ),
                "{payload}"
            );
        }
    }

    #[test]
    fn refund_events_carry_the_refund() {
        for kind in ["charge.refund.updated", "refund.failed", "refund.updated"] {
            let payload = format!(
                r#"{{"id":"evt_3","type":"{kind}","created":1700000000,"data":{{"object":{{
                "id":"re_1","object":"refund","amount":2580,"currency":"eur","status":"failed",
                "failure_reason":"lost_or_stolen_card","payment_intent":"pi_1Known",
                "metadata":{{"booking_id":"0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f"}}}}}}}}"#
            );
            let header = sign(payload.as_bytes(), SECRET, T);
            let event = check(&payload, &header, &[SECRET], T).unwrap();
            let EventObject::Refund(refund) = event.object else {
                panic!("{kind} carries a refund: {event:?}");
            };
            assert_eq!(refund.id.as_str(), "re_1");
            assert_eq!(refund.status, crate::payments::RefundStatus::Failed);
            assert_eq!(
                refund.failure_reason.as_deref(),
                Some("lost_or_stolen_card")
            );
            assert_eq!(refund.intent_id.unwrap().as_str(), "pi_1Known");
        }
    }

    #[test]
    fn other_events_keep_their_object_unparsed_and_out_of_debug_output() {
        let payload = r#"{"id":"evt_2","type":"setup_intent.created","created":1700000000,
            "data":{"object":{"id":"seti_1","object":"setup_intent","client_secret":"seti_1_secret_TOPSECRET"}}}"#;
        let header = sign(payload.as_bytes(), SECRET, T);
        let event = check(payload, &header, &[SECRET], T).unwrap();
        let EventObject::Other(object) = &event.object else {
            panic!("not a payment intent: {event:?}");
        };
        assert_eq!(object["id"], "seti_1");
        assert!(!format!("{event:?}").contains("TOPSECRET"));
    }
}
