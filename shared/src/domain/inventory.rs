//! How many units of one bucket may be sold: the unit count plus a capped overbooking allowance.
use super::Invalid;
use super::resource::UnitCount;
use serde::{Deserialize, Serialize};

/// The share of extra bookings a vendor takes on top of its units, betting on no-shows, in whole
/// percent. Capped so a typo cannot sell a room three times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OverbookingAllowance(u8);

impl OverbookingAllowance {
    pub const MAX_PERCENT: u8 = 50;

    pub fn new(percent: i64) -> Result<Self, Invalid> {
        u8::try_from(percent)
            .ok()
            .filter(|p| *p <= Self::MAX_PERCENT)
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 0 and {}", Self::MAX_PERCENT)))
    }

    pub fn percent(self) -> u8 {
        self.0
    }

    /// How many units of one bucket may be sold: `floor(units × (100 + percent) / 100)`, so an
    /// allowance smaller than one whole unit adds nothing.
    pub fn sellable_limit(self, units: UnitCount) -> u32 {
        let limit = u64::from(units.get()) * (100 + u64::from(self.0)) / 100;
        u32::try_from(limit).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(n: i64) -> UnitCount {
        UnitCount::new(n).unwrap()
    }

    #[test]
    fn ten_percent_on_ten_units_sells_eleven() {
        let ten_percent = OverbookingAllowance::new(10).unwrap();

        assert_eq!(ten_percent.sellable_limit(units(10)), 11);
    }

    #[test]
    fn an_allowance_under_one_whole_unit_sells_nothing_extra() {
        let ten_percent = OverbookingAllowance::new(10).unwrap();

        assert_eq!(ten_percent.sellable_limit(units(7)), 7);
        assert_eq!(ten_percent.sellable_limit(units(19)), 20);
    }

    #[test]
    fn without_an_allowance_exactly_the_units_are_sold() {
        let none = OverbookingAllowance::default();

        assert_eq!(none.percent(), 0);
        assert_eq!(none.sellable_limit(units(10)), 10);
        assert_eq!(none.sellable_limit(units(0)), 0);
        assert_eq!(
            OverbookingAllowance::new(50)
                .unwrap()
                .sellable_limit(units(0)),
            0
        );
    }

    #[test]
    fn the_largest_allowance_on_the_largest_resource_does_not_overflow() {
        let half = OverbookingAllowance::new(50).unwrap();

        assert_eq!(half.sellable_limit(units(UnitCount::MAX.into())), 150_000);
    }

    #[test]
    fn allowances_are_zero_to_fifty_percent() {
        assert!(OverbookingAllowance::new(0).is_ok());
        assert!(OverbookingAllowance::new(50).is_ok());
        assert_eq!(
            OverbookingAllowance::new(51).unwrap_err().0,
            "must be between 0 and 50"
        );
        assert!(OverbookingAllowance::new(-1).is_err());
    }
}
