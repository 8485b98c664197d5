//! A manager sets how many units of a room type a channel may sell on each night of a range, and
//! how many days before each night the unsold ones return to the general pool (zero units
//! removes the allotment: released now). The whole range is one transaction with the type's
//! counters, so a refused night changes nothing; a range longer than one transaction takes is
//! refused up front.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::{Deserialize, Serialize};
use shared::channels::ChannelStore;
use shared::channels::allotment::{Allotment, Nights, max_nights_per_request};
use shared::channels::manage::managed_channel;
use shared::domain::FieldErrors;
use shared::domain::ids::ResourceId;
use shared::domain::resource::ResourceKind;
use shared::http::{Problem, json, json_body, respond};
use shared::store::{AllotmentError, AllotmentStore, ChannelNightView, ResourceStore, VendorStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllotmentBody {
    resource_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    units: Option<i64>,
    release_days: Option<i64>,
}

#[derive(Serialize)]
struct Night {
    date: chrono::NaiveDate,
    #[serde(flatten)]
    channel: Option<ChannelNightView>,
}

#[derive(Serialize)]
struct Allotted {
    resource_id: ResourceId,
    channel_id: shared::channels::ChannelId,
    nights: Vec<Night>,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + AllotmentStore),
    channels: &impl ChannelStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(set(store, channels, &req).await)
}

async fn set(
    store: &(impl VendorStore + ResourceStore + AllotmentStore),
    channels: &impl ChannelStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let channel = managed_channel(channels, req).await?;
    let vendor_id = channel.vendor_id;
    let body: AllotmentBody = json_body(req)?;
    // The type's limit bounds `units`, so the type is found before the rest is checked.
    let resource_id = match body.resource_id.as_deref() {
        None => return Err(Problem::field("/resource_id", "is required")),
        Some(raw) => ResourceId::parse(raw).map_err(|_| {
            Problem::field(
                "/resource_id",
                "must be the id of one of the vendor's room types",
            )
        })?,
    };
    let (vendor, resource) = tokio::try_join!(
        store.vendor(vendor_id),
        store.resource(vendor_id, resource_id)
    )
    .map_err(|e| Problem::internal(&e))?;
    let vendor = vendor.ok_or_else(|| Problem::not_found("vendor"))?;
    let resource = resource
        .ok_or_else(|| Problem::field("/resource_id", "no such room type of this vendor"))?;
    if resource.kind != ResourceKind::RoomType {
        return Err(Problem::field(
            "/resource_id",
            "must be a room type: allotments are per night",
        ));
    }
    let mut errors = FieldErrors::default();
    let nights = Nights::parse(&mut errors, "/", body.from.as_deref(), body.to.as_deref());
    let allotment = Allotment::new(
        &mut errors,
        body.units,
        body.release_days,
        resource.sellable_limit(),
    );
    let (Some(nights), Some(allotment)) = (nights, allotment) else {
        return Err(errors.into());
    };
    let most = max_nights_per_request(resource.shards.get());
    if nights.iter().count() > most {
        return Err(too_many(most));
    }
    let today = shared::clock::now()
        .with_timezone(&vendor.time_zone.tz())
        .date_naive();
    if allotment.units > 0 && allotment.release_on(nights.from) <= today {
        return Err(Problem::field(
            "/release_days",
            format!(
                "the release date of {} ({}) is not after today ({today}) in the hotel's time zone",
                nights.from,
                allotment.release_on(nights.from)
            ),
        ));
    }
    store
        .set_allotment(&resource, channel.id, nights, allotment, today)
        .await
        .map_err(refused)?;
    let listed = store
        .allotments(vendor_id, resource.id, nights)
        .await
        .map_err(|e| Problem::internal(&e))?;
    tracing::info!(vendor = %vendor_id, channel = %channel.id, resource = %resource.id, units = allotment.units, "allotment set");
    Ok(json(
        StatusCode::OK,
        &Allotted {
            resource_id: resource.id,
            channel_id: channel.id,
            nights: listed
                .into_iter()
                .map(|n| Night {
                    date: n.date,
                    channel: n.channels.into_iter().find(|c| c.channel_id == channel.id),
                })
                .collect(),
        },
    ))
}

fn too_many(most: usize) -> Problem {
    Problem::field(
        "/to",
        format!(
            "must be at most {most} nights from from (both included) for this room type: one request is one transaction"
        ),
    )
    .with_extension("max_nights", serde_json::json!(most))
}

fn refused(err: AllotmentError) -> Problem {
    match err {
        AllotmentError::BelowSold { night, sold } => Problem::conflict(
            "allotment-below-sold",
            "The channel has sold more than that",
            format!("the channel has sold {sold} units on {night}; nothing was set"),
        )
        .with_extension("night", serde_json::json!(night))
        .with_extension("sold", serde_json::json!(sold)),
        AllotmentError::SoldOut { night, free } => Problem::conflict(
            "sold-out",
            "Not enough units free",
            format!("only {free} units are free on {night}; nothing was set"),
        )
        .with_extension("night", serde_json::json!(night))
        .with_extension("free", serde_json::json!(free)),
        AllotmentError::ReleasePassed { night } => Problem::field(
            "/release_days",
            format!("the release date of {night} has passed"),
        ),
        AllotmentError::TooManyNights { most } => too_many(most),
        AllotmentError::Unexpected(cause) => Problem::internal(&cause),
    }
}
