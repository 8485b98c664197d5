//! A room type or table type as clients send it, for create (all required) and update (any).
use crate::domain::money::{Currency, Money};
use crate::domain::resource::{Capacity, Resource, UnitCount};
use crate::domain::text::{self, Description, Title};
use crate::domain::{FieldErrors, Invalid};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub capacity: Option<i64>,
    pub units: Option<i64>,
    pub base_price: Option<PriceInput>,
    pub amenities: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct ResourceChanges {
    pub name: Option<Title>,
    pub description: Option<Description>,
    pub capacity: Option<Capacity>,
    pub units: Option<UnitCount>,
    pub base_price: Option<Money>,
    pub amenities: Option<Vec<String>>,
}

fn price(input: PriceInput, vendor_currency: Currency, errors: &mut FieldErrors) -> Option<Money> {
    let amount = errors.require("/base_price/amount_minor", input.amount_minor, Ok);
    // The currency may be left out; if given it must be the vendor's.
    let currency = errors.check(
        "/base_price/currency",
        match input.currency {
            None => Ok(vendor_currency),
            Some(code) => Currency::parse(&code).and_then(|c| {
                if c == vendor_currency {
                    Ok(c)
                } else {
                    Err(Invalid::new(format!(
                        "must be the vendor's currency, {vendor_currency}"
                    )))
                }
            }),
        },
    );
    errors.check(
        "/base_price/amount_minor",
        Money::price(amount?, currency?.code()),
    )
}

impl ResourceInput {
    pub fn validate(
        self,
        vendor_currency: Currency,
        creating: bool,
        errors: &mut FieldErrors,
    ) -> ResourceChanges {
        if creating {
            for (pointer, missing) in [
                ("/name", self.name.is_none()),
                ("/capacity", self.capacity.is_none()),
                ("/units", self.units.is_none()),
                ("/base_price", self.base_price.is_none()),
            ] {
                if missing {
                    errors.push(pointer, "is required");
                }
            }
        }
        ResourceChanges {
            name: self
                .name
                .and_then(|v| errors.check("/name", Title::parse(&v))),
            description: self
                .description
                .and_then(|v| errors.check("/description", Description::parse(&v))),
            capacity: self
                .capacity
                .and_then(|v| errors.check("/capacity", Capacity::new(v))),
            units: self
                .units
                .and_then(|v| errors.check("/units", UnitCount::new(v))),
            base_price: self
                .base_price
                .and_then(|v| price(v, vendor_currency, errors)),
            amenities: self
                .amenities
                .and_then(|v| errors.check("/amenities", text::tags(&v, 50))),
        }
    }
}

impl ResourceChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.capacity.is_none()
            && self.units.is_none()
            && self.base_price.is_none()
            && self.amenities.is_none()
    }

    pub fn apply(self, resource: &mut Resource) {
        if let Some(v) = self.name {
            resource.name = v;
        }
        if let Some(v) = self.description {
            resource.description = v;
        }
        if let Some(v) = self.capacity {
            resource.capacity = v;
        }
        if let Some(v) = self.units {
            resource.units = v;
        }
        if let Some(v) = self.base_price {
            resource.base_price = v;
        }
        if let Some(v) = self.amenities {
            resource.amenities = v;
        }
    }
}
