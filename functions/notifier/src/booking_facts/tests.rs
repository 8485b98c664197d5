use super::*;
use serde_json::Value;
use shared::domain::booking::Channel;

/// A fact from the samples in events/, with `change` applied to its detail.
fn sample(detail_type: &str, change: impl FnOnce(&mut Value)) -> BookingEvent {
    let path = format!(
        "{}/../../events/samples/{detail_type}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let envelope: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut detail = envelope["detail"].clone();
    change(&mut detail);
    BookingEvent::from_detail(detail_type, detail).unwrap()
}

/// Any time: for the facts whose plan does not depend on it.
fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Minutes after the `BookingUpdated` sample (its predecessor: 2026-03-05T17:57:10Z).
fn soon_after_update() -> DateTime<Utc> {
    "2026-03-05T18:05:00Z".parse().unwrap()
}

/// An update of a booking whose status (and its previous) is `status`, and whose terms
/// changed only if `changed`.
fn updated(status: &str, changed: bool) -> BookingEvent {
    let sample = sample("BookingUpdated", |_| {});
    let same_terms = serde_json::to_value(sample.booking().terms()).unwrap();
    self::sample("BookingUpdated", |d| {
        d["status"] = status.into();
        d["previous_status"] = status.into();
        if !changed {
            d["previous"] = same_terms;
        }
    })
}

#[test]
fn a_hold_awaiting_its_deposit_gets_the_payment_link_and_the_vendor_hears_nothing() {
    let held = sample("BookingHeld", |_| {});
    let free = sample("BookingHeld", |d| d["payment"]["deposit"] = Value::Null);

    assert_eq!(
        plan(&held, now()),
        Plan {
            guest: Some(GuestNews::Hold),
            vendor: None,
            reminder: ReminderStep::Leave,
            catch_up: None
        }
    );
    assert_eq!(plan(&free, now()).guest, None);
}

#[test]
fn a_desk_hold_sends_no_payment_link_and_its_confirmation_tells_both() {
    for channel in ["walk_in", "phone"] {
        let held = sample("BookingHeld", |d| d["channel"] = channel.into());
        let confirmed = sample("BookingConfirmed", |d| d["channel"] = channel.into());

        assert_eq!(plan(&held, now()).guest, None, "{channel}");
        let told = plan(&confirmed, now());
        assert_eq!(told.guest, Some(GuestNews::Confirmed), "{channel}");
        assert!(
            matches!(told.vendor, Some(VendorNotice::New(c)) if c.is_desk()),
            "{channel}"
        );
    }
}

#[test]
fn a_confirmation_tells_both_and_schedules_the_reminder() {
    let confirmed = sample("BookingConfirmed", |d| d["channel"] = "front_desk".into());

    assert_eq!(
        plan(&confirmed, now()),
        Plan {
            guest: Some(GuestNews::Confirmed),
            vendor: Some(VendorNotice::New(Channel::FrontDesk)),
            reminder: ReminderStep::Schedule,
            catch_up: None
        }
    );
}

#[test]
fn a_change_of_terms_is_news_and_bookkeeping_is_not() {
    // Long after the predecessor: nothing to catch up on.
    let later = soon_after_update() + CATCH_UP + Duration::minutes(10);
    let changed = updated("CONFIRMED", true);
    let same = updated("CONFIRMED", false);

    assert!(matches!(
        plan(&changed, later).guest,
        Some(GuestNews::Changed(_))
    ));
    assert_eq!(plan(&changed, later).vendor, None);
    assert_eq!(plan(&changed, later).reminder, ReminderStep::Schedule);
    assert_eq!(
        plan(&same, later),
        Plan {
            guest: None,
            vendor: None,
            reminder: ReminderStep::Schedule,
            catch_up: None
        }
    );
}

#[test]
fn an_update_soon_after_a_cancellation_catches_up_on_the_cancellation_it_may_have_overtaken() {
    assert_eq!(
        plan(&updated("CANCELLED", false), soon_after_update()),
        Plan {
            guest: None,
            vendor: None,
            reminder: ReminderStep::Cancel,
            catch_up: Some(CatchUp {
                guest: Some(GuestNews::Cancelled),
                // Only to a vendor that was told of the booking: it may have been a hold.
                vendor: Some(VendorNotice::Cancelled),
            }),
        }
    );
}

#[test]
fn an_update_soon_after_a_confirmation_catches_up_on_it_and_a_change_still_tells_the_guest() {
    let same = plan(&updated("CONFIRMED", false), soon_after_update());
    let changed = plan(&updated("CONFIRMED", true), soon_after_update());
    let confirmation = Some(CatchUp {
        guest: Some(GuestNews::Confirmed),
        vendor: Some(VendorNotice::New(Channel::Online)),
    });

    assert_eq!(
        same,
        Plan {
            guest: None,
            vendor: None,
            reminder: ReminderStep::Schedule,
            catch_up: confirmation.clone(),
        }
    );
    // The change is the guest's one message; the catch-up's guest news only fills a gap.
    assert!(matches!(changed.guest, Some(GuestNews::Changed(_))));
    assert_eq!(changed.catch_up, confirmation);
    assert_eq!(changed.reminder, ReminderStep::Schedule);
}

#[test]
fn an_update_soon_after_a_no_show_catches_up_on_the_guests_mail_and_tells_the_vendor_nothing() {
    assert_eq!(
        plan(&updated("NO_SHOW", false), soon_after_update()),
        Plan {
            guest: None,
            vendor: None,
            reminder: ReminderStep::Cancel,
            catch_up: Some(CatchUp {
                guest: Some(GuestNews::NoShow),
                vendor: None,
            }),
        }
    );
}

#[test]
fn an_update_long_after_its_predecessor_catches_up_on_nothing_but_the_reminder() {
    let later = soon_after_update() + CATCH_UP;
    for (status, reminder) in [
        ("CANCELLED", ReminderStep::Cancel),
        ("NO_SHOW", ReminderStep::Cancel),
        ("CONFIRMED", ReminderStep::Schedule),
    ] {
        assert_eq!(
            plan(&updated(status, false), later),
            Plan {
                guest: None,
                vendor: None,
                reminder,
                catch_up: None,
            },
            "{status}"
        );
    }
    // And nothing for an update without a predecessor's time.
    let no_time = sample("BookingUpdated", |d| {
        d["status"] = "CANCELLED".into();
        d["previous_status"] = "CANCELLED".into();
        d["previous_version_at"] = Value::Null;
    });
    assert_eq!(plan(&no_time, soon_after_update()).catch_up, None);
}

#[test]
fn an_update_of_an_expired_booking_drops_the_reminder_and_sends_nothing() {
    assert_eq!(
        plan(&updated("EXPIRED", true), soon_after_update()),
        Plan {
            guest: None,
            vendor: None,
            reminder: ReminderStep::Cancel,
            catch_up: None,
        }
    );
}

#[test]
fn an_update_soon_after_a_check_in_or_a_stays_check_out_catches_up_on_the_guests_message() {
    for (status, news) in [
        ("CHECKED_IN", GuestNews::CheckedIn),
        ("COMPLETED", GuestNews::CheckedOut),
    ] {
        assert_eq!(
            plan(&updated(status, true), soon_after_update()),
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Cancel,
                catch_up: Some(CatchUp {
                    guest: Some(news),
                    vendor: None,
                }),
            },
            "{status}"
        );
    }
    let seating = sample("BookingUpdated", |d| {
        d["status"] = "COMPLETED".into();
        d["previous_status"] = "COMPLETED".into();
        d["time"] = serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
    });
    assert_eq!(plan(&seating, soon_after_update()).catch_up, None);
}

