//! Marks, coalescing and retries against in-memory adapters.
use super::*;
use crate::channels::ari::{DayAri, RoomTypeAri, SeatingDayAri, SlotAri, TableTypeAri};
use crate::channels::memory::MemoryChannels;
use crate::channels::{ChannelAccount, ChannelKind, ChannelStatus, WebhookUrl};
use crate::domain::money::{Currency, Money};
use crate::domain::text::Title;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub(super) fn key() -> PushKey {
    PushKey::new("a local push key of at least 32 bytes").unwrap()
}

pub(super) fn now() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn sample(name: &str) -> Event {
    sample_with(name, |_| {})
}

/// The sample `name` with `change` made to its detail.
fn sample_with(name: &str, change: impl FnOnce(&mut serde_json::Value)) -> Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/samples")
        .join(format!("{name}.json"));
    let mut raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(&mut raw["detail"]);
    Event::parse(
        raw["source"].as_str().unwrap(),
        raw["detail-type"].as_str().unwrap(),
        raw["detail"].clone(),
    )
    .unwrap()
}

/// Free units per cell, changed by the test between marks and flush; `own` overrides a cell for
/// one channel (as its allotment would). A type in `tables` is a restaurant's: its cell's figure
/// is the booking limit of its one seating, at 19:00.
#[derive(Default)]
struct Figures {
    free: Mutex<HashMap<(ResourceId, NaiveDate), u32>>,
    own: Mutex<HashMap<(ChannelId, ResourceId, NaiveDate), u32>>,
    tables: Mutex<Vec<ResourceId>>,
}

