//! The facts other functions learn about: typed, versioned EventBridge events, each built from one
//! committed change (a stream record's old and new image) of a booking, vendor, resource or
//! vendor's rating.
//!
//! Every detail is a snapshot of what consumers need, so a consumer that keeps only the highest
//! `version` per aggregate is never behind. Every committed version is a fact (each write moves a
//! version up by exactly one), so a consumer that must see every fact in order knows the one
//! before version `n` is `n - 1`; `previous_version_at` says when that one was committed (`None`
//! for the first). Guests appear by id only: no names, emails or phones.
use crate::domain::booking::{Booking, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::Bucket;
use crate::domain::deposit::PaymentTerms;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::inventory::OverbookingAllowance;
use crate::domain::money::{Currency, Money};
use crate::domain::party::PartySize;
use crate::domain::payment::DepositPayment;
use crate::domain::resource::{Capacity, Resource, ResourceKind, UnitCount};
use crate::domain::review::Rating;
use crate::domain::text::{AddressLine, Title};
use crate::domain::vendor::{CountryCode, GeoPoint, TimeZone, Vendor, VendorKind};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use uuid::Uuid;

pub const BOOKINGS_SOURCE: &str = "reservations.bookings";
pub const VENDORS_SOURCE: &str = "reservations.vendors";

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
    const NAMESPACE: Uuid = Uuid::from_u128(0x3d5e_91a7_c04b_4f6e_8a2d_7b19_e6f0_4c58);

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
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Who made a booking, by role only: the person's id stays in the bookings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Booker {
    Guest,
    Staff,
    Admin,
}

impl Booker {
    fn of(booking: &Booking) -> Self {
        match booking.booked_by.split_once(':').map(|(role, _)| role) {
            Some("guest") => Self::Guest,
            Some("staff") => Self::Staff,
            Some("admin") => Self::Admin,
            // Every creator is written as `<role>:<id>`; the channel tells the role otherwise.
            _ => match booking.channel {
                Channel::Online => Self::Guest,
                Channel::FrontDesk => Self::Staff,
            },
        }
    }
}

/// What is booked: the part of a booking a change request can alter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingTerms {
    pub resource_id: ResourceId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub buckets: Vec<Bucket>,
    pub arrival_at: DateTime<Utc>,
    /// The quoted price of the whole booking.
    pub total: Money,
}

impl BookingTerms {
    fn of(booking: &Booking) -> Self {
        Self {
            resource_id: booking.resource_id,
            party_size: booking.party_size,
            units: booking.units,
            time: booking.time,
            buckets: booking.buckets.clone(),
            arrival_at: booking.arrival_at,
            total: booking.quote.total,
        }
    }
}

/// A booking as consumers see it after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetail {
    pub schema_version: SchemaVersion,
    pub event_id: EventId,
    pub booking_id: BookingId,
    pub version: u64,
    /// When the change was committed (the booking's `updated_at`).
    pub occurred_at: DateTime<Utc>,
    /// When version `version - 1` was committed; `None` for a new booking.
    pub previous_version_at: Option<DateTime<Utc>>,
    pub vendor_id: VendorId,
    /// `None` for a front-desk booking of a guest without an account.
    pub guest_id: Option<UserId>,
    pub booked_by: Booker,
    pub channel: Channel,
    pub status: BookingStatus,
    /// `None` when the booking was just created.
    pub previous_status: Option<BookingStatus>,
    pub resource_id: ResourceId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub buckets: Vec<Bucket>,
    pub arrival_at: DateTime<Utc>,
    /// The quoted price of the whole booking.
    pub total: Money,
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// The deposit and cancellation terms agreed when it was held (what a refund follows).
    pub payment: PaymentTerms,
    /// What happened to the deposit at the payment provider: paid, and when the booking ended,
    /// refunded or kept with the amounts. `None` while no payment was asked for.
    pub deposit_payment: Option<DepositPayment>,
    /// `BookingUpdated` only: the terms before the change, so a refund or a notification can tell
    /// what moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<BookingTerms>,
}

impl BookingDetail {
    fn of(booking: &Booking, previous: Option<&Booking>) -> Self {
        Self {
            schema_version: SchemaVersion,
            event_id: EventId::for_booking(booking.id, booking.version),
            booking_id: booking.id,
            version: booking.version,
            occurred_at: booking.updated_at,
            previous_version_at: previous.map(|b| b.updated_at),
            vendor_id: booking.vendor_id,
            guest_id: booking.guest_id,
            booked_by: Booker::of(booking),
            channel: booking.channel,
            status: booking.status,
            previous_status: previous.map(|b| b.status),
            resource_id: booking.resource_id,
            party_size: booking.party_size,
            units: booking.units,
            time: booking.time,
            time_zone: booking.time_zone,
            buckets: booking.buckets.clone(),
            arrival_at: booking.arrival_at,
            total: booking.quote.total,
            hold_expires_at: booking.hold_expires_at,
            payment: booking.payment,
            deposit_payment: booking.deposit_payment.clone().map(by_role),
            previous: None,
        }
    }

