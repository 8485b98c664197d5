//! Search latency at the product's scale: seeds a data set into the local stack (by default the
//! `full` preset, 500k vendors; resumes a seeding an earlier run left unfinished), then times
//! typical searches through the real `vendor-search` handler, without and then with the warm
//! function's cache, next to a single DynamoDB Query of one page of the same index measured in
//! the same run, and counts the listings each search read and the cache's hit rate.
//!
//!   eval "$(localstack/local.sh env)"; cargo run --release -p bench --bin bench-search
//!
//! Settings: SEARCH_BENCH_PRESET (test, demo, full), SEARCH_BENCH_VENDORS (overrides the
//! preset's size), SEARCH_BENCH_QUERIES (per kind of search, default 300), SEARCH_BENCH_SEED,
//! SEARCH_CACHE_TTL_MS (the cache's lifetime, default 3,000, as in `vendor-search`).
use anyhow::{Context, ensure};
use bench::{Summary, latency_row, ms};
use chrono::{Duration as Days, NaiveDate, Utc};
use http::StatusCode;
use lambda_http::Request;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seed::{Dataset, Generated, Preset, Seeder};
use serde_json::{Value, json};
use shared::domain::ids::VendorId;
use shared::domain::vendor::VendorKind;
use shared::search::{
    AnyIndex, Area, Batch, CachedIndex, Candidate, DynamoSearchIndex, Filters, Listing, Order,
    Resume, SearchIndex,
};
use shared::store::DynamoStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Settings {
    preset: Preset,
    vendors: Option<u64>,
    queries: usize,
    seed: u64,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let preset_name = var("SEARCH_BENCH_PRESET").unwrap_or_else(|| "full".into());
        let preset = Preset::named(&preset_name)
            .with_context(|| format!("SEARCH_BENCH_PRESET={preset_name}: test, demo or full"))?;
        let number = |name: &str| -> anyhow::Result<Option<u64>> {
            var(name)
                .map(|v| v.parse().with_context(|| format!("{name}={v}: a number")))
                .transpose()
        };
        Ok(Self {
            preset,
            vendors: number("SEARCH_BENCH_VENDORS")?,
            queries: number("SEARCH_BENCH_QUERIES")?.unwrap_or(300) as usize,
            seed: number("SEARCH_BENCH_SEED")?.unwrap_or(1),
        })
    }
}

