//! The event backbone's latency on the local stack, from a hold's commit (`booking_create::handler`
//! answering 201) to each consumer's effect, through the very stream pump, outbox publisher, bus
//! rules, queues, queue pump and inbox the local gateway runs; printed beside one SQS hop and one
//! bus hop measured in the same run, on the same emulators.
//!
//! ```sh
//! eval "$(localstack/local.sh env)"
//! CARGO_TARGET_DIR=$HOME/.cache/reservations/target cargo run --release -p bench --bin bench-events
//! ```
//!
//! Settings (environment): `BENCH_EVENTS` (200 timed holds), `BENCH_EVENTS_WARMUP` (20),
//! `RUST_LOG` (warn). The bench runs the backbone itself, with probes for the four consumers'
//! effects: run nothing else that reads the bookings stream or polls the consumers' queues
//! meanwhile (a local gateway with its consumers on, the backbone tests).
use anyhow::{Context, bail, ensure};
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use bench::{Summary, add_room_type, hold, hold_event, latency_row, ms, onboard_hotel};
use chrono::{TimeDelta, Utc};
use lambda_http::lambda_runtime::{Context as LambdaContext, LambdaEvent};
use local_gateway::pump::QueueHandler;
use local_gateway::stream::StreamConsumer;
use local_gateway::{Backbone, Deps, consumers, inbox, streams};
use serde_json::json;
use shared::domain::ids::{ResourceId, UserId, VendorId};
use shared::events::{Event, EventEntry, ReceivedEvent};
use shared::inbox::{Consumer, Effect};
use shared::outbox::{EventBridgeBus, EventBus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long one event may take end to end before the bench gives up.
const WAIT: Duration = Duration::from_secs(30);
/// The stream pump's pause between reads of an idle shard (`IDLE_POLL` in
/// localstack/gateway/src/stream.rs), as Lambda polls a shard about four times a second.
const STREAM_IDLE_POLL: Duration = Duration::from_millis(250);
/// Between two measurements, so each is on its own, not queued behind the last.
const PAUSE: Duration = Duration::from_millis(50);
const CONSUMERS: [Consumer; 4] = [
    search_indexer::CONSUMER,
    notifier::CONSUMER,
    payment_refund::CONSUMER,
    archiver::CONSUMER,
];
/// The fact followed: the room type takes no deposit, so a hold is confirmed at once, one fact
/// (a deposit would add a second version, the intent attached, right behind it).
const HELD: &str = "BookingConfirmed";
/// The source of the bus baseline's own events, matched by its own rule only.
const PROBE_SOURCE: &str = "bench.events";

struct Settings {
    events: usize,
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
            events: read("BENCH_EVENTS", 200)?,
            warmup: read("BENCH_EVENTS_WARMUP", 20)?,
        })
    }

    fn rounds(&self) -> usize {
        self.warmup + self.events
    }
}

/// A point on an event's way from the stream to a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Point {
    /// The publisher was handed the stream record.
    Read,
    /// The publisher sent PutEvents with the record's entry.
    Put,
    /// That PutEvents call returned.
    PutReturned,
    /// A consumer's queue pump handed the message to its inbox.
    Delivered(&'static str),
    /// A consumer's inbox applied the effect (after its ledger claim).
    Applied(&'static str),
}

/// When each event first passed each point, by (point, aggregate id, detail-type).
#[derive(Default)]
struct Marks {
    seen: Mutex<HashMap<(Point, String, String), Instant>>,
}

impl Marks {
    fn lock(&self) -> MutexGuard<'_, HashMap<(Point, String, String), Instant>> {
        // A panic elsewhere can't leave a half-written map: every write is one insert.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn note(&self, point: Point, at: Instant, event: &Event) {
        let key = (point, event.aggregate_id(), event.detail_type().to_owned());
        self.lock().entry(key).or_insert(at);
    }

    /// When the hold `booking` passed `point`.
    fn held_at(&self, point: Point, booking: &str) -> Option<Instant> {
        self.lock()
            .get(&(point, booking.to_owned(), HELD.to_owned()))
            .copied()
    }
}