    /// What is booked after the change.
    pub fn terms(&self) -> BookingTerms {
        BookingTerms {
            resource_id: self.resource_id,
            party_size: self.party_size,
            units: self.units,
            time: self.time,
            buckets: self.buckets.clone(),
            arrival_at: self.arrival_at,
            total: self.total,
        }
    }
}

/// The deposit with its settlement's `acted_by` cut to the role (`staff:<id>` -> `staff`), as
/// `booked_by` is: who in particular acted stays in the bookings table.
fn by_role(mut deposit: DepositPayment) -> DepositPayment {
    if let Some(acted_by) = deposit
        .settlement
        .as_mut()
        .and_then(|settlement| settlement.acted_by.as_mut())
        && let Some((role, _)) = acted_by.split_once(':')
    {
        *acted_by = role.to_owned();
    }
    deposit
}

/// One fact about a booking; each is its own EventBridge detail-type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingEvent {
    Held(BookingDetail),
    Confirmed(BookingDetail),
    /// Anything but the status changed (usually the terms, within a held or confirmed booking);
    /// `previous` says what the terms were.
    Updated(BookingDetail),
    Cancelled(BookingDetail),
    Expired(BookingDetail),
    CheckedIn(BookingDetail),
    Completed(BookingDetail),
    NoShow(BookingDetail),
}

impl BookingEvent {
    pub const DETAIL_TYPES: [&str; 8] = [
        "BookingHeld",
        "BookingConfirmed",
        "BookingUpdated",
        "BookingCancelled",
        "BookingExpired",
        "BookingCheckedIn",
        "BookingCompleted",
        "BookingNoShow",
    ];

    /// The event that reports reaching the detail's status.
    fn reaching(detail: BookingDetail) -> Self {
        match detail.status {
            BookingStatus::Held => Self::Held(detail),
            BookingStatus::Confirmed => Self::Confirmed(detail),
            BookingStatus::Cancelled => Self::Cancelled(detail),
            BookingStatus::Expired => Self::Expired(detail),
            BookingStatus::CheckedIn => Self::CheckedIn(detail),
            BookingStatus::Completed => Self::Completed(detail),
            BookingStatus::NoShow => Self::NoShow(detail),
        }
    }

    pub fn source(&self) -> &'static str {
        BOOKINGS_SOURCE
    }

    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::Held(_) => "BookingHeld",
            Self::Confirmed(_) => "BookingConfirmed",
            Self::Updated(_) => "BookingUpdated",
            Self::Cancelled(_) => "BookingCancelled",
            Self::Expired(_) => "BookingExpired",
            Self::CheckedIn(_) => "BookingCheckedIn",
            Self::Completed(_) => "BookingCompleted",
            Self::NoShow(_) => "BookingNoShow",
        }
    }

    /// The booking as it is after the change, whichever the fact.
    pub fn booking(&self) -> &BookingDetail {
        match self {
            Self::Held(detail)
            | Self::Confirmed(detail)
            | Self::Updated(detail)
            | Self::Cancelled(detail)
            | Self::Expired(detail)
            | Self::CheckedIn(detail)
            | Self::Completed(detail)
            | Self::NoShow(detail) => detail,
        }
    }

    pub fn detail(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self.booking())
    }

    pub fn from_detail(detail_type: &str, detail: Value) -> Result<Self, EventParseError> {
        match detail_type {
            "BookingHeld" => parse_detail(detail_type, detail).map(Self::Held),
            "BookingConfirmed" => parse_detail(detail_type, detail).map(Self::Confirmed),
            "BookingUpdated" => parse_detail(detail_type, detail).map(Self::Updated),
            "BookingCancelled" => parse_detail(detail_type, detail).map(Self::Cancelled),
            "BookingExpired" => parse_detail(detail_type, detail).map(Self::Expired),
            "BookingCheckedIn" => parse_detail(detail_type, detail).map(Self::CheckedIn),
            "BookingCompleted" => parse_detail(detail_type, detail).map(Self::Completed),
            "BookingNoShow" => parse_detail(detail_type, detail).map(Self::NoShow),
            _ => Err(EventParseError::unknown(BOOKINGS_SOURCE, detail_type)),
        }
    }
}

