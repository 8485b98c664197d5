//! The vendor profile as clients send it. Create needs every required field; update takes any
//! subset. Both validate the same way, field by field.
use crate::domain::account::{Email, Phone};
use crate::domain::money::Currency;
use crate::domain::text::{self, AddressLine, Description, Title};
use crate::domain::vendor::{
    Address, Contact, CountryCode, GeoPoint, TimeZone, Vendor, VendorKind,
};
use crate::domain::{FieldErrors, Invalid};
use serde::Deserialize;

pub const MAX_TAGS: usize = 50;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPointInput {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The editable part of a vendor's profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub address: Option<AddressInput>,
    pub location: Option<GeoPointInput>,
    pub time_zone: Option<String>,
    pub currency: Option<String>,
    pub facilities: Option<Vec<String>>,
    pub cuisines: Option<Vec<String>>,
    pub contact: Option<ContactInput>,
}

/// Validated profile values; `None` means "not given" (allowed only when updating).
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub name: Option<Title>,
    pub description: Option<Description>,
    pub address: Option<Address>,
    pub location: Option<GeoPoint>,
    pub time_zone: Option<TimeZone>,
    pub currency: Option<Currency>,
    pub facilities: Option<Vec<String>>,
    pub cuisines: Option<Vec<String>>,
    pub contact: Option<Contact>,
}

fn postal_code(raw: String) -> Result<String, Invalid> {
    text::bounded(&raw, 1, 20)
}

fn address(input: AddressInput, errors: &mut FieldErrors) -> Option<Address> {
    let line1 = errors.require("/address/line1", input.line1, |v| AddressLine::parse(&v));
    let line2 = errors.check_opt("/address/line2", input.line2, |v| AddressLine::parse(&v));
    let postal_code = errors.require("/address/postal_code", input.postal_code, postal_code);
    let city = errors.require("/address/city", input.city, |v| AddressLine::parse(&v));
    let country = errors.require("/address/country", input.country, |v| {
        CountryCode::parse(&v)
    });
    Some(Address {
        line1: line1?,
        line2: line2?,
        postal_code: postal_code?,
        city: city?,
        country: country?,
    })
}

fn location(input: GeoPointInput, errors: &mut FieldErrors) -> Option<GeoPoint> {
    // Each coordinate is checked on its own so the error names the one that is wrong.
    let lat = errors.require("/location/lat", input.lat, |v| {
        GeoPoint::new(v, 0.0).map(|_| v)
    });
    let lon = errors.require("/location/lon", input.lon, |v| {
        GeoPoint::new(0.0, v).map(|_| v)
    });
    errors.check("/location", GeoPoint::new(lat?, lon?))
}

fn contact(input: ContactInput, errors: &mut FieldErrors) -> Option<Contact> {
    let email = errors.require("/contact/email", input.email, |v| Email::parse(&v));
    let phone = errors.check_opt("/contact/phone", input.phone, |v| Phone::parse(&v));
    Some(Contact {
        email: email?,
        phone: phone?,
    })
}

impl ProfileInput {
    /// Validates every given field; with `creating`, the required ones must all be there.
    /// Restaurants may list cuisines; hotels may not.
    pub fn validate(
        self,
        kind: VendorKind,
        creating: bool,
        errors: &mut FieldErrors,
    ) -> ProfileChanges {
        let mut changes = ProfileChanges::default();
        if creating {
            for (pointer, missing) in [
                ("/name", self.name.is_none()),
                ("/address", self.address.is_none()),
                ("/location", self.location.is_none()),
                ("/time_zone", self.time_zone.is_none()),
                ("/currency", self.currency.is_none()),
                ("/contact", self.contact.is_none()),
            ] {
                if missing {
                    errors.push(pointer, "is required");
                }
            }
        }
        changes.name = self
            .name
            .and_then(|v| errors.check("/name", Title::parse(&v)));
        changes.description = self
            .description
            .and_then(|v| errors.check("/description", Description::parse(&v)));
        changes.address = self.address.and_then(|v| address(v, errors));
        changes.location = self.location.and_then(|v| location(v, errors));
        changes.time_zone = self
            .time_zone
            .and_then(|v| errors.check("/time_zone", TimeZone::parse(&v)));
        // Every price of the vendor is in its currency, so it is fixed at onboarding.
        changes.currency = match self.currency {
            Some(_) if !creating => {
                errors.push("/currency", "is fixed at onboarding");
                None
            }
            Some(v) => errors.check("/currency", Currency::parse(&v)),
            None => None,
        };
        changes.facilities = self
            .facilities
            .and_then(|v| errors.check("/facilities", text::tags(&v, MAX_TAGS)));
        changes.cuisines = match (self.cuisines, kind) {
            (Some(_), VendorKind::Hotel) => {
                errors.push("/cuisines", "only restaurants have cuisines");
                None
            }
            (Some(v), VendorKind::Restaurant) => {
                errors.check("/cuisines", text::tags(&v, MAX_TAGS))
            }
            (None, _) => None,
        };
        changes.contact = self.contact.and_then(|v| contact(v, errors));
        changes
    }
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.address.is_none()
            && self.location.is_none()
            && self.time_zone.is_none()
            && self.currency.is_none()
            && self.facilities.is_none()
            && self.cuisines.is_none()
            && self.contact.is_none()
    }

    /// Writes the given fields over the vendor's current ones.
    pub fn apply(self, vendor: &mut Vendor) {
        if let Some(v) = self.name {
            vendor.name = v;
        }
        if let Some(v) = self.description {
            vendor.description = v;
        }
        if let Some(v) = self.address {
            vendor.address = v;
        }
        if let Some(v) = self.location {
            vendor.location = v;
        }
        if let Some(v) = self.time_zone {
            vendor.time_zone = v;
        }
        if let Some(v) = self.currency {
            vendor.currency = v;
        }
        if let Some(v) = self.facilities {
            vendor.facilities = v;
        }
        if let Some(v) = self.cuisines {
            vendor.cuisines = v;
        }
        if let Some(v) = self.contact {
            vendor.contact = v;
        }
    }
}
