//! Demo stays that arrived yesterday and leave today, for `localstack/demo-data.sh`: the API
//! refuses arrivals in the past, so these go through the same engine calls as the desk's (book,
//! confirm, check in) with the business time set to yesterday noon in the vendor's zone. Reads
//! the plan as JSON on stdin, prints one line. The same plan again changes nothing (each hold's
//! idempotency key is in the plan; a stay checked in or gone since is left as it is).
//!
//! `{"vendor": id, "staff": id, "stays": [{"key", "resource_id", "unit_id", "party", "channel", "guest": {"name"}}]}`
use anyhow::{Context, anyhow};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::booking::{BookingAction, BookingStatus, BookingTime, Channel};
use shared::domain::desk::DeskGuest;
use shared::domain::ids::{ResourceId, StaffId, UnitId, VendorId};
use shared::domain::party::PartySize;
use shared::domain::unit::CheckInMethod;
use shared::engine::{self, CheckIn, Creator, Held, HoldRequest, NewHold, Requester};
use shared::store::{DynamoArchive, DynamoStore, VendorStore};
use std::io::Read;

#[derive(Deserialize)]
struct Plan {
    vendor: String,
    staff: String,
    stays: Vec<Stay>,
}

#[derive(Deserialize)]
struct Stay {
    key: String,
    resource_id: String,
    unit_id: String,
    party: i64,
    channel: Channel,
    guest: DeskGuest,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw)?;
    let plan: Plan = serde_json::from_str(&raw).context("the plan on stdin")?;
    let vendor = VendorId::parse(&plan.vendor).map_err(|e| anyhow!("vendor: {}", e.0))?;
    let staff = StaffId::parse(&plan.staff).map_err(|e| anyhow!("staff: {}", e.0))?;

    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let archive = DynamoArchive::from_env(&store)?;
    let zone = store
        .vendor(vendor)
        .await?
        .context("no such vendor")?
        .time_zone
        .tz();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let yesterday = today - Days::new(1);
    let noon = yesterday.and_time(NaiveTime::from_hms_opt(12, 0, 0).context("noon")?);
    let now = zone
        .from_local_datetime(&noon)
        .earliest()
        .context("yesterday noon in the vendor's zone")?
        .with_timezone(&Utc);

    let caller = Caller::Staff {
        id: staff,
        vendor_id: vendor,
        manager: false,
    };
    let desk = Desk {
        store: &store,
        archive: &archive,
        requester: Requester::Caller(caller.clone()),
        caller,
        vendor,
        check_in: yesterday,
        check_out: today,
        now,
    };
    let (mut made, mut kept, mut refused) = (0, 0, Vec::new());
    for stay in plan.stays {
        match desk.book(stay).await {
            Ok(true) => made += 1,
            Ok(false) => kept += 1,
            Err(err) => refused.push(format!("{err:#}")),
        }
    }
    let mut line =
        format!("demo departures: {made} guests in since yesterday, {kept} already there");
    if let Some(first) = refused.first() {
        line += &format!("; {} refused (e.g. {first})", refused.len());
    }
    println!("{line}");
    Ok(())
}

/// The desk as it was yesterday noon: who books, for which vendor, and the stay's dates.
struct Desk<'a> {
    store: &'a DynamoStore,
    archive: &'a DynamoArchive,
    caller: Caller,
    requester: Requester,
    vendor: VendorId,
    check_in: NaiveDate,
    check_out: NaiveDate,
    now: DateTime<Utc>,
}

impl Desk<'_> {
    /// Books, confirms and checks in one stay from yesterday to today; true when it was new.
    async fn book(&self, stay: Stay) -> anyhow::Result<bool> {
        let key = &stay.key;
        let mut creator =
            Creator::from_caller(&self.caller, self.vendor).context("staff of the vendor")?;
        creator.channel = stay.channel;
        creator.desk_guest = Some(stay.guest);
        let request = HoldRequest {
            vendor: self.vendor,
            resource: Some(
                ResourceId::parse(&stay.resource_id)
                    .map_err(|e| anyhow!("{key}: resource: {}", e.0))?,
            ),
            party: PartySize::new(stay.party).map_err(|e| anyhow!("{key}: party: {}", e.0))?,
            units: None,
            time: BookingTime::Stay {
                check_in: self.check_in,
                check_out: self.check_out,
            },
        };
        let unit = UnitId::parse(&stay.unit_id).map_err(|e| anyhow!("{key}: unit: {}", e.0))?;
        let new = NewHold {
            creator: &creator,
            idempotency_key: key,
            request_hash: key,
            request,
            now: self.now,
            hold_seconds: 900,
        };
        let (booking, fresh) = match engine::hold(self.store, self.archive, new)
            .await
            .with_context(|| format!("{key}: hold"))?
        {
            Held::Created(booking) => (booking, true),
            Held::Replayed(booking) => (booking, false),
        };
        // In already, or gone (checked out, cancelled) since an earlier run: left as it is.
        if !matches!(
            booking.status,
            BookingStatus::Held | BookingStatus::Confirmed
        ) {
            return Ok(fresh);
        }
        let minute = chrono::Duration::minutes(1);
        if booking.status == BookingStatus::Held {
            engine::transition(
                self.store,
                booking.id,
                BookingAction::Confirm,
                &self.requester,
                self.now + minute,
            )
            .await
            .with_context(|| format!("{key}: confirm"))?;
        }
        let request = CheckIn {
            method: CheckInMethod::Desk,
            unit: Some(unit),
            id_checked: true,
            early: true,
        };
        engine::check_in(
            self.store,
            booking.id,
            &request,
            &self.requester,
            self.now + minute * 2,
        )
        .await
        .with_context(|| format!("{key}: check-in"))?;
        Ok(fresh)
    }
}