/// The event a committed change of one booking means.
///
/// A new booking reports its status (a hold); a status change reports the new status; any other
/// change is `BookingUpdated` (with the previous terms). Nothing is published for a pair that is
/// not one booking moving forward (a stale or replayed pair), or for a delete (which is
/// archiving's business).
pub fn booking_event(old: Option<&Booking>, new: Option<&Booking>) -> Option<BookingEvent> {
    let new = new?;
    let Some(old) = old else {
        return Some(BookingEvent::reaching(BookingDetail::of(new, None)));
    };
    if old.id != new.id || new.version <= old.version {
        return None;
    }
    let detail = BookingDetail::of(new, Some(old));
    if old.status != new.status {
        return Some(BookingEvent::reaching(detail));
    }
    Some(BookingEvent::Updated(BookingDetail {
        previous: Some(BookingTerms::of(old)),
        ..detail
    }))
}

/// A vendor as search needs it to find and show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorDetail {
    pub schema_version: SchemaVersion,
    pub event_id: EventId,
    pub vendor_id: VendorId,
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    /// When version `version - 1` was committed; `None` for a new vendor.
    pub previous_version_at: Option<DateTime<Utc>>,
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
            schema_version: SchemaVersion,
            event_id: EventId::for_vendor(vendor.id, vendor.version),
            vendor_id: vendor.id,
            version: vendor.version,
            occurred_at: vendor.updated_at,
            previous_version_at: previous.map(|v| v.updated_at),
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
    pub schema_version: SchemaVersion,
    pub event_id: EventId,
    pub resource_id: ResourceId,
    pub vendor_id: VendorId,
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    /// When version `version - 1` was committed; `None` for a new room or table type.
    pub previous_version_at: Option<DateTime<Utc>>,
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
            schema_version: SchemaVersion,
            event_id: EventId::for_resource(resource.id, resource.version),
            resource_id: resource.id,
            vendor_id: resource.vendor_id,
            version: resource.version,
            occurred_at: resource.updated_at,
            previous_version_at: previous.map(|r| r.updated_at),
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
/// (its versions are not the vendor profile's), so its ledger entries are `<vendor>#rating`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingDetail {
    pub schema_version: SchemaVersion,
    pub event_id: EventId,
    pub vendor_id: VendorId,
    /// The rating's version: how many reviews it counts.
    pub version: u64,
    pub occurred_at: DateTime<Utc>,
    /// When version `version - 1` was committed; `None` for the vendor's first review.
    pub previous_version_at: Option<DateTime<Utc>>,
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
            schema_version: SchemaVersion,
            event_id: EventId::for_rating(rating.vendor_id, rating.version),
            vendor_id: rating.vendor_id,
            version: rating.version,
            occurred_at: rating.updated_at,
            previous_version_at: previous.map(|r| r.updated_at),
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

/// One fact about a vendor or what it sells.
#[derive(Debug, Clone, PartialEq)]
pub enum VendorEvent {
    Onboarded(VendorDetail),
    Updated(VendorDetail),
    /// A room type or table type was added or changed.
    ResourceChanged(ResourceDetail),
    /// A guest's review changed the vendor's rating.
    Rated(RatingDetail),
}

impl VendorEvent {
    pub const DETAIL_TYPES: [&str; 4] = [
        "VendorOnboarded",
        "VendorUpdated",
        "ResourceChanged",
        "VendorRated",
    ];

    pub fn source(&self) -> &'static str {
        VENDORS_SOURCE
    }

    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::Onboarded(_) => "VendorOnboarded",
            Self::Updated(_) => "VendorUpdated",
            Self::ResourceChanged(_) => "ResourceChanged",
            Self::Rated(_) => "VendorRated",
        }
    }

    pub fn detail(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Onboarded(detail) | Self::Updated(detail) => serde_json::to_value(detail),
            Self::ResourceChanged(detail) => serde_json::to_value(detail),
            Self::Rated(detail) => serde_json::to_value(detail),
        }
    }

    pub fn from_detail(detail_type: &str, detail: Value) -> Result<Self, EventParseError> {
        match detail_type {
            "VendorOnboarded" => parse_detail(detail_type, detail).map(Self::Onboarded),
            "VendorUpdated" => parse_detail(detail_type, detail).map(Self::Updated),
            "ResourceChanged" => parse_detail(detail_type, detail).map(Self::ResourceChanged),
            "VendorRated" => parse_detail(detail_type, detail).map(Self::Rated),
            _ => Err(EventParseError::unknown(VENDORS_SOURCE, detail_type)),
        }
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

/// The event a committed change of a room type or table type means: `ResourceChanged` for every
/// version (price rules, amenities and descriptions are read from the resource itself when
/// needed; stale pairs and deletes publish nothing).
pub fn resource_event(old: Option<&Resource>, new: Option<&Resource>) -> Option<VendorEvent> {
    let new = new?;
    if let Some(old) = old
        && (old.id != new.id || new.version <= old.version)
    {
        return None;
    }
    Some(VendorEvent::ResourceChanged(ResourceDetail::of(new, old)))
}

/// The event a committed change of a vendor's rating means: `VendorRated` for every version
/// (stale pairs, deletes and a rating that counts no review publish nothing).
pub fn rating_event(old: Option<&Rating>, new: Option<&Rating>) -> Option<VendorEvent> {
    let new = new?;
    if let Some(old) = old
        && (old.vendor_id != new.vendor_id || new.version <= old.version)
    {
        return None;
    }
    RatingDetail::of(new, old).map(VendorEvent::Rated)
}

/// Any event this platform publishes.
#[derive(Debug, Clone, PartialEq)]
// A booking fact is the larger by a few hundred bytes; events live one at a time on the stack of
// the publisher or a consumer, never in bulk, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    Booking(BookingEvent),
    Vendor(VendorEvent),
}

