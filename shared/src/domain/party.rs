//! How many guests come, and which room type or table type seats them.
use super::Invalid;
use super::resource::{Capacity, Resource};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The number of guests in one booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartySize(u16);

impl PartySize {
    pub const MAX: u16 = 50;

    pub fn new(guests: i64) -> Result<Self, Invalid> {
        u16::try_from(guests)
            .ok()
            .filter(|g| (1..=Self::MAX).contains(g))
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 1 and {}", Self::MAX)))
    }

    pub fn get(self) -> u16 {
        self.0
    }

    pub fn fits(self, capacity: Capacity) -> bool {
        self.0 <= capacity.get()
    }
}

impl fmt::Display for PartySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// No resource type of the vendor seats the party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nothing seats a party of {party}{}", largest_note(.largest))]
pub struct NoResourceFits {
    pub party: PartySize,
    /// The largest capacity on offer, so the guest can split the party; `None` if nothing is.
    pub largest: Option<Capacity>,
}

fn largest_note(largest: &Option<Capacity>) -> String {
    match largest {
        Some(capacity) => format!(" (the largest seats {})", capacity.get()),
        None => " (there is nothing to book)".to_owned(),
    }
}

/// The resource types that seat the party, best first: the smallest capacity, then the lower
/// base price, then the lower id. A caller whose first choice is sold out tries the next.
pub fn fitting_resources(party: PartySize, resources: &[Resource]) -> Vec<&Resource> {
    let mut fitting: Vec<&Resource> = resources
        .iter()
        .filter(|resource| party.fits(resource.capacity))
        .collect();
    fitting.sort_by_key(|resource| {
        (
            resource.capacity,
            resource.base_price.amount_minor,
            resource.id,
        )
    });
    fitting
}

/// The resource type a party gets when the guest does not pick one.
pub fn smallest_fit(party: PartySize, resources: &[Resource]) -> Result<&Resource, NoResourceFits> {
    fitting_resources(party, resources)
        .into_iter()
        .next()
        .ok_or_else(|| NoResourceFits {
            party,
            largest: resources.iter().map(|resource| resource.capacity).max(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ResourceId, VendorId};
    use crate::domain::money::Money;
    use crate::domain::resource::{ResourceKind, UnitCount};
    use crate::domain::text::{Description, Title};
    use chrono::Utc;

    fn table(id: &str, seats: i64, price_minor: i64) -> Resource {
        Resource {
            id: ResourceId::parse(id).unwrap(),
            vendor_id: VendorId::parse("0190f0e0-0000-7000-8000-000000000000").unwrap(),
            kind: ResourceKind::TableType,
            name: Title::parse(&format!("Table for {seats}")).unwrap(),
            description: Description::empty(),
            capacity: Capacity::new(seats).unwrap(),
            units: UnitCount::new(5).unwrap(),
            shards: Default::default(),
            units_in_service: None,
            base_price: Money::price(price_minor, "EUR").unwrap(),
            amenities: vec![],
            price_rules: vec![],
            overbooking_percent: Default::default(),
            booking_window: Default::default(),
            check_in_time: None,
            seating: None,
            deposit: Default::default(),
            cancellation: Default::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    const A: &str = "0190f0e0-0000-7000-8000-00000000000a";
    const B: &str = "0190f0e0-0000-7000-8000-00000000000b";
    const C: &str = "0190f0e0-0000-7000-8000-00000000000c";
    const D: &str = "0190f0e0-0000-7000-8000-00000000000d";

    #[test]
    fn party_sizes_are_one_to_fifty() {
        assert_eq!(PartySize::new(1).unwrap().get(), 1);
        assert_eq!(PartySize::new(50).unwrap().get(), 50);
        assert_eq!(PartySize::new(0).unwrap_err().0, "must be between 1 and 50");
        assert!(PartySize::new(51).is_err());
        assert!(PartySize::new(-2).is_err());
        assert!(PartySize::new(i64::MAX).is_err());
    }

    #[test]
    fn a_party_gets_the_smallest_table_that_seats_it() {
        let tables = [table(A, 8, 0), table(B, 2, 0), table(C, 4, 0)];

        let three = PartySize::new(3).unwrap();
        let four = PartySize::new(4).unwrap();
        let five = PartySize::new(5).unwrap();

        assert_eq!(smallest_fit(three, &tables).unwrap().id, tables[2].id);
        assert_eq!(smallest_fit(four, &tables).unwrap().id, tables[2].id);
        assert_eq!(smallest_fit(five, &tables).unwrap().id, tables[0].id);
    }

    #[test]
    fn among_equal_capacities_the_cheaper_then_the_lower_id_wins() {
        let tables = [
            table(D, 4, 5_000),
            table(C, 4, 3_000),
            table(B, 4, 3_000),
            table(A, 6, 1_000),
        ];

        let ranked: Vec<ResourceId> = fitting_resources(PartySize::new(4).unwrap(), &tables)
            .iter()
            .map(|resource| resource.id)
            .collect();

        assert_eq!(
            ranked,
            [tables[2].id, tables[1].id, tables[0].id, tables[3].id]
        );
    }

    #[test]
    fn a_party_too_large_for_every_table_says_what_the_largest_seats() {
        let tables = [table(A, 2, 0), table(B, 6, 0)];

        let error = smallest_fit(PartySize::new(7).unwrap(), &tables).unwrap_err();

        assert_eq!(error.largest, Some(Capacity::new(6).unwrap()));
        assert_eq!(
            error.to_string(),
            "nothing seats a party of 7 (the largest seats 6)"
        );
        let nothing = smallest_fit(PartySize::new(1).unwrap(), &[]).unwrap_err();
        assert_eq!(nothing.largest, None);
    }
}
