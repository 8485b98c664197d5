//! A vendor's reports for its managers: the reports projection's days from `from` to `to`,
//! grouped by day, ISO week or calendar month, as JSON or (`Accept: text/csv`) CSV.
use chrono::NaiveDate;
use http::{StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::VendorId;
use shared::domain::{FieldErrors, Invalid};
use shared::http::{Problem, json, path_id, query_param, respond};
use shared::reports::period::{self, Granularity, MAX_DAYS, ReportScope};
use shared::reports::{ReportError, ReportStore};
use shared::store::{ResourceStore, VendorStore};

/// The days asked for and how to group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
}

fn date(raw: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| Invalid::new("must be a date such as 2026-03-01"))
}

pub fn query(req: &Request) -> Result<Query, Problem> {
    let mut errors = FieldErrors::query();
    let from = errors.check(
        "from",
        query_param(req, "from")
            .ok_or_else(|| Invalid::new("is required"))
            .and_then(date),
    );
    let to = errors.check(
        "to",
        query_param(req, "to")
            .ok_or_else(|| Invalid::new("is required"))
            .and_then(date),
    );
    let granularity = errors.check_opt("granularity", query_param(req, "granularity"), |raw| {
        Granularity::parse(raw).ok_or_else(|| Invalid::new("must be day, week or month"))
    });
    let (Some(from), Some(to), Some(granularity)) = (from, to, granularity) else {
        return Err(errors.into());
    };
    let days = (to - from).num_days() + 1;
    if days < 1 {
        return Err(Problem::parameter("to", "must not be before `from`"));
    }
    if days > MAX_DAYS {
        return Err(Problem::parameter(
            "to",
            format!("must be at most {MAX_DAYS} days from `from` counting both"),
        ));
    }
    Ok(Query {
        from,
        to,
        granularity: granularity.unwrap_or(Granularity::Day),
    })
}

fn wants_csv(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().starts_with("text/csv"))
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore),
    reports: &impl ReportStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(report(store, reports, &req).await)
}