impl From<BookingEvent> for Event {
    fn from(event: BookingEvent) -> Self {
        Self::Booking(event)
    }
}

impl From<VendorEvent> for Event {
    fn from(event: VendorEvent) -> Self {
        Self::Vendor(event)
    }
}

impl Event {
    /// Every detail-type, each with a schema and a sample in `events/`.
    pub fn detail_types() -> impl Iterator<Item = &'static str> {
        BookingEvent::DETAIL_TYPES
            .into_iter()
            .chain(VendorEvent::DETAIL_TYPES)
    }

    pub fn source(&self) -> &'static str {
        match self {
            Self::Booking(event) => event.source(),
            Self::Vendor(event) => event.source(),
        }
    }

    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::Booking(event) => event.detail_type(),
            Self::Vendor(event) => event.detail_type(),
        }
    }

    /// The fact's own id, the same however often it is published: what consumers dedupe on.
    pub fn event_id(&self) -> EventId {
        match self {
            Self::Booking(event) => event.booking().event_id,
            Self::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                detail.event_id
            }
            Self::Vendor(VendorEvent::ResourceChanged(detail)) => detail.event_id,
            Self::Vendor(VendorEvent::Rated(detail)) => detail.event_id,
        }
    }

    /// The booking, vendor, resource or vendor's rating the fact is about: what consumers' ledgers
    /// order facts by, and what logs show.
    pub fn aggregate_id(&self) -> String {
        match self {
            Self::Booking(event) => event.booking().booking_id.to_string(),
            Self::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                detail.vendor_id.to_string()
            }
            Self::Vendor(VendorEvent::ResourceChanged(detail)) => detail.resource_id.to_string(),
            Self::Vendor(VendorEvent::Rated(detail)) => detail.aggregate_id(),
        }
    }

    /// The aggregate's version after the change: consumers ignore anything not above the last
    /// version they applied.
    pub fn version(&self) -> u64 {
        match self {
            Self::Booking(event) => event.booking().version,
            Self::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                detail.version
            }
            Self::Vendor(VendorEvent::ResourceChanged(detail)) => detail.version,
            Self::Vendor(VendorEvent::Rated(detail)) => detail.version,
        }
    }

    /// When the aggregate's version before this one was committed; `None` for its first fact.
    pub fn previous_version_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Booking(event) => event.booking().previous_version_at,
            Self::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                detail.previous_version_at
            }
            Self::Vendor(VendorEvent::ResourceChanged(detail)) => detail.previous_version_at,
            Self::Vendor(VendorEvent::Rated(detail)) => detail.previous_version_at,
        }
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::Booking(event) => event.booking().occurred_at,
            Self::Vendor(VendorEvent::Onboarded(detail) | VendorEvent::Updated(detail)) => {
                detail.occurred_at
            }
            Self::Vendor(VendorEvent::ResourceChanged(detail)) => detail.occurred_at,
            Self::Vendor(VendorEvent::Rated(detail)) => detail.occurred_at,
        }
    }

    pub fn detail(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Booking(event) => event.detail(),
            Self::Vendor(event) => event.detail(),
        }
    }

    /// What a PutEvents entry carries (the bus name is the publisher's configuration).
    pub fn entry(&self) -> Result<EventEntry, serde_json::Error> {
        Ok(EventEntry {
            source: self.source(),
            detail_type: self.detail_type(),
            detail: serde_json::to_string(&self.detail()?)?,
            time: self.occurred_at(),
        })
    }

    /// Reads a detail back into its typed event, as a consumer does.
    pub fn parse(source: &str, detail_type: &str, detail: Value) -> Result<Self, EventParseError> {
        match source {
            BOOKINGS_SOURCE => BookingEvent::from_detail(detail_type, detail).map(Self::Booking),
            VENDORS_SOURCE => VendorEvent::from_detail(detail_type, detail).map(Self::Vendor),
            _ => Err(EventParseError::unknown(source, detail_type)),
        }
    }
}

