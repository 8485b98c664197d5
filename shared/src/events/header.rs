//! What every fact carries whatever it is about: its schema, its id, and which committed version
//! of its aggregate it reports, when.
use crate::domain::ids::{BlockId, BookingId, ResourceId, UnitId, VendorId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use uuid::Uuid;

/// The shape of a detail. Adding a field keeps it; anything that could break a consumer (a
/// removed, renamed or retyped field) bumps it, and this code reads only the one it was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchemaVersion;

impl SchemaVersion {
    pub const CURRENT: u32 = 1;
}

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(Self::CURRENT)
    }
}

impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = u32::deserialize(deserializer)?;
        if version == Self::CURRENT {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(format!(
                "schema_version {version} is not supported (this code reads {})",
                Self::CURRENT
            )))
        }
    }
}

/// Names one fact: derived from the aggregate and its version, so the same committed change,
/// published twice (a retried stream batch), carries the same id and consumers can drop the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

impl EventId {
    pub(super) const NAMESPACE: Uuid = Uuid::from_u128(0x3d5e_91a7_c04b_4f6e_8a2d_7b19_e6f0_4c58);

    fn of(aggregate: &str, id: impl fmt::Display, version: u64) -> Self {
        Self(Uuid::new_v5(
            &Self::NAMESPACE,
            format!("{aggregate}#{id}#{version}").as_bytes(),
        ))
    }

    pub fn for_booking(id: BookingId, version: u64) -> Self {
        Self::of("booking", id, version)
    }

    pub fn for_vendor(id: VendorId, version: u64) -> Self {
        Self::of("vendor", id, version)
    }

    pub fn for_resource(id: ResourceId, version: u64) -> Self {
        Self::of("resource", id, version)
    }

    pub fn for_rating(vendor: VendorId, version: u64) -> Self {
        Self::of("rating", vendor, version)
    }

    pub fn for_unit(id: UnitId, version: u64) -> Self {
        Self::of("unit", id, version)
    }

    pub fn for_block(id: BlockId, version: u64) -> Self {
        Self::of("block", id, version)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The fields every detail carries, at the top level of its JSON beside the detail's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactHeader {
    pub schema_version: SchemaVersion,
    pub event_id: EventId,
    /// The aggregate's version after the change.
    pub version: u64,
    /// When the change was committed (the aggregate's `updated_at`).
    pub occurred_at: DateTime<Utc>,
    /// When version `version - 1` was committed; `None` for the aggregate's first version.
    pub previous_version_at: Option<DateTime<Utc>>,
}

impl FactHeader {
    /// The header of `version`, committed at `occurred_at` after the version committed at
    /// `previous_version_at`.
    pub(super) fn new(
        event_id: EventId,
        version: u64,
        occurred_at: DateTime<Utc>,
        previous_version_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            schema_version: SchemaVersion,
            event_id,
            version,
            occurred_at,
            previous_version_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_different_aggregates_never_collide_even_on_the_same_uuid_and_version() {
        let raw = "0195a1b2-0000-7000-8000-0000000000a1";

        let ids = [
            EventId::for_booking(BookingId::parse(raw).unwrap(), 1),
            EventId::for_vendor(VendorId::parse(raw).unwrap(), 1),
            EventId::for_resource(ResourceId::parse(raw).unwrap(), 1),
            EventId::for_rating(VendorId::parse(raw).unwrap(), 1),
        ];

        let distinct: std::collections::HashSet<&EventId> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
