//! Holds on DynamoDB Local, each measured beside a bare DynamoDB baseline from the same run:
//! latency through `booking_create::handler` vs one `TransactWriteItems` of the same shape,
//! throughput on one contended bucket vs bare conditional updates, and write units per operation.
//!
//! Run it against the local emulators (each run onboards its own hotel, so runs never collide):
//!
//! ```sh
//! eval "$(localstack/local.sh env)"
//! CARGO_TARGET_DIR=$HOME/.cache/reservations/target cargo run --release -p bench --bin bench-holds
//! ```
//!
//! Settings (environment): `BENCH_HOLDS` (300 timed holds of each kind), `BENCH_WARMUP` (20),
//! `BENCH_TASKS` (16 concurrent tasks on one bucket), `BENCH_ATTEMPTS` (400 holds on it).
use anyhow::{Context, bail, ensure};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use bench::{Summary, add_room_type, hold, hold_event, latency_row, ms, onboard_hotel, ratio};
use chrono::{NaiveDate, TimeDelta, Utc};
use http::StatusCode;
use shared::auth::Caller;
use shared::domain::booking::{BookingAction, BookingTime};
use shared::domain::calendar::Bucket;
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::resource::Resource;
use shared::engine::{self, ChangeRequest, Requester};
use shared::store::{BookingStore, DynamoArchive, DynamoStore, ResourceStore, Tables, VendorStore};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Item = HashMap<String, AttributeValue>;

/// Everything a hold needs, shared by the concurrent tasks.
struct Bench {
    store: DynamoStore,
    archive: DynamoArchive,
    payments: shared::payments::StripeClient,
    settings: booking_create::HoldSettings,
    dynamo: aws_sdk_dynamodb::Client,
    tables: Tables,
    /// Where the hold checks that its id was never archived, in its transaction.
    archive_table: String,
    vendor: VendorId,
    guest: UserId,
}

struct Settings {
    holds: usize,
    warmup: usize,
    tasks: usize,
    attempts: usize,
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
            holds: read("BENCH_HOLDS", 300)?,
            warmup: read("BENCH_WARMUP", 20)?,
            tasks: read("BENCH_TASKS", 16)?,
            attempts: read("BENCH_ATTEMPTS", 400)?,
        })
    }
}

/// One hold through the real handler (request already parsed, so only the function's work is
/// timed); it must succeed.
async fn timed_hold(
    bench: &Bench,
    resource: ResourceId,
    check_in: NaiveDate,
    nights: i64,
) -> anyhow::Result<(Duration, BookingId)> {
    let request = hold_event(bench.vendor, bench.guest, resource, check_in, nights)?;
    let held = hold(
        &bench.store,
        &bench.archive,
        &bench.payments,
        &bench.settings,
        request,
    )
    .await
    .with_context(|| format!("hold of {check_in} + {nights} nights"))?;
    Ok((held.took, held.id))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The booking item exactly as stored (keys as in the store: `BOOKING#<id>` / `BOOKING`).
async fn stored_booking(bench: &Bench, id: BookingId) -> anyhow::Result<Item> {
    bench
        .dynamo
        .get_item()
        .table_name(&bench.tables.bookings)
        .key("pk", s(format!("BOOKING#{id}")))
        .key("sk", s("BOOKING"))
        .consistent_read(true)
        .send()
        .await
        .context("GetItem booking")?
        .item
        .with_context(|| format!("booking {id} is not stored"))
}

/// The store's counter update: take one unit unless the bucket would pass `limit`.
fn take_one(table: &str, pk: &str, bucket: Bucket, limit: u32) -> anyhow::Result<Update> {
    Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(bucket.key()))
        .update_expression("ADD sold :delta")
        .condition_expression("attribute_not_exists(sold) OR sold <= :max")
        .expression_attribute_values(":delta", n(1))
        .expression_attribute_values(":max", n(i64::from(limit) - 1))
        .build()
        .context("building a counter update")
}

/// The baseline for a hold: the same transaction as the store's, a copy of a real booking item
/// (fresh id, same size) plus one counter update per night on a counter no resource uses.
fn bare_hold_items(
    bench: &Bench,
    template: &Item,
    counter_pk: &str,
    check_in: NaiveDate,
    nights: i64,
    limit: u32,
) -> anyhow::Result<Vec<TransactWriteItem>> {
    bare_items(bench, template, counter_pk, (check_in, nights), limit, None)
}