/// One PutEvents entry: source, detail-type and the detail as a JSON string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEntry {
    pub source: &'static str,
    pub detail_type: &'static str,
    pub detail: String,
    /// The commit time, so EventBridge's `time` says when it happened, not when it was sent.
    pub time: DateTime<Utc>,
}

/// An event as EventBridge delivers it to a target (an SQS message body, a Lambda payload).
/// `id` is EventBridge's own, new on every put; the fact's id is `detail.event_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedEvent {
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub time: DateTime<Utc>,
    pub region: String,
    #[serde(default)]
    pub resources: Vec<String>,
    pub detail: Value,
}

impl ReceivedEvent {
    pub fn event(&self) -> Result<Event, EventParseError> {
        Event::parse(&self.source, &self.detail_type, self.detail.clone())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventParseError {
    #[error("no event {detail_type} comes from {source_name}")]
    UnknownDetailType {
        source_name: String,
        detail_type: String,
    },
    #[error("{detail_type} detail at {path}: {reason}")]
    InvalidDetail {
        detail_type: String,
        path: String,
        reason: serde_json::Error,
    },
}

impl EventParseError {
    fn unknown(source: &str, detail_type: &str) -> Self {
        Self::UnknownDetailType {
            source_name: source.to_owned(),
            detail_type: detail_type.to_owned(),
        }
    }
}

fn parse_detail<T: DeserializeOwned>(
    detail_type: &str,
    detail: Value,
) -> Result<T, EventParseError> {
    serde_path_to_error::deserialize(detail).map_err(|error| EventParseError::InvalidDetail {
        detail_type: detail_type.to_owned(),
        path: error.path().to_string(),
        reason: error.into_inner(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::account::{Email, Phone};
    use crate::domain::booking::BookingAction;
    use crate::domain::calendar::{BookedTime, CheckInTime, StayNights};
    use crate::domain::deposit::{CancellationPolicy, Charge, FreeHours, Percent};
    use crate::domain::pricing::PricePlan;
    use crate::domain::text::Description;
    use crate::domain::vendor::{Address, Contact};
    use chrono::{Duration, NaiveDate};
    use serde_json::json;

    const STAFF_ID: &str = "0190f0e0-5555-7000-8000-000000000005";

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
    }

    fn date(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    /// A two-night hold of one double room in Berlin, taken by a guest online.
    pub(crate) fn hold() -> Booking {
        let zone = TimeZone::parse("Europe/Berlin").unwrap();
        let stay = StayNights::new(date("2026-03-27"), date("2026-03-29")).unwrap();
        let booked = BookedTime::Stay(stay);
        let quote = PricePlan::flat(Money::price(12_900, "EUR").unwrap())
            .quote(&booked, 1)
            .unwrap();
        let created = utc("2026-03-01T09:15:00Z");
        Booking {
            id: BookingId::parse("0195a1b2-0000-7000-8000-0000000000b1").unwrap(),
            vendor_id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
            resource_id: ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c1").unwrap(),
            guest_id: Some(UserId::parse("0195a1b2-0000-7000-8000-0000000000d1").unwrap()),
            booked_by: "guest:0195a1b2-0000-7000-8000-0000000000d1".into(),
            channel: Channel::Online,
            party_size: PartySize::new(2).unwrap(),
            units: 1,
            time: BookingTime::Stay {
                check_in: stay.check_in(),
                check_out: stay.check_out(),
            },
            time_zone: zone,
            buckets: booked.buckets(),
            arrival_at: booked.arrival(zone, CheckInTime::default()).unwrap(),
            quote,
            status: BookingStatus::Held,
            version: 1,
            hold_expires_at: Some(created + Duration::minutes(10)),
            payment: PaymentTerms {
                deposit: Some(Money::price(7_740, "EUR").unwrap()),
                cancellation: CancellationPolicy {
                    free_until_hours: FreeHours::new(48).unwrap(),
                    late_fee: Some(Charge::Percent {
                        percent: Percent::new(50).unwrap(),
                    }),
                },
            },
            deposit_payment: None,
            request_hash: "9f2c".into(),
            created_at: created,
            updated_at: created,
        }
    }

    /// The next committed version of `booking`, as the engine writes it.
    pub(crate) fn next(booking: &Booking, change: impl FnOnce(&mut Booking)) -> Booking {
        let mut changed = booking.clone();
        changed.version += 1;
        changed.updated_at += Duration::minutes(3);
        change(&mut changed);
        changed
    }

    pub(crate) fn moved(booking: &Booking, action: BookingAction) -> Booking {
        next(booking, |b| {
            b.status = booking.status.next(action).unwrap();
            if b.status != BookingStatus::Held {
                b.hold_expires_at = None;
            }
        })
    }

    pub(crate) fn vendor() -> Vendor {
        let at = utc("2026-02-01T08:00:00Z");
        Vendor {
            id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
            kind: VendorKind::Hotel,
            name: Title::parse("Hotel Spreeblick").unwrap(),
            description: Description::parse("Rooms over the river.").unwrap(),
            address: Address {
                line1: AddressLine::parse("Am Ufer 1").unwrap(),
                line2: None,
                postal_code: "10178".into(),
                city: AddressLine::parse("Berlin").unwrap(),
                country: CountryCode::parse("DE").unwrap(),
            },
            location: GeoPoint::new(52.52, 13.40).unwrap(),
            time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            facilities: vec!["pool".into(), "wifi".into()],
            cuisines: vec![],
            contact: Contact {
                email: Email::parse("desk@spreeblick.example").unwrap(),
                phone: Some(Phone::parse("+49301234567").unwrap()),
            },
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    pub(crate) fn room_type() -> Resource {
        let at = utc("2026-02-01T08:05:00Z");
        Resource {
            id: ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c1").unwrap(),
            vendor_id: VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap(),
            kind: ResourceKind::RoomType,
            name: Title::parse("Double room").unwrap(),
            description: Description::empty(),
            capacity: Capacity::new(2).unwrap(),
            units: UnitCount::new(20).unwrap(),
            base_price: Money::price(12_900, "EUR").unwrap(),
            amenities: vec![],
            price_rules: vec![],
            overbooking_percent: OverbookingAllowance::new(10).unwrap(),
            booking_window: Default::default(),
            check_in_time: None,
            seating: None,
            deposit: Default::default(),
            cancellation: Default::default(),
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    /// Every key anywhere in a JSON document.
    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map
                .iter()
                .flat_map(|(key, inner)| std::iter::once(key.clone()).chain(keys(inner)))
                .collect(),
            Value::Array(items) => items.iter().flat_map(keys).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_new_hold_is_published_as_booking_held_with_no_previous_status() {
        let booking = hold();

        let event = booking_event(None, Some(&booking)).unwrap();

        assert_eq!(event.detail_type(), "BookingHeld");
        assert_eq!(event.source(), "reservations.bookings");
        let detail = event.booking();
        assert_eq!(detail.booking_id, booking.id);
        assert_eq!(detail.version, 1);
        assert_eq!(detail.status, BookingStatus::Held);
        assert_eq!(detail.previous_status, None);
        assert_eq!(detail.occurred_at, booking.updated_at);
        assert_eq!(detail.hold_expires_at, booking.hold_expires_at);
        assert_eq!(detail.total, Money::price(25_800, "EUR").unwrap());
        assert_eq!(detail.previous, None);
        assert_eq!(
            detail.event_id,
            EventId::for_booking(booking.id, booking.version)
        );
    }

    #[test]
    fn every_lifecycle_transition_publishes_the_event_named_for_the_new_status() {
        let expected = [
            (BookingStatus::Confirmed, "BookingConfirmed"),
            (BookingStatus::Cancelled, "BookingCancelled"),
            (BookingStatus::Expired, "BookingExpired"),
            (BookingStatus::CheckedIn, "BookingCheckedIn"),
            (BookingStatus::Completed, "BookingCompleted"),
            (BookingStatus::NoShow, "BookingNoShow"),
        ];
        let mut transitions = 0;
        for from in BookingStatus::ALL {
            for action in BookingAction::ALL {
                let Ok(to) = from.next(action) else { continue };
                let before = next(&hold(), |b| b.status = from);
                let after = moved(&before, action);

                let event = booking_event(Some(&before), Some(&after)).unwrap();

                let name = expected.iter().find(|(s, _)| *s == to).unwrap().1;
                assert_eq!(event.detail_type(), name, "{from} + {action:?}");
                assert_eq!(event.booking().status, to);
                assert_eq!(event.booking().previous_status, Some(from));
                assert_eq!(event.booking().version, after.version);
                transitions += 1;
            }
        }
        assert_eq!(transitions, 7);
    }

    #[test]
    fn changed_dates_party_units_or_room_type_publish_booking_updated_with_the_previous_terms() {
        let confirmed = moved(&hold(), BookingAction::Confirm);
        type Change = fn(&mut Booking);
        let changes: [(&str, Change); 4] = [
            ("dates", |b| {
                b.time = BookingTime::Stay {
                    check_in: date("2026-03-28"),
                    check_out: date("2026-03-30"),
                };
                b.buckets = StayNights::new(date("2026-03-28"), date("2026-03-30"))
                    .unwrap()
                    .buckets();
            }),
            ("party", |b| b.party_size = PartySize::new(1).unwrap()),
            ("units", |b| b.units = 2),
            ("room type", |b| {
                b.resource_id = ResourceId::parse("0195a1b2-0000-7000-8000-0000000000c2").unwrap()
            }),
        ];
        for (what, change) in changes {
            let changed = next(&confirmed, change);

            let event = booking_event(Some(&confirmed), Some(&changed)).unwrap();

            let BookingEvent::Updated(updated) = &event else {
                panic!("{what}: {event:?}");
            };
            assert_eq!(updated.status, BookingStatus::Confirmed, "{what}");
            assert_eq!(updated.previous_status, Some(BookingStatus::Confirmed));
            assert_eq!(
                updated.previous,
                Some(BookingTerms::of(&confirmed)),
                "{what}"
            );
            assert_eq!(updated.terms(), BookingTerms::of(&changed), "{what}");
        }
    }

    #[test]
    fn every_version_is_a_fact_even_when_only_bookkeeping_changed_so_versions_have_no_gaps() {
        let held = hold();
        let bookkeeping_only = next(&held, |b| {
            b.request_hash = "other".into();
        });

        let event = booking_event(Some(&held), Some(&bookkeeping_only)).unwrap();

        let BookingEvent::Updated(detail) = event else {
            panic!("{event:?}")
        };
        assert_eq!(detail.version, 2);
        assert_eq!(detail.previous_version_at, Some(held.updated_at));
        assert_eq!(detail.previous, Some(BookingTerms::of(&held)));
    }

    #[test]
    fn stale_replayed_and_mismatched_pairs_publish_nothing() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let other = next(&held, |b| {
            b.id = BookingId::parse("0195a1b2-0000-7000-8000-0000000000b2").unwrap();
            b.status = BookingStatus::Confirmed;
        });

        assert_eq!(booking_event(Some(&confirmed), Some(&held)), None);
        assert_eq!(booking_event(Some(&confirmed), Some(&confirmed)), None);
        assert_eq!(booking_event(Some(&held), Some(&other)), None);
    }

    #[test]
    fn a_delete_publishes_nothing() {
        assert_eq!(booking_event(Some(&hold()), None), None);
        assert_eq!(booking_event(None, None), None);
        assert_eq!(vendor_event(Some(&vendor()), None), None);
        assert_eq!(resource_event(Some(&room_type()), None), None);
    }

    #[test]
    fn the_same_change_published_twice_has_the_same_event_id() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);

        let first = booking_event(Some(&held), Some(&confirmed)).unwrap();
        let again = booking_event(Some(&held), Some(&confirmed.clone())).unwrap();
        let hold_event = booking_event(None, Some(&held)).unwrap();

        assert_eq!(first.booking().event_id, again.booking().event_id);
        assert_ne!(first.booking().event_id, hold_event.booking().event_id);
        assert_eq!(
            first.booking().event_id.to_string(),
            Uuid::new_v5(
                &EventId::NAMESPACE,
                format!("booking#{}#2", held.id).as_bytes()
            )
            .to_string()
        );
    }

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

    #[test]
    fn booking_events_carry_the_guest_by_id_and_the_booker_by_role_only() {
        let phone_booking = next(&hold(), |b| {
            b.guest_id = None;
            b.booked_by = format!("staff:{STAFF_ID}");
            b.channel = Channel::FrontDesk;
        });
        let confirmed = moved(&phone_booking, BookingAction::Confirm);
        let changed = next(&confirmed, |b| b.units = 2);

        for event in [
            booking_event(None, Some(&phone_booking)).unwrap(),
            booking_event(Some(&phone_booking), Some(&confirmed)).unwrap(),
            booking_event(Some(&confirmed), Some(&changed)).unwrap(),
        ] {
            let detail = event.detail().unwrap();
            let text = detail.to_string();

            assert_eq!(detail["booked_by"], "staff");
            assert_eq!(detail["guest_id"], Value::Null);
            assert!(!text.contains(STAFF_ID), "{text}");
            assert!(!text.contains("9f2c"), "the request hash leaked: {text}");
            for key in keys(&detail) {
                for personal in ["email", "phone", "name", "request_hash", "booked_by_id"] {
                    assert!(!key.contains(personal), "{} has {key}", event.detail_type());
                }
            }
        }
    }

    #[test]
    fn a_booking_detail_lists_what_consumers_need() {
        let event = booking_event(None, Some(&hold())).unwrap();

        let detail = event.detail().unwrap();

        assert_eq!(
            detail,
            json!({
                "schema_version": 1,
                "event_id": EventId::for_booking(hold().id, 1),
                "booking_id": "0195a1b2-0000-7000-8000-0000000000b1",
                "version": 1,
                "previous_version_at": null,
                "occurred_at": "2026-03-01T09:15:00Z",
                "vendor_id": "0195a1b2-0000-7000-8000-0000000000a1",
                "guest_id": "0195a1b2-0000-7000-8000-0000000000d1",
                "booked_by": "guest",
                "channel": "online",
                "status": "HELD",
                "previous_status": null,
                "resource_id": "0195a1b2-0000-7000-8000-0000000000c1",
                "party_size": 2,
                "units": 1,
                "time": {"kind": "stay", "check_in": "2026-03-27", "check_out": "2026-03-29"},
                "buckets": ["N#2026-03-27", "N#2026-03-28"],
                "arrival_at": "2026-03-27T14:00:00Z",
                "total": {"amount_minor": 25_800, "currency": "EUR"},
                "time_zone": "Europe/Berlin",
                "hold_expires_at": "2026-03-01T09:25:00Z",
                "payment": {
                    "deposit": {"amount_minor": 7_740, "currency": "EUR"},
                    "cancellation": {
                        "free_until_hours": 48,
                        "late_fee": {"kind": "percent", "percent": 50}
                    }
                },
                "deposit_payment": null,
            })
        );
    }

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
        assert_eq!(detail.version, 2);
        assert_eq!(detail.event_id, EventId::for_vendor(onboarded.id, 2));
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

    fn rating(stars_total: u64, count: u64, minutes: i64) -> Rating {
        Rating {
            vendor_id: vendor().id,
            stars_total,
            count,
            version: count,
            updated_at: utc("2026-04-01T12:00:00Z") + Duration::minutes(minutes),
        }
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

    #[test]
    fn an_entry_carries_source_detail_type_detail_json_and_the_commit_time() {
        let booking = hold();
        let event = Event::from(booking_event(None, Some(&booking)).unwrap());

        let entry = event.entry().unwrap();

        assert_eq!(entry.source, "reservations.bookings");
        assert_eq!(entry.detail_type, "BookingHeld");
        assert_eq!(entry.time, booking.updated_at);
        let detail: Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(detail["booking_id"], booking.id.to_string());
        assert_eq!(event.aggregate_id(), booking.id.to_string());
        assert_eq!(event.version(), 1);
    }

    #[test]
    fn every_event_reads_back_from_its_source_detail_type_and_detail() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let changed = next(&confirmed, |b| b.units = 2);
        let events: Vec<Event> = vec![
            booking_event(None, Some(&held)).unwrap().into(),
            booking_event(Some(&held), Some(&confirmed)).unwrap().into(),
            booking_event(Some(&confirmed), Some(&changed))
                .unwrap()
                .into(),
            vendor_event(None, Some(&vendor())).unwrap().into(),
            resource_event(None, Some(&room_type())).unwrap().into(),
            rating_event(None, Some(&rating(5, 1, 0))).unwrap().into(),
        ];
        for event in events {
            let entry = event.entry().unwrap();

            let read = Event::parse(
                entry.source,
                entry.detail_type,
                serde_json::from_str(&entry.detail).unwrap(),
            )
            .unwrap();

            assert_eq!(read, event);
        }
    }

    #[test]
    fn an_unknown_detail_type_or_a_bad_detail_is_a_named_error() {
        let detail = booking_event(None, Some(&hold()))
            .unwrap()
            .detail()
            .unwrap();

        let unknown = Event::parse(VENDORS_SOURCE, "BookingHeld", detail.clone()).unwrap_err();
        let mut bad = detail.clone();
        bad["party_size"] = json!("two");
        let invalid = Event::parse(BOOKINGS_SOURCE, "BookingHeld", bad).unwrap_err();
        let mut newer = detail;
        newer["schema_version"] = json!(2);
        let unsupported = Event::parse(BOOKINGS_SOURCE, "BookingHeld", newer).unwrap_err();

        assert_eq!(
            unknown.to_string(),
            "no event BookingHeld comes from reservations.vendors"
        );
        assert!(
            invalid
                .to_string()
                .starts_with("BookingHeld detail at party_size: invalid type"),
            "{invalid}"
        );
        assert!(
            unsupported
                .to_string()
                .contains("schema_version 2 is not supported"),
            "{unsupported}"
        );
    }
}
