//! Facts about a vendor and what it sells: its profile, its room and table types, and its
//! rating.
use super::{EventId, FactHeader, VENDORS_SOURCE};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BlockId, ResourceId, UnitId, VendorId};
use crate::domain::inventory::OverbookingAllowance;
use crate::domain::money::{Currency, Money};
use crate::domain::resource::{Capacity, Resource, ResourceKind, UnitCount};
use crate::domain::review::Rating;
use crate::domain::text::{AddressLine, Title};
use crate::domain::unit::{Block, Housekeeping, Unit, UnitNumber};
use crate::domain::vendor::{CountryCode, GeoPoint, TimeZone, Vendor, VendorKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A vendor as search needs it to find and show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub vendor_id: VendorId,
    pub kind: VendorKind,
    pub name: Title,
    /// `<country>#<lowercased city>`, the key search and the city index group vendors by.
    pub city_key: String,
    pub city: AddressLine,
    pub country: CountryCode,
    pub location: GeoPoint,
    pub time_zone: TimeZone,
    pub currency: Currency,
    pub facilities: Vec<String>,
    pub cuisines: Vec<String>,
}

impl VendorDetail {
    fn of(vendor: &Vendor, previous: Option<&Vendor>) -> Self {
        Self {
            header: FactHeader::new(
                EventId::for_vendor(vendor.id, vendor.version),
                vendor.version,
                vendor.updated_at,
                previous.map(|v| v.updated_at),
            ),
            vendor_id: vendor.id,
            kind: vendor.kind,
            name: vendor.name.clone(),
            city_key: vendor.address.city_key(),
            city: vendor.address.city.clone(),
            country: vendor.address.country.clone(),
            location: vendor.location,
            time_zone: vendor.time_zone,
            currency: vendor.currency,
            facilities: vendor.facilities.clone(),
            cuisines: vendor.cuisines.clone(),
        }
    }
}

/// A room type or table type as search and availability need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub resource_id: ResourceId,
    pub vendor_id: VendorId,
    pub kind: ResourceKind,
    pub name: Title,
    /// Guests one unit seats.
    pub capacity: Capacity,
    pub units: UnitCount,
    pub base_price: Money,
    pub overbooking_percent: OverbookingAllowance,
    /// Units each night or slot may sell, overbooking included.
    pub sellable_limit: u32,
}

impl ResourceDetail {
    fn of(resource: &Resource, previous: Option<&Resource>) -> Self {
        Self {
            header: FactHeader::new(
                EventId::for_resource(resource.id, resource.version),
                resource.version,
                resource.updated_at,
                previous.map(|r| r.updated_at),
            ),
            resource_id: resource.id,
            vendor_id: resource.vendor_id,
            kind: resource.kind,
            name: resource.name.clone(),
            capacity: resource.capacity,
            units: resource.units,
            base_price: resource.base_price,
            overbooking_percent: resource.overbooking_percent,
            sellable_limit: resource.sellable_limit(),
        }
    }
}

/// A vendor's rating after a guest's review was counted. The rating is an aggregate of its own
/// (its versions are not the vendor profile's, and its `version` is how many reviews it counts),
/// so its ledger entries are `<vendor>#rating`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub vendor_id: VendorId,
    /// The average stars, to one decimal, as guests see it.
    pub average: f64,
    pub count: u64,
    /// Every review's stars added up, for an exact average.
    pub stars_total: u64,
}

impl RatingDetail {
    fn of(rating: &Rating, previous: Option<&Rating>) -> Option<Self> {
        let summary = rating.summary()?;
        Some(Self {
            header: FactHeader::new(
                EventId::for_rating(rating.vendor_id, rating.version),
                rating.version,
                rating.updated_at,
                previous.map(|r| r.updated_at),
            ),
            vendor_id: rating.vendor_id,
            average: summary.average,
            count: summary.count,
            stars_total: rating.stars_total,
        })
    }

    /// The aggregate the fact is about, as the ledger and the logs know it.
    pub fn aggregate_id(&self) -> String {
        format!("{}#rating", self.vendor_id)
    }
}

/// A room or table as the board, housekeeping and search's availability need it: never who is
/// in it, nor a block's free-text reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub unit_id: UnitId,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub number: UnitNumber,
    pub in_service: bool,
    pub housekeeping: Housekeeping,
}

impl UnitDetail {
    fn of(unit: &Unit, previous: Option<&Unit>) -> Self {
        Self {
            header: FactHeader::new(
                EventId::for_unit(unit.id, unit.version),
                unit.version,
                unit.updated_at,
                previous.map(|u| u.updated_at),
            ),
            unit_id: unit.id,
            vendor_id: unit.vendor_id,
            resource_id: unit.resource_id,
            number: unit.number.clone(),
            in_service: unit.in_service,
            housekeeping: unit.housekeeping,
        }
    }
}

