//! The first batch of each recent search, kept in the warm function for a few seconds: popular
//! places are searched again and again, and a first batch is most of what a page reads. Only
//! listings and markers are cached, never availability: every page is still checked against
//! the counters, so a stale batch can hide a vendor until it expires but never offer a full
//! one. Responses already say `max-age=5`; the cache keeps no more than that by default.
use super::{Area, Batch, Candidate, Filters, Listing, Order, Resume, SearchIndex};
use crate::config::{self, ConfigError};
use crate::domain::ids::VendorId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Enough for the busy places of a warm function; past it the expired go, then all.
const MAX_ENTRIES: usize = 2_000;

#[derive(Debug)]
pub struct CachedIndex<I> {
    inner: I,
    ttl: Duration,
    batches: Mutex<HashMap<String, (Instant, Batch)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// First batches served from the cache and read from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

impl CacheStats {
    pub fn hit_rate(&self) -> f64 {
        self.hits as f64 / (self.hits + self.misses).max(1) as f64
    }
}

impl<I> CachedIndex<I> {
    /// A `ttl` of zero caches nothing.
    pub fn new(inner: I, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            batches: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// `SEARCH_CACHE_TTL_MS` (default 3,000; 0 turns the cache off).
    pub fn from_env(inner: I) -> Result<Self, ConfigError> {
        let ms: u64 = config::optional("SEARCH_CACHE_TTL_MS", 3_000)?;
        Ok(Self::new(inner, Duration::from_millis(ms)))
    }

    pub fn inner(&self) -> &I {
        &self.inner
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn cached(&self, key: &str) -> Option<Batch> {
        let batches = self.batches.lock().unwrap_or_else(|e| e.into_inner());
        batches
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, batch)| batch.clone())
    }

    fn keep(&self, key: String, batch: &Batch) {
        let mut batches = self.batches.lock().unwrap_or_else(|e| e.into_inner());
        if batches.len() >= MAX_ENTRIES {
            batches.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if batches.len() >= MAX_ENTRIES {
                batches.clear();
            }
        }
        batches.insert(key, (Instant::now(), batch.clone()));
    }
}

impl<I: SearchIndex> SearchIndex for CachedIndex<I> {
    async fn upsert(&self, listing: &Listing) -> anyhow::Result<()> {
        self.inner.upsert(listing).await
    }

    async fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> anyhow::Result<()> {
        self.inner.mark(vendor, sold_out, free).await
    }

    async fn candidates(&self, area: &Area, filters: &Filters) -> anyhow::Result<Vec<Candidate>> {
        self.inner.candidates(area, filters).await
    }

    async fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> anyhow::Result<Batch> {
        // A later batch goes on from state only its reader holds: read it.
        if from.is_some() || self.ttl.is_zero() {
            return self.inner.read(area, filters, order, from).await;
        }
        let key = format!("{area:?}|{filters:?}|{order:?}");
        if let Some(batch) = self.cached(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(batch);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let batch = self.inner.read(area, filters, order, None).await?;
        self.keep(key, &batch);
        Ok(batch)
    }
}
