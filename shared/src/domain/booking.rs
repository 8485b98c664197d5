//! The booking lifecycle: which status follows which action, who may act, and when the booked
//! units become sellable again.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingStatus {
    /// Inventory taken while the guest pays; expires unless confirmed.
    Held,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    Expired,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [Self; 7] = [
        Self::Held,
        Self::Confirmed,
        Self::CheckedIn,
        Self::Completed,
        Self::Cancelled,
        Self::Expired,
        Self::NoShow,
    ];

    /// As stored and serialised, e.g. `CHECKED_IN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "HELD",
            Self::Confirmed => "CONFIRMED",
            Self::CheckedIn => "CHECKED_IN",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::NoShow => "NO_SHOW",
        }
    }

    /// The status `action` leads to from this one, if the lifecycle allows it.
    pub fn next(self, action: BookingAction) -> Result<BookingStatus, InvalidTransition> {
        if action.allowed_from().contains(&self) {
            Ok(action.target())
        } else {
            Err(InvalidTransition { from: self, action })
        }
    }

    /// No action leads anywhere from here.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Cancelled | Self::Expired | Self::NoShow
        )
    }

    /// Whether a booking in this status still counts against the inventory of its buckets.
    /// A completed booking does: its nights or slots were used.
    pub fn holds_inventory(self) -> bool {
        !matches!(self, Self::Cancelled | Self::Expired | Self::NoShow)
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingAction {
    /// Payment succeeded.
    Confirm,
    /// The hold ran out before payment.
    Expire,
    Cancel,
    CheckIn,
    Complete,
    NoShow,
}

impl BookingAction {
    pub const ALL: [Self; 6] = [
        Self::Confirm,
        Self::Expire,
        Self::Cancel,
        Self::CheckIn,
        Self::Complete,
        Self::NoShow,
    ];

    /// The status this action leads to.
    pub fn target(self) -> BookingStatus {
        match self {
            Self::Confirm => BookingStatus::Confirmed,
            Self::Expire => BookingStatus::Expired,
            Self::Cancel => BookingStatus::Cancelled,
            Self::CheckIn => BookingStatus::CheckedIn,
            Self::Complete => BookingStatus::Completed,
            Self::NoShow => BookingStatus::NoShow,
        }
    }

    /// The statuses this action may start from: the condition on the current status of the
    /// conditional write that applies it.
    pub fn allowed_from(self) -> &'static [BookingStatus] {
        match self {
            Self::Confirm | Self::Expire => &[BookingStatus::Held],
            Self::Cancel => &[BookingStatus::Held, BookingStatus::Confirmed],
            Self::CheckIn | Self::NoShow => &[BookingStatus::Confirmed],
            Self::Complete => &[BookingStatus::CheckedIn],
        }
    }

    /// The action a request for `status` means (`PUT .../status {"status": "CANCELLED"}`);
    /// `None` for `HELD`, which only creating a booking leads to.
    pub fn leading_to(status: BookingStatus) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.target() == status)
    }

    /// Whether the booked units become sellable again. Applied once: the status condition on the
    /// write keeps a retried release from adding the units back twice.
    pub fn releases_inventory(self) -> bool {
        matches!(self, Self::Cancel | Self::Expire | Self::NoShow)
    }

    pub fn verb(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Expire => "expire",
            Self::Cancel => "cancel",
            Self::CheckIn => "check in",
            Self::Complete => "complete",
            Self::NoShow => "mark as a no-show",
        }
    }
}

/// The lifecycle does not allow `action` on a booking in status `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a booking that is {from}", .action.verb())]
pub struct InvalidTransition {
    pub from: BookingStatus,
    pub action: BookingAction,
}

/// Who acts on a booking, as far as the booking is concerned. The caller establishes it: a guest
/// is the booking's own guest, staff are staff of the booking's vendor; anyone else is no actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Guest,
    Staff,
    /// The platform itself: payment webhooks, hold expiry, the night audit.
    System,
}