impl AriSource for Figures {
    async fn ari(
        &self,
        vendor: VendorId,
        channel: ChannelId,
        range: AriRange,
    ) -> Result<Ari, AriError> {
        let free = self.free.lock().unwrap();
        let own = self.own.lock().unwrap();
        let tables = self.tables.lock().unwrap();
        let mut types: Vec<ResourceId> = free.keys().map(|(r, _)| *r).collect();
        types.sort();
        types.dedup();
        let eur = Currency::parse("EUR").unwrap();
        let rate = Money {
            amount_minor: 12900,
            currency: eur,
        };
        let limit = |t: ResourceId, date: NaiveDate| {
            own.get(&(channel, t, date))
                .or_else(|| free.get(&(t, date)))
                .copied()
                .unwrap_or(5)
        };
        let (table_types, room_types): (Vec<_>, Vec<_>) =
            types.into_iter().partition(|t| tables.contains(t));
        Ok(Ari {
            hotel_code: vendor,
            start: range.start,
            end: range.end,
            currency_code: eur,
            room_types: room_types
                .into_iter()
                .map(|t| RoomTypeAri {
                    inv_type_code: t,
                    name: "Double".into(),
                    days: range
                        .nights()
                        .map(|date| DayAri {
                            date,
                            booking_limit: limit(t, date),
                            rate,
                        })
                        .collect(),
                })
                .collect(),
            table_types: table_types
                .into_iter()
                .map(|t| TableTypeAri {
                    inv_type_code: t,
                    name: "Window".into(),
                    capacity: 4,
                    seating_minutes: 90,
                    days: range
                        .nights()
                        .map(|date| SeatingDayAri {
                            date,
                            rate,
                            deposit: None,
                            slots: vec![SlotAri {
                                time: "19:00".parse().unwrap(),
                                booking_limit: limit(t, date),
                            }],
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

/// Answers each POST from `answers` in turn (then 200) and keeps what it got.
#[derive(Default)]
struct Receiver {
    answers: Mutex<Vec<u16>>,
    got: Mutex<Vec<(String, String, Vec<u8>)>>,
}

impl Webhook for Receiver {
    async fn post(&self, url: &str, signature: &str, body: &[u8]) -> anyhow::Result<u16> {
        self.got
            .lock()
            .unwrap()
            .push((url.into(), signature.into(), body.to_vec()));
        let mut answers = self.answers.lock().unwrap();
        Ok(if answers.is_empty() {
            200
        } else {
            answers.remove(0)
        })
    }
}

pub(super) const FAST: Retry = Retry {
    attempts: 3,
    backoff: Duration::ZERO,
};

/// One vendor's push in memory: a fact about one type, its marks and flush queue, the figures
/// the flush reads, the vendor's channels and the receiver behind their webhooks.
struct Push {
    event: Event,
    vendor: VendorId,
    resource: ResourceId,
    marks: MemoryMarks,
    figures: Figures,
    channels: MemoryChannels,
    receiver: Receiver,
}

impl Push {
    /// The `BookingHeld` sample: a stay of the nights of 27 and 28 March 2026.
    fn held() -> Self {
        Self::of(sample("BookingHeld"))
    }

    /// The `BookingHeld` sample as a restaurant's 90-minute seating from `local` (Berlin) on 27
    /// March 2026, whose type the figures answer as a table type.
    fn seated(local: &str) -> Self {
        let push = Self::of(seating_held(local));
        push.figures.tables.lock().unwrap().push(push.resource);
        push
    }

    fn of(event: Event) -> Self {
        let Event::Booking(fact) = &event else {
            panic!("a booking fact")
        };
        let (vendor, resource) = (fact.booking().vendor_id, fact.booking().resource_id);
        Self {
            event,
            vendor,
            resource,
            marks: MemoryMarks::default(),
            figures: Figures::default(),
            channels: MemoryChannels::default(),
            receiver: Receiver::default(),
        }
    }

    async fn record(&self) -> usize {
        record(&self.marks, &self.marks, &self.event).await.unwrap()
    }

    /// The type's free units on `date` (5 where not set).
    fn free(&self, date: &str, units: u32) {
        self.figures
            .free
            .lock()
            .unwrap()
            .insert((self.resource, date.parse().unwrap()), units);
    }

    async fn channel(&self, url: Option<&str>) -> ChannelAccount {
        let account = ChannelAccount::connect(
            self.vendor,
            ChannelKind::ChannelManager,
            Title::parse("Acme CM").unwrap(),
            url.map(|u| WebhookUrl::parse(u).unwrap()),
            "hash".into(),
            now(),
        );
        self.channels.create_channel(&account).await.unwrap();
        account
    }

    fn answer(&self, statuses: Vec<u16>) {
        *self.receiver.answers.lock().unwrap() = statuses;
    }

    async fn flush(&self) -> anyhow::Result<Flushed> {
        flush(
            &self.marks,
            &self.figures,
            &self.channels,
            &self.receiver,
            &key(),
            FAST,
            self.vendor,
            now(),
        )
        .await
    }

    fn got(&self) -> Vec<(String, String, Vec<u8>)> {
        self.receiver.got.lock().unwrap().clone()
    }

    async fn pending(&self) -> usize {
        self.marks.take_pending(self.vendor).await.unwrap().len()
    }
}

/// The `BookingHeld` sample as a 90-minute seating starting at `local` on 27 March 2026 in
/// Berlin (UTC+1 that day): its three 30-minute slots.
fn seating_held(local: &str) -> Event {
    let start =
        chrono::NaiveDateTime::parse_from_str(&format!("2026-03-27T{local}"), "%Y-%m-%dT%H:%M")
            .unwrap()
            .and_utc()
            - chrono::Duration::hours(1);
    sample_with("BookingHeld", |detail| {
        detail["time"] =
            serde_json::json!({"kind": "seating", "date": "2026-03-27", "time": local});
        detail["buckets"] = (0..3)
            .map(|n| Bucket::Slot(start + chrono::Duration::minutes(30 * n)).key())
            .collect();
    })
}

fn dates(cells: &[Cell]) -> Vec<String> {
    cells.iter().map(|c| c.date.to_string()).collect()
}

#[test]
fn a_hold_touches_its_nights_and_a_change_its_old_ones_too() {
    let push = Push::held();
    let touched = touched_by(&push.event);
    assert_eq!(dates(&touched), ["2026-03-27", "2026-03-28"]);
    assert!(
        touched
            .iter()
            .all(|c| c.vendor == push.vendor && c.resource == push.resource)
    );
    let updated = sample("BookingUpdated");
    let Event::Booking(fact) = &updated else {
        panic!()
    };
    let detail = fact.booking();
    let before = detail.previous.as_ref().unwrap();
    let cells = touched_by(&updated);
    assert!(
        before
            .buckets
            .iter()
            .chain(&detail.buckets)
            .all(|b| match b {
                Bucket::Night(d) => cells.iter().any(|c| c.date == *d),
                Bucket::Slot(_) => true,
            })
    );
    assert_eq!(
        touched_by(&sample("ResourceChanged")).len(),
        TYPE_CHANGE_NIGHTS as usize
    );
    assert!(touched_by(&sample("VendorRated")).is_empty());
}

#[test]
fn a_seating_touches_the_local_dates_of_every_seating_sharing_a_slot_with_it() {
    assert_eq!(dates(&touched_by(&seating_held("12:00"))), ["2026-03-27"]);
    // Seatings from 22:30 share its slots; its last one (00:30) is the next day's.
    assert_eq!(
        dates(&touched_by(&seating_held("23:30"))),
        ["2026-03-27", "2026-03-28"]
    );
    // Seatings from 23:30 the day before run into its first slot (00:30).
    assert_eq!(
        dates(&touched_by(&seating_held("00:30"))),
        ["2026-03-26", "2026-03-27"]
    );
}

#[tokio::test]
async fn a_burst_of_holds_sends_one_update_per_type_and_night_with_the_last_figures() {
    let push = Push::held();
    for _ in 0..5 {
        push.record().await;
    }
    assert_eq!(
        push.marks.take_scheduled(),
        vec![push.vendor],
        "one flush for the burst"
    );

    let cm = push.channel(Some("https://cm.example.com/ari")).await;
    push.free("2026-03-27", 0);
    let flushed = push.flush().await.unwrap();
    assert_eq!(flushed.cells, 2);
    assert_eq!(flushed.delivered, 1);

    let got = push.got();
    assert_eq!(got.len(), 1);
    let (url, signature, body) = &got[0];
    assert_eq!(url, "https://cm.example.com/ari");
    let secret = sign::current_secret(&key(), &cm).unwrap();
    assert!(sign::verify(&secret, signature, body, now()));
    let other = push.channel(None).await;
    assert!(!sign::verify(
        &sign::current_secret(&key(), &other).unwrap(),
        signature,
        body,
        now()
    ));
    let ari: serde_json::Value = serde_json::from_slice(body).unwrap();
    let days = ari["room_types"][0]["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["date"], "2026-03-27");
    assert_eq!(days[0]["booking_limit"], 0);
    assert_eq!(days[1]["booking_limit"], 5);

    // Nothing left: a second flush sends nothing.
    let again = push.flush().await.unwrap();
    assert_eq!(again.cells, 0);
    assert_eq!(push.got().len(), 1);
    // The next change schedules a new flush.
    push.record().await;
    assert_eq!(push.marks.take_scheduled(), vec![push.vendor]);
}

#[tokio::test]
async fn a_burst_of_seatings_sends_one_update_per_table_type_and_date_equal_to_the_pull() {
    let push = Push::seated("19:00");
    for _ in 0..5 {
        push.record().await;
    }
    assert_eq!(push.marks.take_scheduled(), vec![push.vendor]);
    let cm = push.channel(Some("https://cm.example.com/ari")).await;
    push.free("2026-03-27", 1);
    let flushed = push.flush().await.unwrap();
    assert_eq!((flushed.cells, flushed.delivered), (1, 1));

    let got = push.got();
    let [(_, _, body)] = got.as_slice() else {
        panic!("one update: {got:?}")
    };
    let pushed: serde_json::Value = serde_json::from_slice(body).unwrap();
    let date: NaiveDate = "2026-03-27".parse().unwrap();
    let pull = push
        .figures
        .ari(
            push.vendor,
            cm.id,
            AriRange {
                start: date,
                end: date,
            },
        )
        .await
        .unwrap();
    assert_eq!(pushed, serde_json::to_value(&pull).unwrap());
    assert_eq!(
        pushed["table_types"][0]["days"][0]["slots"][0]["booking_limit"],
        1
    );
    assert_eq!(pushed["room_types"], serde_json::json!([]));
}

#[tokio::test]
async fn each_channel_is_pushed_its_own_figures() {
    let push = Push::held();
    push.record().await;
    let allotted = push.channel(Some("https://allotted.example.com/ari")).await;
    push.channel(Some("https://general.example.com/ari")).await;
    push.free("2026-03-27", 3);
    push.figures.own.lock().unwrap().insert(
        (allotted.id, push.resource, "2026-03-27".parse().unwrap()),
        2,
    );
    let flushed = push.flush().await.unwrap();
    assert_eq!(flushed.delivered, 2);

    let got = push.got();
    let limit_at = |url: &str| {
        let (_, _, body) = got.iter().find(|(u, _, _)| u == url).unwrap();
        let ari: serde_json::Value = serde_json::from_slice(body).unwrap();
        ari["room_types"][0]["days"][0]["booking_limit"].clone()
    };
    assert_eq!(limit_at("https://allotted.example.com/ari"), 2);
    assert_eq!(limit_at("https://general.example.com/ari"), 3);
}

#[tokio::test]
async fn a_mark_made_during_a_flush_stays_dirty() {
    let push = Push::held();
    push.record().await;
    let pending = push.marks.take_pending(push.vendor).await.unwrap();
    assert!(push.record().await > 0);
    push.marks.clear(push.vendor, &pending).await.unwrap();
    assert_eq!(push.pending().await, 2);
}

#[tokio::test]
async fn a_5xx_is_retried_then_fails_leaving_the_marks_and_a_4xx_is_recorded_once() {
    let push = Push::held();
    push.channel(Some("https://cm.example.com/ari")).await;
    push.free("2026-03-27", 3);

    push.record().await;
    push.answer(vec![500, 503]);
    let flushed = push.flush().await.unwrap();
    assert_eq!(flushed.delivered, 1);
    assert_eq!(push.got().len(), 3);

    push.record().await;
    push.answer(vec![500, 500, 500]);
    assert!(push.flush().await.is_err());
    assert_eq!(push.got().len(), 6);
    assert_eq!(push.pending().await, 2, "kept for redelivery");

    push.answer(vec![410]);
    let flushed = push.flush().await.unwrap();
    assert_eq!(flushed.rejected.len(), 1);
    assert_eq!(flushed.rejected[0].1, 410);
    assert_eq!(push.got().len(), 7, "a 4xx is not retried");
}

#[tokio::test]
async fn a_disconnected_channel_or_one_without_a_webhook_gets_nothing() {
    let push = Push::held();
    let mut gone = push.channel(Some("https://gone.example.com/ari")).await;
    gone.status = ChannelStatus::Disconnected;
    push.channels
        .replace_channel(&gone, gone.version)
        .await
        .unwrap();
    push.channel(None).await;
    push.record().await;
    push.free("2026-03-27", 3);
    let flushed = push.flush().await.unwrap();
    assert_eq!(flushed.cells, 2);
    assert_eq!(flushed.delivered, 0);
    assert!(push.got().is_empty());
    assert_eq!(push.pending().await, 0);
}
