//! Money in integer minor units of an ISO 4217 currency: no floating point anywhere.
use super::Invalid;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code, e.g. `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new(
                "must be an ISO 4217 currency code such as EUR",
            ));
        }
        iso_currency::Currency::from_str(code)
            .map(Self)
            .map_err(|_| Invalid::new("must be an ISO 4217 currency code such as EUR"))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount, such as a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

/// The largest price we accept: 100 million in major units of a two-decimal currency.
const MAX_AMOUNT_MINOR: i64 = 10_000_000_000;

impl Money {
    pub fn price(amount_minor: i64, currency: &str) -> Result<Self, Invalid> {
        let currency = Currency::parse(currency)?;
        if !(0..=MAX_AMOUNT_MINOR).contains(&amount_minor) {
            return Err(Invalid::new(format!(
                "amount_minor must be between 0 and {MAX_AMOUNT_MINOR}"
            )));
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    /// Another amount in the same currency.
    pub fn with_amount(self, amount_minor: i64) -> Self {
        Self {
            amount_minor,
            currency: self.currency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_non_negative_minor_units_of_a_real_currency() {
        let price = Money::price(12_900, "EUR").unwrap();
        assert_eq!(price.currency.code(), "EUR");
        assert!(Money::price(-1, "EUR").is_err());
        assert!(Money::price(100, "XYZ").is_err());
        assert!(Money::price(100, "eur").is_err());
    }

    #[test]
    fn money_serialises_as_minor_units_and_code() {
        let json = serde_json::to_value(Money::price(500, "JPY").unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount_minor": 500, "currency": "JPY"})
        );
    }
}