/// The hold's checks besides its writes: the type still at its version, the id not archived.
fn hold_checks(
    bench: &Bench,
    resource: &Resource,
    id: &str,
) -> anyhow::Result<[TransactWriteItem; 2]> {
    let type_version = ConditionCheck::builder()
        .table_name(&bench.tables.vendors)
        .key("pk", s(format!("VENDOR#{}", resource.vendor_id)))
        .key("sk", s(format!("RESOURCE#{}", resource.id)))
        .condition_expression("version = :version")
        .expression_attribute_values(":version", n(resource.version))
        .build()
        .context("building the type check")?;
    let not_archived = ConditionCheck::builder()
        .table_name(&bench.archive_table)
        .key("pk", s(format!("BOOKING#{id}")))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .context("building the archive check")?;
    Ok([type_version, not_archived]
        .map(|check| TransactWriteItem::builder().condition_check(check).build()))
}

/// `bare_hold_items`, with the hold's two condition checks on `resource` when given.
fn bare_items(
    bench: &Bench,
    template: &Item,
    counter_pk: &str,
    (check_in, nights): (NaiveDate, i64),
    limit: u32,
    checked: Option<&Resource>,
) -> anyhow::Result<Vec<TransactWriteItem>> {
    let id = BookingId::from_idempotency_key("bench", &uuid::Uuid::new_v4().to_string());
    let mut item = template.clone();
    item.insert("pk".into(), s(format!("BOOKING#{id}")));
    item.insert("id".into(), s(id.to_string()));
    let put = Put::builder()
        .table_name(&bench.tables.bookings)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .context("building the booking put")?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    for night in 0..nights {
        let bucket = Bucket::Night(check_in + TimeDelta::days(night));
        let update = take_one(&bench.tables.inventory, counter_pk, bucket, limit)?;
        items.push(TransactWriteItem::builder().update(update).build());
    }
    if let Some(resource) = checked {
        items.extend(hold_checks(bench, resource, &id.to_string())?);
    }
    Ok(items)
}

async fn timed_bare_hold(
    bench: &Bench,
    template: &Item,
    counter_pk: &str,
    (check_in, nights): (NaiveDate, i64),
    limit: u32,
    checked: Option<&Resource>,
) -> anyhow::Result<Duration> {
    let items = bare_items(
        bench,
        template,
        counter_pk,
        (check_in, nights),
        limit,
        checked,
    )?;
    let started = Instant::now();
    bench
        .dynamo
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .context("bare TransactWriteItems")?;
    Ok(started.elapsed())
}

