//! Availability, rates and inventory (ARI) for a channel: per room type and night, the units
//! still free and the night's price, read from the counters through `BookingStore::sold_in` (never
//! a scan). The shape follows the content of OpenTravel's `OTA_HotelAvailNotifRQ` (a
//! `BookingLimit` per `InvTypeCode` and date) and `OTA_HotelRateAmountNotifRQ` (a rate amount and
//! currency per `InvTypeCode` and date), in JSON and in integer minor units. A restaurant's
//! table types are the same message's counterpart (`seatings`): per date, each seating start
//! with the tables still free for it.
mod seatings;
#[cfg(test)]
mod tests;

use super::ChannelId;
use super::allotment::{ChannelNight, Nights};
use crate::domain::FieldErrors;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::money::{Currency, Money};
use crate::domain::resource::{Resource, ResourceKind};
use crate::domain::vendor::VendorKind;
use crate::engine::units_free;
use crate::store::{AllotmentStore, BookingStore, CounterKey, ResourceStore, VendorStore};
use chrono::NaiveDate;
pub use seatings::{SeatingDayAri, SlotAri, TableTypeAri};
use serde::Serialize;

/// The most nights one pull covers.
pub const MAX_ARI_NIGHTS: i64 = 366;
/// The most dates one pull of a restaurant covers: a date holds a seating per slot of the day
/// (48 on a 30-minute grid) for each table type, so a year would be megabytes.
pub const MAX_SEATING_DAYS: i64 = 62;

/// The nights from `start` to `end`, both included (as OpenTravel's `Start` and `End`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AriRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl AriRange {
    /// From the `from` and `to` query parameters; errors name them.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::query();
        let date = |errors: &mut FieldErrors, name: &str, raw: Option<&str>| match raw {
            None => {
                errors.push(name, "is required");
                None
            }
            Some(raw) => match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.push(name, "must be a date such as 2026-12-20");
                    None
                }
            },
        };
        let start = date(&mut errors, "from", from);
        let end = date(&mut errors, "to", to);
        let (Some(start), Some(end)) = (start, end) else {
            return Err(errors);
        };
        let nights = (end - start).num_days() + 1;
        if nights < 1 {
            errors.push("to", "must not be before from");
        } else if nights > MAX_ARI_NIGHTS {
            errors.push(
                "to",
                format!("must be at most {MAX_ARI_NIGHTS} nights from from (both included)"),
            );
        }
        errors.finish()?;
        Ok(Self { start, end })
    }

    pub fn nights(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let end = self.end;
        self.start.iter_days().take_while(move |d| *d <= end)
    }

    /// Nights (or a restaurant's dates) covered, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ari {
    /// `HotelCode`: the vendor, a hotel or a restaurant.
    pub hotel_code: VendorId,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub currency_code: Currency,
    /// A hotel's; empty for a restaurant.
    pub room_types: Vec<RoomTypeAri>,
    /// A restaurant's; empty for a hotel.
    pub table_types: Vec<TableTypeAri>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomTypeAri {
    /// `InvTypeCode`: the room type.
    pub inv_type_code: ResourceId,
    pub name: String,
    pub days: Vec<DayAri>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayAri {
    pub date: NaiveDate,
    /// `BookingLimit`: units still free that night (overbooking allowance included).
    pub booking_limit: u32,
    /// The night's price for one unit.
    pub rate: Money,
}

#[derive(Debug, thiserror::Error)]
pub enum AriError {
    #[error("the vendor does not exist")]
    VendorNotFound,
    /// A restaurant's range is longer than `MAX_SEATING_DAYS`.
    #[error("a restaurant's range covers at most {max_days} dates")]
    RangeTooLong { max_days: i64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The vendor's room types with their free units and prices for every night of `range`, or its
/// table types with the tables free for each seating of every date.
pub async fn ari(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    vendor: VendorId,
    range: AriRange,
) -> Result<Ari, AriError> {
    let (found, resources) = tokio::try_join!(store.vendor(vendor), store.resources(vendor))?;
    let found = found.ok_or(AriError::VendorNotFound)?;
    if found.kind == VendorKind::Restaurant && range.days() > MAX_SEATING_DAYS {
        return Err(AriError::RangeTooLong {
            max_days: MAX_SEATING_DAYS,
        });
    }
    let (mut rooms, mut tables): (Vec<_>, Vec<_>) = resources
        .into_iter()
        .partition(|r| r.kind == ResourceKind::RoomType);
    rooms.sort_by_key(|r| r.id);
    tables.sort_by_key(|r| r.id);
    let room_types = room_types(store, vendor, &rooms, range).await?;
    let table_types = seatings::table_types(store, &found, &tables, range).await?;
    Ok(Ari {
        hotel_code: vendor,
        start: range.start,
        end: range.end,
        currency_code: found.currency,
        room_types,
        table_types,
    })
}

async fn room_types(
    store: &impl BookingStore,
    vendor: VendorId,
    rooms: &[Resource],
    range: AriRange,
) -> anyhow::Result<Vec<RoomTypeAri>> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<CounterKey> = rooms
        .iter()
        .flat_map(|room| {
            range.nights().map(move |night| CounterKey {
                vendor,
                resource: room.id,
                bucket: Bucket::Night(night),
            })
        })
        .collect();
    let sold = store.sold_in(&wanted).await?;
    Ok(rooms
        .iter()
        .map(|room| {
            let plan = room.price_plan();
            let days = range
                .nights()
                .map(|night| {
                    let key = CounterKey {
                        vendor,
                        resource: room.id,
                        bucket: Bucket::Night(night),
                    };
                    DayAri {
                        date: night,
                        booking_limit: units_free(
                            room.sellable_limit(),
                            [sold.get(&key).copied().unwrap_or(0)],
                        ),
                        rate: plan.price_on(night),
                    }
                })
                .collect();
            RoomTypeAri {
                inv_type_code: room.id,
                name: room.name.to_string(),
                days,
            }
        })
        .collect())
}

/// What one channel may sell: on a night where it has an unreleased allotment, the rest of it;
/// elsewhere the general free units less those protected for our app. Restaurants have neither
/// allotments nor protection (both are per night of a room type): every channel sells the
/// general free tables.
pub async fn ari_for_channel(
    store: &(impl VendorStore + ResourceStore + BookingStore + AllotmentStore),
    vendor: VendorId,
    channel: ChannelId,
    range: AriRange,
) -> Result<Ari, AriError> {
    let mut ari = ari(store, vendor, range).await?;
    let nights = Nights {
        from: range.start,
        to: range.end,
    };
    let listed = futures::future::try_join_all(
        ari.room_types
            .iter()
            .map(|room| store.allotments(vendor, room.inv_type_code, nights)),
    )
    .await?;
    for (room, listed) in ari.room_types.iter_mut().zip(listed) {
        for (day, night) in room.days.iter_mut().zip(listed) {
            let own = night
                .channels
                .iter()
                .find(|c| c.channel_id == channel)
                .map(|c| ChannelNight {
                    sold: c.sold,
                    allot: c.allot,
                    release_on: c.release_on,
                    released: c.released,
                })
                .unwrap_or_default();
            day.booking_limit = own.free(day.booking_limit, night.protect);
        }
    }
    Ok(ari)
}
