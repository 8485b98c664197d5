//! Holding a room or table: the booking's inventory is taken in one transaction, all buckets or
//! none, and its id comes from its creator and idempotency key so a retry finds the first one.
use super::{IDEMPOTENCY_WINDOW_HOURS, MAX_COUNTERS, MAX_UNITS};
use crate::auth::Caller;
use crate::domain::FieldErrors;
use crate::domain::booking::{Booking, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::{BookedTime, Bucket, Seating, StayNights};
use crate::domain::deposit::PaymentTerms;
use crate::domain::desk::DeskGuest;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::party::{NoResourceFits, PartySize, fitting_resources};
use crate::domain::resource::{Resource, ResourceKind};
use crate::domain::vendor::{TimeZone, Vendor};
use crate::store::{
    ArchiveIndex, BookingStore, BookingWriteError, Catalog, CounterChange, HoldBasis,
    ResourceStore, VendorStore,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// A validated request for a hold.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub vendor: VendorId,
    /// `None`: the smallest resource type that seats the party.
    pub resource: Option<ResourceId>,
    pub party: PartySize,
    /// `None`: one unit.
    pub units: Option<u32>,
    pub time: BookingTime,
}

/// Who is creating a booking.
#[derive(Debug, Clone)]
pub struct Creator {
    /// `guest:<id>`, `staff:<id>` or `admin:<id>`: part of the booking's idempotency identity.
    pub booked_by: String,
    pub guest: Option<UserId>,
    pub channel: Channel,
    /// A desk booking's guest without an account (name and contact).
    pub desk_guest: Option<DeskGuest>,
}

impl Creator {
    /// Guests book for themselves online; staff book for their own vendor (admins for any) at
    /// the desk: a walk-in until `at_desk` says otherwise.
    pub fn from_caller(caller: &Caller, vendor: VendorId) -> Option<Self> {
        let desk = |booked_by| Self {
            booked_by,
            guest: None,
            channel: Channel::WalkIn,
            desk_guest: None,
        };
        match caller {
            Caller::Guest(id) => Some(Self {
                booked_by: format!("guest:{id}"),
                guest: Some(*id),
                channel: Channel::Online,
                desk_guest: None,
            }),
            Caller::Staff { id, vendor_id, .. } if *vendor_id == vendor => {
                Some(desk(format!("staff:{id}")))
            }
            Caller::Admin(id) => Some(desk(format!("admin:{id}"))),
            Caller::Staff { .. } | Caller::Housekeeping { .. } => None,
        }
    }

    /// Whether this is staff booking at the desk (a desk hold, no online payment).
    pub fn is_desk(&self) -> bool {
        self.channel.is_desk()
    }
}

/// Everything a hold needs besides the stores.
#[derive(Debug, Clone)]
pub struct NewHold<'a> {
    pub creator: &'a Creator,
    pub idempotency_key: &'a str,
    /// A digest of the request, to tell a retry from a reused key.
    pub request_hash: &'a str,
    pub request: HoldRequest,
    pub now: DateTime<Utc>,
    pub hold_seconds: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("no such vendor")]
    VendorNotFound,
    #[error("no such resource")]
    ResourceNotFound,
    #[error(transparent)]
    NoFit(NoResourceFits),
    #[error("invalid request")]
    Invalid(FieldErrors),
    #[error("sold out")]
    SoldOut {
        resource: ResourceId,
        buckets: Vec<Bucket>,
    },
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error("the idempotency key has expired")]
    KeyExpired,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A new hold, or the one an earlier identical request made.
#[derive(Debug)]
pub enum Held {
    Created(Booking),
    Replayed(Booking),
}

pub(super) fn invalid(pointer: &str, detail: impl Into<String>) -> HoldError {
    let mut errors = FieldErrors::default();
    errors.push(pointer, detail);
    HoldError::Invalid(errors)
}

/// Where a hold's time lands in the vendor's calendar (`zone`): its buckets and the arrival
/// instant, or why it cannot be booked (invalid, outside the booking window, more buckets than
/// one transaction takes).
pub(crate) fn place(
    zone: TimeZone,
    resource: &Resource,
    time: BookingTime,
    now: DateTime<Utc>,
) -> Result<(Vec<Bucket>, DateTime<Utc>, BookedTime), HoldError> {
    place_within(zone, resource, time, now, true)
}