/// Part 1: uncontended 3-night holds, handler and bare transaction in alternating order.
async fn latency(bench: &Bench, resource: &Resource, settings: &Settings) -> anyhow::Result<()> {
    const NIGHTS: i64 = 3;
    let first_night = Utc::now().date_naive() + TimeDelta::days(2);
    // Consecutive holds take disjoint stays, cycling within the booking window.
    let stay =
        |i: usize| first_night + TimeDelta::days(i64::try_from(i % 110).unwrap_or(0) * NIGHTS);
    let limit = resource.sellable_limit();
    let counter_pk = format!("INV#{}#{}", bench.vendor, ResourceId::generate());

    let (_, template_id) = timed_hold(bench, resource.id, stay(0), NIGHTS).await?;
    let template = stored_booking(bench, template_id).await?;

    let mut handler = Vec::with_capacity(settings.holds);
    let mut bare = Vec::with_capacity(settings.holds);
    let mut checked = Vec::with_capacity(settings.holds);
    let mut reads = Vec::with_capacity(settings.holds);
    for i in 1..=settings.warmup + settings.holds {
        let check_in = stay(i);
        let mut took = [Duration::ZERO; 3];
        // Each kind goes first, second and third in turn.
        for step in 0..3 {
            let kind = (i + step) % 3;
            took[kind] = match kind {
                0 => timed_hold(bench, resource.id, check_in, NIGHTS).await?.0,
                1 => {
                    let stay = (check_in, NIGHTS);
                    timed_bare_hold(bench, &template, &counter_pk, stay, limit, None).await?
                }
                _ => {
                    let stay = (check_in, NIGHTS);
                    let checks = Some(resource);
                    timed_bare_hold(bench, &template, &counter_pk, stay, limit, checks).await?
                }
            };
        }
        // What a cold container reads before its first hold (and after its copy ages out).
        let started = Instant::now();
        let (found, _) = tokio::try_join!(
            bench.store.vendor(bench.vendor),
            bench.store.resources(bench.vendor)
        )?;
        let r = started.elapsed();
        found.context("the bench hotel disappeared")?;
        if i > settings.warmup {
            handler.push(took[0]);
            bare.push(took[1]);
            checked.push(took[2]);
            reads.push(r);
        }
    }

    let (h, b, c) = (
        Summary::of(&handler),
        Summary::of(&bare),
        Summary::of(&checked),
    );
    println!(
        "1. Hold latency, 3-night stay, no contention ({} of each after {} warm-up, order rotating)",
        settings.holds, settings.warmup
    );
    println!(
        "  {:<56} {:>8} {:>8} {:>8}",
        "", "p50 ms", "p99 ms", "mean ms"
    );
    latency_row("handler: booking_create::handler (warm container)", h);
    latency_row("bare TransactWriteItems: 1 Put + 3 conditional Updates", b);
    latency_row("bare, the hold's own shape: + 2 ConditionChecks", c);
    let row = |label: &str, base: Summary| {
        println!(
            "  {:<56} {:>7.2}x {:>7.2}x {:>7.2}x",
            label,
            ratio(h.p50, base.p50),
            ratio(h.p99, base.p99),
            ratio(h.mean, base.mean)
        );
    };
    row(
        "ratio handler / bare 1 Put + 3 Updates (goal p50 <= 1.15x)",
        b,
    );
    row("ratio handler / bare of the hold's own shape", c);
    println!(
        "  a warm container reads nothing first: the vendor and its types are kept (60 s at most), and"
    );
    println!(
        "  the transaction checks the type's version and that the id was never archived. Only a cold"
    );
    println!("  container (or a copy found stale) reads them first, as every hold used to:");
    latency_row(
        "  reads first: GetItem vendor || Query resources",
        Summary::of(&reads),
    );
    println!();
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Taken,
    SoldOut,
    /// A bare transaction cancelled by TransactionConflict (the store retries these).
    Conflict,
    Other,
}

#[derive(Default)]
struct Tally {
    taken: usize,
    sold_out: usize,
    conflict: usize,
    other: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.taken += other.taken;
        self.sold_out += other.sold_out;
        self.conflict += other.conflict;
        self.other += other.other;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }

    fn per_second(&self) -> f64 {
        if self.elapsed.is_zero() {
            0.0
        } else {
            self.taken as f64 / self.elapsed.as_secs_f64()
        }
    }
}

/// `attempts` operations spread over `tasks` concurrent tasks; wall time from the first start
/// to the last finish.
async fn contend<F, Fut>(tasks: usize, attempts: usize, op: F) -> anyhow::Result<Tally>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (op, next) = (op.clone(), next.clone());
        running.spawn(async move {
            let mut done = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < attempts {
                let started = Instant::now();
                let outcome = op().await;
                done.push((outcome, started.elapsed()));
            }
            done
        });
    }
    let mut tally = Tally::default();
    while let Some(done) = running.join_next().await {
        for (outcome, took) in done.context("a contending task panicked")? {
            match outcome {
                Outcome::Taken => tally.taken += 1,
                Outcome::SoldOut => tally.sold_out += 1,
                Outcome::Conflict => tally.conflict += 1,
                Outcome::Other => tally.other += 1,
            }
            tally.latencies.push(took);
        }
    }
    tally.elapsed = started.elapsed();
    Ok(tally)
}

/// 1-night holds of one unit on `night` through the handler: 201, 409 or anything else.
async fn contend_handler(
    bench: &Arc<Bench>,
    resource: ResourceId,
    night: NaiveDate,
    tasks: usize,
    attempts: usize,
) -> anyhow::Result<Tally> {
    let bench = bench.clone();
    contend(tasks, attempts, move || {
        let bench = bench.clone();
        async move {
            let Ok(request) = hold_event(bench.vendor, bench.guest, resource, night, 1) else {
                return Outcome::Other;
            };
            match booking_create::handler(
                &bench.store,
                &bench.archive,
                &bench.payments,
                &bench.settings,
                request,
            )
            .await
            {
                Ok(response) if response.status() == StatusCode::CREATED => Outcome::Taken,
                Ok(response) if response.status() == StatusCode::CONFLICT => Outcome::SoldOut,
                _ => Outcome::Other,
            }
        }
    })
    .await
}