/// Stands in for a consumer's effect: notes when it ran.
struct Probe {
    consumer: &'static str,
    marks: Arc<Marks>,
}

impl Effect for Probe {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        self.marks
            .note(Point::Applied(self.consumer), Instant::now(), event);
        Ok(())
    }
}

/// Notes when the pump hands each message of a batch to the consumer, then hands it on.
fn tap(consumer: &'static str, handler: QueueHandler, marks: Arc<Marks>) -> QueueHandler {
    Arc::new(move |batch: SqsEvent| {
        let at = Instant::now();
        for message in &batch.records {
            let event = message
                .body
                .as_deref()
                .and_then(|body| serde_json::from_str::<ReceivedEvent>(body).ok())
                .and_then(|received| received.event().ok());
            if let Some(event) = event {
                marks.note(Point::Delivered(consumer), at, &event);
            }
        }
        handler(batch)
    })
}

/// The real bus, noting when each entry was sent.
struct TimedBus {
    bus: EventBridgeBus,
    marks: Arc<Marks>,
}

impl EventBus for TimedBus {
    async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
        let at = Instant::now();
        let results = self.bus.put(entries).await;
        let returned = Instant::now();
        for entry in entries {
            let event = serde_json::from_str(&entry.detail)
                .ok()
                .and_then(|detail| Event::parse(entry.source, entry.detail_type, detail).ok());
            if let Some(event) = event {
                self.marks.note(Point::Put, at, &event);
                self.marks.note(Point::PutReturned, returned, &event);
            }
        }
        results
    }
}

/// The outbox publisher's Lambda handler, as the gateway registers it, on the timed bus, noting
/// when each stream batch reaches it.
fn publisher(deps: Arc<Deps>, marks: Arc<Marks>) -> StreamConsumer {
    let bus = Arc::new(TimedBus {
        bus: deps.bus.clone(),
        marks: marks.clone(),
    });
    Arc::new(move |batch: StreamEvent| {
        let at = Instant::now();
        for record in &batch.records {
            if let Ok(Some(event)) = deps.stream_tables.event(record) {
                marks.note(Point::Read, at, &event);
            }
        }
        let (deps, bus) = (deps.clone(), bus.clone());
        Box::pin(async move {
            let event = LambdaEvent::new(batch, LambdaContext::default());
            outbox_publisher::handler(&deps.stream_tables, &*bus, &deps.timer, event).await
        })
    })
}

/// Every consumer of the route table as the gateway runs it, except that the four event
/// consumers' effects are probes, and the publisher and their queues are timed.
async fn start_backbone(deps: &Arc<Deps>, marks: &Arc<Marks>) -> anyhow::Result<Backbone> {
    let mut queues = consumers(deps.clone());
    for consumer in CONSUMERS {
        let probe = Probe {
            consumer: consumer.name,
            marks: marks.clone(),
        };
        let (name, handler) = inbox(deps, consumer, probe);
        queues.insert(name, tap(name, handler, marks.clone()));
    }
    let mut stream_consumers = streams(deps.clone());
    ensure!(
        stream_consumers
            .insert("outbox-publisher", publisher(deps.clone(), marks.clone()))
            .is_some(),
        "the local gateway registers no outbox-publisher"
    );
    Backbone::start(queues, stream_consumers)
        .await
        .context("starting the backbone")
}

/// Polls `done` until it holds or `WAIT` has passed; whether it held.
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

/// Why the hold `booking` has not reached every consumer: the first point it did not pass.
fn stuck_at(marks: &Marks, booking: &str) -> String {
    let names = |point: fn(&'static str) -> Point| -> Vec<&str> {
        CONSUMERS
            .iter()
            .map(|c| c.name)
            .filter(|name| marks.held_at(point(name), booking).is_none())
            .collect()
    };
    if marks.held_at(Point::Read, booking).is_none() {
        return "the outbox publisher never got its stream record: the stream pump \
                (localstack/gateway/src/stream.rs) is not delivering the bookings stream \
                (RUST_LOG=info shows what it does)"
            .to_owned();
    }
    if marks.held_at(Point::Put, booking).is_none() {
        return "the publisher got its stream record but never put it on the bus (see its errors)"
            .to_owned();
    }
    let undelivered = names(Point::Delivered);
    if !undelivered.is_empty() {
        return format!(
            "it was put on the bus, but no message reached {}: is something else polling the \
             consumers' queues (a local gateway with its consumers on, the backbone tests)?",
            undelivered.join(", ")
        );
    }
    format!(
        "its message reached every consumer, but the inbox did not apply it for {} (see the \
         inbox's errors)",
        names(Point::Applied).join(", ")
    )
}

