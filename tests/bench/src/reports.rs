//! The reports route on the local stack: a year of business days of a 300-room hotel in the
//! reports table (one item per day with the counters a busy hotel's facts leave: nights, revenue,
//! taxes, four channels, cancellations, no-shows, lead time, stays, some days closed with
//! adjustments), then `GET /vendor/{id}/reports` for the whole year by day and by month
//! (`vendor_reports::handler`, as API Gateway hands it the request), beside one bare Query of the
//! same items in the same run.
//!
//! ```sh
//! eval "$(localstack/local.sh env)"
//! CARGO_TARGET_DIR=$HOME/.cache/reservations/target cargo run --release -p bench --bin bench-reports
//! ```
//!
//! Settings (environment): `BENCH_REPORTS` (50 requests per row).
use anyhow::{Context, ensure};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use bench::{Summary, add_room_type, latency_row, onboard_hotel};
use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use lambda_http::Request;
use serde_json::json;
use shared::domain::ids::{StaffId, VendorId};
use shared::reports::DynamoReports;
use shared::store::DynamoStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ROOMS: i64 = 300;
const DAYS: i64 = 365;

/// A day's counters as a busy hotel's facts leave them (deterministic, varying by weekday).
fn day_item(vendor: VendorId, day: NaiveDate, n: i64) -> HashMap<String, AttributeValue> {
    let busy = 150
        + (n * 37 % 140)
        + if day.weekday().number_from_monday() >= 5 {
            10
        } else {
            0
        };
    let net = busy * 11_215;
    let mut item = HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("VENDOR#{vendor}")),
        ),
        ("sk".to_owned(), AttributeValue::S(format!("DAY#{day}"))),
    ]);
    let mut counters = vec![
        ("room_nights", busy),
        ("rev_net", net),
        ("rev_vat", busy * 785),
        ("city_tax", busy * 500),
        ("bookings", busy / 3),
        ("cancellations", busy / 25),
        ("cancel_fees", busy / 25 * 3_870),
        ("no_shows", busy / 60),
        ("no_show_fees", busy / 60 * 7_740),
        ("lead_days", busy / 3 * 17),
        ("stays", busy / 3 - busy / 25 - busy / 60),
        ("stay_nights", (busy / 3) * 2),
    ];
    let channels = [
        ("online", 6),
        ("walk_in", 1),
        ("phone", 2),
        ("front_desk", 1),
    ];
    let owned: Vec<(String, i64)> = channels
        .iter()
        .flat_map(|(c, share)| {
            [
                (format!("ch_{c}_nights"), busy * share / 10),
                (format!("ch_{c}_rev_net"), net * share / 10),
                (format!("ch_{c}_bookings"), busy / 3 * share / 10),
            ]
        })
        .collect();
    counters.extend(owned.iter().map(|(k, v)| (k.as_str(), *v)));
    for (name, value) in counters {
        item.insert(name.to_owned(), AttributeValue::N(value.to_string()));
    }
    // The older half is closed, and one closed day in ten had a later change posted on it.
    if n < DAYS / 2 {
        item.insert(
            "closed_at".into(),
            AttributeValue::S(format!("{}T01:00:00.000Z", day + Days::days(1))),
        );
        item.insert("capacity".into(), AttributeValue::N(ROOMS.to_string()));
        if n % 10 == 0 && n > 0 {
            item.insert("adj_room_nights".into(), AttributeValue::N("-1".into()));
            item.insert("adj_rev_net".into(), AttributeValue::N("-11215".into()));
            item.insert(
                "adjusts".into(),
                AttributeValue::Ss(vec![(day - Days::days(1)).to_string()]),
            );
        }
    }
    item
}