/// Bare conditional `UpdateItem ADD sold :1` on one counter item, the store's condition.
async fn contend_bare(
    bench: &Arc<Bench>,
    counter_pk: &str,
    night: NaiveDate,
    limit: u32,
    tasks: usize,
    attempts: usize,
) -> anyhow::Result<Tally> {
    let update = bench
        .dynamo
        .update_item()
        .table_name(&bench.tables.inventory)
        .key("pk", s(counter_pk))
        .key("sk", s(Bucket::Night(night).key()))
        .update_expression("ADD sold :delta")
        .condition_expression("attribute_not_exists(sold) OR sold <= :max")
        .expression_attribute_values(":delta", n(1))
        .expression_attribute_values(":max", n(i64::from(limit) - 1));
    contend(tasks, attempts, move || {
        let update = update.clone();
        async move {
            match update.send().await {
                Ok(_) => Outcome::Taken,
                Err(err) => match err.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(_) => Outcome::SoldOut,
                    _ => Outcome::Other,
                },
            }
        }
    })
    .await
}

/// The hold's own transaction shape for one night (booking Put + counter Update), issued bare
/// and never retried, to show what DynamoDB Local does with transactions on one hot item.
async fn contend_bare_transaction(
    bench: &Arc<Bench>,
    template: &Arc<Item>,
    counter_pk: &str,
    night: NaiveDate,
    limit: u32,
    tasks: usize,
    attempts: usize,
) -> anyhow::Result<Tally> {
    let (bench, template, counter_pk) = (bench.clone(), template.clone(), counter_pk.to_owned());
    contend(tasks, attempts, move || {
        let items = bare_hold_items(&bench, &template, &counter_pk, night, 1, limit);
        let client = bench.dynamo.clone();
        async move {
            let Ok(items) = items else {
                return Outcome::Other;
            };
            let result = client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Outcome::Taken,
                Err(err) => err.into_service_error(),
            };
            let TransactWriteItemsError::TransactionCanceledException(cancelled) = err else {
                return Outcome::Other;
            };
            let codes: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .filter_map(|r| r.code())
                .collect();
            if codes.contains(&"TransactionConflict") {
                Outcome::Conflict
            } else if codes.contains(&"ConditionalCheckFailed") {
                Outcome::SoldOut
            } else {
                Outcome::Other
            }
        }
    })
    .await
}

async fn counter_sold(bench: &Bench, pk: &str, night: NaiveDate) -> anyhow::Result<i64> {
    let item = bench
        .dynamo
        .get_item()
        .table_name(&bench.tables.inventory)
        .key("pk", s(pk))
        .key("sk", s(Bucket::Night(night).key()))
        .consistent_read(true)
        .send()
        .await
        .context("GetItem counter")?
        .item
        .unwrap_or_default();
    match item.get("sold") {
        None => Ok(0),
        Some(sold) => sold
            .as_n()
            .ok()
            .and_then(|v| v.parse().ok())
            .context("a counter's sold is not a number"),
    }
}

