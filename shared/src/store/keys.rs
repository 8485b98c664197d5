//! Item keys. Emails appear in keys only as SHA-256 digests, so keys carry no personal data.
use crate::domain::account::{AccountKind, Email};
use crate::domain::ids::{ResourceId, StaffId, UserId, VendorId};
use sha2::{Digest, Sha256};

pub const PROFILE: &str = "PROFILE";
pub const CREDENTIAL: &str = "CREDENTIAL";
pub const ATTEMPTS: &str = "ATTEMPTS";
pub const RESOURCE_PREFIX: &str = "RESOURCE#";

pub fn user(id: UserId) -> String {
    format!("USER#{id}")
}

pub fn staff(id: StaffId) -> String {
    format!("STAFF#{id}")
}

pub fn vendor(id: VendorId) -> String {
    format!("VENDOR#{id}")
}

pub fn resource(id: ResourceId) -> String {
    format!("{RESOURCE_PREFIX}{id}")
}

pub fn login(kind: AccountKind, email: &Email) -> String {
    let digest = Sha256::digest(email.as_str().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("LOGIN#{}#{hex}", kind.as_str())
}

pub fn city(key: &str) -> String {
    format!("CITY#{key}")
}