impl Actor {
    /// Whether this actor may take the action at all; the lifecycle still decides whether it
    /// applies to the booking's current status.
    pub fn may(self, action: BookingAction) -> bool {
        use BookingAction::*;
        match self {
            Self::Guest => matches!(action, Cancel),
            // Confirming is staff's only for desk holds: the engine refuses it on a hold that
            // waits for an online deposit.
            Self::Staff => matches!(action, Confirm | Cancel | CheckIn | Complete | NoShow),
            // The night audit marks confirmed guests who never came; the engine still refuses
            // it before the arrival's grace has passed.
            Self::System => matches!(action, Confirm | Expire | Cancel | NoShow),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BookingAction::*;
    use super::BookingStatus::*;
    use super::*;

    /// The lifecycle, written out independently of the implementation: every pair not listed
    /// must be rejected.
    const ALLOWED: [(BookingStatus, BookingAction, BookingStatus); 7] = [
        (Held, Confirm, Confirmed),
        (Held, Expire, Expired),
        (Held, Cancel, Cancelled),
        (Confirmed, Cancel, Cancelled),
        (Confirmed, CheckIn, CheckedIn),
        (Confirmed, BookingAction::NoShow, BookingStatus::NoShow),
        (CheckedIn, Complete, Completed),
    ];

    #[test]
    fn every_status_and_action_pair_follows_the_lifecycle_table() {
        let mut rejected = 0;
        for from in BookingStatus::ALL {
            for action in BookingAction::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);

                let result = from.next(action);

                match expected {
                    Some(to) => assert_eq!(result, Ok(to), "{from} + {action:?}"),
                    None => {
                        assert_eq!(
                            result,
                            Err(InvalidTransition { from, action }),
                            "{from} + {action:?} must be rejected"
                        );
                        rejected += 1;
                    }
                }
            }
        }
        assert_eq!(rejected, 7 * 6 - ALLOWED.len());
    }

    #[test]
    fn a_cancelled_booking_can_never_be_confirmed() {
        let error = Cancelled.next(Confirm).unwrap_err();

        assert_eq!(
            error.to_string(),
            "cannot confirm a booking that is CANCELLED"
        );
    }

    #[test]
    fn an_expired_hold_can_be_neither_confirmed_nor_cancelled() {
        assert!(Expired.next(Confirm).is_err());
        assert!(Expired.next(Cancel).is_err());
    }

    #[test]
    fn final_statuses_accept_no_action_and_the_others_accept_some() {
        for status in BookingStatus::ALL {
            let accepts_some = BookingAction::ALL
                .into_iter()
                .any(|action| status.next(action).is_ok());

            assert_eq!(status.is_final(), !accepts_some, "{status}");
        }
    }

    #[test]
    fn exactly_the_actions_that_end_the_claim_on_inventory_release_it() {
        for (from, action, to) in ALLOWED {
            assert_eq!(
                action.releases_inventory(),
                from.holds_inventory() && !to.holds_inventory(),
                "{from} + {action:?}"
            );
        }
        let releasing: Vec<BookingAction> = BookingAction::ALL
            .into_iter()
            .filter(|action| action.releases_inventory())
            .collect();
        assert_eq!(releasing, [Expire, Cancel, BookingAction::NoShow]);
    }

    #[test]
    fn a_requested_status_names_the_action_that_leads_there() {
        assert_eq!(BookingAction::leading_to(Cancelled), Some(Cancel));
        assert_eq!(BookingAction::leading_to(CheckedIn), Some(CheckIn));
        assert_eq!(
            BookingAction::leading_to(BookingStatus::NoShow),
            Some(BookingAction::NoShow)
        );
        assert_eq!(BookingAction::leading_to(Held), None);
    }

    #[test]
    fn guests_staff_and_the_system_may_take_only_their_own_actions() {
        let allowed: [(Actor, &[BookingAction]); 3] = [
            (Actor::Guest, &[Cancel]),
            (
                Actor::Staff,
                &[Confirm, Cancel, CheckIn, Complete, BookingAction::NoShow],
            ),
            (
                Actor::System,
                &[Confirm, Expire, Cancel, BookingAction::NoShow],
            ),
        ];
        for (actor, actions) in allowed {
            for action in BookingAction::ALL {
                assert_eq!(
                    actor.may(action),
                    actions.contains(&action),
                    "{actor:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn statuses_and_actions_serialise_in_screaming_snake_case() {
        for status in BookingStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, serde_json::json!(status.as_str()));
            assert_eq!(
                serde_json::from_value::<BookingStatus>(json).unwrap(),
                status
            );
        }
        assert_eq!(
            serde_json::to_value(CheckIn).unwrap(),
            serde_json::json!("CHECK_IN")
        );
        assert_eq!(
            serde_json::to_value(BookingAction::NoShow).unwrap(),
            serde_json::json!("NO_SHOW")
        );
    }
}

/// When a booking is, as the guest asked for it (local to the vendor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BookingTime {
    Stay {
        check_in: chrono::NaiveDate,
        check_out: chrono::NaiveDate,
    },
    Seating {
        date: chrono::NaiveDate,
        #[serde(with = "hh_mm")]
        time: chrono::NaiveTime,
    },
}

