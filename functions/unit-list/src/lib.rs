//! The vendor's rooms or tables as the board and housekeeping see them on one date (`?date=`,
//! today in the vendor's zone by default): each with its status (`out_of_order` when a block
//! covers the date) and whether a booking is put in it. Never who is in it. `?mine=true` lists
//! only the rooms given to the caller (a housekeeper's round).
use chrono::{NaiveDate, Utc};
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::units::UnitView;
use shared::auth::Caller;
use shared::domain::calendar::{Bucket, Seating};
use shared::domain::ids::{UnitId, VendorId};
use shared::domain::resource::ResourceKind;
use shared::domain::unit::{Occupant, Unit};
use shared::domain::vendor::Vendor;
use shared::http::{Problem, json, path_id, query_param, respond};
use shared::store::{ResourceStore, UnitStore, VendorStore};
use std::collections::HashMap;

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list_units(store, &req).await)
}

async fn list_units(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.may_keep_house(vendor_id) {
        return Err(Problem::forbidden(
            "only this vendor's staff may list its units",
        ));
    }
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let now = shared::clock::now();
    let date = match query_param(req, "date") {
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| Problem::parameter("date", "must be a date such as 2027-03-28"))?,
        None => now.with_timezone(&vendor.time_zone.tz()).date_naive(),
    };
    let resources = store
        .resources(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let mut units = store
        .units(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    units.sort_by_key(|u| u.number.canonical());
    // A housekeeper's own rooms: those given to them.
    if query_param(req, "mine") == Some("true") {
        let me = match &caller {
            Caller::Housekeeping { id, .. } | Caller::Staff { id, .. } => Some(*id),
            Caller::Guest(_) | Caller::Admin(_) => None,
        };
        units.retain(|u| u.housekeeper.is_some() && u.housekeeper == me);
    }
    let bucket_of = |unit: &Unit| {
        let resource = resources.iter().find(|r| r.id == unit.resource_id)?;
        bucket_on(&vendor, resource.kind, resource.seating_grid(), date, now)
    };
    let wanted: Vec<(UnitId, Bucket)> = units
        .iter()
        .filter_map(|u| Some((u.id, bucket_of(u)?)))
        .collect();
    let occupants: HashMap<(UnitId, Bucket), Occupant> = store
        .occupants(vendor_id, &wanted)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let views: Vec<UnitView> = units
        .into_iter()
        .map(|unit| {
            let occupant = bucket_of(&unit).and_then(|b| occupants.get(&(unit.id, b)).copied());
            UnitView {
                status: match occupant {
                    Some(Occupant::Block(_)) => "out_of_order",
                    _ => unit.housekeeping.as_str(),
                },
                occupied: matches!(occupant, Some(Occupant::Booking(_))),
                block_id: match occupant {
                    Some(Occupant::Block(id)) => Some(id),
                    _ => None,
                },
                unit,
            }
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "date": date, "units": views }),
    ))
}

/// The bucket a unit is looked at in on `date`: that night, or for a table the slot under way
/// now (the first slot of the day on another date).
fn bucket_on(
    vendor: &Vendor,
    kind: ResourceKind,
    grid: shared::domain::calendar::SlotGrid,
    date: NaiveDate,
    now: chrono::DateTime<Utc>,
) -> Option<Bucket> {
    match kind {
        ResourceKind::RoomType => Some(Bucket::Night(date)),
        ResourceKind::TableType => {
            let local = now.with_timezone(&vendor.time_zone.tz());
            let step = u32::from(grid.slot_minutes());
            let minutes = if local.date_naive() == date {
                use chrono::Timelike;
                let minute = local.hour() * 60 + local.minute();
                minute - minute % step
            } else {
                0
            };
            let time = chrono::NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?;
            Seating::new(grid, vendor.time_zone, date, time)
                .ok()
                .map(|s| Bucket::Slot(s.start()))
        }
    }
}