/// `place`, checking the booking window only when `window` is set: a guest already in the
/// house extends a stay that began in the past.
pub(crate) fn place_within(
    zone: TimeZone,
    resource: &Resource,
    time: BookingTime,
    now: DateTime<Utc>,
    window: bool,
) -> Result<(Vec<Bucket>, DateTime<Utc>, BookedTime), HoldError> {
    let booked = match (time, resource.kind) {
        (
            BookingTime::Stay {
                check_in,
                check_out,
            },
            ResourceKind::RoomType,
        ) => BookedTime::Stay(
            StayNights::new(check_in, check_out).map_err(|e| invalid("/check_out", e.0))?,
        ),
        (BookingTime::Seating { date, time }, ResourceKind::TableType) => BookedTime::Seating(
            Seating::new(resource.seating_grid(), zone, date, time)
                .map_err(|e| invalid("/time", e.0))?,
        ),
        (BookingTime::Stay { .. }, ResourceKind::TableType) => {
            return Err(invalid(
                "/check_in",
                "a restaurant takes a date and a time, not nights",
            ));
        }
        (BookingTime::Seating { .. }, ResourceKind::RoomType) => {
            return Err(invalid(
                "/date",
                "a hotel takes check_in and check_out dates",
            ));
        }
    };
    let buckets = booked.buckets();
    if buckets.len() > MAX_COUNTERS {
        let (pointer, what) = match booked {
            BookedTime::Stay(_) => ("/check_out", "nights"),
            BookedTime::Seating(_) => ("/time", "slots"),
        };
        return Err(invalid(
            pointer,
            format!(
                "takes {} {what}; one booking takes at most {MAX_COUNTERS}",
                buckets.len()
            ),
        ));
    }
    let arrival = booked
        .arrival(zone, resource.check_in())
        .map_err(|e| invalid("/check_in", e.0))?;
    if !window {
        return Ok((buckets, arrival, booked));
    }
    // A guest who turns up tonight after the check-in hour is a late arrival, not a past one.
    let today = now.with_timezone(&zone.tz()).date_naive();
    let window_arrival = match booked {
        BookedTime::Stay(stay) if stay.check_in() == today && arrival < now => now,
        _ => arrival,
    };
    let pointer = match booked {
        BookedTime::Stay(_) => "/check_in",
        BookedTime::Seating(_) => "/date",
    };
    resource
        .booking_window
        .check(now, window_arrival)
        .map_err(|e| invalid(pointer, e.0))?;
    Ok((buckets, arrival, booked))
}

/// Holds inventory for a request: HELD for `hold_seconds`, priced now, all buckets or none.
/// The booking's id comes from its creator and idempotency key, so a retry finds the first one;
/// a key whose booking was archived since is expired, never a second booking with that id.
pub async fn hold(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    new: NewHold<'_>,
) -> Result<Held, HoldError> {
    // No read of the id first: if the booking exists, the transaction's first condition fails,
    // nothing is written, and the retry is answered from the stored booking. Only a request that
    // fails before reaching the store (its dates have passed since, say) looks for one.
    let id = BookingId::from_idempotency_key(&new.creator.booked_by, new.idempotency_key);
    let (request_hash, now) = (new.request_hash, new.now);
    match hold_new(store, archive, id, new).await {
        Err(HoldError::Invalid(_) | HoldError::NoFit(_) | HoldError::ResourceNotFound)
            if let Some(existing) = store.booking(id).await? =>
        {
            replay(existing, request_hash, now)
        }
        Err(HoldError::Invalid(_) | HoldError::NoFit(_) | HoldError::ResourceNotFound)
            if store.checks_archive() && archive.archived(id).await?.is_some() =>
        {
            Err(HoldError::KeyExpired)
        }
        other => other,
    }
}

/// How many times a hold works itself out again after its copy of the type proved stale.
const CATALOG_ATTEMPTS: u32 = 3;

/// The vendor and its types: this container's copy when `fresh` is not asked for and one is
/// kept, else read now (and kept).
async fn catalog(
    store: &(impl VendorStore + ResourceStore),
    vendor: VendorId,
    fresh: bool,
) -> Result<(Arc<Catalog>, bool), HoldError> {
    let cache = store.catalog_cache();
    if !fresh && let Some(kept) = cache.and_then(|c| c.get(vendor)) {
        return Ok((kept, true));
    }
    let (found, resources) = tokio::try_join!(store.vendor(vendor), store.resources(vendor))?;
    let found = found.ok_or(HoldError::VendorNotFound)?;
    let read = Arc::new(Catalog::new(found, resources));
    if let Some(cache) = cache {
        cache.put(read.clone());
    }
    Ok((read, false))
}