/// Seating times as clients write them, `19:30` (seconds are accepted on input).
mod hh_mm {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        time: &chrono::NaiveTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<chrono::NaiveTime, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// How the booking reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A guest through the app or web.
    Online,
    /// A guest at the front desk, booked by staff.
    WalkIn,
    /// A guest on the phone, booked by staff.
    Phone,
    /// Booked by staff before walk-ins and phone calls were told apart. Kept (not aliased to
    /// `walk_in`) so stored bookings and their facts still read as what they were; never given
    /// to a new booking.
    FrontDesk,
    /// Imported from a connected booking site (`POST /channel/reservations`).
    Ota,
    /// Imported from a connected channel manager.
    ChannelManager,
    /// Imported from the hotel's own property management system.
    Pms,
}

impl Channel {
    /// Not online: booked by the vendor's staff, or imported from a connected channel that
    /// collected the money itself. Either way a hold confirmed without Stripe.
    pub fn is_desk(self) -> bool {
        !matches!(self, Self::Online)
    }

    /// Imported from a connected channel.
    pub fn is_connected(self) -> bool {
        matches!(self, Self::Ota | Self::ChannelManager | Self::Pms)
    }

    pub fn parse_desk(raw: &str) -> Result<Self, super::Invalid> {
        match raw {
            "walk_in" => Ok(Self::WalkIn),
            "phone" => Ok(Self::Phone),
            _ => Err(super::Invalid::new("must be walk_in or phone")),
        }
    }
}

/// A booking: `units` of one resource type for a run of buckets, and where it is in its life.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Booking {
    pub id: super::ids::BookingId,
    pub vendor_id: super::ids::VendorId,
    pub resource_id: super::ids::ResourceId,
    /// The guest it is for, when they have an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<super::ids::UserId>,
    /// Who created it: `guest:<id>` or `staff:<id>`.
    pub booked_by: String,
    pub channel: Channel,
    pub party_size: super::party::PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub time_zone: super::vendor::TimeZone,
    /// The inventory buckets it holds while its status holds inventory.
    pub buckets: Vec<super::calendar::Bucket>,
    pub arrival_at: chrono::DateTime<chrono::Utc>,
    /// The price quoted when it was held (or last changed).
    pub quote: super::pricing::Quote,
    pub status: BookingStatus,
    pub version: u64,
    /// The room or table it is put in, if any yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<super::unit::UnitAssignment>,
    /// When and how the guest was checked in, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<super::unit::CheckInRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The deposit and cancellation terms, copied from the room or table type when it was held.
    #[serde(default)]
    pub payment: super::deposit::PaymentTerms,
    /// What happened to the deposit at the payment provider; `None` while no payment was asked
    /// for (no deposit, or the provider could not be reached when it was held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_payment: Option<super::payment::DepositPayment>,
    /// The guest of a desk booking without an account: name and contact, personal data kept on
    /// this record only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_guest: Option<super::desk::DeskGuest>,
    /// Money taken at the desk, settled outside Stripe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desk_payments: Vec<super::desk::DeskPayment>,
    /// A digest of the creating request, to tell a retry from a reused idempotency key. Stored
    /// with the booking (by the store) but never shown.
    #[serde(default, skip_serializing)]
    pub request_hash: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Booking {
    /// Whether its deposit still needs the payment provider: a hold that takes one (to be paid,
    /// or to lapse), or a deposit of an ended booking still to be voided or refunded.
    pub fn payment_pending(&self) -> bool {
        let held_for_payment = self.status == BookingStatus::Held && self.payment.deposit.is_some();
        held_for_payment
            || self
                .deposit_payment
                .as_ref()
                .is_some_and(|deposit| deposit.status.is_open())
    }
}
