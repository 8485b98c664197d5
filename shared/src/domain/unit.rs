//! Physical rooms and tables: the units a room or table type sells, what state housekeeping
//! left them in, and the periods they are out of order.
use super::Invalid;
use super::idempotency::IdempotencyKey;
use super::ids::{BlockId, BookingId, ResourceId, StaffId, UnitId, VendorId};
use super::resource::Capacity;
use super::text::{bounded, tags};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What is written on the door or the table: `214`, `T7`, `Terrace-2`. Unique per vendor,
/// compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitNumber(String);

impl UnitNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = bounded(raw, 1, 16)?;
        if !value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '/'))
        {
            return Err(Invalid::new(
                "may contain only letters, digits, '-', '.' and '/'",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two numbers are compared in (`t7` is `T7`).
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for UnitNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hotel floor: basements are negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Floor(i16);

impl Floor {
    pub fn new(raw: i64) -> Result<Self, Invalid> {
        i16::try_from(raw)
            .ok()
            .filter(|f| (-10..=300).contains(f))
            .map(Self)
            .ok_or_else(|| Invalid::new("must be between -10 and 300"))
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

/// Where a table stands: `terrace`, `window`, `bar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Area(String);

impl Area {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded(raw, 1, 40).map(Self)
    }
}

/// Room features (`sea-view`, `accessible`, `balcony`): short lowercase tags.
pub fn features(raw: &[String]) -> Result<Vec<String>, Invalid> {
    tags(raw, 20)
}

/// What housekeeping last reported. Out of order is not a status here but a `Block` over dates,
/// because only a block can take a unit out of the inventory the counters sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Housekeeping {
    Clean,
    Dirty,
    /// Cleaned and checked by a supervisor: the best a guest can be given.
    Inspected,
}

impl Housekeeping {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Dirty => "dirty",
            Self::Inspected => "inspected",
        }
    }

    /// Whether a guest may be put in it now.
    pub fn ready(self) -> bool {
        matches!(self, Self::Clean | Self::Inspected)
    }
}

/// One physical room or table of one room or table type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub number: UnitNumber,
    /// Rooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Floor>,
    #[serde(default)]
    pub features: Vec<String>,
    /// Tables: how many it seats (a room seats its type's capacity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<Capacity>,
    /// Tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    /// Whether it is sold at all: the type's `units` counts the units in service.
    pub in_service: bool,
    pub housekeeping: Housekeeping,
    /// The housekeeper it is given to, whose device may open it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub housekeeper: Option<StaffId>,
    /// The latest reports sent with an `Idempotency-Key`, newest last, so one sent again is
    /// recognised even after later reports changed the status. Stored with the unit (by the
    /// store), never shown.
    #[serde(default, skip_serializing)]
    pub housekeeping_reports: Vec<HousekeepingReport>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl Unit {
    /// Whether a party of `party` fits: a table by its seats, a room by its type's capacity.
    pub fn seats_party(&self, type_capacity: Capacity, party: u16) -> bool {
        self.seats.unwrap_or(type_capacity).get() >= party
    }

    /// The report made with `key`, if it is among the latest kept.
    pub fn report_with(&self, key: &IdempotencyKey) -> Option<&HousekeepingReport> {
        self.housekeeping_reports.iter().find(|r| &r.key == key)
    }

    /// Keeps `report`'s key, forgetting those made before `since` and the oldest beyond
    /// `KEPT_REPORTS`, so the unit stays small however often it is reported.
    pub fn remember_report(&mut self, report: HousekeepingReport, since: DateTime<Utc>) {
        self.housekeeping_reports.retain(|r| r.at >= since);
        self.housekeeping_reports.push(report);
        let over = self.housekeeping_reports.len().saturating_sub(KEPT_REPORTS);
        self.housekeeping_reports.drain(..over);
    }
}

/// How many keyed housekeeping reports a unit remembers: more than a desk queues for one room
/// while it is offline.
pub const KEPT_REPORTS: usize = 20;

/// A housekeeping report sent with an `Idempotency-Key`: the key, what it reported and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HousekeepingReport {
    pub key: IdempotencyKey,
    pub status: Housekeeping,
    pub at: DateTime<Utc>,
}

/// The unit a booking is put in, as the booking carries it (so an archived booking still says
/// which room it had).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitAssignment {
    pub unit_id: UnitId,
    pub number: UnitNumber,
}

/// How a guest was checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInMethod {
    Desk,
    /// The guest themself, on their phone.
    Mobile,
    Kiosk,
    /// A face-recognition system, through its integration.
    Face,
}

/// Who checked a guest in, when and how, and whether staff saw an identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInRecord {
    pub at: DateTime<Utc>,
    pub method: CheckInMethod,
    /// `guest:<id>`, `staff:<id>` or `system`.
    pub by: String,
    /// The member of staff who checked the guest's identity document, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_checked_by: Option<String>,
    /// Staff let the guest in before the type's check-in time or arrival day.
    #[serde(default)]
    pub early: bool,
    /// The `Idempotency-Key` of the request that checked the guest in, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<IdempotencyKey>,
    /// The `Idempotency-Key` of the request that checked the guest out, if it sent one: the
    /// check-out closes the stay this record opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_out_key: Option<IdempotencyKey>,
}

