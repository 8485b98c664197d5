//! Who may read or act on a booking: its own guest, staff of its vendor, an admin (acting as
//! staff), or the platform itself.
use crate::auth::Caller;
use crate::domain::booking::{Actor, Booking};
use crate::domain::ids::{UserId, VendorId};
use crate::domain::payment::SYSTEM;

/// Who asks for a change or a transition: a signed-in caller, or the platform itself.
#[derive(Debug, Clone)]
pub enum Requester {
    Caller(Caller),
    /// Staff of the booking's vendor acting on its guest's request (a cancellation phoned in):
    /// the guest's rules apply, and the settlement names the member of staff.
    ForGuest(Caller),
    System,
    /// A connected channel, on the bookings it imported itself (`booked_by`, `channel:<client
    /// id>`): it acts for the vendor, as staff do, never on another booking.
    Channel {
        vendor: VendorId,
        booked_by: String,
    },
}

impl Requester {
    /// What the requester is to `booking`, if anything.
    pub(crate) fn actor_for(&self, booking: &Booking) -> Option<Actor> {
        match self {
            Self::System => Some(Actor::System),
            Self::Channel { vendor, booked_by } => (booking.vendor_id == *vendor
                && booking.booked_by == *booked_by)
                .then_some(Actor::Staff),
            Self::Caller(caller) => actor_of(caller, booking.guest_id, booking.vendor_id),
            Self::ForGuest(caller) => match actor_of(caller, booking.guest_id, booking.vendor_id) {
                Some(Actor::Staff) => Some(Actor::Guest),
                _ => None,
            },
        }
    }

    /// How a settlement names who acted: `guest:<id>`, `staff:<id>`, `admin:<id>`, `system`.
    pub(crate) fn acted_by(&self) -> String {
        match self {
            Self::System => SYSTEM.to_owned(),
            Self::Channel { booked_by, .. } => booked_by.clone(),
            Self::Caller(caller) | Self::ForGuest(caller) => caller.acting_as(),
        }
    }
}

/// What `caller` is to a booking of `guest` at `vendor`, if anything: its guest, staff of its
/// vendor, or an admin (acting as staff).
fn actor_of(caller: &Caller, guest: Option<UserId>, vendor: VendorId) -> Option<Actor> {
    match caller {
        Caller::Guest(id) => (guest == Some(*id)).then_some(Actor::Guest),
        staff @ Caller::Staff { .. } => staff.is_staff_of(vendor).then_some(Actor::Staff),
        Caller::Admin(_) => Some(Actor::Staff),
        Caller::Housekeeping { .. } => None,
    }
}

/// Whether `caller` may see the booking at all.
pub fn may_read(caller: &Caller, booking: &Booking) -> bool {
    may_read_of(caller, booking.guest_id, booking.vendor_id)
}

/// Whether `caller` may see a booking of `guest` at `vendor` (one known only by its archive
/// entry, say): the same people as `may_read`, who are those a change may come from.
pub fn may_read_of(caller: &Caller, guest: Option<UserId>, vendor: VendorId) -> bool {
    actor_of(caller, guest, vendor).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::StaffId;
    use crate::store::memory::fixtures;

    #[test]
    fn whoever_may_read_a_booking_by_its_entry_is_whoever_may_act_on_it() {
        let (guest, vendor) = (UserId::generate(), VendorId::generate());
        let staff = |vendor_id| Caller::Staff {
            id: StaffId::generate(),
            vendor_id,
            manager: false,
        };
        let callers = [
            (Caller::Guest(guest), Some(Actor::Guest)),
            (Caller::Guest(UserId::generate()), None),
            (staff(vendor), Some(Actor::Staff)),
            (staff(VendorId::generate()), None),
            (Caller::Admin("ops".into()), Some(Actor::Staff)),
        ];

        for (caller, actor) in callers {
            let booked = fixtures::ended_booking(Some(guest), vendor);
            let requester = Requester::Caller(caller.clone());

            assert_eq!(requester.actor_for(&booked), actor, "{caller:?}");
            assert_eq!(may_read(&caller, &booked), actor.is_some(), "{caller:?}");
            assert_eq!(
                may_read_of(&caller, Some(guest), vendor),
                actor.is_some(),
                "{caller:?}"
            );
        }
        let walk_in = fixtures::ended_booking(None, vendor);
        assert!(!may_read(&Caller::Guest(guest), &walk_in));
        assert!(!may_read_of(&Caller::Guest(guest), None, vendor));
    }
}