/// Part 2: one bucket, many tasks; two rounds in alternating order, after a warm-up round.
async fn contention(
    bench: &Arc<Bench>,
    resource: &Resource,
    settings: &Settings,
) -> anyhow::Result<()> {
    let night = Utc::now().date_naive() + TimeDelta::days(30);
    let warm_night = night + TimeDelta::days(1);
    let limit = resource.sellable_limit();
    let update_pk = format!("INV#{}#{}", bench.vendor, ResourceId::generate());
    let transaction_pk = format!("INV#{}#{}", bench.vendor, ResourceId::generate());
    let (tasks, attempts) = (settings.tasks, settings.attempts);

    let (_, id) = timed_hold(bench, resource.id, warm_night, 1).await?;
    let template = Arc::new(stored_booking(bench, id).await?);
    contend_handler(bench, resource.id, warm_night, tasks, tasks).await?;
    contend_bare(bench, &update_pk, warm_night, limit, tasks, tasks).await?;
    contend_bare_transaction(
        bench,
        &template,
        &transaction_pk,
        warm_night,
        limit,
        tasks,
        tasks,
    )
    .await?;

    let mut handler = Tally::default();
    let mut bare = Tally::default();
    let mut bare_transaction = Tally::default();
    let first_half = attempts / 2;
    for (round, count) in [(0, first_half), (1, attempts - first_half)] {
        let order: [u8; 3] = if round == 0 { [0, 1, 2] } else { [2, 1, 0] };
        for kind in order {
            match kind {
                0 => handler.add(contend_handler(bench, resource.id, night, tasks, count).await?),
                1 => bare.add(contend_bare(bench, &update_pk, night, limit, tasks, count).await?),
                _ => bare_transaction.add(
                    contend_bare_transaction(
                        bench,
                        &template,
                        &transaction_pk,
                        night,
                        limit,
                        tasks,
                        count,
                    )
                    .await?,
                ),
            }
        }
    }
    let handler_sold = bench
        .store
        .sold(bench.vendor, resource.id, &[Bucket::Night(night)])
        .await?
        .get(&Bucket::Night(night))
        .copied()
        .unwrap_or(0);
    let bare_sold = counter_sold(bench, &update_pk, night).await?;
    let transaction_sold = counter_sold(bench, &transaction_pk, night).await?;

    println!(
        "2. Holds on ONE bucket under contention ({tasks} concurrent tasks, {attempts} attempts in all, 1 night x 1 unit, limit {limit})"
    );
    println!(
        "  {:<48} {:>8} {:>5} {:>5} {:>8} {:>5} {:>8} {:>8}",
        "", "taken/s", "201", "409", "conflict", "other", "p50 ms", "p99 ms"
    );
    for (label, tally, conflicts) in [
        ("handler: booking_create::handler", &handler, false),
        ("bare UpdateItem ADD sold :1, same condition", &bare, false),
        (
            "extra: bare TransactWriteItems, 1 Put + 1 Update",
            &bare_transaction,
            true,
        ),
    ] {
        let summary = Summary::of(&tally.latencies);
        let conflict = if conflicts {
            tally.conflict.to_string()
        } else {
            "-".to_owned()
        };
        println!(
            "  {label:<48} {:>8.1} {:>5} {:>5} {conflict:>8} {:>5} {:>8.2} {:>8.2}",
            tally.per_second(),
            tally.taken,
            tally.sold_out,
            tally.other,
            ms(summary.p50),
            ms(summary.p99)
        );
    }
    let throughput = if bare.per_second() > 0.0 {
        handler.per_second() / bare.per_second()
    } else {
        f64::NAN
    };
    println!(
        "  {:<48} {:>7.2}x",
        "ratio handler / bare UpdateItem (taken/s)", throughput
    );
    println!(
        "  201 = taken; 409 = sold out (ConditionalCheckFailed); the handler's TransactionConflicts are retried"
    );
    println!(
        "  inside the store, so only its final answers count; the extra bare transaction is never retried."
    );
    let check = |sold: i64, taken: usize| {
        if usize::try_from(sold).ok() == Some(taken) {
            "ok"
        } else {
            "MISMATCH"
        }
    };
    println!(
        "  counters afterwards: handler bucket sold {handler_sold} for {} holds ({}), UpdateItem counter {bare_sold} ({}), transaction counter {transaction_sold} ({})",
        handler.taken,
        check(i64::from(handler_sold), handler.taken),
        check(bare_sold, bare.taken),
        check(transaction_sold, bare_transaction.taken)
    );
    println!();
    Ok(())
}

/// One unit from a counter split into `shards` items (`<bucket>#<shard>`, each capped at its
/// share of `limit`): a random shard first, then the next ones while they refuse, so a take
/// fails only when every shard is full.
async fn take_from_shards(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    night: NaiveDate,
    (shards, limit): (u32, u32),
) -> Outcome {
    use rand::Rng;
    let first = rand::rng().random_range(0..shards);
    for step in 0..shards {
        let shard = (first + step) % shards;
        let share = limit / shards + u32::from(shard < limit % shards);
        let result = client
            .update_item()
            .table_name(table)
            .key("pk", s(pk))
            .key("sk", s(format!("{}#{shard}", Bucket::Night(night).key())))
            .update_expression("ADD sold :delta")
            .condition_expression("attribute_not_exists(sold) OR sold <= :max")
            .expression_attribute_values(":delta", n(1))
            .expression_attribute_values(":max", n(i64::from(share) - 1))
            .send()
            .await;
        match result.map_err(|e| e.into_service_error()) {
            Ok(_) => return Outcome::Taken,
            Err(UpdateItemError::ConditionalCheckFailedException(_)) => {}
            Err(_) => return Outcome::Other,
        }
    }
    Outcome::SoldOut
}