async fn report(
    store: &(impl VendorStore + ResourceStore),
    reports: &impl ReportStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only the vendor's managers may read its reports",
        ));
    }
    let query = query(req)?;
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let resources = store
        .resources(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let days = reports
        .days(vendor_id, query.from, query.to)
        .await
        .map_err(|e| match e {
            ReportError::Contended => {
                Problem::internal(&anyhow::anyhow!("the reports table is contended"))
            }
            ReportError::Unexpected(cause) => Problem::internal(&cause),
        })?;
    let report = period::assemble(
        ReportScope {
            kind: vendor.kind,
            currency: vendor.currency,
            capacity: period::capacity(&resources),
            from: query.from,
            to: query.to,
            granularity: query.granularity,
        },
        &days,
    );
    if wants_csv(req) {
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(Body::Text(report.to_csv()))
            .map_err(|e| Problem::internal(&anyhow::Error::new(e)));
    }
    Ok(json(
        StatusCode::OK,
        &report.to_json(&vendor_id.to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use serde_json::{Value, json};
    use shared::domain::ids::{BookingId, StaffId, UserId};
    use shared::domain::vendor::Vendor;
    use shared::reports::{Contribution, MemoryReports};
    use shared::store::memory::MemoryStore;
    use std::collections::{BTreeMap, HashMap};

    fn hotel() -> Vendor {
        serde_json::from_value(json!({
            "id": VendorId::generate(),
            "kind": "hotel",
            "name": "Hotel am Park",
            "description": "",
            "address": {"line1": "Parkweg 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
            "location": {"lat": 52.5, "lon": 13.4},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": [],
            "contact": {"email": "desk@hotel.example"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
        }))
        .unwrap()
    }

    fn get(vendor: VendorId, claims: Value, accept: &str) -> Request {
        let path = format!("/vendor/{vendor}/reports");
        let event = json!({
            "version": "2.0",
            "routeKey": "GET /vendor/{id}/reports",
            "rawPath": path,
            "rawQueryString": "from=2026-03-01&to=2026-03-02",
            "queryStringParameters": {"from": "2026-03-01", "to": "2026-03-02"},
            "headers": {"host": "api.reservations.example", "accept": accept},
            "pathParameters": {"id": vendor},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "a1b2c3d4e5",
                "authorizer": {"jwt": {"claims": claims, "scopes": null}},
                "domainName": "api.reservations.example",
                "domainPrefix": "api",
                "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.10", "userAgent": "test"},
                "requestId": "r",
                "routeKey": "GET /vendor/{id}/reports",
                "stage": "$default",
                "time": "22/Nov/2026:10:00:01 +0000",
                "timeEpoch": 1795341601000u64
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    fn staff(vendor: VendorId, role: &str, manager: bool) -> Value {
        json!({"sub": StaffId::generate(), "role": role, "vendor_id": vendor,
               "manager": manager.to_string()})
    }

    async fn open() -> (MemoryStore, MemoryReports, Vendor) {
        let store = MemoryStore::default();
        let vendor = hotel();
        store.put_vendor(&vendor);
        let reports = MemoryReports::default();
        let day: NaiveDate = "2026-03-01".parse().unwrap();
        let counts = BTreeMap::from([
            ("room_nights".to_owned(), 2),
            ("rev_net".to_owned(), 24_113),
            ("bookings".to_owned(), 1),
        ]);
        let night = Contribution {
            version: 1,
            counted: true,
            days: BTreeMap::from([(day, counts)]),
        };
        reports
            .apply(vendor.id, BookingId::generate(), None, &night)
            .await
            .unwrap();
        (store, reports, vendor)
    }

    #[tokio::test]
    async fn a_manager_reads_the_days_as_json_or_csv() {
        let (store, reports, vendor) = open().await;
        let manager = staff(vendor.id, "staff", true);

        let json_reply = handler(
            &store,
            &reports,
            get(vendor.id, manager.clone(), "application/json"),
        )
        .await
        .unwrap();
        let csv_reply = handler(&store, &reports, get(vendor.id, manager, "text/csv"))
            .await
            .unwrap();

        assert_eq!(json_reply.status(), StatusCode::OK);
        let body: Value = serde_json::from_slice(json_reply.body().as_ref()).unwrap();
        assert_eq!(body["periods"].as_array().unwrap().len(), 2);
        assert_eq!(body["periods"][0]["room_nights"], 2);
        assert_eq!(body["periods"][0]["adr"]["amount_minor"], 12_057);
        assert_eq!(body["totals"]["room_revenue_net"]["amount_minor"], 24_113);
        assert_eq!(body["currency"], "EUR");
        assert_eq!(csv_reply.status(), StatusCode::OK);
        assert_eq!(
            csv_reply.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        let csv = String::from_utf8(csv_reply.body().to_vec()).unwrap();
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("2026-03-01,2026-03-01,false,0,2,"),
            "{csv}"
        );
        assert!(csv.contains(",241.13,"), "{csv}");
    }

    #[tokio::test]
    async fn the_desk_housekeeping_guests_and_other_vendors_are_refused() {
        let (store, reports, vendor) = open().await;
        for claims in [
            staff(vendor.id, "staff", false),
            staff(vendor.id, "housekeeping", false),
            json!({"sub": UserId::generate(), "role": "guest"}),
            staff(VendorId::generate(), "staff", true),
        ] {
            let reply = handler(
                &store,
                &reports,
                get(vendor.id, claims.clone(), "application/json"),
            )
            .await
            .unwrap();

            assert_eq!(reply.status(), StatusCode::FORBIDDEN, "{claims}");
        }
    }

    fn request(query: &[(&str, &str)]) -> Request {
        let params: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Request::default().with_query_string_parameters(params)
    }

    fn rejected(query: &[(&str, &str)]) -> Vec<String> {
        let problem = super::query(&request(query)).unwrap_err();
        assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY);
        problem
            .errors()
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["parameter"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn a_year_of_days_is_accepted_and_a_longer_range_is_refused_naming_to() {
        let leap = [("from", "2028-01-01"), ("to", "2028-12-31")];
        assert_eq!(
            super::query(&request(&leap)).unwrap(),
            Query {
                from: "2028-01-01".parse().unwrap(),
                to: "2028-12-31".parse().unwrap(),
                granularity: Granularity::Day,
            }
        );
        assert_eq!(
            rejected(&[("from", "2026-01-01"), ("to", "2027-01-02")]),
            ["to"]
        );
        assert_eq!(
            rejected(&[("from", "2026-01-02"), ("to", "2026-01-01")]),
            ["to"]
        );
    }

    #[test]
    fn dates_and_granularity_are_checked_each_by_name() {
        assert_eq!(rejected(&[]), ["from", "to"]);
        assert_eq!(
            rejected(&[
                ("from", "2026-1-1"),
                ("to", "2026-01-31"),
                ("granularity", "year")
            ]),
            ["from", "granularity"]
        );
    }
}