/// Who occupies a unit in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Occupant {
    Booking(BookingId),
    Block(BlockId),
}

impl Occupant {
    pub fn key(self) -> String {
        match self {
            Self::Booking(id) => format!("booking:{id}"),
            Self::Block(id) => format!("block:{id}"),
        }
    }

    pub fn parse_key(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("must be booking:<id> or block:<id>");
        let (kind, id) = raw.split_once(':').ok_or_else(invalid)?;
        match kind {
            "booking" => BookingId::parse(id).map(Self::Booking),
            "block" => BlockId::parse(id).map(Self::Block),
            _ => Err(invalid()),
        }
    }
}

/// A period a unit is out of order (repairs, deep cleaning): its nights are taken from the type's
/// counters like a booking's, so an out-of-order room can never be sold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub id: BlockId,
    pub vendor_id: VendorId,
    pub unit_id: UnitId,
    pub resource_id: ResourceId,
    /// The first night (or day, for a table) out of order.
    pub from: NaiveDate,
    /// The first night back in order.
    pub to: NaiveDate,
    /// The nights or slots it takes from the type's counters.
    #[serde(default)]
    pub buckets: Vec<super::calendar::Bucket>,
    pub reason: String,
    /// `staff:<id>`.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When the unit was put back in order; a removed block is kept, as history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// 1 when taken, 2 once removed.
    pub version: u64,
}

/// The most days one block may cover: with one counter and one occupancy item per night, a
/// block is one transaction of at most 100 items. Longer: take the unit out of service.
pub const MAX_BLOCK_DAYS: i64 = 45;

/// A block's dates, checked: `from < to`, at most `MAX_BLOCK_DAYS`.
pub fn block_dates(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let days = (to - from).num_days();
    if days < 1 {
        return Err(Invalid::new("must be after from"));
    }
    if days > MAX_BLOCK_DAYS {
        return Err(Invalid::new(format!(
            "a block covers at most {MAX_BLOCK_DAYS} days; take the unit out of service instead"
        )));
    }
    Ok((from, to))
}

/// A block's reason: short free text for the desk (no guest data belongs here).
pub fn block_reason(raw: &str) -> Result<String, Invalid> {
    bounded(raw, 1, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_numbers_are_short_door_labels_compared_without_case() {
        assert_eq!(UnitNumber::parse(" 214 ").unwrap().as_str(), "214");
        assert_eq!(UnitNumber::parse("T7").unwrap().canonical(), "t7");
        assert!(UnitNumber::parse("").is_err());
        assert!(UnitNumber::parse("room 214").is_err());
        assert!(UnitNumber::parse(&"1".repeat(17)).is_err());
    }

    #[test]
    fn floors_and_block_dates_are_bounded() {
        assert!(Floor::new(-2).is_ok());
        assert!(Floor::new(301).is_err());
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert!(block_dates(day, day).is_err());
        assert!(block_dates(day, day + chrono::Duration::days(MAX_BLOCK_DAYS)).is_ok());
        assert!(block_dates(day, day + chrono::Duration::days(MAX_BLOCK_DAYS + 1)).is_err());
    }

    #[test]
    fn occupants_round_trip_through_their_keys() {
        for occupant in [
            Occupant::Booking(BookingId::generate()),
            Occupant::Block(BlockId::generate()),
        ] {
            assert_eq!(Occupant::parse_key(&occupant.key()).unwrap(), occupant);
        }
        assert!(Occupant::parse_key("guest:1").is_err());
    }

    #[test]
    fn a_unit_remembers_its_latest_keyed_reports_within_the_window() {
        let start: DateTime<Utc> = "2027-03-01T08:00:00Z".parse().unwrap();
        let key = |n: usize| IdempotencyKey::parse(&format!("key-{n}")).unwrap();
        let mut unit: Unit = serde_json::from_value(serde_json::json!({
            "id": UnitId::generate(), "vendor_id": VendorId::generate(),
            "resource_id": ResourceId::generate(), "number": "101", "in_service": true,
            "housekeeping": "dirty", "created_at": start, "updated_at": start, "version": 1
        }))
        .unwrap();
        for n in 0..KEPT_REPORTS + 3 {
            let at = start + chrono::Duration::minutes(n as i64);
            let report = HousekeepingReport {
                key: key(n),
                status: Housekeeping::Clean,
                at,
            };
            unit.remember_report(report, start);
        }
        assert_eq!(unit.housekeeping_reports.len(), KEPT_REPORTS);
        assert!(
            unit.report_with(&key(2)).is_none(),
            "the oldest are forgotten"
        );
        assert!(unit.report_with(&key(3)).is_some());
        let late = start + chrono::Duration::hours(30);
        let report = HousekeepingReport {
            key: key(99),
            status: Housekeeping::Dirty,
            at: late,
        };
        unit.remember_report(report, late - chrono::Duration::hours(24));
        assert_eq!(unit.housekeeping_reports.len(), 1, "older than the window");
        let shown = serde_json::to_value(&unit).unwrap();
        assert!(shown.get("housekeeping_reports").is_none(), "{shown}");
    }

    #[test]
    fn only_clean_or_inspected_units_take_a_guest() {
        assert!(Housekeeping::Inspected.ready());
        assert!(Housekeeping::Clean.ready());
        assert!(!Housekeeping::Dirty.ready());
    }
}