/// 50 ms plus up to one stream poll interval at random: a commit right after the last delivery
/// would otherwise fall at about the same phase of the pump's 250 ms poll cycle every time.
async fn jittered_pause() {
    let poll = u64::try_from(STREAM_IDLE_POLL.as_millis()).unwrap_or(250);
    let jitter = Duration::from_millis(rand::random_range(0..=poll));
    tokio::time::sleep(PAUSE + jitter).await;
}

/// One hold's way through the backbone.
struct Journey {
    committed: Instant,
    read: Option<Instant>,
    put: Option<Instant>,
    put_returned: Option<Instant>,
    delivered: [Option<Instant>; 4],
    applied: [Instant; 4],
}

impl Journey {
    fn of(marks: &Marks, booking: &str, committed: Instant) -> anyhow::Result<Self> {
        let mut applied = [committed; 4];
        for (at, consumer) in applied.iter_mut().zip(CONSUMERS) {
            *at = marks
                .held_at(Point::Applied(consumer.name), booking)
                .with_context(|| format!("{} has not applied {booking}", consumer.name))?;
        }
        Ok(Self {
            committed,
            read: marks.held_at(Point::Read, booking),
            put: marks.held_at(Point::Put, booking),
            put_returned: marks.held_at(Point::PutReturned, booking),
            delivered: CONSUMERS.map(|c| marks.held_at(Point::Delivered(c.name), booking)),
            applied,
        })
    }
}

fn between(from: Instant, to: Instant) -> Duration {
    to.saturating_duration_since(from)
}

struct Scene {
    deps: Arc<Deps>,
    marks: Arc<Marks>,
    vendor: VendorId,
    guest: UserId,
    room: ResourceId,
}

/// One 1-night hold after a pause, followed until all four consumers applied it.
async fn follow_hold(scene: &Scene, round: usize) -> anyhow::Result<Journey> {
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
    let arrived = wait_for(|| {
        CONSUMERS.iter().all(|c| {
            scene
                .marks
                .held_at(Point::Applied(c.name), &booking)
                .is_some()
        })
    })
    .await;
    if !arrived {
        bail!(
            "hold {booking} did not reach all four consumers within {WAIT:?}: {}",
            stuck_at(&scene.marks, &booking)
        );
    }
    Journey::of(&scene.marks, &booking, held.answered)
}

/// The baselines' own queues and rule, and when each of their probes arrived.
struct Lanes {
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    bus: String,
    run: String,
    /// A queue fed by SendMessage.
    direct_url: String,
    /// A queue fed by the rule.
    bus_url: String,
    rule: Option<String>,
    arrived: Arc<Mutex<HashMap<(Lane, usize), Instant>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    Sqs,
    Bus,
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

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .with_context(|| format!("GetQueueAttributes {url}"))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .with_context(|| format!("{url} has no ARN"))
}

/// The rules on `bus`: LocalStack matches each event against every one of them.
async fn rules_on(events: &aws_sdk_eventbridge::Client, bus: &str) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut next = None;
    loop {
        let page = events
            .list_rules()
            .event_bus_name(bus)
            .set_next_token(next)
            .send()
            .await
            .with_context(|| format!("ListRules on {bus}"))?;
        count += page.rules().len();
        next = page.next_token;
        if next.is_none() {
            return Ok(count);
        }
    }
}

