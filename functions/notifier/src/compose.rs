//! Puts a message together: which template, and the booking's facts written in the reader's
//! language.
use crate::format;
use crate::templates::{Catalog, Template, fill};
use chrono::{DateTime, Utc};
use shared::domain::booking::{BookingTime, Channel};
use shared::domain::ids::BookingId;
use shared::domain::money::Money;
use shared::domain::vendor::TimeZone;

/// An email's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// What a message says about a booking: the booking at one version, with the names it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub booking_id: BookingId,
    pub vendor_name: String,
    /// The room type or table type's name.
    pub what: String,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub arrival_at: DateTime<Utc>,
    pub party: u16,
    pub total: Money,
    /// The room or table number it is put in, if any.
    pub unit: Option<String>,
}

/// What happened to a cancelled booking's deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    Full(Money),
    Partial { refund: Money, kept: Money },
    None { kept: Money },
    NothingPaid,
}

/// What cancelling a confirmed booking costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationTerms {
    Free,
    FreeUntil(DateTime<Utc>),
    /// The free period is over (or there never was one): nothing to promise.
    NotFree,
}

/// A message to the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestNotice {
    /// Held until the deposit is paid.
    Hold {
        deposit: Money,
        pay_by: DateTime<Utc>,
        /// Where to pay; `None` without a guest app to link to.
        link: Option<String>,
    },
    Confirmed(CancellationTerms),
    /// The booking as it was before the change.
    Changed(Box<Booked>),
    Cancelled(Refund),
    /// The fee kept, if any.
    NoShow(Option<Money>),
    Reminder,
    /// Welcome on check-in; `digital_key`: the room's key is in the guest's app.
    CheckedIn {
        digital_key: bool,
    },
    /// A stay checked out: the nights stayed (an early departure's are already cut) and the total.
    CheckedOut,
}

impl GuestNotice {
    /// Names the message in the sent log and the logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hold { .. } => "hold",
            Self::Confirmed(_) => "confirmed",
            Self::Changed(_) => "changed",
            Self::Cancelled(_) => "cancelled",
            Self::NoShow(_) => "no-show",
            Self::Reminder => "reminder",
            Self::CheckedIn { .. } => "checked-in",
            Self::CheckedOut => "checked-out",
        }
    }
}

/// A message to the vendor's contact address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorNotice {
    New(Channel),
    Cancelled,
}

impl VendorNotice {
    pub fn name(&self) -> &'static str {
        match self {
            Self::New(_) => "new",
            Self::Cancelled => "cancelled",
        }
    }
}

/// When, as the reader sees it: a stay's arrival and check-out day, or a seating's time.
pub fn when(catalog: &Catalog, booked: &Booked) -> String {
    let arrival = format::date_time(catalog, booked.arrival_at, booked.time_zone);
    match booked.time {
        BookingTime::Stay { check_out, .. } => fill(
            catalog.phrases.stay,
            &[
                ("arrival", &arrival),
                ("check_out", &format::date(catalog, check_out)),
            ],
        ),
        BookingTime::Seating { .. } => arrival,
    }
}

/// The dates alone: a stay's arrival and check-out day (no check-in time: the guest is there),
/// or a seating's time.
pub fn dates(catalog: &Catalog, booked: &Booked) -> String {
    match booked.time {
        BookingTime::Stay {
            check_in,
            check_out,
        } => fill(
            catalog.phrases.stay,
            &[
                ("arrival", &format::date(catalog, check_in)),
                ("check_out", &format::date(catalog, check_out)),
            ],
        ),
        BookingTime::Seating { .. } => {
            format::date_time(catalog, booked.arrival_at, booked.time_zone)
        }
    }
}

/// `, room 214` or `, table 12` after the booked type's name; empty without a unit.
fn unit_suffix(catalog: &Catalog, booked: &Booked) -> String {
    let Some(number) = &booked.unit else {
        return String::new();
    };
    let phrase = match booked.time {
        BookingTime::Stay { .. } => catalog.phrases.in_room,
        BookingTime::Seating { .. } => catalog.phrases.at_table,
    };
    fill(phrase, &[("number", number)])
}

