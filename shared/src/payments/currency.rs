//! Which amounts Stripe reads the way we mean them. `Money` counts ISO 4217 minor units; Stripe's
//! `amount` is in a unit of its own per currency (https://docs.stripe.com/currencies), and for a
//! few currencies the two differ. We refuse those rather than charge a wrong amount:
//! - Stripe's zero-decimal list is BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF
//!   XPF. ISO gives all of them exponent 0 except MGA (2): an MGA deposit would cost 100 times
//!   the price.
//! - ISK: ISO exponent 0, but Stripe keeps it two-decimal for backwards compatibility (5 ISK is
//!   `500`): sent as is, we would charge a hundredth.
//! - UGX: ISO exponent 0; Stripe lists it as zero-decimal, and its special cases (and older
//!   versions of the page) as two-decimal for backwards compatibility, like ISK. Refused until it
//!   is settled against a real account.
//! - HUF and TWD are special cases too, but only for payouts (whole units); charges are
//!   two-decimal like ISO, so they pass.
//! - The three-decimal currencies BHD JOD KWD OMR TND match ISO, but Stripe requires the last
//!   digit to be 0 (`Currency::payment_step`): deposits and fees are rounded to it when they are
//!   worked out (`domain::deposit`), and any other amount that reaches the adapter is refused.
//! - Everything else is two-decimal to Stripe, so any other ISO exponent (IQD and LYD: 3, CLF: 4,
//!   UYI: 0, metals and funds: none) is refused.
use crate::domain::money::{Currency, Money};

const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];
/// Stripe's documentation disagrees with itself about these.
const UNSETTLED: [&str; 1] = ["UGX"];

fn stripe_exponent(code: &str) -> u16 {
    if ZERO_DECIMAL.contains(&code) {
        0
    } else if THREE_DECIMAL.contains(&code) {
        3
    } else {
        2
    }
}

/// Err when Stripe would read an amount in this currency differently from our minor units.
pub(super) fn check_currency(currency: Currency) -> Result<(), String> {
    let code = currency.code();
    let iso = iso_currency::Currency::from_code(code).and_then(|c| c.exponent());
    if UNSETTLED.contains(&code) || iso != Some(stripe_exponent(code)) {
        return Err(format!(
            "Stripe does not count {code} in its ISO 4217 minor units"
        ));
    }
    Ok(())
}

/// Err unless Stripe can take `money` exactly, as a charge or a refund.
pub(super) fn check_amount(money: Money) -> Result<(), String> {
    check_currency(money.currency)?;
    if money.amount_minor <= 0 {
        return Err("the amount must be positive".into());
    }
    if !money.is_payable() {
        return Err(format!(
            "Stripe takes {} amounts only in whole hundredths (the last digit 0)",
            money.currency
        ));
    }
    Ok(())
}

/// Stripe's minimum charge per currency, in minor units, from its table
/// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). For the three-decimal
/// currencies, which that table leaves to "the equivalent of 0.50 USD", ours: a floor above
/// 0.50 USD at today's rates with room for them to move.
const MINIMUM_CHARGE: [(&str, i64); 28] = [
    ("USD", 50),
    ("AED", 200),
    ("AUD", 50),
    ("BRL", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("CZK", 1_500),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("HKD", 400),
    ("HUF", 17_500),
    ("INR", 50),
    ("JPY", 50),
    ("MXN", 1_000),
    ("MYR", 200),
    ("NOK", 300),
    ("NZD", 50),
    ("PLN", 200),
    ("RON", 200),
    ("SEK", 300),
    ("SGD", 50),
    ("THB", 1_000),
    ("BHD", 200),
    ("JOD", 400),
    ("KWD", 200),
    ("OMR", 200),
    ("TND", 2_000),
];

/// The least Stripe charges in this currency, where we know it; for the others Stripe decides
/// at the time (the equivalent of 0.50 USD in the account's settlement currency).
pub(super) fn minimum_charge(currency: Currency) -> Option<Money> {
    MINIMUM_CHARGE
        .iter()
        .find(|(code, _)| *code == currency.code())
        .map(|(_, amount_minor)| Money {
            amount_minor: *amount_minor,
            currency,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount_minor: i64, code: &str) -> Money {
        Money::price(amount_minor, code).unwrap()
    }

    #[test]
    fn two_and_zero_decimal_currencies_pass_as_they_are() {
        for (amount, code) in [
            (12_900, "EUR"),
            (5_000, "USD"),
            (500, "JPY"),
            (1_000, "KRW"),
            (199, "HUF"),
            (30_000, "TWD"),
        ] {
            assert_eq!(check_amount(money(amount, code)), Ok(()), "{code}");
        }
    }

    #[test]
    fn currencies_stripe_counts_differently_are_refused() {
        for code in ["ISK", "UGX", "MGA", "IQD", "LYD", "CLF", "UYI"] {
            // Codes that are not currencies in circulation are refused before they get here.
            let Ok(money) = Money::price(10_000, code) else {
                continue;
            };
            let refused = check_amount(money);
            assert!(refused.is_err(), "{code} must be refused");
        }
    }

    #[test]
    fn three_decimal_amounts_must_end_in_zero() {
        assert_eq!(check_amount(money(5_120, "KWD")), Ok(()));
        assert!(check_amount(money(5_124, "KWD")).is_err());
        assert!(check_amount(money(1_001, "BHD")).is_err());
    }

    #[test]
    fn minimum_charges_follow_stripes_table() {
        assert_eq!(
            minimum_charge(money(1, "EUR").currency),
            Some(money(50, "EUR"))
        );
        assert_eq!(
            minimum_charge(money(1, "JPY").currency),
            Some(money(50, "JPY"))
        );
        let kwd = minimum_charge(money(10, "KWD").currency).unwrap();
        assert!(check_amount(kwd).is_ok(), "a minimum Stripe can take");
        assert_eq!(minimum_charge(money(1, "SAR").currency), None);
        for (code, minimum) in MINIMUM_CHARGE {
            assert!(check_amount(money(minimum, code)).is_ok(), "{code}");
        }
    }

    #[test]
    fn nothing_is_charged_or_refunded_for_nothing() {
        assert!(check_amount(money(0, "EUR")).is_err());
    }
}
