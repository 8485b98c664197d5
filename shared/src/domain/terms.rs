//! The money rules that hold on every path: who may change a booking and when, which terms apply
//! after a change, when a no-show may be declared, and which rule settles a deposit when a
//! booking ends. Pure rules; the engine applies them in the same write as the change they judge.
use super::booking::{Actor, BookingAction, BookingTime};
use super::deposit::PaymentTerms;
use super::money::Money;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// How long a restaurant keeps a table for a late party.
pub const TABLE_GRACE_MINUTES: i64 = 30;

/// The first instant a booking arriving at `arrival_at` may be declared a no-show, and after
/// which a guest's cancellation is settled as one: the vendor's grace from the terms, else the
/// default for the kind. A room's default is the end of its arrival day where the vendor is
/// (`zone`): arrivals late at night are normal, and the night audit that closes the arrival day
/// (which runs only once that day has ended) is what declares the no-show, so the day is closed
/// with it rather than adjusted a night later.
pub fn no_show_from(
    terms: &PaymentTerms,
    time: &BookingTime,
    zone: chrono_tz::Tz,
    arrival_at: DateTime<Utc>,
) -> DateTime<Utc> {
    match (terms.cancellation.no_show_grace_minutes, time) {
        (Some(minutes), _) => arrival_at + Duration::minutes(i64::from(minutes.get())),
        (None, BookingTime::Stay { check_in, .. }) => {
            end_of_local_day(*check_in, zone).max(arrival_at)
        }
        (None, BookingTime::Seating { .. }) => arrival_at + Duration::minutes(TABLE_GRACE_MINUTES),
    }
}

/// The first instant after local `day` (the first that exists, if the clocks skip midnight).
fn end_of_local_day(day: NaiveDate, zone: chrono_tz::Tz) -> DateTime<Utc> {
    let mut at = (day + Duration::days(1)).and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(start) = zone.from_local_datetime(&at).earliest() {
            return start.with_timezone(&Utc);
        }
        at += Duration::hours(1);
    }
    (day + Duration::days(1)).and_time(NaiveTime::MIN).and_utc()
}

/// Why a deposit was split the way it was, recorded with the settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SettlementRule {
    /// The guest cancelled within the free window: all of it goes back.
    FreeCancellation,
    /// The guest cancelled after the free window, before arrival plus grace: the late fee is
    /// kept, the rest goes back.
    LateCancellation,
    /// The guest cancelled after arrival plus grace: settled as a no-show.
    CancelledAfterArrival,
    /// The vendor (its staff) or the platform cancelled: all of it goes back.
    VendorCancellation,
    /// The stay or meal was billed at the property: all of it goes back.
    Completed,
    /// The guest did not come: the deposit the terms ask for is kept, any excess goes back.
    NoShow,
    /// The payment came after the hold had ended: there is no booking, all of it goes back.
    NotBooked,
}

impl SettlementRule {
    /// The rule for `action` taken by `actor` at `at`, for a booking with `terms` arriving at
    /// `arrival_at`; `None` for actions that settle nothing (confirm, expire, check in).
    pub fn for_ending(
        action: BookingAction,
        actor: Actor,
        terms: &PaymentTerms,
        time: &BookingTime,
        zone: chrono_tz::Tz,
        arrival_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        match action {
            BookingAction::Cancel => Some(match actor {
                Actor::Staff | Actor::System => Self::VendorCancellation,
                Actor::Guest if at >= no_show_from(terms, time, zone, arrival_at) => {
                    Self::CancelledAfterArrival
                }
                Actor::Guest
                    if terms.cancellation.late_fee.is_some()
                        && at > terms.cancellation.free_until(arrival_at) =>
                {
                    Self::LateCancellation
                }
                Actor::Guest => Self::FreeCancellation,
            }),
            BookingAction::Complete => Some(Self::Completed),
            BookingAction::NoShow => Some(Self::NoShow),
            BookingAction::Confirm | BookingAction::Expire | BookingAction::CheckIn => None,
        }
    }
}

/// Why a change to a booking is refused by the money rules (the inventory may still refuse it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    /// A guest may not change a booking once cancelling it would cost a fee: moving it would
    /// measure the free window from the new date. Cancel (the fee applies) and book again.
    #[error("free changes ended at {free_until}; cancel (the late fee applies) and book again")]
    LateWindow { free_until: DateTime<Utc> },
    /// The arrival time has passed: only the front desk changes the booking now.
    #[error("the arrival time has passed; ask the front desk")]
    ArrivalPassed,
    /// The change needs a larger deposit than was paid.
    #[error("the change needs a deposit of {} minor units of {} but {} were paid", .required.amount_minor, .required.currency, .paid.amount_minor)]
    DepositIncrease { required: Money, paid: Money },
    /// The hold's deposit is being paid; its amount cannot move under the guest.
    #[error("the change needs a deposit of {} minor units of {} while {} are being paid", .required.amount_minor, .required.currency, .asked.amount_minor)]
    DepositPending { required: Money, asked: Money },
}