impl Lanes {
    /// Two queues of the run's own; the second fed by a rule on the real bus that matches only
    /// this run's probes. What was created is recorded as it is, so `remove` tidies up after a
    /// failure half way.
    async fn create(sdk: &shared::aws::SdkConfig, run: &str) -> anyhow::Result<Self> {
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let name = format!("bench-events-{run}");
        let mut lanes = Self {
            events: aws_sdk_eventbridge::Client::new(sdk),
            bus: shared::config::required("EVENT_BUS_NAME")?,
            run: run.to_owned(),
            direct_url: String::new(),
            bus_url: String::new(),
            rule: None,
            arrived: Arc::default(),
            sqs,
        };
        if let Err(err) = lanes.provision(&name).await {
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
            .with_context(|| format!("PutRule {name} on {}", self.bus))?;
        self.rule = Some(name.to_owned());
        let target = Target::builder()
            .id("queue")
            .arn(queue_arn(&self.sqs, &self.bus_url).await?)
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
            "PutTargets {name} refused its target: {:?}",
            added.failed_entries()
        );
        Ok(())
    }

    /// A pump handler noting when each probe arrives; a probe's number is its body (SQS lane)
    /// or its detail's `seq` (bus lane).
    fn receiver(&self, lane: Lane) -> QueueHandler {
        let arrived = self.arrived.clone();
        Arc::new(move |batch: SqsEvent| {
            let at = Instant::now();
            for message in &batch.records {
                let body = message.body.as_deref().unwrap_or_default();
                let seq = match lane {
                    Lane::Sqs => body.parse().ok(),
                    Lane::Bus => serde_json::from_str::<serde_json::Value>(body)
                        .ok()
                        .and_then(|event| event["detail"]["seq"].as_u64())
                        .and_then(|seq| usize::try_from(seq).ok()),
                };
                if let Some(seq) = seq {
                    arrived
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry((lane, seq))
                        .or_insert(at);
                }
            }
            Box::pin(async { Ok(SqsBatchResponse::default()) })
        })
    }

    /// The gateway's own queue pump on both queues.
    async fn pumps(&self) -> Backbone {
        let mut pumps = Backbone::default();
        pumps
            .queue("bench-sqs", &self.direct_url, self.receiver(Lane::Sqs))
            .await;
        pumps
            .queue("bench-bus", &self.bus_url, self.receiver(Lane::Bus))
            .await;
        pumps
    }

    /// Sends probe `seq` down `lane` after a pause: from the send to the pump handing it over,
    /// and the send call alone.
    async fn probe(&self, lane: Lane, seq: usize) -> anyhow::Result<(Duration, Duration)> {
        tokio::time::sleep(PAUSE).await;
        let sent = Instant::now();
        match lane {
            Lane::Sqs => {
                self.sqs
                    .send_message()
                    .queue_url(&self.direct_url)
                    .message_body(seq.to_string())
                    .send()
                    .await
                    .context("SendMessage")?;
            }
            Lane::Bus => {
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
                ensure!(
                    put.failed_entry_count() == 0,
                    "PutEvents refused the probe: {:?}",
                    put.entries()
                );
            }
        }
        let call = sent.elapsed();
        let arrived = || {
            self.arrived
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&(lane, seq))
                .copied()
        };
        if !wait_for(|| arrived().is_some()).await {
            bail!("{lane:?} probe {seq} did not arrive within {WAIT:?}");
        }
        let at = arrived().with_context(|| format!("{lane:?} probe {seq} vanished"))?;
        Ok((between(sent, at), call))
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
                eprintln!("bench-events: RemoveTargets {rule}: {err}");
            }
            let deleted = self
                .events
                .delete_rule()
                .name(rule)
                .event_bus_name(&self.bus)
                .send()
                .await;
            if let Err(err) = deleted {
                eprintln!("bench-events: DeleteRule {rule}: {err}");
            }
        }
        for url in [&self.direct_url, &self.bus_url] {
            if url.is_empty() {
                continue;
            }
            if let Err(err) = self.sqs.delete_queue().queue_url(url).send().await {
                eprintln!("bench-events: DeleteQueue {url}: {err}");
            }
        }
    }
}

