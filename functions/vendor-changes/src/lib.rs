//! A vendor's change feed for its staff: what changed after a cursor, in the order the feed
//! recorded it, long-polled (an answer waits up to `wait` seconds for something new).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::VendorId;
use shared::domain::{FieldErrors, Invalid};
use shared::feed::{Audience, ChangeLog, Changes, Feed, FeedError, Position};
use shared::http::{Problem, json, path_id, query_param, respond};
use shared::store::VendorStore;
use std::time::Duration;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 500;
/// The longest a request waits for something new: well inside API Gateway's 30 s.
pub const MAX_WAIT_SECONDS: u64 = 20;

/// How a waiting request looks again: soon at first, then a little less often, but never more
/// than half a second apart, so a live board sees a change at most that long after it was
/// recorded (a read that finds nothing is one consistent Query of the head item).
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub first: Duration,
    pub longest: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(250),
            longest: Duration::from_millis(500),
        }
    }
}

impl Polling {
    fn after(self, interval: Duration) -> Duration {
        (interval * 5 / 4).min(self.longest)
    }
}

/// The query: where to read from, how much, and how long to wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub after: Position,
    pub limit: usize,
    pub wait: Duration,
}

fn number(raw: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, Invalid> {
    raw.parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            Invalid::new(format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ))
        })
}

fn query(req: &Request) -> Result<Query, Problem> {
    let mut errors = FieldErrors::query();
    let after = errors.check_opt("after", query_param(req, "after"), |raw| {
        Position::from_cursor(raw)
            .ok_or_else(|| Invalid::new("must be a cursor this feed handed out (its `next`)"))
    });
    let limit = errors.check_opt("limit", query_param(req, "limit"), |raw| {
        number(raw, 1..=MAX_LIMIT as u64)
    });
    let wait = errors.check_opt("wait", query_param(req, "wait"), |raw| {
        number(raw, 0..=MAX_WAIT_SECONDS)
    });
    let (Some(after), Some(limit), Some(wait)) = (after, limit, wait) else {
        return Err(errors.into());
    };
    Ok(Query {
        after: after.unwrap_or(Position::START),
        limit: limit.map_or(DEFAULT_LIMIT, |l| l as usize),
        wait: Duration::from_secs(wait.unwrap_or(MAX_WAIT_SECONDS)),
    })
}

fn problem(err: FeedError) -> Problem {
    match err {
        FeedError::UnknownCursor => {
            Problem::parameter("after", "is past the end of this vendor's feed")
        }
        FeedError::Gone { head } => Problem::new(
            StatusCode::GONE,
            "feed-expired",
            "The changes after this cursor are no longer kept",
        )
        .with_detail(format!(
            "entries are kept {} days: reload the vendor's bookings and units, then follow the feed from `next`",
            shared::feed::RETENTION_DAYS
        ))
        .with_extension("next", serde_json::Value::String(head.cursor())),
        FeedError::Unexpected(cause) => Problem::internal(&cause),
    }
}

pub async fn handler(
    store: &impl VendorStore,
    feed: &Feed<impl ChangeLog>,
    polling: Polling,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(changes(store, feed, polling, &req).await)
}

async fn changes(
    store: &impl VendorStore,
    feed: &Feed<impl ChangeLog>,
    polling: Polling,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let audience = match &caller {
        staff if staff.is_staff_of(vendor_id) => Audience::Everything,
        // Housekeepers follow the rooms and tables (and their blocks), never a booking.
        Caller::Housekeeping { vendor_id: own, .. } if *own == vendor_id => Audience::UnitsOnly,
        _ => {
            return Err(Problem::forbidden(
                "only the vendor's staff may read its changes",
            ));
        }
    };
    let query = query(req)?;
    store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let answer = long_poll(feed, vendor_id, query, audience, polling)
        .await
        .map_err(problem)?;
    Ok(json(StatusCode::OK, &answer))
}

/// Reads until something is new or the wait is over; the last read's answer. What the handler
/// answers with (and what the feed benchmark follows the feed with).
pub async fn long_poll(
    feed: &Feed<impl ChangeLog>,
    vendor: VendorId,
    query: Query,
    audience: Audience,
    polling: Polling,
) -> Result<Changes, FeedError> {
    let deadline = tokio::time::Instant::now() + query.wait;
    let mut after = query.after;
    let mut interval = polling.first;
    loop {
        let read = feed
            .changes(vendor, after, query.limit, audience, shared::clock::now())
            .await?;
        let now = tokio::time::Instant::now();
        if !read.changes.is_empty() || now >= deadline {
            return Ok(read);
        }
        // Entries this audience does not see are passed over for good.
        after = read.next;
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = polling.after(interval);
    }
}

#[cfg(test)]
mod tests;