/// Whether `actor` may change a booking with `terms` arriving at `arrival_at`, at `now`.
/// Staff may change it at any time: a change the vendor makes is the vendor's to give.
pub fn may_change(
    actor: Actor,
    terms: &PaymentTerms,
    arrival_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ChangeRefused> {
    if actor != Actor::Guest {
        return Ok(());
    }
    if now >= arrival_at {
        return Err(ChangeRefused::ArrivalPassed);
    }
    let free_until = terms.cancellation.free_until(arrival_at);
    if terms.cancellation.late_fee.is_some() && now > free_until {
        return Err(ChangeRefused::LateWindow { free_until });
    }
    Ok(())
}

/// The deposit after a change that needs `required`, given what is paid or being paid. A paid
/// deposit covers any requirement up to it (the excess goes back when the booking ends); a
/// requirement above it is refused (there is no top-up payment), as is any change of the amount
/// while the hold's payment runs.
pub fn deposit_after_change(
    required: Option<Money>,
    held: Option<Money>,
    paid: Option<Money>,
) -> Result<Option<Money>, ChangeRefused> {
    match (required, held, paid) {
        // Nothing asked any more: a paid deposit all goes back when the booking ends.
        (None, None, _) | (None, Some(_), Some(_)) => Ok(None),
        (None, Some(asked), None) => Err(ChangeRefused::DepositPending {
            required: asked.with_amount(0),
            asked,
        }),
        (Some(required), _, Some(paid)) if required.amount_minor <= paid.amount_minor => {
            Ok(Some(required))
        }
        (Some(required), _, Some(paid)) => Err(ChangeRefused::DepositIncrease { required, paid }),
        (Some(required), Some(asked), None) if asked == required => Ok(Some(required)),
        (Some(required), Some(asked), None) => {
            Err(ChangeRefused::DepositPending { required, asked })
        }
        (Some(required), None, None) => Err(ChangeRefused::DepositIncrease {
            required,
            paid: required.with_amount(0),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deposit::{CancellationPolicy, Charge, FreeHours, GraceMinutes, Percent};
    use chrono::{NaiveDate, NaiveTime};

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn stay() -> BookingTime {
        BookingTime::Stay {
            check_in: NaiveDate::from_ymd_opt(2027, 3, 10).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2027, 3, 12).unwrap(),
        }
    }

    fn seating() -> BookingTime {
        BookingTime::Seating {
            date: NaiveDate::from_ymd_opt(2027, 3, 10).unwrap(),
            time: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
        }
    }

    /// 15:00 in Berlin (CET), the default check-in time.
    const ARRIVAL: &str = "2027-03-10T14:00:00Z";
    const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

    /// Free until 48 h before arrival, then a 50% fee.
    fn strict() -> PaymentTerms {
        PaymentTerms {
            deposit: Some(eur(10_000)),
            cancellation: CancellationPolicy {
                free_until_hours: FreeHours::new(48).unwrap(),
                late_fee: Some(Charge::Percent {
                    percent: Percent::new(50).unwrap(),
                }),
                no_show_grace_minutes: None,
            },
        }
    }

    fn rule(action: BookingAction, actor: Actor, when: &str) -> Option<SettlementRule> {
        SettlementRule::for_ending(
            action,
            actor,
            &strict(),
            &stay(),
            BERLIN,
            at(ARRIVAL),
            at(when),
        )
    }

    #[test]
    fn a_guests_cancellation_is_free_then_late_then_a_no_show() {
        use SettlementRule::*;
        let cancel = |when| rule(BookingAction::Cancel, Actor::Guest, when);
        assert_eq!(cancel("2027-03-08T14:00:00Z"), Some(FreeCancellation));
        assert_eq!(cancel("2027-03-08T14:00:01Z"), Some(LateCancellation));
        assert_eq!(cancel("2027-03-10T22:59:59Z"), Some(LateCancellation));
        assert_eq!(cancel("2027-03-10T23:00:00Z"), Some(CancelledAfterArrival));
    }

    #[test]
    fn without_a_late_fee_a_guest_cancels_free_until_the_grace_ends() {
        let lenient = PaymentTerms::default();
        let cancel = |when| {
            SettlementRule::for_ending(
                BookingAction::Cancel,
                Actor::Guest,
                &lenient,
                &stay(),
                BERLIN,
                at(ARRIVAL),
                at(when),
            )
        };
        assert_eq!(
            cancel("2027-03-10T20:00:00Z"),
            Some(SettlementRule::FreeCancellation)
        );
        assert_eq!(
            cancel("2027-03-10T23:00:00Z"),
            Some(SettlementRule::CancelledAfterArrival)
        );
    }

    #[test]
    fn the_vendor_or_the_platform_cancelling_refunds_everything_at_any_time() {
        for actor in [Actor::Staff, Actor::System] {
            for when in [
                "2027-01-01T00:00:00Z",
                "2027-03-09T00:00:00Z",
                "2027-03-12T00:00:00Z",
            ] {
                assert_eq!(
                    rule(BookingAction::Cancel, actor, when),
                    Some(SettlementRule::VendorCancellation),
                    "{actor:?} at {when}"
                );
            }
        }
    }

    #[test]
    fn a_table_is_held_half_an_hour_a_room_until_its_arrival_day_ends() {
        assert_eq!(
            no_show_from(
                &PaymentTerms::default(),
                &seating(),
                BERLIN,
                at("2027-03-10T18:00:00Z")
            ),
            at("2027-03-10T18:30:00Z")
        );
        // Local midnight, so the 02:00 audit closing the 10th marks it (and never a night late).
        assert_eq!(
            no_show_from(&PaymentTerms::default(), &stay(), BERLIN, at(ARRIVAL)),
            at("2027-03-10T23:00:00Z")
        );
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(
            no_show_from(
                &PaymentTerms::default(),
                &stay(),
                tokyo,
                at("2027-03-10T06:00:00Z")
            ),
            at("2027-03-10T15:00:00Z")
        );
    }

    #[test]
    fn the_vendors_grace_replaces_the_default() {
        let mut terms = strict();
        terms.cancellation.no_show_grace_minutes = Some(GraceMinutes::new(90).unwrap());
        assert_eq!(
            no_show_from(&terms, &stay(), BERLIN, at(ARRIVAL)),
            at("2027-03-10T15:30:00Z")
        );
        assert!(GraceMinutes::new(24 * 60 + 1).is_err());
        assert!(GraceMinutes::new(-1).is_err());
    }

    #[test]
    fn a_guest_changes_only_before_the_late_window_and_staff_at_any_time() {
        let terms = strict();
        let arrival = at(ARRIVAL);
        assert_eq!(
            may_change(Actor::Guest, &terms, arrival, at("2027-03-08T13:00:00Z")),
            Ok(())
        );
        assert_eq!(
            may_change(Actor::Guest, &terms, arrival, at("2027-03-09T00:00:00Z")),
            Err(ChangeRefused::LateWindow {
                free_until: at("2027-03-08T14:00:00Z")
            })
        );
        assert_eq!(
            may_change(Actor::Guest, &PaymentTerms::default(), arrival, at(ARRIVAL)),
            Err(ChangeRefused::ArrivalPassed)
        );
        assert_eq!(
            may_change(Actor::Staff, &terms, arrival, at("2027-03-11T00:00:00Z")),
            Ok(())
        );
    }

    #[test]
    fn a_paid_deposit_covers_a_smaller_requirement_but_never_a_larger_one() {
        let (ten, twenty) = (eur(1_000), eur(2_000));
        assert_eq!(deposit_after_change(None, None, Some(ten)), Ok(None));
        assert_eq!(
            deposit_after_change(None, Some(ten), None),
            Err(ChangeRefused::DepositPending {
                required: eur(0),
                asked: ten
            })
        );
        assert_eq!(
            deposit_after_change(Some(ten), None, Some(twenty)),
            Ok(Some(ten))
        );
        assert_eq!(
            deposit_after_change(Some(twenty), None, Some(ten)),
            Err(ChangeRefused::DepositIncrease {
                required: twenty,
                paid: ten
            })
        );
        assert_eq!(
            deposit_after_change(Some(ten), None, None),
            Err(ChangeRefused::DepositIncrease {
                required: ten,
                paid: eur(1_000).with_amount(0)
            })
        );
        assert_eq!(
            deposit_after_change(Some(ten), Some(ten), None),
            Ok(Some(ten))
        );
        assert_eq!(
            deposit_after_change(Some(twenty), Some(ten), None),
            Err(ChangeRefused::DepositPending {
                required: twenty,
                asked: ten
            })
        );
    }
}
