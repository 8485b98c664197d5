//! The claims in our access tokens, and how API Gateway hands them to a function.
use crate::domain::account::Role;
use crate::domain::ids::VendorId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<VendorId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manager: bool,
}

/// API Gateway's JWT authorizer passes every claim to the function as a string
/// (`true`, `1700000000`, `[a b]` for arrays); the local gateway does the same with this.
pub fn flatten_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
) -> HashMap<String, String> {
    use serde_json::Value;
    fn flat(value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Array(items) => {
                format!("[{}]", items.iter().map(flat).collect::<Vec<_>>().join(" "))
            }
            other => other.to_string(),
        }
    }
    claims.iter().map(|(k, v)| (k.clone(), flat(v))).collect()
}