async fn write_year(
    client: &Client,
    table: &str,
    vendor: VendorId,
    first: NaiveDate,
) -> anyhow::Result<()> {
    let items: Vec<WriteRequest> = (0..DAYS)
        .map(|n| {
            let put = PutRequest::builder()
                .set_item(Some(day_item(vendor, first + Days::days(n), n)))
                .build()
                .context("a day item")?;
            Ok(WriteRequest::builder().put_request(put).build())
        })
        .collect::<anyhow::Result<_>>()?;
    for chunk in items.chunks(25) {
        let mut pending = Some(HashMap::from([(table.to_owned(), chunk.to_vec())]));
        while let Some(requests) = pending.take().filter(|r| !r.is_empty()) {
            let output = client
                .batch_write_item()
                .set_request_items(Some(requests))
                .send()
                .await
                .context("BatchWriteItem of day items")?;
            pending = output.unprocessed_items.filter(|u| !u.is_empty());
        }
    }
    Ok(())
}

fn report_request(
    vendor: VendorId,
    from: NaiveDate,
    to: NaiveDate,
    granularity: &str,
) -> anyhow::Result<Request> {
    let path = format!("/vendor/{vendor}/reports");
    let query = format!("from={from}&to={to}&granularity={granularity}");
    let event = json!({
        "version": "2.0",
        "routeKey": "GET /vendor/{id}/reports",
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": {"from": from, "to": to, "granularity": granularity},
        "headers": {"accept": "application/json", "host": "api.reservations.example"},
        "pathParameters": {"id": vendor.to_string()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "authorizer": {"jwt": {"claims": {
                "sub": StaffId::generate().to_string(),
                "role": "staff",
                "vendor_id": vendor.to_string(),
                "manager": "true",
            }, "scopes": null}},
            "domainName": "api.reservations.example",
            "domainPrefix": "api",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "bench",
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "GET /vendor/{id}/reports",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": Utc::now().timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).context("parsing the report request")
}

/// One bare Query of the vendor's day items (every page); the items read.
async fn bare_query(
    client: &Client,
    table: &str,
    vendor: VendorId,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<usize> {
    let mut read = 0;
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(format!("VENDOR#{vendor}")))
            .expression_attribute_values(":from", AttributeValue::S(format!("DAY#{from}")))
            .expression_attribute_values(":to", AttributeValue::S(format!("DAY#{to}")))
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("the bare Query")?;
        read += page.items().len();
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(read);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let runs: usize = shared::config::optional("BENCH_REPORTS", 50)?;
    ensure!(
        (1..=10_000).contains(&runs),
        "BENCH_REPORTS must be between 1 and 10000"
    );
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk).context("the table names (run local.sh env)")?;
    let reports = DynamoReports::from_env(&sdk).context("REPORTS_TABLE (run local.sh env)")?;
    let client = Client::new(&sdk);
    let table = reports.table().to_owned();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let vendor = onboard_hotel(&store, &run).await?;
    add_room_type(&store, &vendor, "Double", u32::try_from(ROOMS)?, false).await?;
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).context("a date")?;
    let last = first + Days::days(DAYS - 1);
    write_year(&client, &table, vendor.id, first).await?;

    let read = bare_query(&client, &table, vendor.id, first, last).await?;
    ensure!(
        read == DAYS as usize,
        "the Query read {read} items, not {DAYS}"
    );
    println!(
        "GET /vendor/{{id}}/reports for a year of a {ROOMS}-room hotel ({runs} runs each, {read} day items read per request, table {table})"
    );
    println!("  {:<56} {:>8} {:>8} {:>8}", "ms", "p50", "p99", "mean");
    let mut bare = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        bare_query(&client, &table, vendor.id, first, last).await?;
        bare.push(started.elapsed());
    }
    latency_row("one bare Query of the 365 items", Summary::of(&bare));
    for granularity in ["day", "week", "month"] {
        let mut took: Vec<Duration> = Vec::with_capacity(runs);
        for _ in 0..runs {
            let request = report_request(vendor.id, first, last, granularity)?;
            let started = Instant::now();
            let response = vendor_reports::handler(&store, &reports, request)
                .await
                .map_err(|e| anyhow::anyhow!("the handler failed: {e}"))?;
            took.push(started.elapsed());
            ensure!(
                response.status() == http::StatusCode::OK,
                "the handler answered {}",
                response.status()
            );
        }
        latency_row(
            &format!("handler, granularity={granularity} (JSON)"),
            Summary::of(&took),
        );
    }
    Ok(())
}
