use super::*;
use chrono::Utc;
use lambda_http::RequestExt;
use shared::events::EventId;
use shared::feed::{Change, ChangeKind, MemoryFeed};
use std::collections::HashMap;

fn request(query: &[(&str, &str)]) -> Request {
    let params: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Request::default().with_query_string_parameters(params)
}

fn change(kind: ChangeKind) -> Change {
    let booking = shared::domain::ids::BookingId::generate();
    Change {
        kind,
        aggregate_id: booking.to_string(),
        version: 1,
        detail_type: "BookingHeld".into(),
        event_id: EventId::for_booking(booking, 1),
        occurred_at: Utc::now(),
        detail: serde_json::json!({}),
    }
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
fn without_parameters_a_reader_starts_at_the_beginning_takes_100_and_waits_20_seconds() {
    assert_eq!(
        super::query(&request(&[])).unwrap(),
        Query {
            after: Position::START,
            limit: 100,
            wait: Duration::from_secs(20)
        }
    );
    assert_eq!(
        super::query(&request(&[
            ("after", "00000000000000000042"),
            ("limit", "500"),
            ("wait", "0")
        ]))
        .unwrap(),
        Query {
            after: Position::new(42),
            limit: 500,
            wait: Duration::ZERO
        }
    );
}

#[test]
fn each_bad_parameter_is_named() {
    assert_eq!(rejected(&[("after", "yesterday")]), ["after"]);
    assert_eq!(rejected(&[("after", "-1")]), ["after"]);
    assert_eq!(rejected(&[("limit", "0")]), ["limit"]);
    assert_eq!(rejected(&[("limit", "501")]), ["limit"]);
    assert_eq!(rejected(&[("limit", "ten")]), ["limit"]);
    assert_eq!(rejected(&[("wait", "21")]), ["wait"]);
    assert_eq!(
        rejected(&[("after", "x"), ("limit", "x"), ("wait", "x")]),
        ["after", "limit", "wait"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiting_reader_gets_a_change_as_soon_as_it_is_recorded() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    feed.record(vendor, change(ChangeKind::Booking), Utc::now())
        .await
        .unwrap();
    let query = Query {
        after: Position::new(1),
        limit: 10,
        wait: Duration::from_secs(20),
    };
    let writer = feed.clone();
    let later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        writer
            .record(vendor, change(ChangeKind::Booking), Utc::now())
            .await
            .unwrap();
    });
    let started = tokio::time::Instant::now();

    let read = long_poll(
        &feed,
        vendor,
        query,
        Audience::Everything,
        Polling::default(),
    )
    .await
    .unwrap();

    later.await.unwrap();
    assert_eq!(read.next, Position::new(2));
    assert_eq!(read.changes.len(), 1);
    // On the paused clock: it answered at the next look after the change, not at the end.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_reader_with_nothing_new_gets_nothing_when_the_wait_is_over() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    feed.record(vendor, change(ChangeKind::Booking), Utc::now())
        .await
        .unwrap();
    let query = Query {
        after: Position::new(1),
        limit: 10,
        wait: Duration::from_secs(20),
    };
    let started = tokio::time::Instant::now();

    let read = long_poll(
        &feed,
        vendor,
        query,
        Audience::Everything,
        Polling::default(),
    )
    .await
    .unwrap();

    assert_eq!((read.changes.len(), read.next), (0, Position::new(1)));
    assert_eq!(started.elapsed(), Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_reader_of_units_only_passes_over_bookings_while_it_waits() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    for _ in 0..3 {
        feed.record(vendor, change(ChangeKind::Booking), Utc::now())
            .await
            .unwrap();
    }
    let query = Query {
        after: Position::START,
        limit: 10,
        wait: Duration::from_secs(2),
    };

    let read = long_poll(
        &feed,
        vendor,
        query,
        Audience::UnitsOnly,
        Polling::default(),
    )
    .await
    .unwrap();

    assert_eq!((read.changes.len(), read.next), (0, Position::new(3)));
}

#[test]
fn an_expired_cursor_is_gone_and_says_where_to_follow_from_after_reloading() {
    let problem = problem(FeedError::Gone {
        head: Position::new(9),
    });
    let body = serde_json::to_value(&problem).unwrap();

    assert_eq!(problem.status(), StatusCode::GONE);
    assert_eq!(body["next"], "00000000000000000009");
}
