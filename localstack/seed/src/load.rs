//! Writes a data set into the stack: vendors and their types into the vendors table (so they can
//! be booked), listings into the search index (DynamoDB or OpenSearch, as `SEARCH_BACKEND`
//! says), in rounds of parallel batches. After each round the number of vendors written is saved
//! in the vendors table (`SEED#<name>#<seed>`, `PROGRESS`), so a run that is stopped resumes from
//! the last round; redoing part of a round rewrites the same items.
use crate::{Dataset, Generated};
use anyhow::{Context, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use shared::search::AnyIndex;
use shared::store::DynamoStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Vendors per batch (one BatchWriteItem series per table).
const BATCH: u64 = 100;

/// How far a data set has been written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

pub struct Seeder {
    pub client: aws_sdk_dynamodb::Client,
    pub vendors_table: String,
    pub store: DynamoStore,
    /// The deployment's search backend (`SEARCH_BACKEND`): the DynamoDB index or OpenSearch.
    pub index: AnyIndex,
    /// Batches written at once.
    pub parallel: usize,
}

fn progress_key(set: &Dataset) -> [(String, AttributeValue); 2] {
    [
        (
            "pk".into(),
            AttributeValue::S(format!("SEED#{}#{}", set.name, set.seed)),
        ),
        ("sk".into(), AttributeValue::S("PROGRESS".into())),
    ]
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl Seeder {
    /// The stack's tables (`VENDORS_TABLE`, `SEARCH_TABLE`, ...), writing `parallel` batches at once.
    pub fn from_env(sdk: &shared::aws::SdkConfig, parallel: usize) -> anyhow::Result<Self> {
        Ok(Self {
            client: aws_sdk_dynamodb::Client::new(sdk),
            vendors_table: shared::config::required("VENDORS_TABLE")?,
            store: DynamoStore::from_env(sdk)?,
            index: AnyIndex::from_env(sdk)?,
            parallel: parallel.max(1),
        })
    }

    /// What an earlier run of this data set wrote; an error if it was another seed or size.
    pub async fn progress(&self, set: &Dataset) -> anyhow::Result<Progress> {
        let item = self
            .client
            .get_item()
            .table_name(&self.vendors_table)
            .set_key(Some(progress_key(set).into_iter().collect()))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem seed progress")?
            .item;
        let Some(item) = item else {
            return Ok(Progress {
                done: 0,
                total: set.vendors,
            });
        };
        let (seed, total) = (number(&item, "seed"), number(&item, "total"));
        if seed != Some(set.seed) || total != Some(set.vendors) {
            bail!(
                "data set {:?} was started with seed {} and {} vendors; pass --restart to write it anew with seed {} and {} vendors",
                set.name,
                seed.unwrap_or_default(),
                total.unwrap_or_default(),
                set.seed,
                set.vendors
            );
        }
        Ok(Progress {
            done: number(&item, "done").unwrap_or(0).min(set.vendors),
            total: set.vendors,
        })
    }

    async fn save(&self, set: &Dataset, done: u64) -> anyhow::Result<()> {
        let mut item: std::collections::HashMap<_, _> = progress_key(set).into_iter().collect();
        for (name, value) in [("done", done), ("total", set.vendors), ("seed", set.seed)] {
            item.insert(name.to_owned(), AttributeValue::N(value.to_string()));
        }
        self.client
            .put_item()
            .table_name(&self.vendors_table)
            .set_item(Some(item))
            .send()
            .await
            .context("PutItem seed progress")?;
        Ok(())
    }

    /// Forgets an earlier run's progress (its items stay and are overwritten as it goes).
    pub async fn restart(&self, set: &Dataset) -> anyhow::Result<()> {
        self.save(set, 0).await
    }

    async fn write_batch(&self, set: &Dataset, from: u64, to: u64) -> anyhow::Result<u64> {
        let generated: Vec<Generated> = (from..to)
            .map(|i| set.vendor(i))
            .collect::<anyhow::Result<_>>()?;
        let vendors: Vec<_> = generated
            .iter()
            .map(|g| (&g.vendor, g.resources.as_slice(), g.rating.as_ref()))
            .collect();
        let listings: Vec<_> = generated.iter().map(Generated::listing).collect();
        tokio::try_join!(
            self.store.seed_vendors(&vendors),
            self.index.put_new(&listings)
        )?;
        Ok(generated.iter().map(Generated::units).sum())
    }

    /// Writes the vendors from `progress.done` on, calling `tick(vendors, units)` as batches
    /// land and saving progress after each round.
    pub async fn run(
        &self,
        set: &Dataset,
        progress: Progress,
        tick: impl Fn(u64, u64),
    ) -> anyhow::Result<()> {
        self.run_until(set, progress, set.vendors, tick).await
    }

    /// `run`, stopping after the round that reaches vendor `until` (as an interrupted run would).
    pub async fn run_until(
        &self,
        set: &Dataset,
        progress: Progress,
        until: u64,
        tick: impl Fn(u64, u64),
    ) -> anyhow::Result<()> {
        let round = BATCH * self.parallel as u64;
        let until = until.min(set.vendors);
        let mut done = progress.done;
        while done < until {
            let end = (done + round).min(set.vendors);
            let batches = (done..end).step_by(BATCH as usize).map(|from| {
                let to = (from + BATCH).min(end);
                let tick = &tick;
                async move {
                    let units = self.write_batch(set, from, to).await?;
                    tick(to - from, units);
                    anyhow::Ok(())
                }
            });
            futures::stream::iter(batches)
                .buffer_unordered(self.parallel)
                .try_collect::<Vec<()>>()
                .await?;
            done = end;
            self.save(set, done).await?;
        }
        Ok(())
    }
}

/// What a run wrote.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Where it started (0 unless it resumed).
    pub resumed_at: u64,
    pub vendors: u64,
    pub units: u64,
    pub took: Duration,
}

impl Seeder {
    /// Resumes (or starts) writing the data set, showing a progress bar on the terminal.
    pub async fn seed_with_progress(&self, set: &Dataset) -> anyhow::Result<Report> {
        self.index.ensure_ready().await?;
        let progress = self.progress(set).await?;
        let bar = indicatif::ProgressBar::new(progress.total).with_position(progress.done);
        bar.set_style(indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} vendors ({per_sec}, {eta} left) {msg}",
        )?);
        let units = AtomicU64::new(0);
        let started = Instant::now();
        self.run(set, progress, |vendors, added| {
            let total = units.fetch_add(added, Ordering::Relaxed) + added;
            bar.inc(vendors);
            bar.set_message(format!("{total} rooms and tables"));
        })
        .await?;
        bar.finish();
        Ok(Report {
            resumed_at: progress.done,
            vendors: set.vendors - progress.done,
            units: units.load(Ordering::Relaxed),
            took: started.elapsed(),
        })
    }
}
