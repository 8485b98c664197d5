//! Rooms and tables as clients send and read them.
use crate::domain::FieldErrors;
use crate::domain::ids::{ResourceId, UnitId, VendorId};
use crate::domain::resource::Capacity;
use crate::domain::unit::{Area, Floor, Housekeeping, Unit, UnitNumber, features};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A unit's fields; on create `resource_id` and `number` are required, on update only what is
/// sent changes (`null` clears `floor`, `seats`, `area`, `housekeeper`... by leaving them out of
/// a full replacement: an update sends the whole unit).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub resource_id: Option<String>,
    pub number: Option<String>,
    pub floor: Option<i64>,
    pub features: Option<Vec<String>>,
    pub seats: Option<i64>,
    pub area: Option<String>,
    pub in_service: Option<bool>,
    pub housekeeping: Option<Housekeeping>,
    pub housekeeper: Option<String>,
}

impl UnitInput {
    /// A new unit of `vendor`, or every field error.
    pub fn into_new(self, vendor: VendorId, now: DateTime<Utc>) -> Result<Unit, FieldErrors> {
        let mut errors = FieldErrors::default();
        let resource = errors.require("/resource_id", self.resource_id.clone(), |v| {
            ResourceId::parse(&v)
        });
        let number = errors.require("/number", self.number.clone(), |v| UnitNumber::parse(&v));
        let rest = self.optional(&mut errors);
        let (Some(resource_id), Some(number), Some(rest)) = (resource, number, rest) else {
            return Err(errors);
        };
        errors.finish()?;
        Ok(Unit {
            id: UnitId::generate(),
            vendor_id: vendor,
            resource_id,
            number,
            floor: rest.floor,
            features: rest.features,
            seats: rest.seats,
            area: rest.area,
            in_service: self.in_service.unwrap_or(true),
            housekeeping: self.housekeeping.unwrap_or(Housekeeping::Clean),
            housekeeper: rest.housekeeper,
            housekeeping_reports: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// `before` with this unit's fields: a full replacement of what may change. The type of a
    /// unit never changes (`/resource_id`).
    pub fn replacing(self, before: &Unit) -> Result<Unit, FieldErrors> {
        let mut errors = FieldErrors::default();
        if let Some(raw) = &self.resource_id
            && ResourceId::parse(raw).ok() != Some(before.resource_id)
        {
            errors.push(
                "/resource_id",
                "a unit keeps its type: register a new unit instead",
            );
        }
        let number = errors.require("/number", self.number.clone(), |v| UnitNumber::parse(&v));
        let rest = self.optional(&mut errors);
        let (Some(number), Some(rest)) = (number, rest) else {
            return Err(errors);
        };
        errors.finish()?;
        Ok(Unit {
            number,
            floor: rest.floor,
            features: rest.features,
            seats: rest.seats,
            area: rest.area,
            in_service: self.in_service.unwrap_or(before.in_service),
            housekeeping: self.housekeeping.unwrap_or(before.housekeeping),
            housekeeper: rest.housekeeper,
            ..before.clone()
        })
    }

    fn optional(&self, errors: &mut FieldErrors) -> Option<Optional> {
        let floor = errors.check_opt("/floor", self.floor, Floor::new);
        let features = errors.check_opt("/features", self.features.as_deref(), features);
        let seats = errors.check_opt("/seats", self.seats, Capacity::new);
        let area = errors.check_opt("/area", self.area.as_deref(), Area::parse);
        let housekeeper = errors.check_opt("/housekeeper", self.housekeeper.as_deref(), |v| {
            crate::domain::ids::StaffId::parse(v)
        });
        if !errors.is_empty() {
            return None;
        }
        Some(Optional {
            floor: floor.flatten(),
            features: features.flatten().unwrap_or_default(),
            seats: seats.flatten(),
            area: area.flatten(),
            housekeeper: housekeeper.flatten(),
        })
    }
}

struct Optional {
    floor: Option<Floor>,
    features: Vec<String>,
    seats: Option<Capacity>,
    area: Option<Area>,
    housekeeper: Option<crate::domain::ids::StaffId>,
}

/// A unit as the board and housekeeping read it on one date: never who is in it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    #[serde(flatten)]
    pub unit: Unit,
    /// `out_of_order` when a block covers the date, else what housekeeping reported.
    pub status: &'static str,
    /// A booking is put in it for the date.
    pub occupied: bool,
    /// The block that puts it out of order on the date, so it can be ended ("back in order").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_id: Option<crate::domain::ids::BlockId>,
}
