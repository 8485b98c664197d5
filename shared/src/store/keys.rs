//! Item keys. Emails appear in keys only as SHA-256 digests, so keys carry no personal data.
use crate::domain::account::{AccountKind, Email};
use crate::domain::ids::{BookingId, ResourceId, StaffId, UserId, VendorId};
use sha2::{Digest, Sha256};

pub const PROFILE: &str = "PROFILE";
pub const CREDENTIAL: &str = "CREDENTIAL";
pub const ATTEMPTS: &str = "ATTEMPTS";
pub const RESOURCE_PREFIX: &str = "RESOURCE#";
/// A vendor's rating aggregate, beside its profile, so its changes reach the vendors stream.
pub const RATING: &str = "RATING";

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

/// A review, under its vendor: one per booking.
pub fn review(booking: BookingId) -> String {
    format!("REVIEW#{booking}")
}

pub fn login(kind: AccountKind, email: &Email) -> String {
    format!("LOGIN#{}#{}", kind.as_str(), digest(email.as_str()))
}

/// The SHA-256 of a value that must not appear in a key as it is (an email, an IP address).
pub fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn city(key: &str) -> String {
    format!("CITY#{key}")
}
