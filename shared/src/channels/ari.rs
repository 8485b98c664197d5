//! Availability, rates and inventory (ARI) for a channel: per room type and night, the units
//! still free and the night's price, read from the counters through `BookingStore::sold_in` (never
//! a scan). The shape follows the content of OpenTravel's `OTA_HotelAvailNotifRQ` (a
//! `BookingLimit` per `InvTypeCode` and date) and `OTA_HotelRateAmountNotifRQ` (a rate amount and
//! currency per `InvTypeCode` and date), in JSON and in integer minor units.
use super::ChannelId;
use super::allotment::{ChannelNight, Nights};
use crate::domain::FieldErrors;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::money::{Currency, Money};
use crate::domain::resource::ResourceKind;
use crate::engine::units_free;
use crate::store::{AllotmentStore, BookingStore, CounterKey, ResourceStore, VendorStore};
use chrono::NaiveDate;
use serde::Serialize;

/// The most nights one pull covers.
pub const MAX_ARI_NIGHTS: i64 = 366;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ari {
    /// `HotelCode`: the vendor.
    pub hotel_code: VendorId,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub currency_code: Currency,
    pub room_types: Vec<RoomTypeAri>,
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
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The vendor's room types with their free units and prices for every night of `range`.
pub async fn ari(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    vendor: VendorId,
    range: AriRange,
) -> Result<Ari, AriError> {
    let (found, resources) = tokio::try_join!(store.vendor(vendor), store.resources(vendor))?;
    let found = found.ok_or(AriError::VendorNotFound)?;
    let mut rooms: Vec<_> = resources
        .into_iter()
        .filter(|r| r.kind == ResourceKind::RoomType)
        .collect();
    rooms.sort_by_key(|r| r.id);
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
    let room_types = rooms
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
        .collect();
    Ok(Ari {
        hotel_code: vendor,
        start: range.start,
        end: range.end,
        currency_code: found.currency,
        room_types,
    })
}

/// What one channel may sell: on a night where it has an unreleased allotment, the rest of it;
/// elsewhere the general free units less those protected for our app.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn named(result: Result<AriRange, FieldErrors>) -> Vec<String> {
        result
            .unwrap_err()
            .into_vec()
            .into_iter()
            .map(|e| format!("{:?}", e.location))
            .collect()
    }

    #[test]
    fn a_range_is_both_ends_included_and_at_most_366_nights() {
        let range = AriRange::parse(Some("2026-12-30"), Some("2027-01-02")).unwrap();
        assert_eq!(range.nights().count(), 4);
        assert!(AriRange::parse(Some("2026-01-01"), Some("2027-01-01")).is_ok());
        assert_eq!(
            named(AriRange::parse(Some("2026-01-01"), Some("2027-01-02"))),
            vec![r#"Parameter("to")"#]
        );
        assert_eq!(
            named(AriRange::parse(Some("2026-01-02"), Some("2026-01-01"))),
            vec![r#"Parameter("to")"#]
        );
        assert_eq!(
            named(AriRange::parse(Some("tomorrow"), None)),
            vec![r#"Parameter("from")"#, r#"Parameter("to")"#]
        );
    }
}
