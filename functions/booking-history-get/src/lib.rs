//! A booking's history, oldest first: every fact it went through, as the `booking-history`
//! consumer recorded it. Read by whoever may read the booking (its guest, its vendor's staff,
//! admins), live or archived; anyone else is told it does not exist, as `GET /booking/{id}` does.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::ids::BookingId;
use shared::engine::may_read_of;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore, HistoryEntry, HistoryLog};

#[derive(Serialize)]
struct History {
    booking_id: BookingId,
    items: Vec<HistoryEntry>,
}

pub async fn handler(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl HistoryLog,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(get_history(store, archive, log, &req).await)
}

async fn get_history(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl HistoryLog,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let owners = match store.booking(id).await {
        Ok(Some(booking)) => Some((booking.guest_id, booking.vendor_id)),
        // Read after the live table: a booking moved out meanwhile is in the archive by now.
        Ok(None) => archive
            .archived(id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .map(|entry| (entry.guest_id, entry.vendor_id)),
        Err(cause) => return Err(Problem::internal(&cause)),
    };
    if !owners.is_some_and(|(guest, vendor)| may_read_of(&caller, guest, vendor)) {
        return Err(Problem::not_found("booking"));
    }
    let items = log.history(id).await.map_err(|e| Problem::internal(&e))?;
    Ok(json(
        StatusCode::OK,
        &History {
            booking_id: id,
            items,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use shared::domain::booking::Booking;
    use shared::domain::ids::{StaffId, UserId, VendorId};
    use shared::store::memory::MemoryStore;
    use shared::store::{ArchiveEntry, MemoryHistoryLog};

    fn booking(guest: UserId, vendor: VendorId, status: &str) -> Booking {
        serde_json::from_value(json!({
            "id": BookingId::generate(),
            "vendor_id": vendor,
            "resource_id": shared::domain::ids::ResourceId::generate(),
            "guest_id": guest,
            "booked_by": "staff:x",
            "channel": "walk_in",
            "party_size": 2,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "time_zone": "Europe/Berlin",
            "buckets": [],
            "arrival_at": "2026-01-31T14:00:00Z",
            "quote": {"lines": [], "total": {"amount_minor": 100, "currency": "EUR"}},
            "status": status,
            "version": 2,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
        }))
        .unwrap()
    }

    fn entry(version: u64, detail_type: &str, status: &str, previous: Value) -> HistoryEntry {
        serde_json::from_value(json!({
            "version": version,
            "detail_type": detail_type,
            "occurred_at": "2026-01-01T00:00:00Z",
            "status": status,
            "previous_status": previous,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "resource_id": shared::domain::ids::ResourceId::generate(),
            "party_size": 2,
            "unit": null,
            "total": {"amount_minor": 100, "currency": "EUR"},
            "deposit_status": null,
            "desk_payments": [],
            "booked_by": "staff",
            "channel": "walk_in",
        }))
        .unwrap()
    }

    /// `GET /booking/{id}/history` as API Gateway hands it over once the token's `claims` were
    /// verified.
    fn request(booking: BookingId, claims: Value) -> Request {
        let path = format!("/booking/{booking}/history");
        let event = json!({
            "version": "2.0",
            "routeKey": "GET /booking/{bookingid}/history",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"host": "api.reservations.example"},
            "pathParameters": {"bookingid": booking},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "a1b2c3d4e5",
                "authorizer": {"jwt": {"claims": claims, "scopes": null}},
                "domainName": "api.reservations.example",
                "domainPrefix": "api",
                "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.10", "userAgent": "test"},
                "requestId": "r",
                "routeKey": "GET /booking/{bookingid}/history",
                "stage": "$default",
                "time": "22/Nov/2026:10:00:01 +0000",
                "timeEpoch": 1795341601000u64
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    fn guest(id: UserId) -> Value {
        json!({"sub": id, "role": "guest"})
    }

    fn staff(vendor: VendorId, role: &str) -> Value {
        json!({"sub": StaffId::generate(), "role": role, "vendor_id": vendor})
    }

    async fn read(
        store: &MemoryStore,
        log: &MemoryHistoryLog,
        booking: BookingId,
        claims: Value,
    ) -> (StatusCode, Value) {
        let response = handler(store, store, log, request(booking, claims))
            .await
            .unwrap();
        let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        (response.status(), body)
    }

    #[tokio::test]
    async fn the_guest_and_the_vendor_s_staff_read_it_oldest_first_and_nobody_else_learns_it_exists()
     {
        let (owner, vendor) = (UserId::generate(), VendorId::generate());
        let store = MemoryStore::default();
        let live = booking(owner, vendor, "CONFIRMED");
        store.insert_booking(&live, &[]).await.unwrap();
        let log = MemoryHistoryLog::default();
        for (version, detail_type, status, previous) in [
            (2, "BookingConfirmed", "CONFIRMED", json!("HELD")),
            (1, "BookingHeld", "HELD", Value::Null),
        ] {
            let fact = entry(version, detail_type, status, previous);
            log.record(live.id, &fact).await.unwrap();
        }

        for claims in [
            guest(owner),
            staff(vendor, "staff"),
            json!({"sub": "ops", "role": "admin"}),
        ] {
            let (status, body) = read(&store, &log, live.id, claims.clone()).await;
            assert_eq!(status, StatusCode::OK, "{claims}: {body:#}");
            assert_eq!(body["booking_id"], json!(live.id));
            let types: Vec<&str> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["detail_type"].as_str())
                .collect();
            assert_eq!(types, ["BookingHeld", "BookingConfirmed"], "{claims}");
        }
        for claims in [
            guest(UserId::generate()),
            staff(VendorId::generate(), "staff"),
            staff(vendor, "housekeeping"),
        ] {
            let (status, body) = read(&store, &log, live.id, claims.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{claims}: {body:#}");
            assert!(body.get("items").is_none(), "{claims}: {body:#}");
        }
        let (status, _) = read(&store, &log, BookingId::generate(), guest(owner)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn an_archived_booking_s_history_is_read_by_whoever_may_read_the_booking() {
        let (owner, vendor) = (UserId::generate(), VendorId::generate());
        let store = MemoryStore::default();
        let ended = booking(owner, vendor, "CANCELLED");
        store.archive(ArchiveEntry::of(&ended, "k".into(), chrono::Utc::now()));
        let log = MemoryHistoryLog::default();
        let fact = entry(1, "BookingHeld", "HELD", Value::Null);
        log.record(ended.id, &fact).await.unwrap();

        let (status, body) = read(&store, &log, ended.id, staff(vendor, "staff")).await;
        let (stranger, _) = read(&store, &log, ended.id, guest(UserId::generate())).await;

        assert_eq!(status, StatusCode::OK, "{body:#}");
        assert_eq!(body["items"][0]["detail_type"], "BookingHeld", "{body:#}");
        assert_eq!(stranger, StatusCode::NOT_FOUND);
    }
}
