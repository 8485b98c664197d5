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
    use std::collections::HashMap;

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
