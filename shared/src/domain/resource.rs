//! What a vendor sells: room types (by the night) or table types (by the time slot).
use super::Invalid;
use super::calendar::{CheckInTime, SlotGrid};
use super::deposit::{CancellationPolicy, DepositPolicy};
use super::ids::{ResourceId, VendorId};
use super::inventory::OverbookingAllowance;
use super::money::Money;
use super::pricing::{PricePlan, PriceRule};
use super::text::{Description, Title};
use super::vendor::VendorKind;
use super::window::BookingWindow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    RoomType,
    TableType,
}

impl From<VendorKind> for ResourceKind {
    fn from(kind: VendorKind) -> Self {
        match kind {
            VendorKind::Hotel => Self::RoomType,
            VendorKind::Restaurant => Self::TableType,
        }
    }
}

/// How many guests one unit (room or table) seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Capacity(u16);

impl Capacity {
    pub const MAX: u16 = 100;

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
}

/// How many identical rooms or tables of one type the vendor has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCount(u32);

impl UnitCount {
    pub const MAX: u32 = 100_000;

    pub fn new(units: i64) -> Result<Self, Invalid> {
        u32::try_from(units)
            .ok()
            .filter(|u| *u <= Self::MAX)
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 0 and {}", Self::MAX)))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// How many items each bucket's counter is split into: one item takes about 500 holds a second,
/// so a type expected to sell faster on one night spreads its holds over several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShardCount(u8);

impl ShardCount {
    pub const MAX: u8 = 16;

    pub fn new(shards: i64) -> Result<Self, Invalid> {
        u8::try_from(shards)
            .ok()
            .filter(|s| (1..=Self::MAX).contains(s))
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be between 1 and {}", Self::MAX)))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for ShardCount {
    fn default() -> Self {
        Self(1)
    }
}

/// A room type or table type (the notes' `vendor_seat`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub vendor_id: VendorId,
    pub kind: ResourceKind,
    pub name: Title,
    pub description: Description,
    pub capacity: Capacity,
    pub units: UnitCount,
    /// Counter items per bucket; never lowered (a removed shard's sales would go uncounted).
    #[serde(default)]
    pub shards: ShardCount,
    /// How many of its registered rooms or tables are in service, once any are registered:
    /// `units` then always equals it, moved in the same transaction as every unit change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_in_service: Option<u32>,
    pub base_price: Money,
    #[serde(default)]
    pub amenities: Vec<String>,
    /// Seasons and weekends: the last rule that covers a date sets its price.
    #[serde(default)]
    pub price_rules: Vec<PriceRule>,
    #[serde(default)]
    pub overbooking_percent: OverbookingAllowance,
    #[serde(default)]
    pub booking_window: BookingWindow,
    /// Room types: when guests arrive on their first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in_time: Option<CheckInTime>,
    /// Table types: the slot grid and how long a seating occupies a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seating: Option<SlotGrid>,
    /// What a guest pays when booking (copied onto each booking when it is held).
    #[serde(default)]
    pub deposit: DepositPolicy,
    /// What cancelling costs (copied onto each booking when it is held).
    #[serde(default)]
    pub cancellation: CancellationPolicy,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Resource {
    /// Base price and rules together. The rules were validated against the base when stored.
    pub fn price_plan(&self) -> PricePlan {
        PricePlan::new(self.base_price, self.price_rules.clone())
            .unwrap_or_else(|_| PricePlan::flat(self.base_price))
    }

    /// How many units each bucket may sell, overbooking included.
    pub fn sellable_limit(&self) -> u32 {
        self.overbooking_percent.sellable_limit(self.units)
    }

    pub fn check_in(&self) -> CheckInTime {
        self.check_in_time.unwrap_or_default()
    }

    /// The grid of a table type (30-minute slots, 90-minute seatings unless set).
    pub fn seating_grid(&self) -> SlotGrid {
        self.seating.unwrap_or_else(SlotGrid::restaurant_default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_and_units_are_bounded() {
        assert_eq!(Capacity::new(4).unwrap().get(), 4);
        assert!(Capacity::new(0).is_err());
        assert!(Capacity::new(101).is_err());
        assert!(Capacity::new(-3).is_err());
        assert_eq!(UnitCount::new(0).unwrap().get(), 0);
        assert!(UnitCount::new(100_001).is_err());
        assert_eq!(ShardCount::new(16).unwrap().get(), 16);
        assert!(ShardCount::new(0).is_err());
        assert!(ShardCount::new(17).is_err());
        assert_eq!(ShardCount::default().get(), 1);
    }
}