/// `GET /vendors?...` as API Gateway (payload 2.0) hands it to the function.
fn search_event(params: &[(&str, String)]) -> anyhow::Result<Request> {
    let raw: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20").replace(',', "%2C")))
        .collect();
    let map: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let event = json!({
        "version": "2.0",
        "routeKey": "GET /vendors",
        "rawPath": "/vendors",
        "rawQueryString": raw.join("&"),
        "queryStringParameters": map,
        "headers": {"host": "api.reservations.example"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.reservations.example",
            "domainPrefix": "api",
            "http": {
                "method": "GET",
                "path": "/vendors",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "bench",
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "GET /vendors",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": Utc::now().timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).context("parsing the search event")
}

/// A search a guest would make, with what the baseline Query reads for it.
struct Search {
    params: Vec<(&'static str, String)>,
    area: Area,
    kind: VendorKind,
}

impl Search {
    /// What the index itself is asked for: vendors of the kind in the area.
    fn kind_only(&self) -> Filters {
        Filters {
            kind: self.kind,
            facilities: vec![],
            cuisines: vec![],
            name: vec![],
        }
    }
}

/// A vendor drawn from the data set (so busy places are searched more often, as in life) of
/// the kind wanted.
fn pick(set: &Dataset, rng: &mut StdRng, kind: VendorKind) -> anyhow::Result<Generated> {
    loop {
        let g = set.vendor(rng.random_range(0..set.vendors))?;
        if g.vendor.kind == kind {
            return Ok(g);
        }
    }
}

fn day(today: NaiveDate, ahead: i64) -> String {
    (today + Days::days(ahead)).to_string()
}

/// City + facility + dates: a hotel search.
fn city_search(set: &Dataset, rng: &mut StdRng, today: NaiveDate) -> anyhow::Result<Search> {
    let hotel = pick(set, rng, VendorKind::Hotel)?;
    let address = &hotel.vendor.address;
    let facility = ["wifi", "breakfast", "parking"][rng.random_range(0..3)];
    let check_in = rng.random_range(7..60);
    let nights = rng.random_range(1..=3);
    Ok(Search {
        params: vec![
            ("city", address.city.to_string()),
            ("country", address.country.as_str().to_owned()),
            ("facilities", facility.to_owned()),
            ("check_in", day(today, check_in)),
            ("check_out", day(today, check_in + nights)),
            ("party_size", "2".to_owned()),
        ],
        area: Area::City {
            city_key: address.city_key(),
        },
        kind: VendorKind::Hotel,
    })
}

/// Radius + cuisine + time: a restaurant search around where someone stands.
fn radius_search(set: &Dataset, rng: &mut StdRng, today: NaiveDate) -> anyhow::Result<Search> {
    let restaurant = pick(set, rng, VendorKind::Restaurant)?;
    let cuisine = restaurant
        .vendor
        .cuisines
        .first()
        .cloned()
        .unwrap_or_else(|| "italian".into());
    let at = restaurant.vendor.location;
    let point = shared::domain::vendor::GeoPoint::new(
        at.lat + rng.random_range(-0.01..0.01),
        at.lon + rng.random_range(-0.01..0.01),
    )
    .map_err(|e| anyhow::anyhow!("a point near a restaurant: {e}"))?;
    let radius_km: f64 = [2.0, 3.0, 5.0][rng.random_range(0..3)];
    let time = ["19:00", "19:30", "20:00"][rng.random_range(0..3)];
    Ok(Search {
        params: vec![
            ("lat", format!("{:.5}", point.lat)),
            ("lon", format!("{:.5}", point.lon)),
            ("radius_km", radius_km.to_string()),
            ("cuisines", cuisine),
            ("date", day(today, rng.random_range(1..14))),
            ("time", time.to_owned()),
            ("party_size", rng.random_range(2..=4).to_string()),
        ],
        area: Area::Near { point, radius_km },
        kind: VendorKind::Restaurant,
    })
}

/// The DynamoDB index, counting the listings searches read from it.
struct Counting {
    index: DynamoSearchIndex,
    listings: AtomicU64,
}

impl SearchIndex for Counting {
    async fn upsert(&self, listing: &Listing) -> anyhow::Result<()> {
        self.index.upsert(listing).await
    }

    async fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> anyhow::Result<()> {
        self.index.mark(vendor, sold_out, free).await
    }

    async fn candidates(&self, area: &Area, filters: &Filters) -> anyhow::Result<Vec<Candidate>> {
        let found = self.index.candidates(area, filters).await?;
        self.listings
            .fetch_add(found.len() as u64, Ordering::Relaxed);
        Ok(found)
    }

    async fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> anyhow::Result<Batch> {
        let batch = self.index.read(area, filters, order, from).await?;
        self.listings
            .fetch_add(batch.candidates.len() as u64, Ordering::Relaxed);
        Ok(batch)
    }
}

#[derive(Default)]
struct Tally {
    searches: Vec<Duration>,
    queries: Vec<Duration>,
    results: usize,
    candidates: usize,
    /// Listings read from DynamoDB by the searches.
    read: u64,
    /// The cache's hits and misses over the searches.
    hits: u64,
    misses: u64,
}

async fn measure(
    index: &CachedIndex<Counting>,
    store: &DynamoStore,
    searches: &[Search],
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let (read_before, cache_before) = (
        index.inner().listings.load(Ordering::Relaxed),
        index.stats(),
    );
    let bare = &index.inner().index;
    for search in searches {
        let filters = search.kind_only();
        let started = Instant::now();
        bare.first_page(&search.area, &filters, 20).await?;
        tally.queries.push(started.elapsed());

        let request = search_event(&search.params)?;
        let started = Instant::now();
        let response = vendor_search::handler(index, store, request)
            .await
            .map_err(|e| anyhow::anyhow!("vendor_search::handler failed: {e}"))?;
        tally.searches.push(started.elapsed());
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap_or_default();
        ensure!(
            response.status() == StatusCode::OK,
            "the search answered {}: {body}",
            response.status()
        );
        tally.results += body["items"].as_array().map_or(0, Vec::len);
    }
    tally.read = index.inner().listings.load(Ordering::Relaxed) - read_before;
    let cache = index.stats();
    (tally.hits, tally.misses) = (
        cache.hits - cache_before.hits,
        cache.misses - cache_before.misses,
    );
    // What the searches would have had to look at reading the whole area, outside the timings.
    for search in searches.iter().take(50) {
        let filters = search.kind_only();
        tally.candidates += bare.candidates(&search.area, &filters).await?.len();
    }
    Ok(tally)
}

fn report(label: &str, tallies: &[(&str, &Tally)], count: usize) {
    println!("\n{label} ({count} searches)");
    println!(
        "  {:<56} {:>8} {:>8} {:>8}",
        "", "p50 ms", "p99 ms", "mean ms"
    );
    let mut queries = Vec::new();
    for (how, tally) in tallies {
        latency_row(
            &format!("GET /vendors through the handler, {how}"),
            Summary::of(&tally.searches),
        );
        queries.extend_from_slice(&tally.queries);
    }
    let query = Summary::of(&queries);
    latency_row("baseline: one DynamoDB Query (a page of 20)", query);
    for (how, tally) in tallies {
        let search = Summary::of(&tally.searches);
        println!(
            "  {how}: search / Query at p50 {:.1}x, at p99 {:.1}x; listings read per search {:.0}; cache hit rate {:.0}% ({} of {})",
            ms(search.p50) / ms(query.p50).max(f64::EPSILON),
            ms(search.p99) / ms(query.p99).max(f64::EPSILON),
            tally.read as f64 / count.max(1) as f64,
            100.0 * tally.hits as f64 / (tally.hits + tally.misses).max(1) as f64,
            tally.hits,
            tally.hits + tally.misses,
        );
    }
    if let Some((_, tally)) = tallies.first() {
        println!(
            "  results per page {:.1}; vendors of the kind in the area {:.0}",
            tally.results as f64 / count.max(1) as f64,
            tally.candidates as f64 / count.clamp(1, 50) as f64
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk)?;
    let index = DynamoSearchIndex::from_env(&sdk)?;
    let counting = |index: &DynamoSearchIndex| Counting {
        index: index.clone(),
        listings: AtomicU64::new(0),
    };
    let uncached = CachedIndex::new(counting(&index), Duration::ZERO);
    let cached = CachedIndex::from_env(counting(&index))?;
    let set = Dataset::of(settings.preset, settings.seed, settings.vendors);

    println!(
        "bench-search: data set {:?} ({} vendors, seed {})",
        set.name, set.vendors, set.seed
    );
    // The DynamoDB index whatever SEARCH_BACKEND says: it is what this bench measures.
    let seeder = Seeder {
        index: AnyIndex::Dynamo(index.clone()),
        ..Seeder::from_env(&sdk, 8)?
    };
    let seeded = seeder.seed_with_progress(&set).await?;
    if seeded.vendors > 0 {
        println!(
            "seeded {} vendors ({} rooms and tables) in {:.0} s ({:.0} vendors/s)",
            seeded.vendors,
            seeded.units,
            seeded.took.as_secs_f64(),
            seeded.vendors as f64 / seeded.took.as_secs_f64().max(0.001)
        );
    }

    let mut rng = StdRng::seed_from_u64(settings.seed);
    let today = Utc::now().date_naive();
    let city: Vec<Search> = (0..settings.queries)
        .map(|_| city_search(&set, &mut rng, today))
        .collect::<anyhow::Result<_>>()?;
    let radius: Vec<Search> = (0..settings.queries)
        .map(|_| radius_search(&set, &mut rng, today))
        .collect::<anyhow::Result<_>>()?;
    // Warm the connections and the emulator's caches first.
    measure(&uncached, &store, &city[..10.min(city.len())]).await?;

    let city_tally = measure(&uncached, &store, &city).await?;
    let radius_tally = measure(&uncached, &store, &radius).await?;
    let city_cached = measure(&cached, &store, &city).await?;
    let radius_cached = measure(&cached, &store, &radius).await?;
    report(
        "hotels: city + facility + 1-3 nights, party of 2",
        &[("no cache", &city_tally), ("warm cache", &city_cached)],
        city.len(),
    );
    report(
        "restaurants: 2-5 km radius + cuisine + date and time, party of 2-4",
        &[("no cache", &radius_tally), ("warm cache", &radius_cached)],
        radius.len(),
    );
    Ok(())
}
