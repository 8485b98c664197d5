//! Reservations a channel sends us (OpenTravel's `OTA_HotelResNotifRQ`, `..ResModifyNotifRQ` and
//! `OTA_CancelRQ`, as JSON): what a message says, what a refusal tells the channel (an OTA error
//! code beside the problem type), and what is kept of each: what the channel sold a reservation
//! for, and every message refused, for the vendor's managers to read.
use super::account::{ChannelId, ChannelKind};
use crate::domain::Invalid;
use crate::domain::booking::Channel;
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The OpenTravel `ResStatus` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResStatus {
    Commit,
    Modify,
    Cancel,
}

impl ResStatus {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "commit" => Ok(Self::Commit),
            "modify" => Ok(Self::Modify),
            "cancel" => Ok(Self::Cancel),
            _ => Err(Invalid::new("must be commit, modify or cancel")),
        }
    }
}

/// The channel's own id of a reservation: its idempotency key, within the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReservationId(String);

impl ReservationId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(format!(
                "must be 1 to {} letters, digits, '-', '_', '.' or ':'",
                Self::MAX_LEN
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The booking this reservation is, whoever asks: the hold's id comes from its creator and
    /// key, so a re-sent commit finds the first booking and a modify or cancel finds it too.
    pub fn booking_id(&self, channel: ChannelId) -> BookingId {
        BookingId::from_idempotency_key(&booked_by(channel), &self.0)
    }
}

/// How a channel's bookings name their creator (`Booking::booked_by`).
pub fn booked_by(channel: ChannelId) -> String {
    format!("channel:{channel}")
}

/// How a booking of a channel of this kind is marked (the board and reports show it).
pub fn booking_channel(kind: ChannelKind) -> Channel {
    match kind {
        ChannelKind::Ota => Channel::Ota,
        ChannelKind::ChannelManager => Channel::ChannelManager,
        ChannelKind::Pms => Channel::Pms,
    }
}

/// Why a message was refused, as a problem `type` slug and the OpenTravel error code (list ERR,
/// error type 3 "Biz rule") a channel manager already acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportRefusal {
    /// A field is missing or wrong (ERR 321 "Required field missing" / 320 "Invalid value").
    Invalid,
    /// The dates are in the past or outside the booking window (ERR 15 "Invalid date").
    InvalidDate,
    /// Not a room type of this vendor (ERR 402 "Invalid room type code").
    UnknownRoomType,
    /// Not enough units left on some night (ERR 322 "No availability").
    SoldOut,
    /// A modify or cancel of a reservation we never committed (ERR 245 "Invalid confirmation
    /// number").
    UnknownReservation,
    /// The reservation id was committed before with other details: send a modify (ERR 356
    /// "Invalid action/status code").
    ReservationIdReused,
    /// The booking is past changing (ended, or in the house) (ERR 356).
    NotChangeable,
    /// The body could not be read as a message at all: not JSON, or a member of the wrong type
    /// or unknown (error type 7 "Protocol violation", ERR 450 "Unable to process").
    Unreadable,
}

impl ImportRefusal {
    pub fn ota_code(self) -> u16 {
        match self {
            Self::Invalid => 320,
            Self::InvalidDate => 15,
            Self::UnknownRoomType => 402,
            Self::SoldOut => 322,
            Self::UnknownReservation => 245,
            Self::ReservationIdReused | Self::NotChangeable => 356,
            Self::Unreadable => 450,
        }
    }

    /// OpenTravel's error type (list EWT): 7 "Protocol violation" for a message we cannot
    /// read, else 3 "Biz rule".
    pub fn ota_error_type(self) -> u16 {
        match self {
            Self::Unreadable => 7,
            _ => 3,
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::Invalid => "validation",
            Self::InvalidDate => "invalid-date",
            Self::UnknownRoomType => "unknown-room-type",
            Self::SoldOut => "sold-out",
            Self::UnknownReservation => "unknown-reservation",
            Self::ReservationIdReused => "reservation-id-reused",
            Self::NotChangeable => "not-changeable",
            Self::Unreadable => "unreadable-message",
        }
    }
}

/// What the channel sold a reservation for, as it last told us: recorded, never charged (the
/// channel collected the money), beside our own quote on the booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedReservation {
    pub channel_id: ChannelId,
    pub vendor_id: VendorId,
    pub reservation_id: ReservationId,
    pub booking_id: BookingId,
    pub res_status: ResStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold_total: Option<Money>,
    pub updated_at: DateTime<Utc>,
}

/// Why a body was not a message. The body itself is not kept: it may hold a guest's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreadable {
    /// Not sent as application/json.
    ContentType,
    /// Empty, or not JSON.
    Syntax,
    /// Larger than a request body may be.
    TooLarge,
    /// JSON, but not a message: a member of the wrong type, or one a message does not have.
    Shape,
}

/// A message we refused: what and why, never the guest (no names or contacts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedImport {
    pub channel_id: ChannelId,
    pub vendor_id: VendorId,
    /// As sent, when it was a valid id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<ReservationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub res_status: Option<ResStatus>,
    pub refusal: ImportRefusal,
    pub ota_error_code: u16,
    /// The fields named, as JSON pointers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pointers: Vec<String>,
    /// For an unreadable body: why, and its size in bytes (never its content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<Unreadable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<u64>,
    pub at: DateTime<Utc>,
}

pub trait ChannelImports: Send + Sync {
    fn record_import(
        &self,
        record: &ImportedReservation,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn record_rejection(
        &self,
        record: &RejectedImport,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// The channel's refused messages, newest first, at most `limit`.
    fn rejections(
        &self,
        channel: ChannelId,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<RejectedImport>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_id_is_a_short_printable_token() {
        assert!(ReservationId::parse("BDC-4711.2:x_y").is_ok());
        for bad in ["", "has space", "ü", &"x".repeat(65)] {
            assert!(ReservationId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_same_reservation_of_the_same_channel_is_the_same_booking() {
        let (one, other) = (ChannelId::generate(), ChannelId::generate());
        let id = ReservationId::parse("R1").unwrap();
        assert_eq!(id.booking_id(one), id.booking_id(one));
        assert_ne!(id.booking_id(one), id.booking_id(other));
        assert_ne!(
            id.booking_id(one),
            ReservationId::parse("R2").unwrap().booking_id(one)
        );
    }

    #[test]
    fn res_status_reads_the_three_messages() {
        assert_eq!(ResStatus::parse("commit").unwrap(), ResStatus::Commit);
        assert_eq!(ResStatus::parse("modify").unwrap(), ResStatus::Modify);
        assert_eq!(ResStatus::parse("cancel").unwrap(), ResStatus::Cancel);
        assert!(ResStatus::parse("Commit").is_err());
    }
}
