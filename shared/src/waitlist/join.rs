//! Joining and leaving: a guest joins for a request a hold would take but the counters refuse;
//! the same request again answers the entry already waiting.
use super::{Entry, EntryId, EntryStatus, MAX_ENTRIES_PER_GUEST, WaitlistStore};
use crate::domain::booking::BookingTime;
use crate::domain::ids::{ResourceId, UserId, VendorId};
use crate::domain::party::PartySize;
use crate::engine::{HoldError, check_request, units_left};
use crate::store::{BookingStore, ResourceStore, VendorStore};
use chrono::{DateTime, Utc};

/// A validated request to wait: what a hold of it would name.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub party: PartySize,
    pub units: u32,
    pub time: BookingTime,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// What a hold of the same request would be refused for (no such vendor or type, a party
    /// too large, dates outside the booking window), naming the field.
    #[error(transparent)]
    Refused(HoldError),
    #[error("{units_left} units are free: hold them instead")]
    NotSoldOut { units_left: u32 },
    #[error("a guest waits for at most {MAX_ENTRIES_PER_GUEST} requests at once")]
    TooMany,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A new entry, or the one the guest already has for the same request.
#[derive(Debug)]
pub enum Joined {
    Created(Entry),
    Existing(Entry),
}

pub async fn join(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    waitlist: &impl WaitlistStore,
    guest: UserId,
    request: JoinRequest,
    now: DateTime<Utc>,
) -> Result<Joined, JoinError> {
    let (vendor, resources) = tokio::try_join!(
        store.vendor(request.vendor),
        store.resources(request.vendor)
    )?;
    let vendor = vendor.ok_or(JoinError::Refused(HoldError::VendorNotFound))?;
    let resource = resources
        .into_iter()
        .find(|r| r.id == request.resource)
        .ok_or(JoinError::Refused(HoldError::ResourceNotFound))?;
    let (buckets, arrives_at) = check_request(
        &vendor,
        &resource,
        request.party,
        request.units,
        request.time,
        now,
    )
    .map_err(JoinError::Refused)?;
    let left = units_left(store, vendor.id, &resource, &buckets).await?;
    if left >= request.units {
        return Err(JoinError::NotSoldOut { units_left: left });
    }
    let mine = waitlist.of_guest(guest).await?;
    let open: Vec<&Entry> = mine
        .iter()
        .filter(|e| matches!(e.status, EntryStatus::Waiting | EntryStatus::Offered))
        .collect();
    if let Some(same) = open.iter().find(|e| {
        e.status == EntryStatus::Waiting
            && e.resource_id == request.resource
            && e.time == request.time
            && e.party_size == request.party
            && e.units == request.units
    }) {
        return Ok(Joined::Existing((*same).clone()));
    }
    if open.len() >= MAX_ENTRIES_PER_GUEST {
        return Err(JoinError::TooMany);
    }
    let entry = Entry {
        id: EntryId::generate(),
        vendor_id: vendor.id,
        resource_id: resource.id,
        guest_id: guest,
        party_size: request.party,
        units: request.units,
        time: request.time,
        time_zone: vendor.time_zone,
        status: EntryStatus::Waiting,
        booking_id: None,
        hold_expires_at: None,
        joined_at: now,
        updated_at: now,
        arrives_at,
        version: 1,
    };
    if !waitlist.insert(&entry).await? {
        return Err(anyhow::anyhow!("waitlist entry {} exists already", entry.id).into());
    }
    tracing::info!(entry_id = %entry.id, vendor_id = %entry.vendor_id, resource_id = %entry.resource_id, "joined the waitlist");
    Ok(Joined::Created(entry))
}

#[derive(Debug, thiserror::Error)]
pub enum LeaveError {
    #[error("no such waitlist entry")]
    NotFound,
    #[error("the entry changed meanwhile")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Takes the guest's entry off the list. An offer already made stays a hold the guest may pay
/// or cancel like any other.
pub async fn leave(
    waitlist: &impl WaitlistStore,
    guest: UserId,
    vendor: VendorId,
    resource: ResourceId,
    id: EntryId,
) -> Result<Entry, LeaveError> {
    let entry = waitlist
        .entry(vendor, resource, id)
        .await?
        .filter(|e| e.guest_id == guest)
        .ok_or(LeaveError::NotFound)?;
    if !waitlist.remove(&entry).await? {
        return Err(LeaveError::Busy);
    }
    Ok(entry)
}