#[test]
fn a_check_in_welcomes_the_guest_and_drops_the_reminder() {
    assert_eq!(
        plan(&sample("BookingCheckedIn", |_| {}), now()),
        Plan {
            guest: Some(GuestNews::CheckedIn),
            vendor: None,
            reminder: ReminderStep::Cancel,
            catch_up: None
        }
    );
}

#[test]
fn a_stays_completion_thanks_the_guest_and_a_seatings_sends_nothing() {
    let stay = sample("BookingCompleted", |_| {});
    let seating = sample("BookingCompleted", |d| {
        d["time"] = serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
    });

    assert_eq!(
        plan(&stay, now()),
        Plan {
            guest: Some(GuestNews::CheckedOut),
            vendor: None,
            reminder: ReminderStep::Leave,
            catch_up: None
        }
    );
    assert_eq!(plan(&seating, now()).guest, None);
}

#[test]
fn the_digital_key_is_mentioned_only_for_a_stay_checked_in_on_the_phone_with_a_room() {
    let checked_in = |change: fn(&mut Value)| sample("BookingCheckedIn", change).booking().clone();

    assert!(!digital_key(&checked_in(|_| {})), "at the desk");
    assert!(digital_key(&checked_in(|d| {
        d["check_in"]["method"] = "mobile".into();
    })));
    assert!(!digital_key(&checked_in(|d| {
        d["check_in"]["method"] = "mobile".into();
        d["unit"] = Value::Null;
    })));
    assert!(!digital_key(&checked_in(|d| {
        d["check_in"]["method"] = "mobile".into();
        d["time"] = serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
    })));
}

