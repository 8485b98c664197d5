//! The audit log's append rate on the local stack: appends per second to one vendor's log
//! (`DynamoAudit::append`: one TransactWriteItems of the leaf, carrying the perfect nodes it
//! completes, put if its index is free, and the fact guard), beside bare conditional puts
//! (`PutItem` if absent, one item) and bare TransactWriteItems of two such puts (the shape of
//! a lone append, without the log) to the same table in the same run, by as many writers at
//! once. A lone writer's appends go one per transaction (nothing else waits: group commit
//! cannot help it, by design). Concurrent appends of one process to one log go together (group
//! commit: up to 12 leaves per transaction); stores of their own (separate Lambdas) contend for
//! the same index and retry.
//!
//! ```sh
//! eval "$(localstack/local.sh env)"
//! CARGO_TARGET_DIR=$HOME/.cache/reservations/target cargo run --release -p bench --bin bench-audit
//! ```
//!
//! Settings (environment): `BENCH_AUDIT` (300 operations per row), `BENCH_AUDIT_WRITERS` (4,
//! the concurrent writers of the middle rows; the last rows have its square). The goal (issue
//! 19) is appends at at least half the rate of bare conditional puts at the same concurrency.
//! Each row runs in rounds, appends, puts and transactions in turn, so that a change in the
//! machine's load during a row weighs on all three alike.
use anyhow::{Context, ensure};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures::future::try_join_all;
use shared::audit::{AuditError, AuditLog, DynamoAudit};
use shared::domain::ids::{BookingId, VendorId};
use shared::events::EventId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Settings {
    operations: usize,
    writers: usize,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        let operations: usize = shared::config::optional("BENCH_AUDIT", 300)?;
        let writers: usize = shared::config::optional("BENCH_AUDIT_WRITERS", 4)?;
        ensure!(
            (1..=100_000).contains(&operations),
            "BENCH_AUDIT must be between 1 and 100000"
        );
        ensure!(
            (1..=64).contains(&writers),
            "BENCH_AUDIT_WRITERS must be between 1 and 64"
        );
        Ok(Self {
            operations,
            writers,
        })
    }
}

/// A leaf of about the size a booking fact's is (~450 bytes of canonical JSON).
fn leaf(n: usize) -> Vec<u8> {
    format!("{{\"bench\":{n},\"pad\":\"{}\"}}", "x".repeat(420)).into_bytes()
}

/// `operations` appends to `vendor`'s log by `stores` x `per_store` tasks; the time they took.
/// One store is `log` itself (one process, whose concurrent appends to a log go in groups);
/// more are stores of their own (separate Lambdas, contending through the table's conditions).
async fn appends(
    log: &Arc<DynamoAudit>,
    vendor: VendorId,
    operations: usize,
    stores: usize,
    per_store: usize,
) -> anyhow::Result<(Duration, usize)> {
    let writers = stores * per_store;
    let shared: Vec<Arc<DynamoAudit>> = if stores == 1 {
        vec![log.clone()]
    } else {
        (0..stores)
            .map(|_| Arc::new(log.as_ref().clone_without_heads()))
            .collect()
    };
    let started = Instant::now();
    let tasks = (0..writers).map(|w| {
        let log = shared[w % stores].clone();
        let share = operations / writers + usize::from(w < operations % writers);
        tokio::spawn(async move {
            let mut contended = 0;
            for n in 0..share {
                let booking = BookingId::generate();
                // A contended fact comes back to its consumer and is appended later: so here.
                loop {
                    match log
                        .append(vendor, booking, EventId::for_booking(booking, 1), &leaf(n))
                        .await
                    {
                        Ok(_) => break,
                        Err(AuditError::Contended) => contended += 1,
                        Err(e) => return Err(anyhow::Error::new(e).context("an append")),
                    }
                }
            }
            anyhow::Ok(contended)
        })
    });
    let mut contended = 0;
    for done in try_join_all(tasks).await? {
        contended += done?;
    }
    Ok((started.elapsed(), contended))
}

