//! The query string that says for whom and when: `party_size`, and either `check_in` +
//! `check_out` (hotels) or `date` + `time` (restaurants, the vendor's local time). Shared by a
//! vendor's availability and the search. Errors name query parameters, so `errors` must be a
//! `FieldErrors::query()` collector.
use crate::domain::booking::BookingTime;
use crate::domain::calendar::StayNights;
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
/// A stay is checked as a hold checks it (check-out after check-in, at most
/// `StayNights::MAX_NIGHTS`), so a search cannot ask for what no hotel could sell.
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
    let (Some(check_in), Some(check_out), Some(day), Some(time)) = (check_in, check_out, day, time)
    else {
        return None;
    };
    let when = TimeFields {
        check_in,
        check_out,
        date: day,
        time,
    }
    .combine(errors, "")?;
    if let BookingTime::Stay {
        check_in,
        check_out,
    } = when
    {
        errors.check("check_out", StayNights::new(check_in, check_out))?;
    }
    Some(when)
}

const BOTH: &str = "send either check_in and check_out, or date and time, not both";

/// The four fields that say when, as a request sends them (in a body or a query string).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeFields {
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
}

impl TimeFields {
    pub fn is_empty(&self) -> bool {
        self.check_in.is_none()
            && self.check_out.is_none()
            && self.date.is_none()
            && self.time.is_none()
    }

    /// A stay or a seating, or each field that is missing or one too many, named as `prefix`
    /// + its name (`"/"` for a body, `""` for a query string).
    pub fn combine(self, errors: &mut FieldErrors, prefix: &str) -> Option<BookingTime> {
        let name = |field: &str| format!("{prefix}{field}");
        match (self.check_in, self.check_out, self.date, self.time) {
            (Some(check_in), Some(check_out), None, None) => Some(BookingTime::Stay {
                check_in,
                check_out,
            }),
            (None, None, Some(date), Some(time)) => Some(BookingTime::Seating { date, time }),
            (Some(_), None, None, None) => {
                errors.push(&name("check_out"), "is required with check_in");
                None
            }
            (None, Some(_), None, None) => {
                errors.push(&name("check_in"), "is required with check_out");
                None
            }
            (None, None, Some(_), None) => {
                errors.push(&name("time"), "is required with date");
                None
            }
            (None, None, None, Some(_)) => {
                errors.push(&name("date"), "is required with time");
                None
            }
            (None, None, None, None) => {
                errors.push(
                    &name("check_in"),
                    "is required, with check_out, for a hotel; a restaurant takes date and time",
                );
                None
            }
            _ => {
                // Both kinds of time were sent: name the seating's fields as the ones too many.
                if self.date.is_some() {
                    errors.push(&name("date"), BOTH);
                }
                if self.time.is_some() {
                    errors.push(&name("time"), BOTH);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Location;

    fn named(fields: TimeFields, errors: FieldErrors, prefix: &str) -> Vec<Location> {
        let mut errors = errors;
        assert!(fields.combine(&mut errors, prefix).is_none());
        errors.into_vec().into_iter().map(|e| e.location).collect()
    }

    #[test]
    fn half_a_pair_names_the_missing_member_in_a_body_or_a_query_string() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 1);
        let check_in_alone = TimeFields {
            check_in: day,
            ..TimeFields::default()
        };
        assert_eq!(
            named(check_in_alone, FieldErrors::default(), "/"),
            [Location::Pointer("/check_out".into())]
        );
        assert_eq!(
            named(check_in_alone, FieldErrors::query(), ""),
            [Location::Parameter("check_out".into())]
        );
        let date_alone = TimeFields {
            date: day,
            ..TimeFields::default()
        };
        assert_eq!(
            named(date_alone, FieldErrors::default(), "/"),
            [Location::Pointer("/time".into())]
        );
        let both = TimeFields {
            check_in: day,
            check_out: day,
            date: day,
            time: NaiveTime::from_hms_opt(19, 0, 0),
        };
        assert_eq!(
            named(both, FieldErrors::default(), "/"),
            [
                Location::Pointer("/date".into()),
                Location::Pointer("/time".into())
            ]
        );
    }
}
