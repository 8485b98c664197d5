//! What one booking adds to its vendor's business days, from its latest fact alone (the rules of
//! "Business day and attribution" in the issue 20 design).
use super::Counts;
use crate::domain::booking::{BookingStatus, BookingTime, Channel};
use crate::domain::calendar::Bucket;
use crate::domain::tax::TaxRules;
use crate::events::BookingDetail;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A booking's counters per business day, and the fact they were computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub version: u64,
    /// Confirmed at least once: only then does the booking count at all.
    pub counted: bool,
    pub days: BTreeMap<NaiveDate, Counts>,
}

/// The attribute name of a channel in a day's counters (`ch_<channel>_...`).
pub fn channel_key(channel: Channel) -> &'static str {
    match channel {
        Channel::Online => "online",
        Channel::WalkIn => "walk_in",
        Channel::Phone => "phone",
        Channel::FrontDesk => "front_desk",
        Channel::Ota => "ota",
        Channel::ChannelManager => "channel_manager",
        Channel::Pms => "pms",
    }
}

fn sold(status: BookingStatus) -> bool {
    matches!(
        status,
        BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::Completed
    )
}

fn confirmed_once(status: BookingStatus) -> bool {
    sold(status) || status == BookingStatus::NoShow
}

/// The booking's contribution after `detail`, given the one applied before (which remembers
/// whether it was ever confirmed: a fact about a cancelled booking does not always say).
pub fn contribution(
    detail: &BookingDetail,
    taxes: &TaxRules,
    previous: Option<&Contribution>,
) -> Contribution {
    let counted = previous.is_some_and(|p| p.counted)
        || confirmed_once(detail.status)
        || detail.previous_status.is_some_and(confirmed_once);
    let mut days: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    if counted {
        let mut add = |day: NaiveDate, field: String, value: i64| {
            if value != 0 {
                *days.entry(day).or_default().entry(field).or_default() += value;
            }
        };
        let channel = channel_key(detail.channel);
        let is_sold = sold(detail.status);
        let (arrival, nights) = match detail.time {
            BookingTime::Stay {
                check_in,
                check_out,
            } => (check_in, (check_out - check_in).num_days()),
            BookingTime::Seating { date, .. } => (date, 0),
        };
        if is_sold {
            match detail.time {
                BookingTime::Stay { .. } => {
                    let units = i64::from(detail.units);
                    let party = u32::from(detail.party_size.get());
                    let night_dates = night_dates(detail);
                    for (night, price) in night_prices(detail, &night_dates) {
                        let taxed = taxes.split(price);
                        add(night, "room_nights".into(), units);
                        add(night, "rev_net".into(), taxed.net_minor);
                        add(night, "rev_vat".into(), taxed.vat_minor);
                        add(night, "city_tax".into(), taxes.city_tax_minor(party, 1));
                        add(night, format!("ch_{channel}_nights"), units);
                        add(night, format!("ch_{channel}_rev_net"), taxed.net_minor);
                    }
                }
                BookingTime::Seating { date, time } => {
                    let party = i64::from(detail.party_size.get());
                    add(date, "covers".into(), party);
                    add(date, "seatings".into(), 1);
                    add(date, format!("slot_{}", time.format("%H%M")), party);
                }
            }
        }
        add(arrival, "bookings".into(), 1);
        add(arrival, format!("ch_{channel}_bookings"), 1);
        let kept = detail
            .deposit_payment
            .as_ref()
            .and_then(|deposit| deposit.settlement.as_ref())
            .map_or(0, |settlement| settlement.kept.amount_minor);
        match detail.status {
            BookingStatus::Cancelled => {
                add(arrival, "cancellations".into(), 1);
                add(arrival, "cancel_fees".into(), kept);
            }
            BookingStatus::NoShow => {
                add(arrival, "no_shows".into(), 1);
                add(arrival, "no_show_fees".into(), kept);
            }
            _ => {}
        }
        if is_sold {
            let tz = detail.time_zone.tz();
            let created = detail
                .created_at
                .map_or(arrival, |at| at.with_timezone(&tz).date_naive());
            add(arrival, "lead_days".into(), (arrival - created).num_days());
            add(arrival, "stays".into(), 1);
            add(arrival, "stay_nights".into(), nights);
        }
    }
    Contribution {
        version: detail.header.version,
        counted,
        days,
    }
}

fn night_dates(detail: &BookingDetail) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = detail
        .buckets
        .iter()
        .filter_map(|bucket| match bucket {
            Bucket::Night(date) => Some(*date),
            Bucket::Slot(_) => None,
        })
        .collect();
    dates.sort_unstable();
    dates.dedup();
    dates
}

/// Each night's booked price: its quote line, or (facts published before the lines were) the
/// total shared evenly, the remainder on the first nights, so the nights still add up to it.
fn night_prices(detail: &BookingDetail, nights: &[NaiveDate]) -> Vec<(NaiveDate, i64)> {
    if !detail.price_lines.is_empty() {
        return nights
            .iter()
            .map(|night| {
                let price = detail
                    .price_lines
                    .iter()
                    .filter(|line| line.date == *night)
                    .map(|line| line.amount_minor)
                    .sum();
                (*night, price)
            })
            .collect();
    }
    let count = i64::try_from(nights.len()).unwrap_or(i64::MAX).max(1);
    let total = detail.total.amount_minor;
    let (each, remainder) = (total / count, total % count);
    nights
        .iter()
        .zip(0..)
        .map(|(night, i)| (*night, each + i64::from(i < remainder)))
        .collect()
}
