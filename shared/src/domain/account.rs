//! Guests and staff: who they are and how they sign in.
use super::Invalid;
use super::ids::{StaffId, UserId, VendorId};
use super::text::PersonName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, trimmed and lower-cased so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        if value.len() > 254 {
            return Err(Invalid::new("must be at most 254 characters"));
        }
        if !email_address::EmailAddress::is_valid(&value) || !value.contains('.') {
            return Err(Invalid::new("must be an email address"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed by its owner. Never stored, logged or serialised; only its hash is kept.
pub struct Password(String);

impl Password {
    /// The rules for a new password (NIST SP 800-63B: length matters, composition rules don't).
    pub fn new(raw: String) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if len < 10 {
            return Err(Invalid::new("must be at least 10 characters"));
        }
        if len > 128 {
            return Err(Invalid::new("must be at most 128 characters"));
        }
        if raw.trim().is_empty() {
            return Err(Invalid::new("must not be only spaces"));
        }
        Ok(Self(raw))
    }

    /// A password offered at login: only bounded, so an attacker can't make us hash megabytes.
    pub fn attempt(raw: String) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.chars().count() > 128 {
            return Err(Invalid::new("must be 1 to 128 characters"));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A phone number in E.164 form, e.g. `+4915112345678`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(Invalid::new(
                "must be an E.164 phone number such as +4915112345678",
            ));
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag of the simple `ll` or `ll-RR` form, e.g. `en`, `de-AT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut parts = raw.trim().split(['-', '_']);
        let language = parts.next().unwrap_or("");
        let region = parts.next();
        let language_ok =
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
        let region_ok = region.is_none_or(|r| {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        });
        if !language_ok || !region_ok || parts.next().is_some() {
            return Err(Invalid::new("must be a language tag such as en or de-AT"));
        }
        Ok(Self(match region {
            Some(region) => format!("{}-{}", language.to_lowercase(), region.to_uppercase()),
            None => language.to_lowercase(),
        }))
    }

    pub fn default_locale() -> Self {
        Self("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which sign-in an account uses: guests and staff have separate logins and namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Guest,
    Staff,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Staff => "staff",
        }
    }
}

/// What a signed-in account may do, carried in its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Guest,
    /// A vendor's manager or front desk (`manager` in the token tells which).
    Staff,
    /// A vendor's housekeeper: its units and their statuses, nothing of guests or bookings. A
    /// role of its own, so that every check written for `staff` refuses it without knowing it.
    Housekeeping,
    Admin,
    /// A connected channel (booking site, channel manager, the hotel's own system): only the
    /// channel endpoints, never a guest's or staff's (`auth::ChannelCaller`).
    Channel,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Staff => "staff",
            Self::Housekeeping => "housekeeping",
            Self::Admin => "admin",
            Self::Channel => "channel",
        }
    }
}

/// What a member of staff does at their vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Edits the property, its rooms/tables and staff; everything the desk does.
    Manager,
    /// Front desk or host: bookings, check-in and check-out.
    Desk,
    /// Units and their housekeeping statuses only.
    Housekeeping,
}

impl StaffRole {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "manager" => Ok(Self::Manager),
            "desk" => Ok(Self::Desk),
            "housekeeping" => Ok(Self::Housekeeping),
            _ => Err(Invalid::new("must be manager, desk or housekeeping")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manager => "manager",
            Self::Desk => "desk",
            Self::Housekeeping => "housekeeping",
        }
    }

    /// The role the member's tokens carry.
    pub fn token_role(self) -> Role {
        match self {
            Self::Manager | Self::Desk => Role::Staff,
            Self::Housekeeping => Role::Housekeeping,
        }
    }

    pub fn is_manager(self) -> bool {
        self == Self::Manager
    }
}

/// A guest's profile as the guest sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestProfile {
    pub id: UserId,
    pub email: Email,
    pub name: PersonName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// A member of one vendor's staff; managers may edit the property and add staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StaffRecord", into = "StaffRecord")]
pub struct StaffMember {
    pub id: StaffId,
    pub vendor_id: VendorId,
    pub email: Email,
    pub name: PersonName,
    pub role: StaffRole,
    pub created_at: DateTime<Utc>,
}

impl StaffMember {
    /// The credential they sign in with: its role and `manager` become their token's claims.
    pub fn credential(&self, password_hash: String) -> Credential {
        Credential {
            account_id: self.id.to_string(),
            password_hash,
            role: self.role.token_role(),
            vendor_id: Some(self.vendor_id),
            manager: self.role.is_manager(),
        }
    }
}

/// A member of staff as stored and answered: `manager` is kept beside `role` for clients and
/// records from before roles, which read as `manager` or `desk`.
#[derive(Serialize, Deserialize)]
struct StaffRecord {
    id: StaffId,
    vendor_id: VendorId,
    email: Email,
    name: PersonName,
    #[serde(default)]
    role: Option<StaffRole>,
    #[serde(default)]
    manager: bool,
    created_at: DateTime<Utc>,
}

impl From<StaffRecord> for StaffMember {
    fn from(record: StaffRecord) -> Self {
        let role = record.role.unwrap_or(if record.manager {
            StaffRole::Manager
        } else {
            StaffRole::Desk
        });
        Self {
            id: record.id,
            vendor_id: record.vendor_id,
            email: record.email,
            name: record.name,
            role,
            created_at: record.created_at,
        }
    }
}

impl From<StaffMember> for StaffRecord {
    fn from(staff: StaffMember) -> Self {
        Self {
            id: staff.id,
            vendor_id: staff.vendor_id,
            email: staff.email,
            name: staff.name,
            role: Some(staff.role),
            manager: staff.role.is_manager(),
            created_at: staff.created_at,
        }
    }
}

/// What login needs: the password hash and the claims the token will carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub account_id: String,
    pub password_hash: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<VendorId>,
    #[serde(default)]
    pub manager: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_stored_before_roles_read_as_manager_or_desk() {
        let stored = |extra: serde_json::Value| {
            let mut record = serde_json::json!({
                "id": StaffId::generate(),
                "vendor_id": VendorId::generate(),
                "email": "sam@example.com",
                "name": "Sam Staff",
                "created_at": "2026-01-01T00:00:00Z",
            });
            record
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<StaffMember>(record).unwrap().role
        };
        assert_eq!(
            stored(serde_json::json!({"manager": true})),
            StaffRole::Manager
        );
        assert_eq!(
            stored(serde_json::json!({"manager": false})),
            StaffRole::Desk
        );
        assert_eq!(stored(serde_json::json!({})), StaffRole::Desk);
        assert_eq!(
            stored(serde_json::json!({"role": "housekeeping"})),
            StaffRole::Housekeeping
        );
    }

    #[test]
    fn a_housekeepers_credential_carries_a_role_of_its_own() {
        let housekeeper = StaffMember {
            id: StaffId::generate(),
            vendor_id: VendorId::generate(),
            email: Email::parse("hk@example.com").unwrap(),
            name: PersonName::parse("Kim Keeper").unwrap(),
            role: StaffRole::Housekeeping,
            created_at: Utc::now(),
        };
        let credential = housekeeper.credential("hash".into());
        assert_eq!(credential.role, Role::Housekeeping);
        assert!(!credential.manager);
        assert_eq!(credential.vendor_id, Some(housekeeper.vendor_id));
        let answered = serde_json::to_value(&housekeeper).unwrap();
        assert_eq!(answered["role"], "housekeeping");
        assert_eq!(answered["manager"], false);
        let manager = StaffMember {
            role: StaffRole::Manager,
            ..housekeeper
        };
        assert_eq!(manager.credential("hash".into()).role, Role::Staff);
        assert!(manager.credential("hash".into()).manager);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse("a@localhost").is_err());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_need_length_but_not_composition() {
        assert!(Password::new("correct horse".into()).is_ok());
        assert!(Password::new("short".into()).is_err());
        assert!(Password::new(" ".repeat(12)).is_err());
        assert!(Password::new("x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::new("secret-secret".into()).unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn phones_are_e164() {
        assert!(Phone::parse("+49 151 1234 5678").is_ok());
        assert!(Phone::parse("0151 12345678").is_err());
        assert!(Phone::parse("+12").is_err());
    }

    #[test]
    fn locales_are_normalised_language_tags() {
        assert_eq!(Locale::parse("de_at").unwrap(), Locale("de-AT".into()));
        assert_eq!(Locale::parse("en").unwrap(), Locale("en".into()));
        assert!(Locale::parse("english").is_err());
        assert!(Locale::parse("en-GB-x").is_err());
    }
}
