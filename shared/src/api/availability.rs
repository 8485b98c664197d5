//! The query string that says for whom and when: `party_size`, and either `check_in` +
//! `check_out` (hotels) or `date` + `time` (restaurants, the vendor's local time). Shared by a
//! vendor's availability and the search.
use crate::domain::booking::BookingTime;
use crate::domain::party::PartySize;
use crate::domain::{FieldErrors, Invalid};
use crate::http::query_param;
use chrono::{NaiveDate, NaiveTime};
use lambda_http::Request;

pub fn parsed<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, Invalid> {
    raw.parse()
        .map_err(|_| Invalid::new(format!("must be {what}")))
}

/// `party_size`, required.
pub fn party(req: &Request, errors: &mut FieldErrors) -> Option<PartySize> {
    errors.require("party_size", query_param(req, "party_size"), |v| {
        parsed::<i64>(v, "a number").and_then(PartySize::new)
    })
}

/// The nights or the seating asked for; each bad or missing parameter is named in `errors`.
pub fn booking_time(req: &Request, errors: &mut FieldErrors) -> Option<BookingTime> {
    let date = |name: &str, errors: &mut FieldErrors| {
        errors.check_opt(name, query_param(req, name), |v| {
            parsed::<NaiveDate>(v, "a date such as 2026-12-24")
        })
    };
    let (check_in, check_out, day) = (
        date("check_in", errors),
        date("check_out", errors),
        date("date", errors),
    );
    let time = errors.check_opt("time", query_param(req, "time"), |v| {
        parsed::<NaiveTime>(v, "a time such as 19:30")
    });
    match (
        check_in.flatten(),
        check_out.flatten(),
        day.flatten(),
        time.flatten(),
    ) {
        (Some(check_in), Some(check_out), None, None) => Some(BookingTime::Stay {
            check_in,
            check_out,
        }),
        (None, None, Some(date), Some(time)) => Some(BookingTime::Seating { date, time }),
        _ => {
            errors.push(
                "",
                "ask with check_in and check_out (hotels) or date and time (restaurants)",
            );
            None
        }
    }
}