async fn hold_new(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    id: BookingId,
    new: NewHold<'_>,
) -> Result<Held, HoldError> {
    // Archived bookings are months old, far past the key's window: their key is expired. A store
    // that checks the archive in the hold's own transaction saves the read.
    if !store.checks_archive() && archive.archived(id).await?.is_some() {
        return Err(HoldError::KeyExpired);
    }
    // Staff at the desk book a few times an hour and expect the desk minutes they just set; an
    // online hold takes the copy (whose vendor settings, its time zone, lag CATALOG_TTL at most).
    let mut fresh = new.creator.is_desk();
    for _ in 0..CATALOG_ATTEMPTS {
        let (catalog, kept) = catalog(store, new.request.vendor, fresh).await?;
        match hold_from(store, archive, id, &new, &catalog).await {
            // A kept copy may only say yes: a refusal it worked out (a limit it may have too
            // low, a type it may lack) is asked again of the stored types.
            Err(Stale) => {}
            Ok(Err(
                HoldError::SoldOut { .. }
                | HoldError::Invalid(_)
                | HoldError::NoFit(_)
                | HoldError::ResourceNotFound,
            )) if kept => {}
            Ok(answer) => return answer,
        }
        if let Some(cache) = store.catalog_cache() {
            cache.forget(new.request.vendor);
        }
        fresh = true;
    }
    Err(anyhow::anyhow!("the vendor's types kept changing under the hold").into())
}

/// The hold was worked out from a type that has changed since.
struct Stale;

async fn hold_from(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    id: BookingId,
    new: &NewHold<'_>,
    catalog: &Catalog,
) -> Result<Result<Held, HoldError>, Stale> {
    let request = &new.request;
    let (vendor, resources) = (&catalog.vendor, &catalog.resources);
    // A guest who picks a type gets that type or a 409. Otherwise the smallest type that fits
    // is tried first, then the next, so a free family room is offered when doubles are gone.
    let candidates: Vec<&Resource> = match request.resource {
        Some(wanted) => match resources.iter().find(|r| r.id == wanted) {
            Some(found) => vec![found],
            None => return Ok(Err(HoldError::ResourceNotFound)),
        },
        None => {
            let fitting = fitting_resources(request.party, resources);
            if fitting.is_empty() {
                return Ok(Err(HoldError::NoFit(NoResourceFits {
                    party: request.party,
                    largest: resources.iter().map(|r| r.capacity).max(),
                })));
            }
            fitting
        }
    };
    let mut first_refusal = None;
    for resource in candidates {
        match hold_on(store, archive, id, new, vendor, resource).await? {
            Err(refused @ (HoldError::SoldOut { .. } | HoldError::Invalid(_)))
                if request.resource.is_none() =>
            {
                first_refusal.get_or_insert(refused);
            }
            other => return Ok(other),
        }
    }
    Ok(Err(first_refusal.unwrap_or_else(|| {
        anyhow::anyhow!("no candidate resource was tried").into()
    })))
}

/// Checks that `units` of `resource` can seat `party`, naming the field that is wrong.
pub(super) fn check_fit(
    resource: &Resource,
    party: PartySize,
    units: u32,
) -> Result<(), HoldError> {
    let most = resource.sellable_limit().min(MAX_UNITS);
    if !(1..=most).contains(&units) {
        return Err(invalid(
            "/units",
            format!("{} takes between 1 and {most} units", resource.name),
        ));
    }
    let seats = u32::from(resource.capacity.get()) * units;
    if u32::from(party.get()) > seats {
        return Err(invalid(
            "/party_size",
            format!("{units} x {} seats at most {seats}", resource.name),
        ));
    }
    Ok(())
}

/// The terms a booking of `resource` quoted at `total` takes: the type's deposit on that total
/// and its cancellation policy, as they are now.
pub(super) fn terms_for(
    resource: &Resource,
    total: crate::domain::money::Money,
) -> anyhow::Result<PaymentTerms> {
    let deposit = resource.deposit.deposit_for(total).map_err(|e| {
        anyhow::anyhow!(
            "resource {}'s deposit doesn't fit its price: {}",
            resource.id,
            e.0
        )
    })?;
    Ok(PaymentTerms {
        deposit,
        cancellation: resource.cancellation,
    })
}

