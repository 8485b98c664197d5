//! The facts other functions learn about: typed, versioned EventBridge events, each built from one
//! committed change (a stream record's old and new image) of a booking, vendor, resource or
//! vendor's rating.
//!
//! Every detail is a snapshot of what consumers need, so a consumer that keeps only the highest
//! `version` per aggregate is never behind. Every committed version is a fact (each write moves a
//! version up by exactly one), so a consumer that must see every fact in order knows the one
//! before version `n` is `n - 1`; `previous_version_at` says when that one was committed (`None`
//! for the first). Guests appear by id only: no names, emails or phones.
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Declares one family of facts from a single table of `Variant(Detail) = "DetailType"` rows: the
/// enum, its detail-type names, and writing and reading a detail by its name, so a new
/// detail-type is one row.
macro_rules! fact_family {
    (
        $(#[$meta:meta])*
        pub enum $family:ident from $source:ident {
            $( $(#[$doc:meta])* $variant:ident($detail:ty) = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        pub enum $family {
            $( $(#[$doc])* $variant($detail), )+
        }

        impl $family {
            pub const DETAIL_TYPES: [&'static str; [$($name),+].len()] = [$($name),+];

            pub fn source(&self) -> &'static str {
                $source
            }

            pub fn detail_type(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $name, )+
                }
            }

            /// The fields every fact carries, whichever this one is.
            pub fn header(&self) -> &$crate::events::FactHeader {
                match self {
                    $( Self::$variant(detail) => &detail.header, )+
                }
            }

            pub fn detail(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self {
                    $( Self::$variant(detail) => serde_json::to_value(detail), )+
                }
            }

            pub fn from_detail(
                detail_type: &str,
                detail: serde_json::Value,
            ) -> Result<Self, $crate::events::EventParseError> {
                match detail_type {
                    $(
                        $name => $crate::events::parse_detail(detail_type, detail)
                            .map(Self::$variant),
                    )+
                    _ => Err($crate::events::EventParseError::unknown($source, detail_type)),
                }
            }
        }
    };
}
use fact_family;

mod booking;
#[cfg(test)]
pub(crate) mod fixtures;
mod header;
mod vendor;

pub use booking::{Booker, BookingDetail, BookingEvent, BookingTerms, PriceLine, booking_event};
pub use header::{EventId, FactHeader, SchemaVersion};
pub use vendor::{
    BlockDetail, RatingDetail, ResourceDetail, UnitDetail, VendorDetail, VendorEvent, block_event,
    rating_event, resource_event, unit_event, vendor_event,
};

pub const BOOKINGS_SOURCE: &str = "reservations.bookings";
pub const VENDORS_SOURCE: &str = "reservations.vendors";

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

    /// The fields every fact carries.
    pub fn header(&self) -> &FactHeader {
        match self {
            Self::Booking(event) => event.header(),
            Self::Vendor(event) => event.header(),
        }
    }

    /// The fact's own id, the same however often it is published: what consumers dedupe on.
    pub fn event_id(&self) -> EventId {
        self.header().event_id
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
            Self::Vendor(VendorEvent::UnitChanged(detail)) => detail.unit_id.to_string(),
            Self::Vendor(VendorEvent::UnitBlockChanged(detail)) => detail.block_id.to_string(),
        }
    }

    /// The aggregate's version after the change: consumers ignore anything not above the last
    /// version they applied.
    pub fn version(&self) -> u64 {
        self.header().version
    }

    /// When the aggregate's version before this one was committed; `None` for its first fact.
    pub fn previous_version_at(&self) -> Option<DateTime<Utc>> {
        self.header().previous_version_at
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.header().occurred_at
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
    let invalid =
        |error: serde_path_to_error::Error<serde_json::Error>| EventParseError::InvalidDetail {
            detail_type: detail_type.to_owned(),
            path: error.path().to_string(),
            reason: error.into_inner(),
        };
    // A flattened header's fields reach the detail's type without their names, so the header is
    // read on its own first: a bad `event_id` is reported at `event_id`, not at the detail.
    serde_path_to_error::deserialize::<_, FactHeader>(&detail).map_err(invalid)?;
    serde_path_to_error::deserialize(detail).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::BookingAction;
    use crate::events::fixtures::{hold, moved, next, rating, room_type, vendor};
    use serde_json::json;

    #[test]
    fn a_delete_publishes_nothing() {
        assert_eq!(booking_event(Some(&hold()), None), None);
        assert_eq!(booking_event(None, None), None);
        assert_eq!(vendor_event(Some(&vendor()), None), None);
        assert_eq!(resource_event(Some(&room_type()), None), None);
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

    #[test]
    fn a_bad_field_of_the_header_is_named_like_any_other_field() {
        let booking = booking_event(None, Some(&hold()))
            .unwrap()
            .detail()
            .unwrap();
        let rating = rating_event(None, Some(&rating(5, 1, 0)))
            .unwrap()
            .detail()
            .unwrap();
        let cases = [
            (
                BOOKINGS_SOURCE,
                "BookingHeld",
                &booking,
                "event_id",
                json!("x"),
            ),
            (
                BOOKINGS_SOURCE,
                "BookingHeld",
                &booking,
                "schema_version",
                json!(2),
            ),
            (
                VENDORS_SOURCE,
                "VendorRated",
                &rating,
                "version",
                json!("two"),
            ),
            (
                VENDORS_SOURCE,
                "VendorRated",
                &rating,
                "previous_version_at",
                json!(3),
            ),
        ];
        for (source, detail_type, detail, field, value) in cases {
            let mut bad = detail.clone();
            bad[field] = value;

            let error = Event::parse(source, detail_type, bad).unwrap_err();

            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{detail_type} detail at {field}: ")),
                "{error}"
            );
        }
    }
}