#[derive(Default)]
struct Samples {
    consumer: [Vec<Duration>; 4],
    all_four: Vec<Duration>,
    stream: Vec<Duration>,
    publisher: Vec<Duration>,
    put_call: Vec<Duration>,
    /// Per consumer, then all four together.
    bus_and_queue: [Vec<Duration>; 4],
    inbox: Vec<Duration>,
    /// Holds whose record or put this bench's publisher did not see first.
    unseen: usize,
    sqs: Vec<Duration>,
    bus: Vec<Duration>,
    /// The bus baseline's PutEvents call alone.
    bus_call: Vec<Duration>,
}

impl Samples {
    fn add(&mut self, journey: &Journey) {
        let committed = journey.committed;
        let mut slowest = Duration::ZERO;
        for (samples, applied) in self.consumer.iter_mut().zip(journey.applied) {
            let took = between(committed, applied);
            samples.push(took);
            slowest = slowest.max(took);
        }
        self.all_four.push(slowest);
        let (Some(read), Some(put)) = (journey.read, journey.put) else {
            self.unseen += 1;
            return;
        };
        self.stream.push(between(committed, read));
        self.publisher.push(between(read, put));
        if let Some(returned) = journey.put_returned {
            self.put_call.push(between(put, returned));
        }
        let hops = journey.delivered.iter().zip(journey.applied);
        for (samples, (delivered, applied)) in self.bus_and_queue.iter_mut().zip(hops) {
            if let Some(delivered) = *delivered {
                samples.push(between(put, delivered));
                self.inbox.push(between(delivered, applied));
            }
        }
    }
}

/// Each round: one hold followed to its four consumers, one SQS probe, one bus probe.
async fn measure(scene: &Scene, lanes: &Lanes, settings: &Settings) -> anyhow::Result<Samples> {
    let mut samples = Samples::default();
    for round in 0..settings.rounds() {
        let journey = follow_hold(scene, round).await?;
        let (sqs, _) = lanes.probe(Lane::Sqs, round).await?;
        let (bus, bus_call) = lanes.probe(Lane::Bus, round).await?;
        if round >= settings.warmup {
            samples.add(&journey);
            samples.sqs.push(sqs);
            samples.bus.push(bus);
            samples.bus_call.push(bus_call);
        }
    }
    Ok(samples)
}

/// A latency row with, to its right, the baseline's mean it compares with.
fn stage_row(label: &str, summary: Summary, baseline: &str) {
    println!(
        "  {label:<56} {:>8.2} {:>8.2} {:>8.2}   {baseline}",
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.mean)
    );
}