/// A period a unit is out of order, taken (version 1) or removed (version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDetail {
    #[serde(flatten)]
    pub header: FactHeader,
    pub block_id: BlockId,
    pub vendor_id: VendorId,
    pub unit_id: UnitId,
    pub resource_id: ResourceId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub removed: bool,
    /// The nights or slots it takes from the type's counters (and gives back once removed).
    pub buckets: Vec<Bucket>,
}

impl BlockDetail {
    fn of(block: &Block, previous: Option<&Block>) -> Self {
        Self {
            header: FactHeader::new(
                EventId::for_block(block.id, block.version),
                block.version,
                block.updated_at,
                previous.map(|b| b.updated_at),
            ),
            block_id: block.id,
            vendor_id: block.vendor_id,
            unit_id: block.unit_id,
            resource_id: block.resource_id,
            from: block.from,
            to: block.to,
            removed: block.removed_at.is_some(),
            buckets: block.buckets.clone(),
        }
    }
}

super::fact_family! {
    /// One fact about a vendor or what it sells.
    #[derive(Debug, Clone, PartialEq)]
    pub enum VendorEvent from VENDORS_SOURCE {
        Onboarded(VendorDetail) = "VendorOnboarded",
        Updated(VendorDetail) = "VendorUpdated",
        /// A room type or table type was added or changed.
        ResourceChanged(ResourceDetail) = "ResourceChanged",
        /// A guest's review changed the vendor's rating.
        Rated(RatingDetail) = "VendorRated",
        /// A room or table was registered or changed (number, service, housekeeping status).
        UnitChanged(UnitDetail) = "UnitChanged",
        /// A room or table was taken out of order for some dates, or put back.
        UnitBlockChanged(BlockDetail) = "UnitBlockChanged",
    }
}

/// The event a committed change of a vendor's profile means: `VendorOnboarded` when it is new,
/// `VendorUpdated` for every later version (contact details and descriptions are not in it;
/// stale pairs and deletes publish nothing).
pub fn vendor_event(old: Option<&Vendor>, new: Option<&Vendor>) -> Option<VendorEvent> {
    let new = new?;
    let Some(old) = old else {
        return Some(VendorEvent::Onboarded(VendorDetail::of(new, None)));
    };
    if old.id != new.id || new.version <= old.version {
        return None;
    }
    Some(VendorEvent::Updated(VendorDetail::of(new, Some(old))))
}

/// `new` and the version it follows, when the pair is one aggregate moving forward: not a
/// delete, not a stale pair, not two aggregates.
fn forward<'a, T, K: PartialEq>(
    old: Option<&'a T>,
    new: Option<&'a T>,
    id_and_version: impl Fn(&T) -> (K, u64),
) -> Option<(&'a T, Option<&'a T>)> {
    let new = new?;
    let (id, version) = id_and_version(new);
    match old {
        Some(old) => {
            let (old_id, old_version) = id_and_version(old);
            (old_id == id && version > old_version).then_some((new, Some(old)))
        }
        None => Some((new, None)),
    }
}

/// The event a committed change of a room type or table type means: `ResourceChanged` for every
/// version (price rules, amenities and descriptions are read from the resource itself when
/// needed; stale pairs and deletes publish nothing).
pub fn resource_event(old: Option<&Resource>, new: Option<&Resource>) -> Option<VendorEvent> {
    let (new, old) = forward(old, new, |x| (x.id, x.version))?;
    Some(VendorEvent::ResourceChanged(ResourceDetail::of(new, old)))
}

/// The event a committed change of a vendor's rating means: `VendorRated` for every version
/// (stale pairs, deletes and a rating that counts no review publish nothing).
pub fn rating_event(old: Option<&Rating>, new: Option<&Rating>) -> Option<VendorEvent> {
    let (new, old) = forward(old, new, |x| (x.vendor_id, x.version))?;
    RatingDetail::of(new, old).map(VendorEvent::Rated)
}

/// The event a committed change of a room or table means: `UnitChanged` for every version
/// (stale pairs and deletes publish nothing).
pub fn unit_event(old: Option<&Unit>, new: Option<&Unit>) -> Option<VendorEvent> {
    let (new, old) = forward(old, new, |x| (x.id, x.version))?;
    Some(VendorEvent::UnitChanged(UnitDetail::of(new, old)))
}

