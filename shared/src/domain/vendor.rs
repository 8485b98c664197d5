//! Hotels and restaurants: where they are, when (their time zone), and what they offer.
use super::Invalid;
use super::account::{Email, Phone};
use super::ids::VendorId;
use super::money::Currency;
use super::text::{AddressLine, Description, Title};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorKind {
    Hotel,
    Restaurant,
}

impl VendorKind {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "hotel" => Ok(Self::Hotel),
            "restaurant" => Ok(Self::Restaurant),
            _ => Err(Invalid::new("must be hotel or restaurant")),
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, e.g. `DE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// One of the codes ISO 3166-1 assigns (`DE`, not `ZZ` or `de`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim();
        let assigned = code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && code.parse::<iso_country::Country>().is_ok();
        if assigned {
            Ok(Self(code.to_owned()))
        } else {
            Err(Invalid::new(
                "must be an ISO 3166-1 alpha-2 country code such as DE",
            ))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: AddressLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<AddressLine>,
    pub postal_code: String,
    pub city: AddressLine,
    pub country: CountryCode,
}

impl Address {
    /// The city as search keys it: case and surrounding space don't matter.
    pub fn city_key(&self) -> String {
        format!("{}#{}", self.country.0, self.city.as_str().to_lowercase())
    }
}

/// A WGS 84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Invalid::new("lat must be between -90 and 90"));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Invalid::new("lon must be between -180 and 180"));
        }
        Ok(Self { lat, lon })
    }
}

/// The vendor's IANA time zone: every local date and time of the vendor is read in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| Invalid::new("must be an IANA time zone such as Europe/Berlin"))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// How guests reach the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
}

/// A hotel's or restaurant's public profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vendor {
    pub id: VendorId,
    pub kind: VendorKind,
    pub name: Title,
    pub description: Description,
    pub address: Address,
    pub location: GeoPoint,
    pub time_zone: TimeZone,
    /// Every price of this vendor is in this currency.
    pub currency: Currency,
    pub facilities: Vec<String>,
    /// Restaurants only.
    #[serde(default)]
    pub cuisines: Vec<String>,
    pub contact: Contact,
    /// How long a desk hold keeps its inventory unless staff confirm it (5 minutes unless set).
    #[serde(default)]
    pub desk_hold_minutes: super::desk::DeskHoldMinutes,
    /// VAT and city tax, applied to invoices and reports (none unless set; left out then).
    #[serde(default, skip_serializing_if = "super::tax::TaxRules::is_empty")]
    pub taxes: super::tax::TaxRules,
    /// When the night audit closes the day, in the vendor's time zone (02:00 unless set).
    #[serde(default)]
    pub night_audit_at: super::tax::NightAuditTime,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vendor_without_taxes_stores_no_empty_map() {
        let mut vendor = crate::events::fixtures::vendor();
        let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            serde_dynamo::to_item(&vendor).unwrap();
        assert!(!item.contains_key("taxes"), "{item:?}");
        vendor.taxes.city_tax = Some(super::super::tax::CityTax::new(250).unwrap());
        let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            serde_dynamo::to_item(&vendor).unwrap();
        assert!(item.contains_key("taxes"));
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().tz(),
            chrono_tz::Europe::Berlin
        );
        assert!(TimeZone::parse("CEST").is_err());
        let json = serde_json::to_string(&TimeZone::parse("Asia/Tokyo").unwrap()).unwrap();
        assert_eq!(json, "\"Asia/Tokyo\"");
    }

    #[test]
    fn geo_points_are_on_earth() {
        assert!(GeoPoint::new(52.52, 13.40).is_ok());
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::NAN).is_err());
    }

    #[test]
    fn countries_are_alpha2() {
        assert!(CountryCode::parse("DE").is_ok());
        assert!(CountryCode::parse("de").is_err());
        // Well formed but assigned to no country (user-assigned, or never used).
        for code in ["ZZ", "XX", "AA", "QM", "UK"] {
            assert!(CountryCode::parse(code).is_err(), "{code}");
        }
        for code in ["GB", "SS", "CW", "AX", "US"] {
            assert!(CountryCode::parse(code).is_ok(), "{code}");
        }
        assert!(CountryCode::parse("DEU").is_err());
    }
}