fn render(template: Template, values: &[(&str, &str)]) -> Message {
    Message {
        subject: fill(template.subject, values),
        body: fill(template.body, values),
    }
}

fn refund_line(catalog: &Catalog, refund: Refund) -> String {
    let phrases = &catalog.phrases;
    let money = |m| format::money(catalog, m);
    match refund {
        Refund::Full(refund) => fill(phrases.refund, &[("refund", &money(refund))]),
        Refund::Partial { refund, kept } => fill(
            phrases.partial_refund,
            &[("refund", &money(refund)), ("kept", &money(kept))],
        ),
        Refund::None { kept } => fill(phrases.no_refund, &[("kept", &money(kept))]),
        Refund::NothingPaid => phrases.nothing_paid.to_owned(),
    }
}

fn changes(catalog: &Catalog, before: &Booked, after: &Booked) -> String {
    let phrases = &catalog.phrases;
    let mut lines = Vec::new();
    let mut line = |template: &str, before: String, after: String| {
        if before != after {
            lines.push(format!(
                "  {}",
                fill(template, &[("before", &before), ("after", &after)])
            ));
        }
    };
    line(
        phrases.changed_when,
        when(catalog, before),
        when(catalog, after),
    );
    line(
        phrases.changed_party,
        format::party(catalog, before.party),
        format::party(catalog, after.party),
    );
    line(
        phrases.changed_type,
        before.what.clone(),
        after.what.clone(),
    );
    line(
        phrases.changed_total,
        format::money(catalog, before.total),
        format::money(catalog, after.total),
    );
    lines.join("\n")
}

/// The email to the guest; `name` greets them when known.
pub fn guest_mail(
    catalog: &Catalog,
    notice: &GuestNotice,
    booked: &Booked,
    name: Option<&str>,
) -> Message {
    let hello = match name {
        Some(name) => fill(catalog.phrases.hello_name, &[("name", name)]),
        None => catalog.phrases.hello.to_owned(),
    };
    let when = when(catalog, booked);
    let party = format::party(catalog, booked.party);
    let total = format::money(catalog, booked.total);
    let booking = booked.booking_id.to_string();
    let mut values = vec![
        ("hello", hello.as_str()),
        ("vendor", booked.vendor_name.as_str()),
        ("what", booked.what.as_str()),
        ("when", when.as_str()),
        ("party", party.as_str()),
        ("total", total.as_str()),
        ("booking", booking.as_str()),
    ];
    let extra: String;
    let template = match notice {
        GuestNotice::Hold {
            deposit,
            pay_by,
            link,
        } => {
            let deposit = format::money(catalog, *deposit);
            let pay_by = format::date_time(catalog, *pay_by, booked.time_zone);
            let mut payment = vec![("deposit", deposit.as_str()), ("pay_by", pay_by.as_str())];
            extra = match link {
                Some(link) => {
                    payment.push(("link", link.as_str()));
                    fill(catalog.phrases.pay_by_link, &payment)
                }
                None => fill(catalog.phrases.pay_in_app, &payment),
            };
            values.push(("payment", extra.as_str()));
            catalog.hold
        }
        GuestNotice::Confirmed(terms) => {
            extra = match terms {
                CancellationTerms::Free => catalog.phrases.free_cancellation.to_owned(),
                CancellationTerms::FreeUntil(deadline) => fill(
                    catalog.phrases.free_cancellation_until,
                    &[(
                        "deadline",
                        &format::date_time(catalog, *deadline, booked.time_zone),
                    )],
                ),
                CancellationTerms::NotFree => String::new(),
            };
            values.push(("cancellation", extra.as_str()));
            catalog.confirmed
        }
        GuestNotice::Changed(before) => {
            extra = changes(catalog, before, booked);
            values.push(("changes", extra.as_str()));
            catalog.changed
        }
        GuestNotice::Cancelled(refund) => {
            extra = refund_line(catalog, *refund);
            values.push(("refund", extra.as_str()));
            catalog.cancelled
        }
        GuestNotice::NoShow(fee) => {
            extra = match fee {
                Some(kept) => fill(
                    catalog.phrases.no_show_fee,
                    &[("kept", &format::money(catalog, *kept))],
                ),
                None => catalog.phrases.no_show_no_fee.to_owned(),
            };
            values.push(("fee", extra.as_str()));
            catalog.no_show
        }
        GuestNotice::Reminder => catalog.reminder,
        GuestNotice::CheckedIn { digital_key } => {
            extra = if *digital_key {
                format!("{}\n\n", catalog.phrases.digital_key)
            } else {
                String::new()
            };
            values.push(("key", extra.as_str()));
            catalog.checked_in
        }
        GuestNotice::CheckedOut => catalog.checked_out,
    };
    // The welcome and the check-out name the room or table, and give the dates alone.
    let unit = unit_suffix(catalog, booked);
    let dates = dates(catalog, booked);
    values.push(("unit", unit.as_str()));
    values.push(("dates", dates.as_str()));
    render(template, &values)
}

