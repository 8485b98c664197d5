//! The query string of the booking lists: `from` and `to` (inclusive local dates), `status`
//! (comma-separated), `limit` (1..=100, default 25) and `cursor` (from the previous page).
use crate::domain::booking::BookingStatus;
use crate::domain::{FieldErrors, Invalid};
use crate::http::{Problem, query_param};
use crate::store::{BookingPage, BookingQuery, ListError, Listed};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use lambda_http::Request;
use serde::Serialize;

pub const DEFAULT_LIMIT: i32 = 25;
pub const MAX_LIMIT: i32 = 100;

/// Midnight at the start of `date` in `zone`, in UTC (the first instant, should midnight be
/// skipped by a clock change).
fn start_of(date: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let midnight = date.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

fn date(raw: &str) -> Result<NaiveDate, Invalid> {
    raw.parse()
        .map_err(|_| Invalid::new("must be a date such as 2026-12-24"))
}

/// Reads the list's query string; dates are read in `zone` (the vendor's, or UTC for a guest,
/// whose bookings span time zones).
pub fn list_query(req: &Request, zone: Tz) -> Result<BookingQuery, Problem> {
    let mut errors = FieldErrors::query();
    let from = errors.check_opt("from", query_param(req, "from"), date);
    let to = errors.check_opt("to", query_param(req, "to"), date);
    let statuses = errors.check("status", {
        query_param(req, "status")
            .map(|raw| {
                raw.split(',')
                    .map(|s| {
                        serde_json::from_value::<BookingStatus>(serde_json::Value::String(
                            s.trim().to_uppercase(),
                        ))
                        .map_err(|_| Invalid::new("must be statuses such as HELD,CONFIRMED"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or(Ok(Vec::new()))
    });
    let limit = errors.check(
        "limit",
        query_param(req, "limit")
            .map(|raw| {
                raw.parse::<i32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| Invalid::new(format!("must be between 1 and {MAX_LIMIT}")))
            })
            .unwrap_or(Ok(DEFAULT_LIMIT)),
    );
    let (Some(from), Some(to), Some(statuses), Some(limit)) = (from, to, statuses, limit) else {
        return Err(errors.into());
    };
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(Problem::parameter("to", "must not be before from"));
    }
    Ok(BookingQuery {
        from: from.and_then(|d| start_of(d, zone)),
        // `to` is inclusive: the list runs to the start of the next day.
        to: to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(|d| start_of(d, zone)),
        statuses,
        limit,
        cursor: query_param(req, "cursor").map(str::to_owned),
    })
}

#[derive(Serialize)]
pub struct BookingList {
    pub items: Vec<Listed>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<BookingPage<Listed>> for BookingList {
    fn from(page: BookingPage<Listed>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// A booking or an archive entry as clients see it: its fields, and whether it is archived.
#[derive(Serialize)]
pub struct Marked<'a, T> {
    #[serde(flatten)]
    pub item: &'a T,
    pub archived: bool,
}

impl Serialize for Listed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Listed::Live(booking) => Marked {
                item: booking.as_ref(),
                archived: false,
            }
            .serialize(serializer),
            Listed::Archived(entry) => Marked {
                item: entry,
                archived: true,
            }
            .serialize(serializer),
        }
    }
}

impl From<ListError> for Problem {
    fn from(err: ListError) -> Self {
        match err {
            ListError::BadCursor => Problem::parameter("cursor", "is not a cursor from this list"),
            ListError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

/// The guests' names of these bookings as their vendor's staff read them: the profile's name of
/// a guest with an account (facts and the booking itself carry only the id), or the name given
/// at the desk. Bookings with neither are left out.
pub async fn guest_names(
    store: &impl crate::store::GuestStore,
    bookings: &[&crate::domain::booking::Booking],
) -> anyhow::Result<std::collections::HashMap<crate::domain::ids::BookingId, String>> {
    let accounts: Vec<crate::domain::ids::UserId> =
        bookings.iter().filter_map(|b| b.guest_id).collect();
    let profiles = if accounts.is_empty() {
        Default::default()
    } else {
        store.guest_names(&accounts).await?
    };
    Ok(bookings
        .iter()
        .filter_map(|b| {
            let name = match (b.guest_id, &b.desk_guest) {
                (Some(guest), _) => profiles.get(&guest)?.to_string(),
                (None, Some(desk)) => desk.name.to_string(),
                (None, None) => return None,
            };
            Some((b.id, name))
        })
        .collect())
}

/// `body` (a booking, or a list of them under `items`) with each named booking's `guest_name`.
pub fn with_guest_names(
    mut body: serde_json::Value,
    names: &std::collections::HashMap<crate::domain::ids::BookingId, String>,
) -> serde_json::Value {
    let name_one = |item: &mut serde_json::Value| {
        let id = item["id"]
            .as_str()
            .and_then(|id| crate::domain::ids::BookingId::parse(id).ok());
        if let (Some(name), Some(fields)) = (id.and_then(|id| names.get(&id)), item.as_object_mut())
        {
            fields.insert("guest_name".into(), serde_json::Value::String(name.clone()));
        }
    };
    match body.get_mut("items").and_then(|items| items.as_array_mut()) {
        Some(items) => items.iter_mut().for_each(name_one),
        None => name_one(&mut body),
    }
    body
}