/// Holds `resource` for the request, all buckets or none, unless the type changed since it
/// was read.
async fn hold_on(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    id: BookingId,
    new: &NewHold<'_>,
    vendor: &Vendor,
    resource: &Resource,
) -> Result<Result<Held, HoldError>, Stale> {
    Ok(
        match take(store, archive, id, new, vendor, resource).await {
            Err(Taken::Stale) => return Err(Stale),
            Err(Taken::Refused(refused)) => Err(refused),
            Ok(held) => Ok(held),
        },
    )
}

enum Taken {
    Stale,
    Refused(HoldError),
}

impl From<HoldError> for Taken {
    fn from(err: HoldError) -> Self {
        Self::Refused(err)
    }
}

impl From<anyhow::Error> for Taken {
    fn from(err: anyhow::Error) -> Self {
        Self::Refused(err.into())
    }
}

async fn take(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    id: BookingId,
    new: &NewHold<'_>,
    vendor: &Vendor,
    resource: &Resource,
) -> Result<Held, Taken> {
    let (request, now) = (&new.request, new.now);
    let units = request.units.unwrap_or(1);
    check_fit(resource, request.party, units)?;
    let (buckets, arrival_at, booked) = place(vendor.time_zone, resource, request.time, now)?;
    let quote = resource
        .price_plan()
        .quote(&booked, units)
        .map_err(|_| invalid("/units", "the price is too large"))?;
    let payment = terms_for(resource, quote.total)?;
    // A desk hold waits for staff to confirm it, for the vendor's desk minutes, whatever the
    // deposit: a deposit is paid at the desk. Online, a booking without a deposit has nothing to
    // wait for and is confirmed at once.
    let (status, hold_expires_at) = match payment.deposit {
        _ if new.creator.is_desk() => (
            BookingStatus::Held,
            Some(now + vendor.desk_hold_minutes.duration()),
        ),
        Some(_) => (
            BookingStatus::Held,
            Some(now + Duration::seconds(new.hold_seconds)),
        ),
        None => (BookingStatus::Confirmed, None),
    };
    let booking = Booking {
        id,
        vendor_id: vendor.id,
        resource_id: resource.id,
        guest_id: new.creator.guest,
        booked_by: new.creator.booked_by.clone(),
        channel: new.creator.channel,
        party_size: request.party,
        units,
        time: request.time,
        time_zone: vendor.time_zone,
        buckets,
        arrival_at,
        quote,
        status,
        version: 1,
        unit: None,
        check_in: None,
        hold_expires_at,
        payment,
        deposit_payment: None,
        desk_guest: new.creator.desk_guest.clone(),
        desk_payments: Vec::new(),
        request_hash: new.request_hash.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let takes = CounterChange::of_type(
        CounterChange::between(None, Some((&booking, resource.sellable_limit()))),
        resource,
    );
    let basis = HoldBasis {
        vendor: vendor.id,
        resource: resource.id,
        resource_version: resource.version,
    };
    match store.insert_hold(&booking, &takes, &basis).await {
        Ok(()) => Ok(Held::Created(booking)),
        Err(BookingWriteError::SoldOut(buckets)) => Err(Taken::Refused(HoldError::SoldOut {
            resource: resource.id,
            buckets,
        })),
        // A concurrent identical request won the race: answer as it did. Not live, the id is
        // archived (the store checked): its key has expired.
        Err(BookingWriteError::Duplicate) => match store.booking(id).await? {
            Some(existing) => Ok(replay(existing, new.request_hash, now)?),
            None if archive.archived(id).await?.is_some() => Err(HoldError::KeyExpired.into()),
            None => Err(anyhow::anyhow!("booking {id} refused as duplicate but not found").into()),
        },
        Err(BookingWriteError::Stale) => Err(Taken::Stale),
        Err(BookingWriteError::UnitTaken { .. } | BookingWriteError::TooLarge(_)) => {
            Err(anyhow::anyhow!("a new booking takes no unit and at most 99 counters").into())
        }
        Err(BookingWriteError::Unexpected(e)) => Err(e.into()),
    }
}

fn replay(existing: Booking, request_hash: &str, now: DateTime<Utc>) -> Result<Held, HoldError> {
    if existing.created_at + Duration::hours(IDEMPOTENCY_WINDOW_HOURS) < now {
        return Err(HoldError::KeyExpired);
    }
    if existing.request_hash != request_hash {
        return Err(HoldError::KeyReused);
    }
    Ok(Held::Replayed(existing))
}
