//! A restaurant's ARI: per table type and date, every start time on the type's slot grid with the
//! tables free for a seating starting then (the fewest free over the slots it would hold, as
//! `engine::availability` counts them), and one table's price and deposit for that date.
use super::AriRange;
use crate::domain::calendar::Seating;
use crate::domain::ids::ResourceId;
use crate::domain::money::Money;
use crate::domain::resource::Resource;
use crate::domain::vendor::Vendor;
use crate::engine::units_free;
use crate::store::{BookingStore, CounterKey};
use chrono::{NaiveDate, NaiveTime};
use serde::{Serialize, Serializer};
use std::collections::HashSet;

const MINUTES_PER_DAY: u32 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableTypeAri {
    /// The table type, as `InvTypeCode` names a room type.
    pub inv_type_code: ResourceId,
    pub name: String,
    /// Guests one table seats.
    pub capacity: u16,
    /// How long a seating holds its table.
    pub seating_minutes: u16,
    pub days: Vec<SeatingDayAri>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeatingDayAri {
    /// The restaurant's local date the seatings start on.
    pub date: NaiveDate,
    /// One table's price for a seating starting this date.
    pub rate: Money,
    /// The deposit one table's seating takes; absent when the type asks none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit: Option<Money>,
    pub slots: Vec<SlotAri>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotAri {
    /// The local start time, `19:30`.
    #[serde(serialize_with = "clock")]
    pub time: NaiveTime,
    /// Tables free for a seating starting then (overbooking allowance included).
    pub booking_limit: u32,
}

fn clock<S: Serializer>(time: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&time.format("%H:%M"))
}

/// The seatings of `table` that start on `date` in the vendor's zone, in time order: one per
/// slot of the grid, less the times the clocks skip that day.
fn seatings_on(vendor: &Vendor, table: &Resource, date: NaiveDate) -> Vec<Seating> {
    let grid = table.seating_grid();
    (0..MINUTES_PER_DAY)
        .step_by(usize::from(grid.slot_minutes()))
        .filter_map(|minute| NaiveTime::from_hms_opt(minute / 60, minute % 60, 0))
        .filter_map(|time| Seating::new(grid, vendor.time_zone, date, time).ok())
        .collect()
}

pub(super) async fn table_types(
    store: &impl BookingStore,
    vendor: &Vendor,
    tables: &[Resource],
    range: AriRange,
) -> anyhow::Result<Vec<TableTypeAri>> {
    let planned: Vec<Vec<(NaiveDate, Vec<Seating>)>> = tables
        .iter()
        .map(|table| {
            range
                .nights()
                .map(|date| (date, seatings_on(vendor, table, date)))
                .collect()
        })
        .collect();
    let key = |table: &Resource, bucket| CounterKey {
        vendor: vendor.id,
        resource: table.id,
        bucket,
    };
    let wanted: HashSet<CounterKey> = tables
        .iter()
        .zip(&planned)
        .flat_map(|(table, days)| {
            days.iter()
                .flat_map(|(_, seatings)| seatings.iter().flat_map(Seating::buckets))
                .map(move |bucket| key(table, bucket))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let sold = store
        .sold_in(&wanted.into_iter().collect::<Vec<_>>())
        .await?;
    Ok(tables
        .iter()
        .zip(planned)
        .map(|(table, days)| {
            let plan = table.price_plan();
            let limit = table.sellable_limit();
            let days = days
                .into_iter()
                .map(|(date, seatings)| {
                    let rate = plan.price_on(date);
                    let slots = seatings
                        .iter()
                        .map(|seating| SlotAri {
                            time: seating.local_time(),
                            booking_limit: units_free(
                                limit,
                                seating.buckets().into_iter().map(|bucket| {
                                    sold.get(&key(table, bucket)).copied().unwrap_or(0)
                                }),
                            ),
                        })
                        .collect();
                    SeatingDayAri {
                        date,
                        rate,
                        // A deposit the hold would refuse (another currency) is not offered.
                        deposit: table.deposit.deposit_for(rate).ok().flatten(),
                        slots,
                    }
                })
                .collect();
            TableTypeAri {
                inv_type_code: table.id,
                name: table.name.to_string(),
                capacity: table.capacity.get(),
                seating_minutes: table.seating_grid().seating_minutes(),
                days,
            }
        })
        .collect())
}
