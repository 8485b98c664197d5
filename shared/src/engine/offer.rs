//! What the waitlist asks of the engine before anyone is held: whether a request could be
//! booked at all (the hold's own checks: fit, calendar, booking window) and where it lands.
use super::hold::{HoldError, check_fit, place};
use crate::domain::booking::BookingTime;
use crate::domain::calendar::Bucket;
use crate::domain::party::PartySize;
use crate::domain::resource::Resource;
use crate::domain::vendor::Vendor;
use chrono::{DateTime, Utc};

/// The buckets and arrival of `units` of `resource` for `party` at `time`, or why a hold of it
/// would be refused for anything but the counters.
pub fn check_request(
    vendor: &Vendor,
    resource: &Resource,
    party: PartySize,
    units: u32,
    time: BookingTime,
    now: DateTime<Utc>,
) -> Result<(Vec<Bucket>, DateTime<Utc>), HoldError> {
    check_fit(resource, party, units)?;
    let (buckets, arrival, _) = place(vendor.time_zone, resource, time, now)?;
    Ok((buckets, arrival))
}
