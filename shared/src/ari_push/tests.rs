//! Coalescing, signatures and retries against in-memory adapters.
use super::*;
use crate::channels::ari::{DayAri, RoomTypeAri};
use crate::channels::memory::MemoryChannels;
use crate::channels::{ChannelAccount, ChannelKind, ChannelStatus, WebhookUrl};
use crate::domain::money::{Currency, Money};
use crate::domain::text::Title;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

fn key() -> PushKey {
    PushKey::new("a local push key of at least 32 bytes").unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn sample(name: &str) -> Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/samples")
        .join(format!("{name}.json"));
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Event::parse(
        raw["source"].as_str().unwrap(),
        raw["detail-type"].as_str().unwrap(),
        raw["detail"].clone(),
    )
    .unwrap()
}

/// Free units per cell, changed by the test between marks and flush; `own` overrides a cell for
/// one channel (as its allotment would).
#[derive(Default)]
struct Figures {
    free: Mutex<HashMap<(ResourceId, NaiveDate), u32>>,
    own: Mutex<HashMap<(ChannelId, ResourceId, NaiveDate), u32>>,
    reads: Mutex<u32>,
}

impl AriSource for Figures {
    async fn ari(
        &self,
        vendor: VendorId,
        channel: ChannelId,
        range: AriRange,
    ) -> Result<Ari, AriError> {
        *self.reads.lock().unwrap() += 1;
        let free = self.free.lock().unwrap();
        let own = self.own.lock().unwrap();
        let mut types: Vec<ResourceId> = free.keys().map(|(r, _)| *r).collect();
        types.sort();
        types.dedup();
        let eur = Currency::parse("EUR").unwrap();
        Ok(Ari {
            hotel_code: vendor,
            start: range.start,
            end: range.end,
            currency_code: eur,
            room_types: types
                .into_iter()
                .map(|t| RoomTypeAri {
                    inv_type_code: t,
                    name: "Double".into(),
                    days: range
                        .nights()
                        .map(|date| DayAri {
                            date,
                            booking_limit: own
                                .get(&(channel, t, date))
                                .or_else(|| free.get(&(t, date)))
                                .copied()
                                .unwrap_or(5),
                            rate: Money {
                                amount_minor: 12900,
                                currency: eur,
                            },
                        })
                        .collect(),
                })
                .collect(),
            table_types: Vec::new(),
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

const FAST: Retry = Retry {
    attempts: 3,
    backoff: Duration::ZERO,
};

async fn channel(channels: &MemoryChannels, vendor: VendorId, url: Option<&str>) -> ChannelAccount {
    let account = ChannelAccount::connect(
        vendor,
        ChannelKind::ChannelManager,
        Title::parse("Acme CM").unwrap(),
        url.map(|u| WebhookUrl::parse(u).unwrap()),
        "hash".into(),
        now(),
    );
    channels.create_channel(&account).await.unwrap();
    account
}

fn held() -> (Event, VendorId, ResourceId) {
    let event = sample("BookingHeld");
    let Event::Booking(fact) = &event else {
        panic!("a booking fact")
    };
    let (vendor, resource) = (fact.booking().vendor_id, fact.booking().resource_id);
    (event, vendor, resource)
}

#[test]
fn a_hold_touches_its_nights_and_a_change_its_old_ones_too() {
    let (event, vendor, resource) = held();
    let dates: Vec<String> = touched_by(&event)
        .iter()
        .map(|c| c.date.to_string())
        .collect();
    assert_eq!(dates, ["2026-03-27", "2026-03-28"]);
    assert!(
        touched_by(&event)
            .iter()
            .all(|c| c.vendor == vendor && c.resource == resource)
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

#[tokio::test]
async fn a_burst_of_holds_sends_one_update_per_type_and_night_with_the_last_figures() {
    let (event, vendor, resource) = held();
    let marks = MemoryMarks::default();
    for _ in 0..5 {
        record(&marks, &marks, &event).await.unwrap();
    }
    assert_eq!(
        marks.take_scheduled(),
        vec![vendor],
        "one flush for the burst"
    );

    let channels = MemoryChannels::default();
    let cm = channel(&channels, vendor, Some("https://cm.example.com/ari")).await;
    let figures = Figures::default();
    let night: NaiveDate = "2026-03-27".parse().unwrap();
    figures.free.lock().unwrap().insert((resource, night), 0);
    let receiver = Receiver::default();
    let flushed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(flushed.cells, 2);
    assert_eq!(flushed.delivered, 1);

    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (url, signature, body) = &got[0];
    assert_eq!(url, "https://cm.example.com/ari");
    let secret = sign::current_secret(&key(), &cm).unwrap();
    assert!(sign::verify(&secret, signature, body, now()));
    let other = channel(&channels, vendor, None).await;
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
    let again = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(again.cells, 0);
    assert_eq!(receiver.got.lock().unwrap().len(), 1);
    // The next change schedules a new flush.
    record(&marks, &marks, &event).await.unwrap();
    assert_eq!(marks.take_scheduled(), vec![vendor]);
}

#[tokio::test]
async fn each_channel_is_pushed_its_own_figures() {
    let (event, vendor, resource) = held();
    let marks = MemoryMarks::default();
    record(&marks, &marks, &event).await.unwrap();
    let channels = MemoryChannels::default();
    let allotted = channel(&channels, vendor, Some("https://allotted.example.com/ari")).await;
    channel(&channels, vendor, Some("https://general.example.com/ari")).await;
    let figures = Figures::default();
    let night: NaiveDate = "2026-03-27".parse().unwrap();
    figures.free.lock().unwrap().insert((resource, night), 3);
    figures
        .own
        .lock()
        .unwrap()
        .insert((allotted.id, resource, night), 2);
    let receiver = Receiver::default();
    let flushed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(flushed.delivered, 2);

    let got = receiver.got.lock().unwrap().clone();
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
    let (event, vendor, _) = held();
    let marks = MemoryMarks::default();
    record(&marks, &marks, &event).await.unwrap();
    let pending = marks.take_pending(vendor).await.unwrap();
    assert!(record(&marks, &marks, &event).await.unwrap() > 0);
    marks.clear(vendor, &pending).await.unwrap();
    assert_eq!(marks.take_pending(vendor).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_5xx_is_retried_then_fails_leaving_the_marks_and_a_4xx_is_recorded_once() {
    let (event, vendor, resource) = held();
    let channels = MemoryChannels::default();
    channel(&channels, vendor, Some("https://cm.example.com/ari")).await;
    let figures = Figures::default();
    let night: NaiveDate = "2026-03-27".parse().unwrap();
    figures.free.lock().unwrap().insert((resource, night), 3);

    let marks = MemoryMarks::default();
    record(&marks, &marks, &event).await.unwrap();
    let receiver = Receiver::default();
    *receiver.answers.lock().unwrap() = vec![500, 503];
    let flushed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(flushed.delivered, 1);
    assert_eq!(receiver.got.lock().unwrap().len(), 3);

    record(&marks, &marks, &event).await.unwrap();
    *receiver.answers.lock().unwrap() = vec![500, 500, 500];
    let failed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await;
    assert!(failed.is_err());
    assert_eq!(receiver.got.lock().unwrap().len(), 6);
    assert_eq!(
        marks.take_pending(vendor).await.unwrap().len(),
        2,
        "kept for redelivery"
    );

    *receiver.answers.lock().unwrap() = vec![410];
    let flushed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(flushed.rejected.len(), 1);
    assert_eq!(flushed.rejected[0].1, 410);
    assert_eq!(
        receiver.got.lock().unwrap().len(),
        7,
        "a 4xx is not retried"
    );
}

#[tokio::test]
async fn a_disconnected_channel_or_one_without_a_webhook_gets_nothing() {
    let (event, vendor, resource) = held();
    let channels = MemoryChannels::default();
    let mut gone = channel(&channels, vendor, Some("https://gone.example.com/ari")).await;
    gone.status = ChannelStatus::Disconnected;
    channels.replace_channel(&gone, gone.version).await.unwrap();
    channel(&channels, vendor, None).await;
    let marks = MemoryMarks::default();
    record(&marks, &marks, &event).await.unwrap();
    let receiver = Receiver::default();
    let figures = Figures::default();
    let night: NaiveDate = "2026-03-27".parse().unwrap();
    figures.free.lock().unwrap().insert((resource, night), 3);
    let flushed = flush(
        &marks,
        &figures,
        &channels,
        &receiver,
        &key(),
        FAST,
        vendor,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(flushed.cells, 2);
    assert_eq!(flushed.delivered, 0);
    assert!(receiver.got.lock().unwrap().is_empty());
    assert!(marks.take_pending(vendor).await.unwrap().is_empty());
}

#[test]
fn an_old_or_tampered_signature_is_refused() {
    let secret = sign::signing_secret(&key(), "c1", now());
    let header = sign::signature(std::slice::from_ref(&secret), now(), b"{}");
    assert!(sign::verify(&secret, &header, b"{}", now()));
    assert!(!sign::verify(&secret, &header, b"{ }", now()));
    let later = now() + chrono::Duration::seconds(sign::TOLERANCE_SECONDS + 1);
    assert!(!sign::verify(&secret, &header, b"{}", later));
}

/// A receiver on 127.0.0.1 answering `answers` in turn (then 200), keeping each request's
/// signature header and body.
async fn local_receiver(
    answers: Vec<u16>,
) -> (String, std::sync::Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ari", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let read = socket.read(&mut buf).await.unwrap();
                raw.extend_from_slice(&buf[..read]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                while raw.len() < end + 4 + length {
                    let read = socket.read(&mut buf).await.unwrap();
                    raw.extend_from_slice(&buf[..read]);
                }
                break (head, raw[end + 4..end + 4 + length].to_vec());
            };
            let signature = head
                .lines()
                .find_map(|l| l.strip_prefix("ari-signature:"))
                .unwrap_or("")
                .trim()
                .to_owned();
            seen.lock().unwrap().push((signature, body));
            let status = answers.next().unwrap_or(200);
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            socket.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (url, got)
}

#[tokio::test]
async fn over_http_a_500_is_retried_and_the_signature_verifies_at_the_receiver() {
    let (url, got) = local_receiver(vec![500]).await;
    let webhook = deliver::HttpWebhook::new().unwrap();
    let secret = sign::signing_secret(&key(), "c1", now());
    let body = br#"{"hotel_code":"x"}"#;
    let outcome = deliver::deliver(
        &webhook,
        FAST,
        &url,
        std::slice::from_ref(&secret),
        body,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Delivered::Accepted { attempts: 2 });
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (signature, received) in &got {
        assert_eq!(received.as_slice(), body);
        assert!(sign::verify(&secret, signature, received, Utc::now()));
    }

    let (url, got) = local_receiver(vec![400]).await;
    let outcome = deliver::deliver(
        &webhook,
        FAST,
        &url,
        std::slice::from_ref(&secret),
        body,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Delivered::Rejected { status: 400 });
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[test]
fn a_rotation_signs_with_both_push_secrets_until_the_old_client_secret_retires() {
    let account = ChannelAccount::connect(
        VendorId::generate(),
        ChannelKind::ChannelManager,
        Title::parse("Acme CM").unwrap(),
        None,
        "hash".into(),
        now(),
    );
    let before = sign::current_secret(&key(), &account).unwrap();
    let later = now() + chrono::Duration::hours(1);
    let rotated = account.rotated("hash2".into(), later);
    let after = sign::current_secret(&key(), &rotated).unwrap();
    assert_ne!(before, after);

    let header = sign::signature(
        &sign::channel_secrets(&key(), &rotated, later),
        later,
        b"{}",
    );
    assert!(sign::verify(&after, &header, b"{}", later));
    assert!(sign::verify(&before, &header, b"{}", later));

    let retired = later + chrono::Duration::hours(crate::channels::SECRET_GRACE_HOURS + 1);
    let header = sign::signature(
        &sign::channel_secrets(&key(), &rotated, retired),
        retired,
        b"{}",
    );
    assert!(sign::verify(&after, &header, b"{}", retired));
    assert!(!sign::verify(&before, &header, b"{}", retired));
    assert!(sign::channel_secrets(&key(), &rotated.disconnected(retired), retired).is_empty());
}