fn report(samples: &Samples, settings: &Settings) {
    let poll = ms(STREAM_IDLE_POLL);
    let heading = || {
        println!(
            "  {:<56} {:>8} {:>8} {:>8}",
            "", "p50 ms", "p99 ms", "mean ms"
        );
    };
    println!(
        "1. Commit -> consumer, BookingConfirmed of a 1-night hold without deposit ({} holds after {} warm-up, one at a time, {:.0}-{:.0} ms apart)",
        settings.events,
        settings.warmup,
        ms(PAUSE),
        ms(PAUSE + STREAM_IDLE_POLL)
    );
    heading();
    for (consumer, took) in CONSUMERS.iter().zip(&samples.consumer) {
        latency_row(consumer.name, Summary::of(took));
    }
    let all_four = Summary::of(&samples.all_four);
    latency_row("all four (the slowest of the four, per hold)", all_four);
    println!();

    let (sqs, bus) = (Summary::of(&samples.sqs), Summary::of(&samples.bus));
    println!(
        "2. Baselines on the same emulators, in the same rounds ({} of each after {} warm-up, {:.0} ms apart)",
        settings.events,
        settings.warmup,
        ms(PAUSE)
    );
    heading();
    latency_row("(a) SQS hop: SendMessage -> the pump (long poll)", sqs);
    latency_row(
        "(b) bus hop: PutEvents -> own rule -> own queue -> pump",
        bus,
    );
    println!(
        "  {:<56} {:>8.2} {:>8.2} {:>8.2}   expected, not measured",
        "(c) stream poll: an idle shard is read every 250 ms",
        poll / 2.0,
        poll * 0.99,
        poll / 2.0
    );
    println!(
        "  (c) is a floor by construction: a commit waits for the shard's next read, uniformly 0-{poll:.0} ms."
    );
    println!();

    println!("3. Where the time goes: each stage of a hold's path beside its baseline");
    println!(
        "  {:<56} {:>8} {:>8} {:>8}   baseline mean ms",
        "", "p50 ms", "p99 ms", "mean ms"
    );
    let stream = Summary::of(&samples.stream);
    stage_row(
        "stream: commit -> the publisher has the record",
        stream,
        &format!("{:>8.2} (c) poll wait, expected", poll / 2.0),
    );
    stage_row(
        "publisher: record -> PutEvents sent",
        Summary::of(&samples.publisher),
        "",
    );
    let bus_call = Summary::of(&samples.bus_call);
    stage_row(
        "  its PutEvents call, sent -> returned",
        Summary::of(&samples.put_call),
        &format!("{:>8.2} (b)'s PutEvents call", ms(bus_call.mean)),
    );
    let pooled: Vec<Duration> = samples.bus_and_queue.concat();
    let bus_row = format!("{:>8.2} (b) bus hop", ms(bus.mean));
    stage_row(
        "bus + queue: PutEvents sent -> the pump hands it over",
        Summary::of(&pooled),
        &bus_row,
    );
    for (consumer, took) in CONSUMERS.iter().zip(&samples.bus_and_queue) {
        stage_row(&format!("  to {}", consumer.name), Summary::of(took), "");
    }
    stage_row(
        "inbox: handed over -> applied (ledger claim)",
        Summary::of(&samples.inbox),
        "",
    );
    stage_row(
        "all four, commit -> applied (as in 1.)",
        all_four,
        &format!("{:>8.2} (c) + (b)", poll / 2.0 + ms(bus.mean)),
    );
    if samples.unseen > 0 {
        println!(
            "  {} holds are left out of the stages: this bench's publisher did not see them first (does something else read the stream?)",
            samples.unseen
        );
    }
    println!(
        "  Stages add up per consumer; the bus + queue and inbox rows pool all four consumers' deliveries."
    );
    println!();
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
    // Tokens are never issued here; the issuer only has to be a URL.
    let deps = Deps::from_env("http://bench.invalid")
        .await
        .context("run with eval \"$(localstack/local.sh env)\"")?;
    let deps = Arc::new(deps);

    let run = uuid::Uuid::new_v4().simple().to_string();
    let vendor = onboard_hotel(&deps.store, &run).await?;
    let room = add_room_type(&deps.store, &vendor, "Bench Double (events)", 1_000, false).await?;
    let marks = Arc::new(Marks::default());
    let scene = Scene {
        deps: deps.clone(),
        marks: marks.clone(),
        vendor: vendor.id,
        guest: UserId::generate(),
        room: room.id,
    };

    let bus = shared::config::required("EVENT_BUS_NAME")?;
    let rules = rules_on(&aws_sdk_eventbridge::Client::new(&sdk), &bus).await?;

    println!("bench-events: the event backbone on the local stack");
    println!(
        "  run {run}: hotel {}, guest {}, {} holds after {} warm-up, {}",
        vendor.id,
        scene.guest,
        settings.events,
        settings.warmup,
        Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!(
        "  path: bookings stream (DynamoDB Local) -> stream pump -> outbox publisher -> EventBridge (LocalStack) -> rule"
    );
    println!(
        "  -> SQS (LocalStack) -> queue pump -> inbox (ledger claim on DynamoDB Local) -> probe in place of each effect."
    );
    println!("  bus {bus}: {rules} rules before this run added its own.");
    println!(
        "  This machine: {} cores, shared by DynamoDB Local (Java), LocalStack (Python) and this process. Neither",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "  emulator is AWS, and the pumps stand in for Lambda's pollers: numbers only compare within this run."
    );
    println!();

    let lanes = Lanes::create(&sdk, &run).await?;
    let measured = async {
        let backbone = start_backbone(&deps, &marks).await?;
        let pumps = lanes.pumps().await;
        let samples = measure(&scene, &lanes, &settings).await;
        drop(pumps);
        drop(backbone);
        samples
    }
    .await;
    lanes.remove().await;
    report(&measured?, &settings);
    Ok(())
}
