//! What a channel's message says, in its vendor's terms: a hotel's stay (`arrival`, `departure`,
//! `room_type_code`, as OpenTravel's hotel messages) or a restaurant's seating (`date`, `time`,
//! `table_type_code`, optional: without it the smallest table type that seats the party).
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use shared::api::availability::TimeFields;
use shared::api::guest::GuestBody;
use shared::channels::import::{ResStatus, ReservationId};
use shared::domain::booking::BookingTime;
use shared::domain::desk::DeskGuest;
use shared::domain::ids::{ResourceId, VendorId};
use shared::domain::money::Money;
use shared::domain::party::PartySize;
use shared::domain::vendor::VendorKind;
use shared::domain::{FieldErrors, Location};
use shared::engine::{ChangeRequest, HoldRequest};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageBody {
    res_status: Option<String>,
    pub(crate) reservation_id: Option<String>,
    room_type_code: Option<String>,
    arrival: Option<NaiveDate>,
    departure: Option<NaiveDate>,
    table_type_code: Option<String>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    guest_count: Option<i64>,
    guest: Option<GuestBody>,
    total: Option<TotalBody>,
}

/// What the channel sold the whole stay or seating for, in minor units.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TotalBody {
    amount_minor: Option<i64>,
    currency: Option<String>,
}

pub(crate) enum Message {
    Commit { stay: HoldRequest, guest: DeskGuest },
    Modify(ChangeRequest),
    Cancel,
}

pub(crate) struct Parsed {
    pub id: ReservationId,
    pub status: ResStatus,
    pub message: Message,
    pub sold_total: Option<Money>,
    pub terms: Terms,
}

/// Whose terms a message is in: its vendor's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terms {
    Hotel,
    Restaurant,
}

impl From<VendorKind> for Terms {
    fn from(kind: VendorKind) -> Self {
        match kind {
            VendorKind::Hotel => Self::Hotel,
            VendorKind::Restaurant => Self::Restaurant,
        }
    }
}

impl Terms {
    /// The member naming the resource type.
    pub fn resource(self) -> &'static str {
        match self {
            Self::Hotel => "/room_type_code",
            Self::Restaurant => "/table_type_code",
        }
    }

    /// Our field names in the channel's terms: the engine names a hold's fields.
    fn pointer(self, pointer: &str) -> &str {
        match pointer {
            "/check_in" => "/arrival",
            "/check_out" => "/departure",
            "/party_size" | "/units" => "/guest_count",
            "/resource_id" => self.resource(),
            other => other,
        }
    }

    pub fn renamed(self, errors: FieldErrors) -> FieldErrors {
        let mut out = FieldErrors::default();
        for error in errors.into_vec() {
            match error.location {
                Location::Pointer(pointer) => out.push(self.pointer(&pointer), error.detail),
                Location::Parameter(name) | Location::Header(name) => out.push(&name, error.detail),
            }
        }
        out
    }
}

/// The members of the other kind of vendor are refused by name, so a hotel's channel never
/// books a seating nor a restaurant's a stay.
fn foreign_members(terms: Terms, body: &MessageBody, errors: &mut FieldErrors) {
    let (foreign, why): (&[(&str, bool)], &str) = match terms {
        Terms::Hotel => (
            &[
                ("/table_type_code", body.table_type_code.is_some()),
                ("/date", body.date.is_some()),
                ("/time", body.time.is_some()),
            ],
            "is a restaurant's; a hotel takes arrival, departure and room_type_code",
        ),
        Terms::Restaurant => (
            &[
                ("/room_type_code", body.room_type_code.is_some()),
                ("/arrival", body.arrival.is_some()),
                ("/departure", body.departure.is_some()),
            ],
            "is a hotel's; a restaurant takes date, time and table_type_code",
        ),
    };
    for (pointer, sent) in foreign {
        if *sent {
            errors.push(pointer, why);
        }
    }
}

