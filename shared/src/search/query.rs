//! A validated search, and what it asks the index for (its order and filters).
use super::cursor::Position;
use super::{Area, Filters, Order};
use crate::domain::booking::BookingTime;
use crate::domain::party::PartySize;
use crate::domain::vendor::VendorKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    Distance,
    Price,
    /// Best average first; vendors nobody has reviewed yet last.
    Rating,
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub area: Area,
    /// Nights (hotels) or a seating (restaurants), in each vendor's own time zone.
    pub when: BookingTime,
    pub party: PartySize,
    pub facilities: Vec<String>,
    pub cuisines: Vec<String>,
    /// The room or table type must have all of these.
    pub amenities: Vec<String>,
    /// Words of the vendor's name (`name_words`), each the start of one of its words.
    pub name: Vec<String>,
    pub sort: SortBy,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl SearchQuery {
    pub fn kind(&self) -> VendorKind {
        match self.when {
            BookingTime::Stay { .. } => VendorKind::Hotel,
            BookingTime::Seating { .. } => VendorKind::Restaurant,
        }
    }

    /// The order the index is asked for: that of the sort where an index can keep it.
    pub(super) fn order(&self, after: Option<Position>) -> Order {
        match (self.sort, &self.area) {
            (SortBy::Price, _) => Order::Price {
                party: self.party.get(),
            },
            (SortBy::Distance, Area::Near { point, .. }) => Order::Distance {
                from: *point,
                beyond_km: after.map_or(0.0, |a| a.value),
            },
            _ => Order::Unordered,
        }
    }

    /// The least sort value a candidate at or above an index's floor can have.
    pub(super) fn lowest_after(&self, floor: f64) -> f64 {
        match (self.sort, self.when) {
            // A stay pays each night at least the floor, a seating once.
            (
                SortBy::Price,
                BookingTime::Stay {
                    check_in,
                    check_out,
                },
            ) => floor * (check_out - check_in).num_days().max(1) as f64,
            _ => floor,
        }
    }

    pub(super) fn filters(&self) -> Filters {
        Filters {
            kind: self.kind(),
            facilities: self.facilities.clone(),
            cuisines: self.cuisines.clone(),
            name: self.name.clone(),
        }
    }

    /// Identifies the search a cursor belongs to (everything but the page).
    pub(super) fn fingerprint(&self) -> String {
        let area = match &self.area {
            Area::City { city_key } => format!("city:{city_key}"),
            Area::Near { point, radius_km } => {
                format!("near:{},{},{radius_km}", point.lat, point.lon)
            }
        };
        let text = format!(
            "{area}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.when,
            self.party.get(),
            self.facilities,
            self.cuisines,
            self.amenities,
            self.name,
            self.sort
        );
        Sha256::digest(text.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