/// The email to the vendor's contact address.
pub fn vendor_mail(catalog: &Catalog, notice: VendorNotice, booked: &Booked) -> Message {
    let when = when(catalog, booked);
    let party = format::party(catalog, booked.party);
    let total = format::money(catalog, booked.total);
    let booking = booked.booking_id.to_string();
    let (template, channel) = match notice {
        VendorNotice::New(Channel::Online) => (catalog.vendor_new, catalog.online),
        VendorNotice::New(Channel::FrontDesk) => (catalog.vendor_new, catalog.front_desk),
        VendorNotice::New(Channel::WalkIn) => (catalog.vendor_new, catalog.walk_in),
        VendorNotice::New(Channel::Phone) => (catalog.vendor_new, catalog.phone),
        VendorNotice::New(Channel::Ota | Channel::ChannelManager | Channel::Pms) => {
            (catalog.vendor_new, catalog.channel)
        }
        VendorNotice::Cancelled => (catalog.vendor_cancelled, ""),
    };
    render(
        template,
        &[
            ("vendor", &booked.vendor_name),
            ("what", &booked.what),
            ("when", &when),
            ("party", &party),
            ("total", &total),
            ("channel", channel),
            ("booking", &booking),
        ],
    )
}

/// The SMS to the guest, for the notices that have one.
pub fn text(catalog: &Catalog, notice: &GuestNotice, booked: &Booked) -> Option<String> {
    let template = match notice {
        GuestNotice::Confirmed(_) => catalog.sms.confirmed,
        GuestNotice::Cancelled(_) => catalog.sms.cancelled,
        GuestNotice::Reminder => catalog.sms.reminder,
        GuestNotice::CheckedIn { .. } => catalog.sms.checked_in,
        GuestNotice::CheckedOut => catalog.sms.checked_out,
        _ => return None,
    };
    let when = format::date_time(catalog, booked.arrival_at, booked.time_zone);
    Some(fill(
        template,
        &[
            ("vendor", &booked.vendor_name),
            ("when", &when),
            ("unit", &unit_suffix(catalog, booked)),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::{CATALOGS, DE, EN, FR};

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn dinner() -> Booked {
        Booked {
            booking_id: BookingId::parse("0195a1b2-0000-7000-8000-0000000000b1").unwrap(),
            vendor_name: "Zur Linde".into(),
            what: "Table for four".into(),
            time: BookingTime::Seating {
                date: "2026-12-24".parse().unwrap(),
                time: "19:30".parse().unwrap(),
            },
            time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
            arrival_at: "2026-12-24T18:30:00Z".parse().unwrap(),
            party: 4,
            total: eur(123_450),
            unit: None,
        }
    }

    fn stay() -> Booked {
        Booked {
            what: "Double room".into(),
            time: BookingTime::Stay {
                check_in: "2026-03-27".parse().unwrap(),
                check_out: "2026-03-29".parse().unwrap(),
            },
            arrival_at: "2026-03-27T14:00:00Z".parse().unwrap(),
            party: 2,
            total: eur(25_800),
            ..dinner()
        }
    }

    fn every_notice() -> Vec<GuestNotice> {
        vec![
            GuestNotice::Hold {
                deposit: eur(5_160),
                pay_by: "2026-12-01T10:10:00Z".parse().unwrap(),
                link: Some("https://app.example/bookings/b1/pay".into()),
            },
            GuestNotice::Hold {
                deposit: eur(5_160),
                pay_by: "2026-12-01T10:10:00Z".parse().unwrap(),
                link: None,
            },
            GuestNotice::Confirmed(CancellationTerms::FreeUntil(
                "2026-12-22T18:30:00Z".parse().unwrap(),
            )),
            GuestNotice::Changed(Box::new(stay())),
            GuestNotice::Cancelled(Refund::Partial {
                refund: eur(2_580),
                kept: eur(2_580),
            }),
            GuestNotice::NoShow(Some(eur(5_160))),
            GuestNotice::Reminder,
            GuestNotice::CheckedIn { digital_key: true },
            GuestNotice::CheckedIn { digital_key: false },
            GuestNotice::CheckedOut,
        ]
    }

    #[test]
    fn a_confirmation_in_german_shows_the_local_time_and_german_money() {
        let mail = guest_mail(
            &DE,
            &GuestNotice::Confirmed(CancellationTerms::FreeUntil(
                "2026-12-22T18:30:00Z".parse().unwrap(),
            )),
            &dinner(),
            Some("Anna"),
        );

        assert_eq!(mail.subject, "Ihre Buchung bei Zur Linde ist bestätigt");
        assert!(mail.body.starts_with("Guten Tag Anna,\n"), "{}", mail.body);
        assert!(
            mail.body
                .contains("Wann: Donnerstag, 24. Dezember 2026, 19:30"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("Personen: 4 Personen"), "{}", mail.body);
        assert!(
            mail.body.contains("Gesamtpreis: 1.234,50\u{a0}€"),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .contains("bis Dienstag, 22. Dezember 2026, 19:30 kostenlos stornieren"),
            "{}",
            mail.body
        );
    }

    #[test]
    fn a_stay_shows_arrival_and_check_out() {
        let mail = guest_mail(&EN, &GuestNotice::Reminder, &stay(), None);

        assert!(
            mail.body
                .contains("When: Friday, 27 March 2026, 15:00 to Sunday, 29 March 2026"),
            "{}",
            mail.body
        );
        assert!(mail.body.starts_with("Hello,\n"));
    }

    #[test]
    fn a_change_lists_only_what_moved() {
        let before = dinner();
        let after = Booked {
            arrival_at: "2026-12-25T18:00:00Z".parse().unwrap(),
            time: BookingTime::Seating {
                date: "2026-12-25".parse().unwrap(),
                time: "19:00".parse().unwrap(),
            },
            total: eur(99_000),
            ..dinner()
        };

        let mail = guest_mail(
            &EN,
            &GuestNotice::Changed(Box::new(before)),
            &after,
            Some("Ann"),
        );

        assert!(
            mail.body.contains(
                "  When: Thursday, 24 December 2026, 19:30 -> Friday, 25 December 2026, 19:00\n  Total: €1,234.50 -> €990.00\n"
            ),
            "{}",
            mail.body
        );
        assert!(!mail.body.contains("Party: 4 guests ->"), "{}", mail.body);
        assert!(!mail.body.contains("Booked:"), "{}", mail.body);
    }

    #[test]
    fn a_cancellation_says_what_is_refunded() {
        let cases = [
            (
                Refund::Full(eur(5_160)),
                "Your deposit of €51.60 is being refunded in full.",
            ),
            (
                Refund::Partial {
                    refund: eur(2_580),
                    kept: eur(2_580),
                },
                "€25.80 of your deposit is being refunded; €25.80 is kept",
            ),
            (
                Refund::None { kept: eur(5_160) },
                "No refund: your deposit of €51.60 is kept",
            ),
            (Refund::NothingPaid, "nothing was paid"),
        ];
        for (refund, expected) in cases {
            let mail = guest_mail(&EN, &GuestNotice::Cancelled(refund), &dinner(), None);

            assert!(mail.body.contains(expected), "{refund:?}: {}", mail.body);
        }
    }

    #[test]
    fn a_hold_carries_the_deposit_the_deadline_and_the_payment_link() {
        let mail = guest_mail(&FR, &every_notice()[0], &dinner(), Some("Léa"));

        assert!(
            mail.body
                .contains("l'acompte de 51,60\u{a0}€ avant le mardi 1 décembre 2026 à 11:10"),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .contains("\nhttps://app.example/bookings/b1/pay\n")
        );
    }

    #[test]
    fn without_a_guest_app_the_hold_asks_to_pay_in_the_app_where_they_booked_in_every_language() {
        let hold = GuestNotice::Hold {
            deposit: eur(5_160),
            pay_by: "2026-12-01T10:10:00Z".parse().unwrap(),
            link: None,
        };
        let expected = [
            (
                &EN,
                "pay the deposit of €51.60 by Tuesday, 1 December 2026, 11:10 in the app where you booked.\n",
            ),
            (
                &DE,
                "die Anzahlung von 51,60\u{a0}€ bis Dienstag, 1. Dezember 2026, 11:10 in der App, in der Sie gebucht haben.\n",
            ),
            (
                &FR,
                "l'acompte de 51,60\u{a0}€ avant le mardi 1 décembre 2026 à 11:10 dans l'application où vous avez réservé.\n",
            ),
        ];
        for (catalog, says) in expected {
            let mail = guest_mail(catalog, &hold, &dinner(), None);

            assert!(mail.body.contains(says), "{}: {}", catalog.tag, mail.body);
            assert!(
                !mail.body.contains("http"),
                "{}: {}",
                catalog.tag,
                mail.body
            );
            assert!(!mail.body.contains('{'), "{}: {}", catalog.tag, mail.body);
        }
    }

    #[test]
    fn the_vendor_hears_of_new_and_cancelled_bookings_with_the_channel() {
        let new = vendor_mail(&EN, VendorNotice::New(Channel::FrontDesk), &dinner());
        let cancelled = vendor_mail(&DE, VendorNotice::Cancelled, &dinner());

        assert_eq!(
            new.subject,
            "New booking: Thursday, 24 December 2026, 19:30"
        );
        assert!(new.body.contains("(front desk)"), "{}", new.body);
        assert!(new.body.contains("Total: €1,234.50"), "{}", new.body);
        assert_eq!(
            cancelled.subject,
            "Buchung storniert: Donnerstag, 24. Dezember 2026, 19:30"
        );
    }

    fn in_room_214() -> Booked {
        Booked {
            unit: Some("214".into()),
            ..stay()
        }
    }

    #[test]
    fn a_welcome_in_german_names_the_room_and_the_check_out_day_and_the_key_only_after_a_phone_check_in()
     {
        let desk = guest_mail(
            &DE,
            &GuestNotice::CheckedIn { digital_key: false },
            &in_room_214(),
            Some("Anna"),
        );
        let phone = guest_mail(
            &DE,
            &GuestNotice::CheckedIn { digital_key: true },
            &in_room_214(),
            Some("Anna"),
        );

        assert_eq!(desk.subject, "Willkommen bei Zur Linde");
        assert!(
            desk.body.contains(
                "Sie sind eingecheckt:\n\n  Double room, Zimmer 214\n  Wann: Freitag, 27. März 2026 bis Sonntag, 29. März 2026\n  Personen: 2 Personen\n\nBuchung "
            ),
            "{}",
            desk.body
        );
        assert!(!desk.body.contains("Schlüssel"), "{}", desk.body);
        assert!(
            phone.body.contains(
                "Personen: 2 Personen\n\nIhr digitaler Zimmerschlüssel ist in der App: Er öffnet Ihr Zimmer bis zur Abreise.\n\nBuchung "
            ),
            "{}",
            phone.body
        );
    }

    #[test]
    fn a_welcome_at_a_table_names_the_table_and_the_seating_and_without_a_unit_names_none() {
        let seated = Booked {
            unit: Some("12".into()),
            ..dinner()
        };
        let welcome = GuestNotice::CheckedIn { digital_key: false };

        let en = guest_mail(&EN, &welcome, &seated, None);
        let fr = guest_mail(&FR, &welcome, &seated, None);
        let unassigned = guest_mail(&EN, &welcome, &stay(), None);

        assert!(
            en.body.contains(
                "  Table for four, table 12\n  When: Thursday, 24 December 2026, 19:30\n"
            ),
            "{}",
            en.body
        );
        assert!(
            fr.body
                .contains("  Table for four, table 12\n  Quand : jeudi 24 décembre 2026 à 19:30\n"),
            "{}",
            fr.body
        );
        assert!(
            unassigned.body.contains("  Double room\n  When: "),
            "{}",
            unassigned.body
        );
    }

    #[test]
    fn a_check_out_thanks_the_guest_with_the_nights_stayed_and_the_total_in_every_language() {
        // An early departure: the stay is already cut to one night and re-priced.
        let left_early = Booked {
            time: BookingTime::Stay {
                check_in: "2026-03-27".parse().unwrap(),
                check_out: "2026-03-28".parse().unwrap(),
            },
            total: eur(12_900),
            ..in_room_214()
        };
        let expected = [
            (
                &EN,
                "Thank you for staying at Zur Linde",
                "  Double room, room 214\n  Stayed: Friday, 27 March 2026 to Saturday, 28 March 2026\n  Total: €129.00\n",
            ),
            (
                &DE,
                "Vielen Dank für Ihren Aufenthalt bei Zur Linde",
                "  Double room, Zimmer 214\n  Aufenthalt: Freitag, 27. März 2026 bis Samstag, 28. März 2026\n  Gesamtpreis: 129,00\u{a0}€\n",
            ),
            (
                &FR,
                "Merci de votre séjour chez Zur Linde",
                "  Double room, chambre 214\n  Séjour : vendredi 27 mars 2026 au samedi 28 mars 2026\n  Total : 129,00\u{a0}€\n",
            ),
        ];
        for (catalog, subject, says) in expected {
            let mail = guest_mail(catalog, &GuestNotice::CheckedOut, &left_early, None);

            assert_eq!(mail.subject, subject, "{}", catalog.tag);
            assert!(mail.body.contains(says), "{}: {}", catalog.tag, mail.body);
        }
    }

    #[test]
    fn the_check_in_and_check_out_texts_name_the_vendor_and_the_room() {
        let welcome = text(
            &DE,
            &GuestNotice::CheckedIn { digital_key: true },
            &in_room_214(),
        );
        let goodbye = text(&EN, &GuestNotice::CheckedOut, &in_room_214());

        assert_eq!(
            welcome.as_deref(),
            Some("Zur Linde: Willkommen! Sie sind eingecheckt, Zimmer 214.")
        );
        assert_eq!(
            goodbye.as_deref(),
            Some("Zur Linde: thank you for your stay. You are checked out.")
        );
    }

    #[test]
    fn no_message_in_any_language_leaves_a_placeholder_unfilled() {
        for catalog in CATALOGS {
            let seated = Booked {
                unit: Some("12".into()),
                ..dinner()
            };
            let in_room = Booked {
                unit: Some("214".into()),
                ..stay()
            };
            for booked in [dinner(), stay(), seated, in_room] {
                for notice in every_notice() {
                    let mail = guest_mail(catalog, &notice, &booked, Some("Sam"));
                    assert!(
                        !mail.subject.contains('{') && !mail.body.contains('{'),
                        "{} {}: {mail:?}",
                        catalog.tag,
                        notice.name()
                    );
                    if let Some(text) = text(catalog, &notice, &booked) {
                        assert!(!text.contains('{'), "{text}");
                        assert!(text.chars().count() <= 160, "{text}");
                    }
                }
                for notice in [VendorNotice::New(Channel::Online), VendorNotice::Cancelled] {
                    let mail = vendor_mail(catalog, notice, &booked);
                    assert!(!mail.body.contains('{'), "{mail:?}");
                }
            }
        }
    }
}