#[test]
fn a_confirmation_states_the_cancellation_terms_as_of_the_fact_not_of_sending() {
    // Confirmed 2026-03-01 for 2026-03-27 14:00, free until 48 hours before: long past by
    // now, but a retry today must say what the first attempt said.
    let confirmed = sample("BookingConfirmed", |_| {});

    assert_eq!(
        confirmed_terms(confirmed.booking()),
        CancellationTerms::FreeUntil("2026-03-25T14:00:00Z".parse().unwrap())
    );
    let late = sample("BookingConfirmed", |d| {
        d["occurred_at"] = "2026-03-26T09:00:00Z".into();
    });
    assert_eq!(confirmed_terms(late.booking()), CancellationTerms::NotFree);
}

#[test]
fn the_vendor_hears_of_a_cancellation_only_of_a_booking_it_was_told_of() {
    let confirmed_then_cancelled = sample("BookingCancelled", |_| {});
    let hold_cancelled = sample("BookingCancelled", |d| d["previous_status"] = "HELD".into());

    assert_eq!(
        plan(&confirmed_then_cancelled, now()).vendor,
        Some(VendorNotice::Cancelled)
    );
    assert_eq!(plan(&hold_cancelled, now()).vendor, None);
    assert_eq!(
        plan(&hold_cancelled, now()).guest,
        Some(GuestNews::Cancelled)
    );
    assert_eq!(plan(&hold_cancelled, now()).reminder, ReminderStep::Cancel);
}

#[test]
fn endings_drop_the_reminder() {
    for detail_type in ["BookingExpired", "BookingCheckedIn", "BookingNoShow"] {
        assert_eq!(
            plan(&sample(detail_type, |_| {}), now()).reminder,
            ReminderStep::Cancel,
            "{detail_type}"
        );
    }
    // Checked in before completing: nothing left to drop.
    assert_eq!(
        plan(&sample("BookingCompleted", |_| {}), now()).reminder,
        ReminderStep::Leave
    );
}

#[test]
fn a_refund_is_read_from_the_deposits_settlement() {
    let eur = |minor| Money::price(minor, "EUR").unwrap();
    let settled = |refund: i64, kept: i64| {
        sample("BookingCancelled", |d| {
            d["deposit_payment"]["settlement"]["refund"]["amount_minor"] = refund.into();
            d["deposit_payment"]["settlement"]["kept"]["amount_minor"] = kept.into();
        })
        .booking()
        .deposit_payment
        .clone()
    };

    assert_eq!(refund(settled(400, 0).as_ref()), Refund::Full(eur(400)));
    assert_eq!(
        refund(settled(200, 200).as_ref()),
        Refund::Partial {
            refund: eur(200),
            kept: eur(200)
        }
    );
    assert_eq!(
        refund(settled(0, 400).as_ref()),
        Refund::None { kept: eur(400) }
    );
    assert_eq!(refund(None), Refund::NothingPaid);
    assert_eq!(no_show_fee(settled(0, 400).as_ref()), Some(eur(400)));
    assert_eq!(no_show_fee(settled(400, 0).as_ref()), None);
    assert_eq!(no_show_fee(None), None);
}
