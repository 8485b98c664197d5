//! A vendor's taxes and the time of its night audit: VAT as a percentage, included in its prices
//! or added to them, and a city tax per person per night. Invoices and reports both split money
//! with [`TaxRules`], so the two always agree.
//!
//! Rounding: VAT is computed once per amount (an invoice line, a night's revenue) and rounded
//! half up to the currency's minor unit; the net is what is left, so net + VAT is always exactly
//! the gross.
use super::Invalid;
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// A VAT rate in basis points: 1900 is 19 %. From 0 to 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct VatRate(u16);

impl VatRate {
    pub const MAX_BASIS_POINTS: u16 = 10_000;

    pub fn new(basis_points: i64) -> Result<Self, Invalid> {
        u16::try_from(basis_points)
            .ok()
            .filter(|bp| *bp <= Self::MAX_BASIS_POINTS)
            .map(Self)
            .ok_or_else(|| {
                Invalid::new("must be a rate in basis points from 0 to 10000 (1900 is 19 %)")
            })
    }

    pub fn basis_points(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for VatRate {
    type Error = Invalid;

    fn try_from(bp: i64) -> Result<Self, Invalid> {
        Self::new(bp)
    }
}

impl From<VatRate> for i64 {
    fn from(rate: VatRate) -> i64 {
        i64::from(rate.0)
    }
}

/// Whether the vendor's prices include VAT (the usual way in Europe) or have it added on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatBasis {
    #[default]
    Included,
    Added,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vat {
    pub rate_bp: VatRate,
    #[serde(default)]
    pub basis: VatBasis,
}

/// A city (tourist) tax in the vendor's currency's minor units, per person per night. Outside
/// VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct CityTax(i64);

impl CityTax {
    /// 1,000 major units of a two-decimal currency: no city charges more per person and night.
    pub const MAX_MINOR: i64 = 100_000;

    pub fn new(per_person_night_minor: i64) -> Result<Self, Invalid> {
        if (0..=Self::MAX_MINOR).contains(&per_person_night_minor) {
            Ok(Self(per_person_night_minor))
        } else {
            Err(Invalid::new(format!(
                "must be from 0 to {} minor units per person and night",
                Self::MAX_MINOR
            )))
        }
    }

    pub fn per_person_night_minor(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for CityTax {
    type Error = Invalid;

    fn try_from(minor: i64) -> Result<Self, Invalid> {
        Self::new(minor)
    }
}

impl From<CityTax> for i64 {
    fn from(tax: CityTax) -> i64 {
        tax.0
    }
}

/// The vendor's taxes; none unless set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<Vat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_tax: Option<CityTax>,
}

/// An amount split into what the vendor keeps and the VAT in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxed {
    pub net_minor: i64,
    pub vat_minor: i64,
    pub gross_minor: i64,
}

impl TaxRules {
    /// No VAT and no city tax: then nothing is stored, since DynamoDB Local's streams write an
    /// empty map as `{}`, which no SDK reads back as an attribute value.
    pub fn is_empty(&self) -> bool {
        self.vat.is_none() && self.city_tax.is_none()
    }

    /// Splits a price as the vendor states its prices (VAT included or to be added).
    pub fn split(&self, price_minor: i64) -> Taxed {
        let Some(vat) = self.vat else {
            return Taxed {
                net_minor: price_minor,
                vat_minor: 0,
                gross_minor: price_minor,
            };
        };
        let rate = i128::from(vat.rate_bp.basis_points());
        let price = i128::from(price_minor);
        match vat.basis {
            VatBasis::Included => {
                let vat_minor = round_half_up(price * rate, 10_000 + rate);
                Taxed {
                    net_minor: price_minor - vat_minor,
                    vat_minor,
                    gross_minor: price_minor,
                }
            }
            VatBasis::Added => {
                let vat_minor = round_half_up(price * rate, 10_000);
                Taxed {
                    net_minor: price_minor,
                    vat_minor,
                    gross_minor: price_minor + vat_minor,
                }
            }
        }
    }

    /// The city tax for a stay: per person per night, `0` when the vendor charges none.
    pub fn city_tax_minor(&self, persons: u32, nights: u32) -> i64 {
        self.city_tax
            .map_or(0, |t| t.0 * i64::from(persons) * i64::from(nights))
    }
}

/// `numerator / denominator` rounded half away from zero (half up for the positive amounts of
/// invoices; a credit note's negative amounts mirror them exactly).
fn round_half_up(numerator: i128, denominator: i128) -> i64 {
    let half = denominator / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// The vendor-local time its night audit runs, to the minute: 02:00 unless set. Written
/// `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NightAuditTime(NaiveTime);

impl NightAuditTime {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        NaiveTime::parse_from_str(text, "%H:%M")
            .ok()
            .filter(|_| text.len() == 5)
            .map(Self)
            .ok_or_else(|| Invalid::new("must be a time of day written HH:MM, such as 02:00"))
    }

    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl Default for NightAuditTime {
    fn default() -> Self {
        Self(NaiveTime::from_hms_opt(2, 0, 0).expect("02:00 is a time"))
    }
}

impl TryFrom<String> for NightAuditTime {
    type Error = Invalid;

    fn try_from(text: String) -> Result<Self, Invalid> {
        Self::parse(&text)
    }
}

impl From<NightAuditTime> for String {
    fn from(time: NightAuditTime) -> String {
        time.0.format("%H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(bp: i64, basis: VatBasis) -> TaxRules {
        TaxRules {
            vat: Some(Vat {
                rate_bp: VatRate::new(bp).unwrap(),
                basis,
            }),
            city_tax: None,
        }
    }

    #[test]
    fn included_vat_is_taken_out_and_rounded_half_up_once() {
        // 7 % of 107.00 included is 7.00.
        let seven = rules(700, VatBasis::Included);
        assert_eq!(
            seven.split(10_700),
            Taxed {
                net_minor: 10_000,
                vat_minor: 700,
                gross_minor: 10_700
            }
        );
        // 19 % in 100.00: 15.966... rounds up to 15.97.
        assert_eq!(
            rules(1900, VatBasis::Included).split(10_000).vat_minor,
            1_597
        );
        // 10 % in 0.11: exactly 0.01 (11 * 1000 / 11000); in 0.05: 0.4545 rounds down to 0.
        let ten = rules(1000, VatBasis::Included);
        assert_eq!(ten.split(11).vat_minor, 1);
        assert_eq!(ten.split(5).vat_minor, 0);
    }

    #[test]
    fn added_vat_is_put_on_top_and_a_half_rounds_up() {
        // 19 % of 0.50 is 0.095: half a minor unit rounds up to 0.10.
        let added = rules(1900, VatBasis::Added);
        assert_eq!(
            added.split(50),
            Taxed {
                net_minor: 50,
                vat_minor: 10,
                gross_minor: 60
            }
        );
        assert_eq!(rules(1900, VatBasis::Added).split(10).vat_minor, 2); // 0.19 -> 0.02
        assert_eq!(rules(1900, VatBasis::Added).split(-50).vat_minor, -10);
    }

    #[test]
    fn net_and_vat_always_add_up_to_the_gross() {
        for bp in [0, 550, 700, 1900, 2000, 2500, 10_000] {
            for basis in [VatBasis::Included, VatBasis::Added] {
                for price in [0, 1, 2, 3, 99, 100, 12_345, 999_999, -777] {
                    let t = rules(bp, basis).split(price);
                    assert_eq!(
                        t.net_minor + t.vat_minor,
                        t.gross_minor,
                        "{bp} {basis:?} {price}"
                    );
                }
            }
        }
        assert_eq!(TaxRules::default().split(1234).vat_minor, 0);
    }

    #[test]
    fn city_tax_is_per_person_per_night() {
        let rules = TaxRules {
            vat: None,
            city_tax: Some(CityTax::new(250).unwrap()),
        };
        assert_eq!(rules.city_tax_minor(2, 3), 1_500);
        assert_eq!(TaxRules::default().city_tax_minor(2, 3), 0);
        assert!(CityTax::new(-1).is_err());
        assert!(CityTax::new(CityTax::MAX_MINOR + 1).is_err());
    }

    #[test]
    fn rates_and_times_are_validated() {
        assert!(VatRate::new(10_001).is_err());
        assert!(VatRate::new(-1).is_err());
        let parsed: TaxRules =
            serde_json::from_str(r#"{"vat":{"rate_bp":700,"basis":"added"},"city_tax":300}"#)
                .unwrap();
        assert_eq!(parsed.vat.unwrap().basis, VatBasis::Added);
        assert!(serde_json::from_str::<TaxRules>(r#"{"vat":{"rate_bp":70000}}"#).is_err());
        assert!(serde_json::from_str::<TaxRules>(r#"{"vta":{}}"#).is_err());
        assert_eq!(NightAuditTime::default().time().to_string(), "02:00:00");
        assert_eq!(
            String::from(NightAuditTime::parse("23:30").unwrap()),
            "23:30"
        );
        for bad in ["2:00", "24:00", "02:00:00", "0200", ""] {
            assert!(NightAuditTime::parse(bad).is_err(), "{bad}");
        }
    }
}