pub(crate) fn parse(
    vendor: VendorId,
    terms: Terms,
    body: MessageBody,
) -> Result<Parsed, (Option<ResStatus>, FieldErrors)> {
    let mut errors = FieldErrors::default();
    foreign_members(terms, &body, &mut errors);
    let status = errors.require("/res_status", body.res_status, |v| ResStatus::parse(&v));
    let id = errors.require("/reservation_id", body.reservation_id, |v| {
        ReservationId::parse(&v)
    });
    let code = match terms {
        Terms::Hotel => body.room_type_code,
        Terms::Restaurant => body.table_type_code,
    };
    let resource = errors.check_opt(terms.resource(), code, |v| ResourceId::parse(&v));
    let party = errors.check_opt("/guest_count", body.guest_count, PartySize::new);
    let sold_total = match body.total {
        None => Some(None),
        Some(total) => match (total.amount_minor, total.currency) {
            (Some(amount), Some(currency)) => errors
                .check("/total", Money::price(amount, &currency))
                .map(Some),
            (None, _) => {
                errors.push("/total/amount_minor", "is required");
                None
            }
            (_, None) => {
                errors.push("/total/currency", "is required");
                None
            }
        },
    };
    let fields = match terms {
        Terms::Hotel => TimeFields {
            check_in: body.arrival,
            check_out: body.departure,
            date: None,
            time: None,
        },
        Terms::Restaurant => TimeFields {
            check_in: None,
            check_out: None,
            date: body.date,
            time: body.time,
        },
    };
    let time: Option<Option<BookingTime>> = if fields.is_empty() {
        Some(None)
    } else {
        fields.combine(&mut errors, "/").map(Some)
    };
    let message = match status {
        Some(ResStatus::Commit) => {
            if terms == Terms::Hotel && resource == Some(None) {
                errors.push("/room_type_code", "is required");
            }
            if party == Some(None) {
                errors.push("/guest_count", "is required");
            }
            if time == Some(None) {
                match terms {
                    Terms::Hotel => errors.push("/arrival", "is required"),
                    Terms::Restaurant => errors.push("/date", "is required, with time"),
                }
            }
            let guest = match body.guest {
                Some(guest) => guest.parse(&mut errors),
                None => {
                    errors.push("/guest/name", "is required");
                    None
                }
            };
            match (resource, party.flatten(), time.flatten(), guest) {
                (Some(resource), Some(party), Some(time), Some(guest)) => Some(Message::Commit {
                    stay: HoldRequest {
                        vendor,
                        resource,
                        party,
                        units: None,
                        time,
                    },
                    guest,
                }),
                _ => None,
            }
        }
        Some(ResStatus::Modify) => {
            if body.guest.is_some() {
                errors.push(
                    "/guest",
                    "a modify changes the reservation; the guest stays as committed",
                );
            }
            match (resource, party, time) {
                (Some(None), Some(None), Some(None)) => {
                    errors.push(
                        "",
                        match terms {
                            Terms::Hotel => {
                                "send at least one of room_type_code, guest_count, or arrival and departure"
                            }
                            Terms::Restaurant => {
                                "send at least one of table_type_code, guest_count, or date and time"
                            }
                        },
                    );
                    None
                }
                (Some(resource), Some(party), Some(time)) => Some(Message::Modify(ChangeRequest {
                    resource,
                    party,
                    units: None,
                    time,
                })),
                _ => None,
            }
        }
        Some(ResStatus::Cancel) => Some(Message::Cancel),
        None => None,
    };
    match (id, status, message, sold_total) {
        (Some(id), Some(status), Some(message), Some(sold_total)) if errors.is_empty() => {
            Ok(Parsed {
                id,
                status,
                message,
                sold_total,
                terms,
            })
        }
        _ => Err((status, terms.renamed(errors))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: serde_json::Value) -> MessageBody {
        serde_json::from_value(value).unwrap()
    }

    fn pointers(errors: FieldErrors) -> Vec<String> {
        let mut pointers: Vec<String> = errors
            .into_vec()
            .into_iter()
            .filter_map(|e| match e.location {
                Location::Pointer(p) => Some(p),
                _ => None,
            })
            .collect();
        pointers.sort();
        pointers
    }

    #[test]
    fn a_commit_names_each_missing_member_in_the_channels_terms() {
        let sent = body(serde_json::json!({"res_status": "commit", "reservation_id": "R1"}));
        let Err((status, errors)) = parse(VendorId::generate(), Terms::Hotel, sent) else {
            panic!("a bare commit is refused");
        };
        assert_eq!(status, Some(ResStatus::Commit));
        assert_eq!(
            pointers(errors),
            vec!["/arrival", "/guest/name", "/guest_count", "/room_type_code"]
        );
    }

    #[test]
    fn a_modify_changes_something_and_never_the_guest() {
        let sent = body(serde_json::json!({"res_status": "modify", "reservation_id": "R1"}));
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Hotel, sent) else {
            panic!("an empty modify is refused");
        };
        assert_eq!(pointers(errors), vec![""]);
        let sent = body(serde_json::json!({
            "res_status": "modify", "reservation_id": "R1", "guest_count": 2,
            "guest": {"name": "Someone"},
        }));
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Hotel, sent) else {
            panic!("a modify of the guest is refused");
        };
        assert_eq!(pointers(errors), vec!["/guest"]);
    }

    #[test]
    fn a_cancel_needs_only_the_reservation_and_half_a_total_is_named() {
        let sent = body(serde_json::json!({"res_status": "cancel", "reservation_id": "R1"}));
        assert!(matches!(
            parse(VendorId::generate(), Terms::Hotel, sent).map(|p| p.message),
            Ok(Message::Cancel)
        ));
        let sent = body(serde_json::json!({
            "res_status": "cancel", "reservation_id": "R1", "total": {"amount_minor": 100},
        }));
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Hotel, sent) else {
            panic!("a total without currency is refused");
        };
        assert_eq!(pointers(errors), vec!["/total/currency"]);
    }

    #[test]
    fn the_engines_field_names_become_the_channels() {
        let mut errors = FieldErrors::default();
        for pointer in [
            "/check_in",
            "/check_out",
            "/party_size",
            "/resource_id",
            "/other",
        ] {
            errors.push(pointer, "x");
        }
        assert_eq!(
            pointers(Terms::Hotel.renamed(errors)),
            vec![
                "/arrival",
                "/departure",
                "/guest_count",
                "/other",
                "/room_type_code"
            ]
        );
    }

    #[test]
    fn a_restaurants_commit_is_a_seating_with_an_optional_table_type() {
        let sent = body(serde_json::json!({
            "res_status": "commit", "reservation_id": "T1", "date": "2027-03-01",
            "time": "19:00", "guest_count": 4, "guest": {"name": "Someone"},
        }));
        let Ok(Parsed {
            message: Message::Commit { stay, .. },
            ..
        }) = parse(VendorId::generate(), Terms::Restaurant, sent)
        else {
            panic!("a seating without a table type is a commit");
        };
        assert_eq!(stay.resource, None);
        assert!(matches!(stay.time, BookingTime::Seating { .. }));

        let sent = body(serde_json::json!({"res_status": "commit", "reservation_id": "T1"}));
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Restaurant, sent) else {
            panic!("a bare commit is refused");
        };
        assert_eq!(
            pointers(errors),
            vec!["/date", "/guest/name", "/guest_count"]
        );
    }

    #[test]
    fn each_kind_of_vendor_refuses_the_others_members() {
        let stay = serde_json::json!({
            "res_status": "modify", "reservation_id": "R1", "room_type_code": "x",
            "arrival": "2027-03-01", "departure": "2027-03-02",
        });
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Restaurant, body(stay)) else {
            panic!("a restaurant takes no stay");
        };
        assert_eq!(
            pointers(errors),
            vec!["", "/arrival", "/departure", "/room_type_code"]
        );
        let seating = serde_json::json!({
            "res_status": "modify", "reservation_id": "R1", "date": "2027-03-01", "time": "19:00",
        });
        let Err((_, errors)) = parse(VendorId::generate(), Terms::Hotel, body(seating)) else {
            panic!("a hotel takes no seating");
        };
        assert_eq!(pointers(errors), vec!["", "/date", "/time"]);
    }
}