/// `operations` bare conditional puts (one item each, if absent) by `writers` tasks; with
/// `transactions`, each operation is a TransactWriteItems of two such puts instead.
async fn puts(
    client: &Client,
    table: &str,
    operations: usize,
    writers: usize,
    transactions: bool,
) -> anyhow::Result<Duration> {
    let run = uuid::Uuid::new_v4();
    let started = Instant::now();
    let tasks = (0..writers).map(|w| {
        let client = client.clone();
        let table = table.to_owned();
        let share = operations / writers + usize::from(w < operations % writers);
        tokio::spawn(async move {
            for n in 0..share {
                let item = |part: &str| {
                    HashMap::from([
                        ("pk".to_owned(), AttributeValue::S(format!("BENCH#{run}"))),
                        (
                            "sk".to_owned(),
                            AttributeValue::S(format!("{w}#{n:020}{part}")),
                        ),
                        ("leaf".to_owned(), AttributeValue::B(leaf(n).into())),
                    ])
                };
                if transactions {
                    let put = |part: &str| -> anyhow::Result<TransactWriteItem> {
                        let put = Put::builder()
                            .table_name(&table)
                            .set_item(Some(item(part)))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()?;
                        Ok(TransactWriteItem::builder().put(put).build())
                    };
                    client
                        .transact_write_items()
                        .transact_items(put("")?)
                        .transact_items(put("#guard")?)
                        .send()
                        .await
                        .context("a bare transaction")?;
                } else {
                    client
                        .put_item()
                        .table_name(&table)
                        .set_item(Some(item("")))
                        .condition_expression("attribute_not_exists(pk)")
                        .send()
                        .await
                        .context("a conditional put")?;
                }
            }
            anyhow::Ok(())
        })
    });
    for done in try_join_all(tasks).await? {
        done?;
    }
    Ok(started.elapsed())
}

/// Rounds each row's operations are split into.
const ROUNDS: usize = 5;

fn rate(operations: usize, took: Duration) -> f64 {
    operations as f64 / took.as_secs_f64().max(f64::EPSILON)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let table = shared::config::required("AUDIT_TABLE")?;
    let client = Client::new(&sdk);
    let log = Arc::new(DynamoAudit::new(client.clone(), table.clone()));
    let ops = settings.operations;

    // Warm the connections and the table up.
    appends(&log, VendorId::generate(), 20, 1, 1).await?;
    puts(&client, &table, 20, 1, false).await?;
    puts(&client, &table, 20, 1, true).await?;

    println!("audit log appends vs bare conditional puts ({ops} each, table {table})");
    println!(
        "  {:<34} {:>10} {:>9} {:>7} {:>8} {:>9} {:>10}",
        "writers", "appends/s", "puts/s", "ratio", "2-tx/s", "vs 2-tx", "contended"
    );
    let w = settings.writers;
    let rows = [
        (1, 1, "1 (nothing to group)".to_owned()),
        (1, w, format!("{w} in one process")),
        (w, 1, format!("{w} processes")),
        (1, w * w, format!("{} in one process", w * w)),
        (w, w, format!("{w} processes of {w} each")),
    ];
    for (stores, per_store, label) in rows {
        let vendor = VendorId::generate();
        let writers = stores * per_store;
        // In rounds, each kind in turn, so a change in the machine's load falls on all three.
        let (mut appended, mut contended) = (Duration::ZERO, 0);
        let (mut put, mut tx) = (Duration::ZERO, Duration::ZERO);
        for round in 0..ROUNDS {
            let share = ops / ROUNDS + usize::from(round < ops % ROUNDS);
            let (took, lost) = appends(&log, vendor, share, stores, per_store).await?;
            appended += took;
            contended += lost;
            put += puts(&client, &table, share, writers, false).await?;
            tx += puts(&client, &table, share, writers, true).await?;
        }
        let head = log
            .head(vendor)
            .await?
            .context("the bench's log has a head")?;
        ensure!(
            head.size == ops as u64,
            "the log has {} leaves, not {ops}",
            head.size
        );
        let (a, p, t) = (rate(ops, appended), rate(ops, put), rate(ops, tx));
        println!(
            "  {label:<34} {a:>10.1} {p:>9.1} {:>7.2} {t:>8.1} {:>9.2} {contended:>10}",
            a / p,
            a / t
        );
    }
    println!("goal: appends at >= 0.5 of bare conditional puts by as many writers (issue 19)");
    println!(
        "2-tx: a bare TransactWriteItems of two conditional puts, a lone append's shape without the log"
    );
    Ok(())
}
