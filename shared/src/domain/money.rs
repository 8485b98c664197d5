//! Money in integer minor units of an ISO 4217 currency: no floating point anywhere.
use super::Invalid;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code, e.g. `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// A currency a price may be given in: an ISO 4217 code in circulation, not a fund, a
    /// special unit (gold, SDR, `XXX`, `XTS`) or a code another has replaced.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        let currency = Self::known(code)?;
        let inner = currency.0;
        if inner.is_fund() || inner.is_special() || inner.is_superseded().is_some() {
            return Err(Invalid::new(
                "must be the ISO 4217 code of a currency in circulation, such as EUR",
            ));
        }
        Ok(currency)
    }

    /// Any ISO 4217 code, as stored values are read back: one in circulation when it was saved
    /// may have been replaced since.
    fn known(code: &str) -> Result<Self, Invalid> {
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
        Currency::known(&code).map_err(serde::de::Error::custom)
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

    /// Whether a card payment or refund can be made of exactly this amount: a whole number of
    /// the currency's `payment_step`.
    pub fn is_payable(self) -> bool {
        self.amount_minor % self.currency.payment_step() == 0
    }

    /// `numerator / denominator` of this amount, rounded half up to a whole number of payment
    /// steps, in exact integer arithmetic (one rounding, never two).
    pub fn share_payable(self, numerator: i64, denominator: i64) -> Self {
        let step = i128::from(self.currency.payment_step());
        let scaled = i128::from(self.amount_minor) * i128::from(numerator);
        let unit = i128::from(denominator.max(1)) * step;
        let share = (scaled + unit / 2) / unit * step;
        self.with_amount(i64::try_from(share).unwrap_or(self.amount_minor))
    }

    /// Rounded down to a whole number of payment steps: the most of this amount a payment may
    /// take.
    pub fn floor_payable(self) -> Self {
        let step = self.currency.payment_step();
        self.with_amount(self.amount_minor.div_euclid(step) * step)
    }
}

impl Currency {
    /// The smallest amount, in minor units, a card payment or refund moves in this currency: 10
    /// in the three-decimal currencies (BHD, JOD, KWD, OMR, TND), where Stripe takes only whole
    /// hundredths (the last digit 0); 1 everywhere else.
    pub fn payment_step(self) -> i64 {
        match self.code() {
            "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 10,
            _ => 1,
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
    fn a_price_is_in_a_currency_in_circulation() {
        for code in ["EUR", "USD", "JPY", "KWD", "XOF", "CHF"] {
            assert!(Currency::parse(code).is_ok(), "{code}");
        }
        // Unassigned, a fund, gold, no currency, the test code, a replaced code.
        for code in ["ZZZ", "BOV", "XAU", "XXX", "XTS", "VES"] {
            assert!(Currency::parse(code).is_err(), "{code}");
        }
        // A stored price in a code replaced since it was saved still reads back.
        let stored: Currency = serde_json::from_value(serde_json::json!("VES")).unwrap();
        assert_eq!(stored.code(), "VES");
        assert!(serde_json::from_value::<Currency>(serde_json::json!("ZZZ")).is_err());
    }

    #[test]
    fn shares_round_half_up_to_what_a_card_payment_can_move() {
        let kwd = |minor| Money::price(minor, "KWD").unwrap();
        let eur = |minor| Money::price(minor, "EUR").unwrap();
        // 20% of 12.345 KWD is 2.469: the nearest whole hundredth is 2.470.
        assert_eq!(kwd(12_345).share_payable(20, 100), kwd(2_470));
        // 20% of 12.325 KWD is 2.465, exactly half way: up.
        assert_eq!(kwd(12_325).share_payable(20, 100), kwd(2_470));
        assert_eq!(kwd(12_300).share_payable(20, 100), kwd(2_460));
        assert_eq!(eur(12_345).share_payable(20, 100), eur(2_469));
        assert_eq!(eur(2_525).share_payable(10, 100), eur(253));
        assert_eq!(kwd(4_995).floor_payable(), kwd(4_990));
        assert_eq!(eur(4_995).floor_payable(), eur(4_995));
        assert!(kwd(2_470).is_payable() && !kwd(2_469).is_payable());
        assert!(eur(2_469).is_payable());
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
