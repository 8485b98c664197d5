//! The change feed's latency on the local stack: from a hold's commit (`booking_create::handler`
//! answering 201) to (1) its entry recorded in the vendor's feed by the change-feed consumer and
//! (2) a reader long-polling the feed (`vendor_changes::long_poll`, as `GET /vendor/{id}/changes`
//! answers) getting it; through the very stream pump, outbox publisher, bus rule, queue pump,
//! inbox and feed the local gateway runs. Printed beside the events benchmark's baselines, one
//! SQS hop and one bus hop, measured in the same run on the same emulators.
//!
//! ```sh
//! eval "$(localstack/local.sh env)"
//! CARGO_TARGET_DIR=$HOME/.cache/reservations/target cargo run --release -p bench --bin bench-feed
//! ```
//!
//! Settings (environment): `BENCH_FEED` (200 timed holds), `BENCH_FEED_WARMUP` (20), `RUST_LOG`
//! (warn). The bench runs the publisher and the change-feed consumer itself: run nothing else that
//! reads the bookings stream or polls the change-feed queue meanwhile (a local gateway with its
//! consumers on, the backbone or change-feed tests).
use anyhow::{Context, bail, ensure};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use bench::{Summary, add_room_type, hold, hold_event, latency_row, ms, onboard_hotel};
use change_feed::FeedWriter;
use chrono::{TimeDelta, Utc};
use local_gateway::pump::QueueHandler;
use local_gateway::{Backbone, Deps, inbox, streams};
use serde_json::json;
use shared::domain::ids::{ResourceId, UserId, VendorId};
use shared::events::{Event, ReceivedEvent};
use shared::feed::{Audience, Position};
use shared::inbox::Effect;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use vendor_changes::{Polling, Query, long_poll};

/// How long one hold may take to reach the feed before the bench gives up.
const WAIT: Duration = Duration::from_secs(30);
/// Between two measurements, so each is on its own, not queued behind the last.
const PAUSE: Duration = Duration::from_millis(50);
/// The stream pump's pause between reads of an idle shard (`IDLE_POLL` in
/// localstack/gateway/src/stream.rs): commits are spread over its cycle.
const STREAM_IDLE_POLL: Duration = Duration::from_millis(250);
/// The source of the bus baseline's own events, matched by its own rule only.
const PROBE_SOURCE: &str = "bench.feed";

struct Settings {
    holds: usize,
    warmup: usize,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        let read = |name: &'static str, default: usize| -> anyhow::Result<usize> {
            let value = shared::config::optional(name, default)?;
            ensure!(
                (1..=100_000).contains(&value),
                "{name} must be between 1 and 100000"
            );
            Ok(value)
        };
        Ok(Self {
            holds: read("BENCH_FEED", 200)?,
            warmup: read("BENCH_FEED_WARMUP", 20)?,
        })
    }
}

