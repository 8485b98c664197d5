//! A leaf: one booking fact, as canonical JSON (keys sorted, no whitespace) so that its bytes,
//! and so its hash, are reproducible. The type has no field for a name, an email, a phone or an
//! account id; the guest appears only as a salted commitment.
use crate::commitment::GuestCommitment;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    #[error("the leaf is not a booking fact: {0}")]
    Shape(String),
    #[error("the leaf's bytes are not in canonical form")]
    NotCanonical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Guest,
    Staff,
    System,
}

/// When the booking is for: the nights of a stay or a restaurant seating (local ISO dates and
/// times, as the booking holds them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum BookingTime {
    Stay { check_in: String, check_out: String },
    Seating { date: String, time: String },
}

/// An amount in integer minor units with its ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

/// A payment taken at the desk: how much, how, and the role of who took it (`staff`, `admin`),
/// never who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskPayment {
    pub amount: Amount,
    /// `cash`, `card`, ... as the booking records it.
    pub method: String,
    pub taken_by: String,
    /// RFC 3339, UTC.
    pub taken_at: String,
}

/// One booking fact. Optional fields are omitted when absent, so adding one later does not
/// change the bytes of existing leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    pub booking_id: String,
    pub vendor_id: String,
    /// The booking's version after this fact.
    pub version: u64,
    /// The event's detail type, e.g. `BookingConfirmed`.
    pub detail_type: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<BookingTime>,
    /// The room or table number assigned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_status: Option<String>,
    /// The resource booked (a room type, a table area), by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// What the guest paid online as a deposit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_paid: Option<Amount>,
    /// Once the booking ended: the part of the deposit that goes back to the guest...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_refund: Option<Amount>,
    /// ...and the part the vendor keeps (the fee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_kept: Option<Amount>,
    /// Money taken at the desk, outside the payment provider, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desk_payments: Vec<DeskPayment>,
    pub channel: String,
    pub actor: ActorKind,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub guest_commitment: GuestCommitment,
}

impl Leaf {
    /// The canonical bytes that are hashed into the tree.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings, integers and enums always converts to a JSON value.
        serde_json::to_value(self)
            .map(|value| canonical_json(&value).into_bytes())
            .unwrap_or_default()
    }

    /// Reads leaf bytes back, refusing any that are not exactly the canonical form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LeafError> {
        let leaf: Self =
            serde_json::from_slice(bytes).map_err(|e| LeafError::Shape(e.to_string()))?;
        if leaf.to_bytes() != bytes {
            return Err(LeafError::NotCanonical);
        }
        Ok(leaf)
    }
}

/// JSON with object keys sorted by their UTF-8 bytes and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (n, (key, item)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Leaf {
        Leaf {
            booking_id: "b-1".into(),
            vendor_id: "v-1".into(),
            version: 2,
            detail_type: "BookingConfirmed".into(),
            status: "confirmed".into(),
            previous_status: Some("held".into()),
            time: Some(BookingTime::Stay {
                check_in: "2026-12-24".into(),
                check_out: "2026-12-26".into(),
            }),
            unit_number: Some("101".into()),
            total: Some(Amount {
                minor: 25_000,
                currency: "EUR".into(),
            }),
            deposit_status: None,
            resource_id: None,
            deposit_paid: None,
            deposit_refund: None,
            deposit_kept: None,
            desk_payments: Vec::new(),
            channel: "web".into(),
            actor: ActorKind::Guest,
            occurred_at: "2026-12-07T05:00:00Z".into(),
            guest_commitment: GuestCommitment([9; 32]),
        }
    }

    #[test]
    fn a_leaf_serializes_with_sorted_keys_and_no_whitespace() {
        let text = String::from_utf8(sample().to_bytes()).unwrap();
        assert!(text.starts_with(r#"{"actor":"guest","booking_id":"b-1","channel":"web","#));
        assert!(text.contains(
            r#""time":{"check_in":"2026-12-24","check_out":"2026-12-26","kind":"stay"}"#
        ));
        assert!(!text.contains(' '));
        assert!(!text.contains("deposit_status"));
        assert_eq!(Leaf::from_bytes(text.as_bytes()), Ok(sample()));
    }

    #[test]
    fn payments_and_refunds_are_canonical_and_older_leaves_still_read() {
        let older = sample().to_bytes();
        let paid = Leaf {
            resource_id: Some("r-1".into()),
            deposit_paid: Some(Amount {
                minor: 5_000,
                currency: "EUR".into(),
            }),
            deposit_refund: Some(Amount {
                minor: 4_000,
                currency: "EUR".into(),
            }),
            deposit_kept: Some(Amount {
                minor: 1_000,
                currency: "EUR".into(),
            }),
            desk_payments: vec![DeskPayment {
                amount: Amount {
                    minor: 20_000,
                    currency: "EUR".into(),
                },
                method: "card".into(),
                taken_by: "staff".into(),
                taken_at: "2026-12-26T09:00:00Z".into(),
            }],
            ..sample()
        };
        let text = String::from_utf8(paid.to_bytes()).unwrap();

        assert!(text.contains(
            r#""desk_payments":[{"amount":{"currency":"EUR","minor":20000},"method":"card","taken_at":"2026-12-26T09:00:00Z","taken_by":"staff"}]"#
        ));
        assert!(text.contains(r#""deposit_kept":{"currency":"EUR","minor":1000}"#));
        assert_eq!(Leaf::from_bytes(text.as_bytes()), Ok(paid));
        // A leaf written before these fields existed has the same bytes and still reads.
        let older_text = String::from_utf8(older.clone()).unwrap();
        for absent in [
            "resource_id",
            "deposit_paid",
            "deposit_refund",
            "desk_payments",
        ] {
            assert!(!older_text.contains(absent), "{absent} in {older_text}");
        }
        assert_eq!(Leaf::from_bytes(&older), Ok(sample()));
        // An empty list written out is not the canonical form.
        let empty = older_text.replacen('{', r#"{"desk_payments":[],"#, 1);
        assert_eq!(
            Leaf::from_bytes(empty.as_bytes()),
            Err(LeafError::NotCanonical)
        );
    }

    #[test]
    fn non_canonical_or_unknown_fields_are_refused() {
        let text = String::from_utf8(sample().to_bytes()).unwrap();
        let spaced = text.replacen(':', ": ", 1);
        assert_eq!(
            Leaf::from_bytes(spaced.as_bytes()),
            Err(LeafError::NotCanonical)
        );
        let with_email = text.replacen('{', r#"{"email":"guest@example.com","#, 1);
        assert!(matches!(
            Leaf::from_bytes(with_email.as_bytes()),
            Err(LeafError::Shape(_))
        ));
    }

    #[test]
    fn no_field_can_hold_personal_data() {
        let value = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        for banned in ["name", "email", "phone", "account", "user", "guest_id"] {
            assert!(
                keys.iter()
                    .all(|k| !k.contains(banned) || k.as_str() == "guest_commitment"),
                "{banned} in {keys:?}"
            );
        }
    }
}
