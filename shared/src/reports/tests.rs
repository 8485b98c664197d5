use super::*;
use crate::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::{Bucket, StayNights};
use crate::domain::money::Money;
use crate::domain::party::PartySize;
use crate::domain::payment::{DepositPayment, IntentId, SettlementRule};
use crate::domain::tax::{CityTax, TaxRules, Vat, VatBasis, VatRate};
use crate::events::fixtures::{date, hold, moved, next, utc};
use crate::events::{BookingDetail, booking_event};

fn taxes() -> TaxRules {
    TaxRules {
        vat: Some(Vat {
            rate_bp: VatRate::new(700).unwrap(),
            basis: VatBasis::Included,
        }),
        city_tax: Some(CityTax::new(250).unwrap()),
    }
}

/// The fact of the change from `before` to `after`.
fn fact(before: Option<&Booking>, after: &Booking) -> BookingDetail {
    booking_event(before, Some(after))
        .unwrap()
        .booking()
        .clone()
}

/// Applies a booking's facts one after another, as the consumer does.
fn run(facts: &[BookingDetail]) -> Contribution {
    let mut applied: Option<Contribution> = None;
    for detail in facts {
        applied = Some(contribution(detail, &taxes(), applied.as_ref()));
    }
    applied.unwrap()
}

fn counts(pairs: &[(&str, i64)]) -> Counts {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// 2 nights (27th, 28th) at 129.00 each, VAT 7 % included: 120.56 net + 8.44 VAT per night.
fn night(channel: &str) -> Counts {
    counts(&[
        ("room_nights", 1),
        ("rev_net", 12_056),
        ("rev_vat", 844),
        ("city_tax", 500),
        (&format!("ch_{channel}_nights"), 1),
        (&format!("ch_{channel}_rev_net"), 12_056),
    ])
}

fn paid(booking: &mut Booking) {
    let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_123").unwrap());
    deposit.pay(Money::price(7_740, "EUR").unwrap());
    booking.deposit_payment = Some(deposit);
}

fn ended(booking: &mut Booking, rule: SettlementRule) {
    let terms = booking.payment;
    let (total, arrival, at) = (booking.quote.total, booking.arrival_at, booking.updated_at);
    if let Some(deposit) = booking.deposit_payment.as_mut() {
        deposit
            .booking_ended(rule, "system", &terms, total, arrival, at)
            .unwrap();
    }
}

#[test]
fn a_confirmed_stay_counts_its_nights_with_vat_city_tax_and_channel_and_its_arrival() {
    let held = hold();
    let confirmed = moved(&held, BookingAction::Confirm);

    let applied = run(&[fact(None, &held), fact(Some(&held), &confirmed)]);

    let mut arrival = night("online");
    arrival.extend(counts(&[
        ("bookings", 1),
        ("ch_online_bookings", 1),
        // created on 1 March, arriving on the 27th
        ("lead_days", 26),
        ("stays", 1),
        ("stay_nights", 2),
    ]));
    assert!(applied.counted);
    assert_eq!(applied.version, 2);
    assert_eq!(
        applied.days,
        BTreeMap::from([
            (date("2026-03-27"), arrival),
            (date("2026-03-28"), night("online"))
        ])
    );
}

#[test]
fn a_hold_that_expired_or_was_cancelled_while_held_never_counts() {
    let held = hold();
    for action in [BookingAction::Expire, BookingAction::Cancel] {
        let ended = moved(&held, action);

        let applied = run(&[fact(None, &held), fact(Some(&held), &ended)]);

        assert!(!applied.counted, "{action:?}");
        assert!(applied.days.is_empty(), "{action:?}");
    }
    assert!(run(&[fact(None, &held)]).days.is_empty());
}

#[test]
fn a_cancelled_stay_counts_a_booking_a_cancellation_and_the_deposit_kept_but_no_nights() {
    let held = next(&hold(), paid);
    let confirmed = moved(&held, BookingAction::Confirm);
    let cancelled = next(&moved(&confirmed, BookingAction::Cancel), |b| {
        b.updated_at = utc("2026-03-26T10:00:00Z");
        ended(b, SettlementRule::LateCancellation);
    });
    // A later fact about the cancelled booking (a refund reported) still remembers it counted.
    let refunded = next(&cancelled, |_| {});

    let applied = run(&[
        fact(None, &held),
        fact(Some(&held), &confirmed),
        fact(Some(&confirmed), &cancelled),
        fact(Some(&cancelled), &refunded),
    ]);

    let kept = cancelled
        .deposit_payment
        .as_ref()
        .and_then(|d| d.settlement.as_ref())
        .unwrap()
        .kept
        .amount_minor;
    assert!(kept > 0);
    assert_eq!(
        applied.days,
        BTreeMap::from([(
            date("2026-03-27"),
            counts(&[
                ("bookings", 1),
                ("ch_online_bookings", 1),
                ("cancellations", 1),
                ("cancel_fees", kept),
            ])
        )])
    );
}

#[test]
fn a_no_show_counts_on_its_arrival_with_the_deposit_kept_and_sells_no_nights() {
    let held = next(&hold(), paid);
    let confirmed = moved(&held, BookingAction::Confirm);
    let no_show = next(&moved(&confirmed, BookingAction::NoShow), |b| {
        ended(b, SettlementRule::NoShow)
    });

    let applied = run(&[
        fact(Some(&held), &confirmed),
        fact(Some(&confirmed), &no_show),
    ]);

    assert_eq!(
        applied.days,
        BTreeMap::from([(
            date("2026-03-27"),
            counts(&[
                ("bookings", 1),
                ("ch_online_bookings", 1),
                ("no_shows", 1),
                ("no_show_fees", 7_740),
            ])
        )])
    );
}

#[test]
fn checked_in_and_completed_stays_stay_sold() {
    let confirmed = moved(&hold(), BookingAction::Confirm);
    let checked_in = moved(&confirmed, BookingAction::CheckIn);
    let completed = moved(&checked_in, BookingAction::Complete);
    let sold = run(&[fact(Some(&hold()), &confirmed)]).days;

    for after in [&checked_in, &completed] {
        assert_eq!(run(&[fact(Some(&confirmed), after)]).days, sold);
    }
}

#[test]
fn a_seating_counts_covers_one_seating_and_its_slot_on_its_local_date() {
    let seating = next(&hold(), |b| {
        b.channel = Channel::WalkIn;
        b.party_size = PartySize::new(4).unwrap();
        b.time = BookingTime::Seating {
            date: date("2026-03-27"),
            time: chrono::NaiveTime::from_hms_opt(19, 30, 0).unwrap(),
        };
        b.buckets = vec![Bucket::Slot(utc("2026-03-27T18:30:00Z"))];
        b.created_at = utc("2026-03-27T18:25:00Z");
    });
    let confirmed = moved(&seating, BookingAction::Confirm);

    let applied = run(&[fact(Some(&seating), &confirmed)]);

    assert_eq!(
        applied.days,
        BTreeMap::from([(
            date("2026-03-27"),
            counts(&[
                ("covers", 4),
                ("seatings", 1),
                ("slot_1930", 4),
                ("bookings", 1),
                ("ch_walk_in_bookings", 1),
                ("stays", 1),
            ])
        )])
    );
}

fn moved_a_day_later(booking: &Booking) -> Booking {
    next(booking, |b| {
        let stay = StayNights::new(date("2026-03-28"), date("2026-03-30")).unwrap();
        b.time = BookingTime::Stay {
            check_in: stay.check_in(),
            check_out: stay.check_out(),
        };
        b.buckets = stay.buckets();
        for (line, day) in b.quote.lines.iter_mut().zip(stay.dates()) {
            line.date = day;
        }
    })
}

fn vendor() -> crate::domain::ids::VendorId {
    hold().vendor_id
}

async fn apply(store: &MemoryReports, detail: &BookingDetail) -> Applied {
    let stored = store
        .contribution(detail.vendor_id, detail.booking_id)
        .await
        .unwrap();
    let next = contribution(detail, &taxes(), stored.as_ref());
    store
        .apply(detail.vendor_id, detail.booking_id, stored.as_ref(), &next)
        .await
        .unwrap()
}

async fn day(store: &MemoryReports, raw: &str) -> DayFigures {
    store
        .day(vendor(), date(raw))
        .await
        .unwrap()
        .unwrap_or_else(|| DayFigures::empty(date(raw)))
}

#[tokio::test]
async fn a_change_of_dates_moves_the_nights_and_a_fact_applied_twice_changes_nothing() {
    let store = MemoryReports::default();
    let held = hold();
    let confirmed = moved(&held, BookingAction::Confirm);
    let later = moved_a_day_later(&confirmed);

    apply(&store, &fact(None, &held)).await;
    apply(&store, &fact(Some(&held), &confirmed)).await;
    apply(&store, &fact(Some(&confirmed), &later)).await;
    let stale = store
        .apply(
            vendor(),
            held.id,
            None,
            &contribution(&fact(Some(&held), &confirmed), &taxes(), None),
        )
        .await
        .unwrap();

    assert_eq!(stale, Applied::Stale);
    assert!(
        day(&store, "2026-03-27")
            .await
            .counts
            .values()
            .all(|v| *v == 0)
    );
    assert_eq!(day(&store, "2026-03-28").await.count("room_nights"), 1);
    assert_eq!(day(&store, "2026-03-28").await.count("bookings"), 1);
    assert_eq!(day(&store, "2026-03-29").await.count("room_nights"), 1);
    assert_eq!(day(&store, "2026-03-29").await.count("rev_net"), 12_056);
}

#[tokio::test]
async fn a_change_to_a_closed_day_is_posted_on_the_first_open_day_as_an_adjustment() {
    let store = MemoryReports::default();
    let held = hold();
    let confirmed = moved(&held, BookingAction::Confirm);
    apply(&store, &fact(Some(&held), &confirmed)).await;
    let closed_at = utc("2026-03-28T01:00:00Z");
    let closed = store
        .close_day(vendor(), date("2026-03-27"), 40, closed_at)
        .await
        .unwrap();
    let later = moved_a_day_later(&confirmed);

    let applied = apply(&store, &fact(Some(&confirmed), &later)).await;

    assert_eq!(
        applied,
        Applied::Written {
            redirected: BTreeSet::from([date("2026-03-27")])
        }
    );
    let frozen = day(&store, "2026-03-27").await;
    assert_eq!(&frozen, closed.figures());
    assert_eq!(frozen.count("room_nights"), 1);
    assert_eq!(frozen.capacity, Some(40));
    let first_open = day(&store, "2026-03-28").await;
    assert_eq!(first_open.adjusts, BTreeSet::from([date("2026-03-27")]));
    assert_eq!(first_open.adjustments.get("room_nights"), Some(&-1));
    assert_eq!(first_open.adjustments.get("bookings"), Some(&-1));
    assert_eq!(first_open.count("room_nights"), 1);
    assert_eq!(first_open.count("bookings"), 1);
    assert_eq!(
        store.last_closed(vendor()).await.unwrap(),
        Some(date("2026-03-27"))
    );
}

#[tokio::test]
async fn closing_a_day_twice_answers_the_figures_it_was_closed_with() {
    let store = MemoryReports::default();
    let first = utc("2026-03-28T01:00:00Z");

    let closed = store
        .close_day(vendor(), date("2026-03-27"), 40, first)
        .await
        .unwrap();
    let again = store
        .close_day(
            vendor(),
            date("2026-03-27"),
            41,
            utc("2026-03-28T02:00:00Z"),
        )
        .await
        .unwrap();
    let earlier = store
        .close_day(vendor(), date("2026-03-20"), 40, first)
        .await
        .unwrap();

    assert!(matches!(closed, CloseOutcome::Closed(_)));
    assert!(matches!(earlier, CloseOutcome::Closed(_)));
    assert_eq!(again, CloseOutcome::AlreadyClosed(closed.figures().clone()));
    assert_eq!(again.figures().capacity, Some(40));
    assert_eq!(again.figures().closed_at, Some(first));
    assert_eq!(
        store.last_closed(vendor()).await.unwrap(),
        Some(date("2026-03-27"))
    );
}

#[test]
fn the_difference_of_a_contribution_with_itself_is_empty_and_plan_keeps_open_days() {
    let confirmed = moved(&hold(), BookingAction::Confirm);
    let applied = run(&[fact(Some(&hold()), &confirmed)]);

    assert!(diff(Some(&applied), &applied).is_empty());
    let writes = plan(diff(None, &applied), &BTreeSet::new(), date("2026-01-01"));
    assert_eq!(writes.len(), 2);
    assert!(writes.values().all(|w| w.adjustments.is_empty()));
    assert_eq!(BookingStatus::Confirmed, confirmed.status);
}