/// When each booking's first entry was recorded, and when the reader got it.
#[derive(Default)]
struct Marks {
    recorded: Mutex<HashMap<String, Instant>>,
    read: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The change-feed consumer's effect, noting when it has recorded each fact.
struct Timed {
    writer: FeedWriter,
    marks: Arc<Marks>,
}

impl Effect for Timed {
    async fn apply(&self, event: &Event, received: &ReceivedEvent) -> anyhow::Result<()> {
        self.writer.apply(event, received).await?;
        lock(&self.marks.recorded)
            .entry(event.aggregate_id())
            .or_insert_with(Instant::now);
        Ok(())
    }
}

/// The publisher on both streams and the change-feed queue feeding the (timed) consumer.
async fn start_backbone(deps: &Arc<Deps>, marks: &Arc<Marks>) -> anyhow::Result<Backbone> {
    let mut backbone = Backbone::default();
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .context("the local gateway registers no outbox-publisher")?;
    for table in ["BOOKINGS_TABLE", "VENDORS_TABLE"] {
        let name = shared::config::required(table)?;
        backbone
            .stream("outbox-publisher", &name, publisher.clone())
            .await?;
    }
    let effect = Timed {
        writer: FeedWriter {
            feed: deps.feed.clone(),
        },
        marks: marks.clone(),
    };
    let (name, handler) = inbox(deps, change_feed::CONSUMER, effect);
    let queue_url = shared::config::required("CHANGE_FEED_QUEUE_URL")?;
    backbone.queue(name, &queue_url, handler).await;
    Ok(backbone)
}

/// A desk's live board: long-polls the vendor's feed from the start, noting when each booking's
/// first entry arrives, until dropped.
fn reader(deps: Arc<Deps>, vendor: VendorId, marks: Arc<Marks>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut after = Position::START;
        loop {
            let query = Query {
                after,
                limit: 100,
                wait: Duration::from_secs(20),
            };
            match long_poll(
                &deps.feed,
                vendor,
                query,
                Audience::Everything,
                Polling::default(),
            )
            .await
            {
                Ok(read) => {
                    let at = Instant::now();
                    let mut seen = lock(&marks.read);
                    for entry in read.changes {
                        seen.entry(entry.change.aggregate_id).or_insert(at);
                    }
                    after = read.next;
                }
                Err(err) => {
                    eprintln!("bench-feed: reading the feed failed: {err:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

async fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// 50 ms plus up to one stream poll interval at random, so commits fall at every phase of the
/// stream pump's cycle.
async fn jittered_pause() {
    let poll = u64::try_from(STREAM_IDLE_POLL.as_millis()).unwrap_or(250);
    tokio::time::sleep(PAUSE + Duration::from_millis(rand::random_range(0..=poll))).await;
}

struct Scene {
    deps: Arc<Deps>,
    marks: Arc<Marks>,
    vendor: VendorId,
    guest: UserId,
    room: ResourceId,
}

/// One 1-night hold, followed into the feed and to the reader: (commit -> recorded, commit -> read).
async fn follow_hold(scene: &Scene, round: usize) -> anyhow::Result<(Duration, Duration)> {
    jittered_pause().await;
    let days = 2 + i64::try_from(round % 300).unwrap_or(0);
    let check_in = Utc::now().date_naive() + TimeDelta::days(days);
    let request = hold_event(scene.vendor, scene.guest, scene.room, check_in, 1)?;
    let held = hold(
        &scene.deps.store,
        &scene.deps.archiver.index,
        &scene.deps.payments,
        &scene.deps.holds,
        request,
    )
    .await
    .with_context(|| format!("hold of {check_in} + 1 night"))?;
    let booking = held.id.to_string();
    let at = |marks: &Mutex<HashMap<String, Instant>>| lock(marks).get(&booking).copied();
    if !wait_for(|| at(&scene.marks.read).is_some()).await {
        let recorded = at(&scene.marks.recorded).is_some();
        bail!(
            "hold {booking} did not reach the feed's reader within {WAIT:?} ({}): is something else \
             reading the bookings stream or polling the change-feed queue?",
            if recorded {
                "it was recorded in the feed"
            } else {
                "not even recorded in the feed"
            }
        );
    }
    let recorded = at(&scene.marks.recorded).unwrap_or(held.answered);
    let read = at(&scene.marks.read).unwrap_or(held.answered);
    Ok((
        recorded.saturating_duration_since(held.answered),
        read.saturating_duration_since(held.answered),
    ))
}

/// The events benchmark's baselines: a queue fed by SendMessage, and one fed by a rule of the
/// run's own on the real bus; when each probe arrived.
struct Lanes {
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    bus: String,
    run: String,
    direct_url: String,
    bus_url: String,
    rule: Option<String>,
    arrived: Arc<Mutex<HashMap<(bool, usize), Instant>>>,
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> anyhow::Result<String> {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .with_context(|| format!("CreateQueue {name}"))?
        .queue_url()
        .map(str::to_owned)
        .with_context(|| format!("CreateQueue {name} returned no URL"))
}

impl Lanes {
    async fn create(sdk: &shared::aws::SdkConfig, run: &str) -> anyhow::Result<Self> {
        let mut lanes = Self {
            sqs: aws_sdk_sqs::Client::new(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
            bus: shared::config::required("EVENT_BUS_NAME")?,
            run: run.to_owned(),
            direct_url: String::new(),
            bus_url: String::new(),
            rule: None,
            arrived: Arc::default(),
        };
        if let Err(err) = lanes.provision(&format!("bench-feed-{run}")).await {
            lanes.remove().await;
            return Err(err);
        }
        Ok(lanes)
    }

    async fn provision(&mut self, name: &str) -> anyhow::Result<()> {
        self.direct_url = create_queue(&self.sqs, &format!("{name}-sqs")).await?;
        self.bus_url = create_queue(&self.sqs, &format!("{name}-bus")).await?;
        let pattern = json!({"source": [PROBE_SOURCE], "detail": {"run": [self.run]}});
        self.events
            .put_rule()
            .name(name)
            .event_bus_name(&self.bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .with_context(|| format!("PutRule {name}"))?;
        self.rule = Some(name.to_owned());
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.bus_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .context("GetQueueAttributes")?
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .context("the bus lane's queue has no ARN")?;
        let target = Target::builder()
            .id("queue")
            .arn(arn)
            .build()
            .context("building the rule's target")?;
        let added = self
            .events
            .put_targets()
            .rule(name)
            .event_bus_name(&self.bus)
            .targets(target)
            .send()
            .await
            .with_context(|| format!("PutTargets {name}"))?;
        ensure!(
            added.failed_entry_count() == 0,
            "PutTargets {name} refused its target"
        );
        Ok(())
    }

    /// A pump handler noting when each probe arrives (its number: the body, or the detail's seq).
    fn receiver(&self, bus: bool) -> QueueHandler {
        let arrived = self.arrived.clone();
        Arc::new(move |batch: SqsEvent| {
            let at = Instant::now();
            for message in &batch.records {
                let body = message.body.as_deref().unwrap_or_default();
                let seq = if bus {
                    serde_json::from_str::<serde_json::Value>(body)
                        .ok()
                        .and_then(|event| event["detail"]["seq"].as_u64())
                        .and_then(|seq| usize::try_from(seq).ok())
                } else {
                    body.parse().ok()
                };
                if let Some(seq) = seq {
                    lock(&arrived).entry((bus, seq)).or_insert(at);
                }
            }
            Box::pin(async { Ok(SqsBatchResponse::default()) })
        })
    }

    async fn pumps(&self) -> Backbone {
        let mut pumps = Backbone::default();
        pumps
            .queue("bench-sqs", &self.direct_url, self.receiver(false))
            .await;
        pumps
            .queue("bench-bus", &self.bus_url, self.receiver(true))
            .await;
        pumps
    }

    /// Sends probe `seq` down one lane after a pause: from the send to the pump handing it over.
    async fn probe(&self, bus: bool, seq: usize) -> anyhow::Result<Duration> {
        tokio::time::sleep(PAUSE).await;
        let sent = Instant::now();
        if bus {
            let entry = PutEventsRequestEntry::builder()
                .event_bus_name(&self.bus)
                .source(PROBE_SOURCE)
                .detail_type("BenchProbe")
                .detail(json!({"run": self.run, "seq": seq}).to_string())
                .build();
            let put = self
                .events
                .put_events()
                .entries(entry)
                .send()
                .await
                .context("PutEvents")?;
            ensure!(put.failed_entry_count() == 0, "PutEvents refused the probe");
        } else {
            self.sqs
                .send_message()
                .queue_url(&self.direct_url)
                .message_body(seq.to_string())
                .send()
                .await
                .context("SendMessage")?;
        }
        let arrived = || lock(&self.arrived).get(&(bus, seq)).copied();
        if !wait_for(|| arrived().is_some()).await {
            bail!("probe {seq} did not arrive within {WAIT:?}");
        }
        Ok(arrived().map_or(Duration::ZERO, |at| at.saturating_duration_since(sent)))
    }

    /// Deletes what `create` made; failures are reported, not fatal.
    async fn remove(self) {
        if let Some(rule) = &self.rule {
            let removed = self
                .events
                .remove_targets()
                .rule(rule)
                .event_bus_name(&self.bus)
                .ids("queue")
                .send()
                .await;
            if let Err(err) = removed {
                eprintln!("bench-feed: RemoveTargets {rule}: {err}");
            }
            let deleted = self
                .events
                .delete_rule()
                .name(rule)
                .event_bus_name(&self.bus)
                .send()
                .await;
            if let Err(err) = deleted {
                eprintln!("bench-feed: DeleteRule {rule}: {err}");
            }
        }
        for url in [&self.direct_url, &self.bus_url] {
            if !url.is_empty()
                && let Err(err) = self.sqs.delete_queue().queue_url(url).send().await
            {
                eprintln!("bench-feed: DeleteQueue {url}: {err}");
            }
        }
    }
}

#[derive(Default)]
struct Samples {
    recorded: Vec<Duration>,
    read: Vec<Duration>,
    sqs: Vec<Duration>,
    bus: Vec<Duration>,
}

/// Each round: one hold followed into the feed, one SQS probe, one bus probe.
async fn measure(scene: &Scene, lanes: &Lanes, settings: &Settings) -> anyhow::Result<Samples> {
    let mut samples = Samples::default();
    for round in 0..settings.warmup + settings.holds {
        let (recorded, read) = follow_hold(scene, round).await?;
        let sqs = lanes.probe(false, round).await?;
        let bus = lanes.probe(true, round).await?;
        if round >= settings.warmup {
            samples.recorded.push(recorded);
            samples.read.push(read);
            samples.sqs.push(sqs);
            samples.bus.push(bus);
        }
    }
    Ok(samples)
}

fn report(samples: &Samples, settings: &Settings) {
    let heading = || {
        println!(
            "  {:<56} {:>8} {:>8} {:>8}",
            "", "p50 ms", "p99 ms", "mean ms"
        );
    };
    println!(
        "1. Commit -> change feed, BookingConfirmed of a 1-night hold without deposit ({} holds after {} warm-up, one at a time, {:.0}-{:.0} ms apart)",
        settings.holds,
        settings.warmup,
        ms(PAUSE),
        ms(PAUSE + STREAM_IDLE_POLL)
    );
    heading();
    latency_row(
        "recorded: the entry is in the vendor's feed",
        Summary::of(&samples.recorded),
    );
    latency_row(
        "read: a long-polling reader (the live board) has it",
        Summary::of(&samples.read),
    );
    println!();
    println!(
        "2. Baselines of the events benchmark on the same emulators, in the same rounds ({} of each)",
        settings.holds
    );
    heading();
    latency_row(
        "(a) SQS hop: SendMessage -> the pump (long poll)",
        Summary::of(&samples.sqs),
    );
    latency_row(
        "(b) bus hop: PutEvents -> own rule -> own queue -> pump",
        Summary::of(&samples.bus),
    );
    let poll = ms(STREAM_IDLE_POLL);
    println!(
        "  {:<56} {:>8.2} {:>8.2} {:>8.2}   expected, not measured",
        "(c) stream poll: an idle shard is read every 250 ms",
        poll / 2.0,
        poll * 0.99,
        poll / 2.0
    );
    println!(
        "  The feed's path is (c) + publisher + (b) + inbox and append; the reader adds up to one of its polls (250-500 ms)."
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let settings = Settings::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let deps = Deps::from_env("http://bench.invalid")
        .await
        .context("run with eval \"$(localstack/local.sh env)\"")?;
    let deps = Arc::new(deps);

    let run = uuid::Uuid::new_v4().simple().to_string();
    let marks = Arc::new(Marks::default());
    let lanes = Lanes::create(&sdk, &run).await?;
    let measured = async {
        let backbone = start_backbone(&deps, &marks).await?;
        // Onboarded after the publisher started, so its room type's fact reaches the feed too.
        let vendor = onboard_hotel(&deps.store, &run).await?;
        let room = add_room_type(&deps.store, &vendor, "Bench Double (feed)", 1_000, false).await?;
        let scene = Scene {
            deps: deps.clone(),
            marks: marks.clone(),
            vendor: vendor.id,
            guest: UserId::generate(),
            room: room.id,
        };
        println!("bench-feed: the change feed on the local stack");
        println!(
            "  run {run}: hotel {}, {} holds after {} warm-up, {}",
            vendor.id,
            settings.holds,
            settings.warmup,
            Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        println!(
            "  path: bookings stream (DynamoDB Local) -> stream pump -> outbox publisher -> EventBridge (LocalStack) -> rule"
        );
        println!(
            "  -> SQS (LocalStack) -> queue pump -> inbox -> change-feed append (one transaction) -> long-polling reader."
        );
        println!(
            "  This machine: {} cores, shared by the emulators and this process; numbers only compare within this run.",
            std::thread::available_parallelism().map_or(0, usize::from)
        );
        println!();
        let board = reader(deps.clone(), vendor.id, marks.clone());
        let pumps = lanes.pumps().await;
        let samples = measure(&scene, &lanes, &settings).await;
        board.abort();
        drop(pumps);
        drop(backbone);
        samples
    }
    .await;
    lanes.remove().await;
    report(&measured?, &settings);
    Ok(())
}