/// Part 2b: the same contended night through the handler on types of 1, 4 and 16 shards, beside
/// bare conditional updates on 1, 4 and 16 shard items, each then filled up to prove a take
/// spills over until every shard is full and never past one.
async fn sharded(
    bench: &Arc<Bench>,
    settings: &Settings,
    types: &[Resource],
) -> anyhow::Result<()> {
    let night = Utc::now().date_naive() + TimeDelta::days(40);
    let (tasks, attempts) = (settings.tasks, settings.attempts);
    let limit = u32::try_from(attempts + tasks).unwrap_or(u32::MAX);
    println!(
        "2b. Holds on ONE night split over shard items ({tasks} tasks, {attempts} attempts, limit {limit} for bare updates)"
    );
    println!(
        "  {:<48} {:>8} {:>5} {:>5} {:>5} {:>8} {:>8}",
        "", "taken/s", "201", "409", "other", "p50 ms", "p99 ms"
    );
    for resource in types {
        let shards = resource.shards.get();
        let bucket = Bucket::Night(night);
        contend_handler(bench, resource.id, night + TimeDelta::days(1), tasks, tasks).await?;
        let tally = contend_handler(bench, resource.id, night, tasks, attempts).await?;
        let sold = bench
            .store
            .sold(bench.vendor, resource.id, &[bucket])
            .await?
            .get(&bucket)
            .copied()
            .unwrap_or(0);
        let summary = Summary::of(&tally.latencies);
        println!(
            "  {:<48} {:>8.1} {:>5} {:>5} {:>5} {:>8.2} {:>8.2}  sold {sold} ({})",
            format!("handler, type of {shards} shard(s)"),
            tally.per_second(),
            tally.taken,
            tally.sold_out,
            tally.other,
            ms(summary.p50),
            ms(summary.p99),
            if usize::try_from(sold).ok() == Some(tally.taken) {
                "ok"
            } else {
                "MISMATCH"
            }
        );
    }
    let mut single = f64::NAN;
    for shards in [1u32, 4, 16] {
        let pk = format!("INV#{}#{}", bench.vendor, ResourceId::generate());
        let run = |count: usize, pk: String| {
            let bench = bench.clone();
            contend(tasks, count, move || {
                let (bench, pk) = (bench.clone(), pk.clone());
                async move {
                    let table = &bench.tables.inventory;
                    take_from_shards(&bench.dynamo, table, &pk, night, (shards, limit)).await
                }
            })
        };
        run(tasks, format!("{pk}-warm")).await?;
        let tally = run(attempts, pk.clone()).await?;
        if shards == 1 {
            single = tally.per_second();
        }
        let summary = Summary::of(&tally.latencies);
        println!(
            "  {:<48} {:>8.1} {:>5} {:>5} {:>5} {:>8.2} {:>8.2}",
            format!("{shards} shard item(s), spill-over to the next"),
            tally.per_second(),
            tally.taken,
            tally.sold_out,
            tally.other,
            ms(summary.p50),
            ms(summary.p99)
        );
        // Fill the rest: every unit must sell, then nothing more.
        let left = usize::try_from(limit)
            .unwrap_or(0)
            .saturating_sub(tally.taken);
        let fill = run(left + tasks, pk.clone()).await?;
        let mut sold = 0;
        for shard in 0..shards {
            let sk = format!("{}#{shard}", Bucket::Night(night).key());
            let item = bench
                .dynamo
                .get_item()
                .table_name(&bench.tables.inventory)
                .key("pk", s(&pk))
                .key("sk", s(sk))
                .consistent_read(true)
                .send()
                .await
                .context("GetItem shard")?
                .item
                .unwrap_or_default();
            sold += item
                .get("sold")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0);
        }
        let exact = tally.taken + fill.taken == usize::try_from(limit).unwrap_or(0)
            && sold == limit
            && fill.sold_out == tasks;
        println!(
            "  {:<48} filled: {} more taken, {} refused, shards sum to {sold} of {limit} ({})",
            "",
            fill.taken,
            fill.sold_out,
            if exact { "ok" } else { "MISMATCH" }
        );
    }
    println!(
        "  DynamoDB Local runs one process, so shards add no capacity here ({single:.1}/s on one item); on"
    );
    println!(
        "  DynamoDB each item takes at most 1,000 WCU/s, so N shards on separate partitions take N x that."
    );
    println!(
        "  A sharded type's hold does not check its type's item: its shards carry the type's version."
    );
    println!();
    Ok(())
}