/// The event a committed change of an out-of-order block means: `UnitBlockChanged` when it is
/// taken and when it is removed.
pub fn block_event(old: Option<&Block>, new: Option<&Block>) -> Option<VendorEvent> {
    let (new, old) = forward(old, new, |x| (x.id, x.version))?;
    Some(VendorEvent::UnitBlockChanged(BlockDetail::of(new, old)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::Email;
    use crate::domain::text::Description;
    use crate::events::Event;
    use crate::events::fixtures::{rating, room_type, vendor};
    use chrono::Duration;

    #[test]
    fn a_new_vendor_is_onboarded_and_a_changed_listing_is_an_update() {
        let onboarded = vendor();
        let moved_city = {
            let mut v = onboarded.clone();
            v.version = 2;
            v.address.city = AddressLine::parse("Potsdam").unwrap();
            v
        };

        let first = vendor_event(None, Some(&onboarded)).unwrap();
        let second = vendor_event(Some(&onboarded), Some(&moved_city)).unwrap();

        assert_eq!(first.detail_type(), "VendorOnboarded");
        assert_eq!(first.source(), "reservations.vendors");
        assert_eq!(second.detail_type(), "VendorUpdated");
        let VendorEvent::Updated(detail) = second else {
            unreachable!()
        };
        assert_eq!(detail.city_key, "DE#potsdam");
        assert_eq!(detail.header.version, 2);
        assert_eq!(detail.header.event_id, EventId::for_vendor(onboarded.id, 2));
    }

    #[test]
    fn a_vendor_change_search_does_not_see_is_still_a_version_but_never_shows_contact_details() {
        let before = vendor();
        let mut after = before.clone();
        after.version = 2;
        after.updated_at += Duration::minutes(1);
        after.description = Description::parse("Now with breakfast.").unwrap();
        after.contact.email = Email::parse("front@spreeblick.example").unwrap();

        let event = Event::from(vendor_event(Some(&before), Some(&after)).unwrap());

        assert_eq!(event.detail_type(), "VendorUpdated");
        assert_eq!(event.version(), 2);
        assert_eq!(event.previous_version_at(), Some(before.updated_at));
        assert!(!event.detail().unwrap().to_string().contains("front@"));
        assert_eq!(vendor_event(Some(&after), Some(&before)), None);
    }

    #[test]
    fn vendor_events_carry_no_contact_details() {
        let event = Event::from(vendor_event(None, Some(&vendor())).unwrap());

        let text = event.detail().unwrap().to_string();

        assert!(!text.contains("spreeblick.example"), "{text}");
        assert!(!text.contains("+4930"), "{text}");
        assert!(!text.contains("contact"), "{text}");
    }

    #[test]
    fn every_version_of_a_room_type_is_a_resource_change() {
        let created = room_type();
        let bigger = Resource {
            units: UnitCount::new(25).unwrap(),
            version: 2,
            ..created.clone()
        };
        let described = Resource {
            description: Description::parse("Quiet, courtyard side.").unwrap(),
            amenities: vec!["balcony".into()],
            version: 3,
            ..bigger.clone()
        };

        let first = resource_event(None, Some(&created)).unwrap();
        let second = resource_event(Some(&created), Some(&bigger)).unwrap();

        assert_eq!(first.detail_type(), "ResourceChanged");
        let VendorEvent::ResourceChanged(detail) = second else {
            unreachable!()
        };
        assert_eq!(detail.units.get(), 25);
        assert_eq!(detail.sellable_limit, 27);
        let third = Event::from(resource_event(Some(&bigger), Some(&described)).unwrap());
        assert_eq!(
            (third.detail_type(), third.version()),
            ("ResourceChanged", 3)
        );
        assert_eq!(third.previous_version_at(), Some(bigger.updated_at));
        assert_eq!(resource_event(Some(&bigger), Some(&created)), None);
    }

    #[test]
    fn every_counted_review_is_a_vendor_rated_fact_of_the_rating_not_of_the_vendor() {
        let first = rating(4, 1, 0);
        let second = rating(9, 2, 5);

        let one = Event::from(rating_event(None, Some(&first)).unwrap());
        let two = Event::from(rating_event(Some(&first), Some(&second)).unwrap());

        assert_eq!(
            (one.detail_type(), one.source()),
            ("VendorRated", VENDORS_SOURCE)
        );
        assert_eq!(one.previous_version_at(), None);
        assert_eq!(two.version(), 2);
        assert_eq!(two.previous_version_at(), Some(first.updated_at));
        assert_eq!(two.event_id(), EventId::for_rating(vendor().id, 2));
        // Version 2 of the rating is not version 2 of the profile: a consumer orders them apart.
        assert_ne!(two.aggregate_id(), vendor().id.to_string());
        assert_ne!(two.event_id(), EventId::for_vendor(vendor().id, 2));
        let detail = two.detail().unwrap();
        assert_eq!(detail["average"], 4.5);
        assert_eq!(detail["count"], 2);
        assert_eq!(detail["stars_total"], 9);
    }

    #[test]
    fn stale_pairs_deletes_and_an_empty_rating_publish_nothing() {
        let first = rating(4, 1, 0);
        let second = rating(9, 2, 5);

        assert_eq!(rating_event(Some(&second), Some(&first)), None);
        assert_eq!(rating_event(Some(&first), Some(&first)), None);
        assert_eq!(rating_event(Some(&first), None), None);
        assert_eq!(rating_event(None, Some(&rating(0, 0, 0))), None);
    }
}