/// DynamoDB's size of a number: about one byte per two significant digits, plus one.
fn number_size(raw: &str) -> usize {
    let mantissa = raw.split(['e', 'E']).next().unwrap_or(raw);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.max(1).div_ceil(2) + 1
}

/// DynamoDB's size of a value (names of map entries included).
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(v) => v.len(),
        AttributeValue::N(v) => number_size(v),
        AttributeValue::B(v) => v.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(vs) => vs.iter().map(String::len).sum(),
        AttributeValue::Ns(vs) => vs.iter().map(|v| number_size(v)).sum(),
        AttributeValue::Bs(vs) => vs.iter().map(|v| v.as_ref().len()).sum(),
        AttributeValue::L(vs) => 3 + vs.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(entries) => {
            3 + entries
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        // A type newer than this bench: counted as a small scalar.
        _ => 1,
    }
}

fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Standard write units for writing (or replacing) an item of this many bytes.
fn write_units(bytes: usize) -> usize {
    bytes.div_ceil(1024).max(1)
}

/// Part 3: a real 3-night hold, moved one night later, then cancelled; each booking item read
/// back as stored and sized by DynamoDB's rules.
async fn write_units_per_operation(
    bench: &Bench,
    resource: &Resource,
    paid: &Resource,
) -> anyhow::Result<()> {
    let check_in = Utc::now().date_naive() + TimeDelta::days(300);
    let (_, id) = timed_hold(bench, resource.id, check_in, 3).await?;
    let held = stored_booking(bench, id).await?;
    let (_, paid_id) = timed_hold(bench, paid.id, check_in, 3).await?;
    let paid_b = item_size(&stored_booking(bench, paid_id).await?);

    let guest = Requester::Caller(Caller::Guest(bench.guest));
    let moved = ChangeRequest {
        time: Some(BookingTime::Stay {
            check_in: check_in + TimeDelta::days(1),
            check_out: check_in + TimeDelta::days(4),
        }),
        ..ChangeRequest::default()
    };
    let changed = engine::change(&bench.store, id, &moved, &guest, Utc::now())
        .await
        .context("moving the stay one night later")?;
    ensure!(changed.buckets.len() == 3, "the moved stay is not 3 nights");
    let after_change = stored_booking(bench, id).await?;

    engine::transition(&bench.store, id, BookingAction::Cancel, &guest, Utc::now())
        .await
        .context("cancelling the hold")?;
    let after_cancel = stored_booking(bench, id).await?;

    let (held_b, changed_b, cancelled_b) = (
        item_size(&held),
        item_size(&after_change),
        item_size(&after_cancel),
    );
    let booking_wcu = write_units(held_b);
    // A Put that replaces an item is charged for the larger of the old and the new item.
    let change_wcu = write_units(held_b.max(changed_b));
    let cancel_wcu = write_units(changed_b.max(cancelled_b));
    let mut largest: Vec<(&String, usize)> = held
        .iter()
        .map(|(k, v)| (k, k.len() + value_size(v)))
        .collect();
    largest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let largest: Vec<String> = largest
        .iter()
        .take(4)
        .map(|(k, bytes)| format!("{k} {bytes} B"))
        .collect();

    println!(
        "3. Write units per operation, from the transaction shape (DynamoDB Local's ConsumedCapacity is wrong for transactions)"
    );
    println!(
        "  booking item as stored (GetItem): held {held_b} B, after the change {changed_b} B, cancelled {cancelled_b} B -> {booking_wcu} WCU each"
    );
    println!(
        "  held item: {} attributes; largest {}",
        held.len(),
        largest.join(", ")
    );
    println!(
        "  a 3-night hold that takes a deposit, its payment intent attached: {paid_b} B -> {} WCU (its index gsi3 too)",
        write_units(paid_b)
    );
    println!(
        "  transactional writes cost 2 x standard WCU per item; counter items are tiny (1 WCU each)"
    );
    println!(
        "  {:<50} {:<26} {:>5} {:>8}",
        "operation", "items written", "WCU", "minimum"
    );
    let row = |label: &str, items: &str, wcu: usize, minimum: usize| {
        println!("  {label:<50} {items:<26} {wcu:>5} {minimum:>8}");
    };
    row(
        "hold, 3 nights: its writes (idempotency in the id)",
        "booking + 3 counters",
        2 * (booking_wcu + 3),
        2 * (1 + 3),
    );
    row(
        "  with its 2 ConditionChecks (billed as writes)",
        "+ type version + archive",
        2 * (booking_wcu + 3 + 2),
        2 * (1 + 3),
    );
    row(
        "  same with a separate idempotency record",
        "booking + key + 3 counters",
        2 * (booking_wcu + 1 + 3),
        2 * (1 + 3),
    );
    row(
        "change: the 3-night stay moved 1 night later",
        "booking + 2 counters",
        2 * (change_wcu + 2),
        2 * (1 + 2),
    );
    row(
        "cancel a 3-night hold",
        "booking + 3 counters",
        2 * (cancel_wcu + 3),
        2 * (1 + 3),
    );
    println!(
        "  (a separate idempotency record would add +2 WCU per hold; folded into the booking's id it costs nothing)"
    );
    println!(
        "  the checks could only go by reading first (a round trip per hold) or by writing every counter of a type"
    );
    println!(
        "  when its limit changes; each costs a transactional write, as a Put or Update of a small item would."
    );
    println!(
        "  not counted: bookings has gsi1 and gsi2 (projection ALL), so each booking write also writes both indexes"
    );
    println!(
        "  (>= 1 WCU per index per KB; a change of dates moves the index keys: delete + put in each), and reads:"
    );
    println!(
        "  a cold container's hold reads vendor + resources (a warm one nothing), a change or cancel reads the"
    );
    println!("  booking first (strongly consistent).");
    println!(
        "  A hold with a deposit also writes the booking again to attach its payment intent (+1 standard write),"
    );
    println!(
        "  and the sparse gsi3 (pending payments) while its deposit waits; the types timed above take no deposit,"
    );
    println!("  so no call to Stripe (localstripe here) is timed.");
    println!();
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let store =
        DynamoStore::from_env(&sdk).context("run with eval \"$(localstack/local.sh env)\"")?;
    let hold_settings = booking_create::HoldSettings::from_env()?;
    let tables = Tables::from_env()?;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);

    let run = uuid::Uuid::new_v4().simple().to_string();
    let vendor = onboard_hotel(&store, &run).await?;
    // No deposit: what is timed is the hold, not the call to Stripe a deposit adds.
    let quiet = add_room_type(&store, &vendor, "Bench Double (latency)", 1_000, false).await?;
    let busy = add_room_type(&store, &vendor, "Bench Double (contention)", 2_000, false).await?;
    let paid = add_room_type(&store, &vendor, "Bench Double (deposit)", 1_000, true).await?;
    let mut sharded_types = Vec::new();
    for shards in [1, 4, 16] {
        let name = format!("Bench Double ({shards} shards)");
        let mut resource = add_room_type(&store, &vendor, &name, 2_000, false).await?;
        let version = resource.version;
        resource.shards = shared::domain::resource::ShardCount::new(shards)
            .map_err(|e| anyhow::anyhow!("a shard count: {}", e.0))?;
        resource.version += 1;
        store
            .update_resource(&resource, version)
            .await
            .context("sharding a bench room type")?;
        sharded_types.push(resource);
    }
    if usize::try_from(busy.sellable_limit()).unwrap_or(0) < settings.attempts + settings.tasks {
        bail!("BENCH_ATTEMPTS is more than the contention room type can sell");
    }
    let payments = shared::payments::StripeSettings::load(&sdk)
        .await?
        .client()?;
    let bench = Arc::new(Bench {
        archive: DynamoArchive::from_env(&store)?,
        store,
        payments,
        settings: hold_settings,
        dynamo,
        tables,
        archive_table: shared::config::required("BOOKING_ARCHIVE_TABLE")?,
        vendor: vendor.id,
        guest: UserId::generate(),
    });

    println!("bench-holds: the booking engine on DynamoDB Local");
    println!(
        "  run {run}: hotel {}, guest {}, {}",
        vendor.id,
        bench.guest,
        Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!(
        "  DynamoDB Local is not DynamoDB: it is a single local Java process with different latency, locking and"
    );
    println!(
        "  capacity accounting. Absolute numbers only compare with each other within this run."
    );
    println!();

    latency(&bench, &quiet, &settings).await?;
    contention(&bench, &busy, &settings).await?;
    sharded(&bench, &settings, &sharded_types).await?;
    write_units_per_operation(&bench, &quiet, &paid).await?;
    Ok(())
}
