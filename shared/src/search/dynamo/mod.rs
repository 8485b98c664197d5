//! The DynamoDB search index, the default locally and for deployments without an OpenSearch
//! domain. One item per vendor (`VENDOR#<id>`, `LISTING`) holds its listing, its sold-out
//! markers (a string set) and its facets as sets; indexes find it by kind and city (`city`,
//! each city's vendors of a kind spread over a few partitions), by kind and city in price order
//! (`city_price`, sorted by the least a unit seating two costs), and by kind and geohash cell at
//! four precisions (`geo3` to `geo6`, about 156, 39, 5 and 1 km).
//!
//! A search reads only as far as its page needs: by price, the city's partitions in price
//! order, a round of listings at a time, until no unread listing can be cheaper than the page;
//! by distance, the cells covering the circle nearest first, until no unread cell can hold
//! anything nearer. Facets asked for are filtered by DynamoDB, so only listings that may match
//! come back; a few cuisines of restaurants near a point are found through cuisine pointers
//! instead (`cuisine.rs`), which a filter would otherwise read whole cells for. The listing is stored as deflated JSON (`listing_z`, about a quarter of the size
//! as a DynamoDB map), which also parses faster than a nested map.
use super::{Area, Batch, Candidate, Filters, Listing, Order, Resume, SearchIndex};
use crate::config::{self, ConfigError};
use crate::domain::geo;
use crate::domain::ids::VendorId;
use crate::domain::vendor::{GeoPoint, VendorKind};
use crate::store::attr::{Item, b, bytes, s};
use anyhow::Context;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use sha2::Digest;
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};

mod cuisine;
use cuisine::CuisineWalk;

/// How many cell queries run at once.
const PARALLEL_QUERIES: usize = 16;

/// `price_floor` (the `city_price` index's order) is the least a unit seating this many costs,
/// so it bounds every search for this many guests or more. Parties of one read the whole city.
const PRICE_FLOOR_PARTY: u16 = 2;

/// The fine cells a search by distance of up to `NEAREST_MAX_KM` walks nearest first.
const NEAREST_PRECISION: usize = 6;
const NEAREST_MAX_KM: f64 = 5.0;

/// Listings read from each city partition in a search's first round; each later round reads
/// twice as many, up to `MAX_ROUND`.
const FIRST_ROUND: i32 = 32;
const MAX_ROUND: i32 = 512;

#[derive(Debug, Clone)]
pub struct DynamoSearchIndex {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn cell_index(precision: usize) -> (String, String) {
    (format!("geo{precision}"), format!("g{precision}pk"))
}

fn kind_name(kind: VendorKind) -> &'static str {
    match kind {
        VendorKind::Hotel => "hotel",
        VendorKind::Restaurant => "restaurant",
    }
}

fn cell_key(kind: VendorKind, precision: usize, cell: &str) -> String {
    format!("G{precision}#{}#{cell}", kind_name(kind))
}

/// A city's vendors of one kind are spread over this many partitions, read in parallel: a big
/// city's thousands of listings come back several times faster than from one partition read
/// page after page.
const CITY_SHARDS: u32 = 4;

fn city_key(kind: VendorKind, city_key: &str, shard: u32) -> String {
    format!("CITY#{}#{city_key}#{shard}", kind_name(kind))
}

/// Which of its city's partitions a vendor is in: from its id, so it never moves.
fn city_shard(vendor: VendorId) -> u32 {
    let digest = sha2::Sha256::digest(vendor.to_string().as_bytes());
    u32::from(digest[0]) % CITY_SHARDS
}

/// The listing as stored: deflated JSON.
fn pack(listing: &Listing) -> anyhow::Result<AttributeValue> {
    let json = serde_json::to_vec(listing)?;
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(json.len() / 3),
        flate2::Compression::fast(),
    );
    encoder.write_all(&json)?;
    Ok(b(encoder.finish()?))
}

fn unpack(packed: &[u8]) -> anyhow::Result<Listing> {
    let mut json = Vec::with_capacity(packed.len() * 4);
    flate2::read::DeflateDecoder::new(packed)
        .read_to_end(&mut json)
        .context("inflating a search listing")?;
    serde_json::from_slice(&json).context("reading a search listing")
}

/// The index and key attribute of an area's first partition (its city, or the cell holding
/// its centre).
fn first_partition(area: &Area, kind: VendorKind) -> (String, String, String) {
    match area {
        Area::City { city_key: key } => ("city".into(), "citypk".into(), city_key(kind, key, 0)),
        Area::Near { point, radius_km } => {
            let precision = geo::precision_for(*radius_km);
            let (index, key_name) = cell_index(precision);
            let cell = geo::cell(*point, precision);
            (index, key_name, cell_key(kind, precision, &cell))
        }
    }
}

impl DynamoSearchIndex {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    /// The table from `SEARCH_TABLE`.
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config::required("SEARCH_TABLE")?,
        ))
    }

    /// One page of the area's first partition (its city, or the cell holding its centre): a
    /// single Query, the least any search of the area could cost. For benchmarks.
    pub async fn first_page(
        &self,
        area: &Area,
        filters: &Filters,
        limit: i32,
    ) -> anyhow::Result<Vec<Candidate>> {
        let (index, key_name, key) = first_partition(area, filters.kind);
        let output = self
            .partition(&index, &key_name, key)
            .limit(limit)
            .send()
            .await
            .context("Query search index (one page)")?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(candidate)
            .collect()
    }

    /// A Query of one partition of an index.
    fn partition(&self, index: &str, key_name: &str, key: String) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#k = :k")
            .expression_attribute_names("#k", key_name)
            .expression_attribute_values(":k", s(key))
    }

    /// Every listing under one key of one index (all pages) that may pass the filters.
    async fn query_all(
        &self,
        index: &str,
        key_name: &str,
        key: String,
        filters: &Filters,
    ) -> anyhow::Result<Vec<Candidate>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = filtered(self.partition(index, key_name, key.clone()), filters)
                .set_exclusive_start_key(start)
                .send()
                .await
                .with_context(|| format!("Query search index {index}"))?;
            for item in output.items.unwrap_or_default() {
                found.push(candidate(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}

/// The facets asked for as a filter: DynamoDB still reads the rest, but hands back only the
/// listings that may match (the rules in `search` decide).
fn filtered(mut query: QueryFluentBuilder, filters: &Filters) -> QueryFluentBuilder {
    let mut clauses = Vec::new();
    if !filters.facilities.is_empty() {
        query = query.expression_attribute_names("#facilities", "facilities");
        for (i, facility) in filters.facilities.iter().enumerate() {
            query = query.expression_attribute_values(format!(":f{i}"), s(facility.to_lowercase()));
            clauses.push(format!("contains(#facilities, :f{i})"));
        }
    }
    if !filters.cuisines.is_empty() {
        query = query.expression_attribute_names("#cuisines", "cuisines");
        let mut any = Vec::new();
        for (i, cuisine) in filters.cuisines.iter().enumerate() {
            query = query.expression_attribute_values(format!(":c{i}"), s(cuisine.to_lowercase()));
            any.push(format!("contains(#cuisines, :c{i})"));
        }
        clauses.push(format!("({})", any.join(" OR ")));
    }
    if clauses.is_empty() {
        query
    } else {
        query.filter_expression(clauses.join(" AND "))
    }
}

/// How far a search's read of an area has got.
#[derive(Debug, Clone)]
enum Scan {
    /// The city's partitions of `city_price`, each in price order; a round reads each once.
    City { shards: Vec<Shard>, round: u32 },
    /// The cells covering the circle, nearest first.
    Cells(Walk),
    /// The pointers of the cuisines asked for in the cells covering the circle, nearest first.
    Cuisine(CuisineWalk),
}

/// A walk over cells nearest first. Fine cells find the nearest few quickly where vendors are
/// dense; where they are sparse, one round of them is followed by the coarse cells of the
/// whole circle, so a page that never fills does not cost a query per fine cell.
#[derive(Debug, Clone)]
struct Walk {
    index: String,
    key_name: String,
    /// Each with the least distance from the point to it; those from `next` on are unread.
    cells: Vec<(f64, String)>,
    next: usize,
    /// The coarse walk that takes over after the first round.
    then: Option<Box<Walk>>,
    /// Everything unread lies at least this far (the fine cells left when the coarse took over).
    at_least: f64,
    /// Vendors already handed over (a coarse cell holds fine cells already read).
    handed: BTreeSet<VendorId>,
}

impl Walk {
    fn new(
        point: GeoPoint,
        radius_km: f64,
        from: GeoPoint,
        kind: VendorKind,
        precision: usize,
    ) -> Self {
        let (index, key_name) = cell_index(precision);
        let mut cells: Vec<(f64, String)> = geo::covering_cells(point, radius_km, precision)
            .into_iter()
            // A cell wholly outside the circle holds nothing to find.
            .filter(|cell| nearest_km(point, cell) <= radius_km)
            .map(|cell| (nearest_km(from, &cell), cell_key(kind, precision, &cell)))
            .collect();
        cells.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self {
            index,
            key_name,
            cells,
            next: 0,
            then: None,
            at_least: 0.0,
            handed: BTreeSet::new(),
        }
    }

    /// The least distance of anything unread; `None`: all is read.
    fn floor(&self) -> Option<f64> {
        self.cells
            .get(self.next)
            .map(|(km, _)| km.max(self.at_least))
    }
}

#[derive(Debug, Clone)]
struct Shard {
    key: String,
    /// Where the next page starts; `None` with `done` false: at the beginning.
    start: Option<Item>,
    /// The price floor of the last listing read: the unread ones are at or above it.
    floor: f64,
    done: bool,
}

impl Scan {
    /// The ordered read of an area, where the index keeps the order asked for.
    fn start(area: &Area, filters: &Filters, order: &Order) -> Option<Self> {
        let kind = filters.kind;
        match (area, order) {
            (Area::City { city_key: key }, Order::Price { party })
                if *party >= PRICE_FLOOR_PARTY =>
            {
                Some(Self::City {
                    shards: (0..CITY_SHARDS)
                        .map(|shard| Shard {
                            key: city_key(kind, key, shard),
                            start: None,
                            floor: 0.0,
                            done: false,
                        })
                        .collect(),
                    round: 0,
                })
            }
            (Area::Near { point, radius_km }, Order::Distance { from, beyond_km }) => {
                if let Some(walk) = CuisineWalk::new(*point, *radius_km, *from, *beyond_km, filters)
                {
                    return Some(Self::Cuisine(walk));
                }
                let coarse = Walk::new(
                    *point,
                    *radius_km,
                    *from,
                    kind,
                    geo::precision_for(*radius_km),
                );
                if *radius_km > NEAREST_MAX_KM {
                    return Some(Self::Cells(coarse));
                }
                Some(Self::Cells(Walk {
                    then: Some(Box::new(coarse)),
                    ..Walk::new(*point, *radius_km, *from, kind, NEAREST_PRECISION)
                }))
            }
            _ => None,
        }
    }
}

/// At most the distance from `from` to the nearest point of a geohash cell.
fn nearest_km(from: GeoPoint, cell: &str) -> f64 {
    let Ok(bbox) = geohash::decode_bbox(cell) else {
        return 0.0;
    };
    let (lat, lon) = (
        from.lat.clamp(bbox.min().y, bbox.max().y),
        from.lon.clamp(bbox.min().x, bbox.max().x),
    );
    // Across the antimeridian the clamped point is not the nearest: claim nothing.
    if (from.lon - lon).abs() > 180.0 {
        return 0.0;
    }
    let Ok(edge) = GeoPoint::new(lat, lon) else {
        return 0.0;
    };
    // On the sphere the nearest point of a cell's side lies a hair off the clamped one: the
    // margin keeps this a floor.
    (geo::distance_km(from, edge) * 0.999 - 0.001).max(0.0)
}

fn number(value: Option<&AttributeValue>) -> anyhow::Result<f64> {
    match value {
        Some(AttributeValue::N(n)) => n.parse().context("a price floor"),
        _ => anyhow::bail!("a city_price key without its price floor"),
    }
}

impl DynamoSearchIndex {
    /// One round of a city read in price order: a page of each partition not read to its end.
    async fn city_round(
        &self,
        mut shards: Vec<Shard>,
        round: u32,
        filters: &Filters,
    ) -> anyhow::Result<Batch> {
        let limit = FIRST_ROUND.saturating_mul(1 << round.min(8)).min(MAX_ROUND);
        let reads = shards
            .iter()
            .enumerate()
            .filter(|(_, shard)| !shard.done)
            .map(|(i, shard)| {
                let query = filtered(
                    self.partition("city_price", "citypk", shard.key.clone()),
                    filters,
                )
                .limit(limit)
                .set_exclusive_start_key(shard.start.clone());
                async move {
                    let output = query
                        .send()
                        .await
                        .context("Query search index city_price")?;
                    anyhow::Ok((i, output))
                }
            });
        let mut candidates = Vec::new();
        for (i, output) in futures::future::try_join_all(reads).await? {
            for item in output.items.unwrap_or_default() {
                candidates.push(candidate(item)?);
            }
            let Some(shard) = shards.get_mut(i) else {
                continue;
            };
            match output.last_evaluated_key {
                Some(last) => {
                    shard.floor = number(last.get("price_floor"))?;
                    shard.start = Some(last);
                }
                None => shard.done = true,
            }
        }
        let floor = shards
            .iter()
            .filter(|shard| !shard.done)
            .map(|shard| shard.floor)
            .min_by(f64::total_cmp);
        Ok(Batch {
            candidates,
            rest: floor.map(|floor| {
                (
                    floor,
                    Resume::new(Scan::City {
                        shards,
                        round: round + 1,
                    }),
                )
            }),
        })
    }

    /// One round of a read by distance: the next few cells, at once.
    async fn cells_round(&self, mut walk: Walk, filters: &Filters) -> anyhow::Result<Batch> {
        let upto = (walk.next + PARALLEL_QUERIES).min(walk.cells.len());
        let keys: Vec<String> = walk
            .cells
            .get(walk.next..upto)
            .unwrap_or_default()
            .iter()
            .map(|(_, key)| key.clone())
            .collect();
        let per_cell: Vec<Vec<Candidate>> = futures::stream::iter(keys)
            .map(|key| self.query_all(&walk.index, &walk.key_name, key, filters))
            .buffer_unordered(PARALLEL_QUERIES)
            .try_collect()
            .await?;
        let candidates: Vec<Candidate> = per_cell
            .into_iter()
            .flatten()
            .filter(|c| walk.handed.insert(c.listing.vendor_id))
            .collect();
        walk.next = upto;
        if let (Some(left), Some(coarse)) = (walk.floor(), walk.then.take()) {
            walk = Walk {
                at_least: left,
                handed: std::mem::take(&mut walk.handed),
                ..*coarse
            };
        }
        Ok(Batch {
            candidates,
            rest: walk
                .floor()
                .map(|floor| (floor, Resume::new(Scan::Cells(walk)))),
        })
    }
}

/// The index keys a listing is found by: its kind with its city, and with its cell at each
/// indexed precision.
fn index_keys(listing: &Listing) -> Vec<(String, String)> {
    let mut keys = vec![(
        "citypk".to_owned(),
        city_key(
            listing.kind,
            &listing.city_key,
            city_shard(listing.vendor_id),
        ),
    )];
    for precision in geo::INDEXED_PRECISIONS
        .into_iter()
        .chain([NEAREST_PRECISION])
    {
        let (_, key_name) = cell_index(precision);
        keys.push((
            key_name,
            cell_key(
                listing.kind,
                precision,
                &geo::cell(listing.location, precision),
            ),
        ));
    }
    keys
}

/// The attributes searches filter and order on, each absent without a value (a set cannot be
/// empty, and a listing with no type seating two stays out of `city_price`).
fn facets(listing: &Listing) -> [(&'static str, Option<AttributeValue>); 3] {
    let set = |values: &[String]| {
        let lower: BTreeSet<String> = values.iter().map(|v| v.to_lowercase()).collect();
        (!lower.is_empty()).then(|| AttributeValue::Ss(lower.into_iter().collect()))
    };
    [
        (
            "price_floor",
            listing
                .price_floor(PRICE_FLOOR_PARTY)
                .map(|floor| AttributeValue::N(floor.to_string())),
        ),
        ("facilities", set(&listing.facilities)),
        ("cuisines", set(&listing.cuisines)),
    ]
}

fn stamp(listing: &Listing) -> String {
    listing
        .stamp
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

impl DynamoSearchIndex {
    /// Writes listings of vendors the index does not have yet (no stamp check): for seeding,
    /// where nothing else writes these vendors.
    pub async fn put_new(&self, listings: &[Listing]) -> anyhow::Result<()> {
        let mut items = Vec::with_capacity(listings.len());
        for listing in listings {
            let mut item: Item = HashMap::from([
                ("pk".to_owned(), s(format!("VENDOR#{}", listing.vendor_id))),
                ("sk".to_owned(), s("LISTING")),
                ("listing_z".to_owned(), pack(listing)?),
                ("vendor_id".to_owned(), s(listing.vendor_id.to_string())),
                ("stamp".to_owned(), s(stamp(listing))),
            ]);
            item.extend(index_keys(listing).into_iter().map(|(k, v)| (k, s(v))));
            item.extend(
                facets(listing)
                    .into_iter()
                    .filter_map(|(name, value)| Some((name.to_owned(), value?))),
            );
            items.push(item);
            items.extend(cuisine::pointers(listing, &stamp(listing)));
        }
        crate::store::batch_put(&self.client, &self.table, items).await
    }
}

fn candidate(mut item: Item) -> anyhow::Result<Candidate> {
    let listing = unpack(bytes(&item, "a search item", "listing_z")?)?;
    let sold_out = match item.remove("sold_out") {
        Some(AttributeValue::Ss(keys)) => keys.into_iter().collect(),
        _ => BTreeSet::new(),
    };
    Ok(Candidate { listing, sold_out })
}

impl SearchIndex for DynamoSearchIndex {
    async fn upsert(&self, listing: &Listing) -> anyhow::Result<()> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("VENDOR#{}", listing.vendor_id)))
            .key("sk", s("LISTING"))
            // Fixed-width UTC instants, so comparing the strings compares the times.
            .condition_expression("attribute_not_exists(stamp) OR stamp <= :stamp")
            .expression_attribute_values(":listing", pack(listing)?)
            .expression_attribute_values(":vendor", s(listing.vendor_id.to_string()))
            .expression_attribute_values(":stamp", s(stamp(listing)));
        let mut set = vec![
            "listing_z = :listing".to_owned(),
            "vendor_id = :vendor".to_owned(),
            "stamp = :stamp".to_owned(),
        ];
        for (key_name, key) in index_keys(listing) {
            let value = format!(":{key_name}");
            request = request.expression_attribute_values(&value, s(key));
            set.push(format!("{key_name} = {value}"));
        }
        let mut remove = Vec::new();
        for (name, value) in facets(listing) {
            match value {
                Some(value) => {
                    request = request.expression_attribute_values(format!(":{name}"), value);
                    set.push(format!("{name} = :{name}"));
                }
                None => remove.push(name),
            }
        }
        let remove = if remove.is_empty() {
            String::new()
        } else {
            format!(" REMOVE {}", remove.join(", "))
        };
        let result = request
            .update_expression(format!("SET {}{remove}", set.join(", ")))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                // The listing replaced, if any: its cuisines' pointers may have to go.
                let before = match output.attributes.as_ref().and_then(|a| a.get("listing_z")) {
                    Some(AttributeValue::B(packed)) => Some(unpack(packed.as_ref())?),
                    _ => None,
                };
                self.repoint(listing, before.as_ref(), &stamp(listing))
                    .await
            }
            Err(err) => match err.into_service_error() {
                // The index already has a newer listing: ours is stale.
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("UpdateItem search listing")),
            },
        }
    }

    async fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> anyhow::Result<()> {
        // One action per attribute per update: adding and removing are two updates.
        for (action, keys) in [("ADD", sold_out), ("DELETE", free)] {
            if keys.is_empty() {
                continue;
            }
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(format!("VENDOR#{vendor}")))
                .key("sk", s("LISTING"))
                .update_expression(format!("{action} sold_out :keys"))
                .expression_attribute_values(":keys", AttributeValue::Ss(keys.to_vec()))
                .send()
                .await
                .with_context(|| format!("UpdateItem sold-out markers ({action})"))?;
        }
        Ok(())
    }

    async fn candidates(&self, area: &Area, filters: &Filters) -> anyhow::Result<Vec<Candidate>> {
        let (index, key_name, keys) = match area {
            Area::City { city_key: key } => (
                "city".to_owned(),
                "citypk".to_owned(),
                (0..CITY_SHARDS)
                    .map(|shard| city_key(filters.kind, key, shard))
                    .collect::<Vec<_>>(),
            ),
            Area::Near { point, radius_km } => {
                let precision = geo::precision_for(*radius_km);
                let (index, key_name) = cell_index(precision);
                let cells = geo::covering_cells(*point, *radius_km, precision);
                let keys = cells
                    .iter()
                    .map(|cell| cell_key(filters.kind, precision, cell))
                    .collect();
                (index, key_name, keys)
            }
        };
        let per_key: Vec<Vec<Candidate>> = futures::stream::iter(keys)
            .map(|key| self.query_all(&index, &key_name, key, filters))
            .buffer_unordered(PARALLEL_QUERIES)
            .try_collect()
            .await?;
        Ok(per_key.into_iter().flatten().collect())
    }

    async fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> anyhow::Result<Batch> {
        let scan = match from {
            Some(resume) => resume
                .get::<Scan>()
                .cloned()
                .context("a search resumed from another index's read")?,
            None => match Scan::start(area, filters, order) {
                Some(scan) => scan,
                None => {
                    return Ok(Batch {
                        candidates: self.candidates(area, filters).await?,
                        rest: None,
                    });
                }
            },
        };
        match scan {
            Scan::City { shards, round } => self.city_round(shards, round, filters).await,
            Scan::Cells(walk) => self.cells_round(walk, filters).await,
            Scan::Cuisine(walk) => self.cuisine_round(walk).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_citys_vendors_spread_over_every_shard_and_each_stays_in_its_own() {
        let vendors: Vec<VendorId> = (0..400).map(|_| VendorId::generate()).collect();
        let mut per_shard = [0u32; CITY_SHARDS as usize];
        for vendor in &vendors {
            per_shard[city_shard(*vendor) as usize] += 1;
            assert_eq!(city_shard(*vendor), city_shard(*vendor));
        }
        // 100 each on average; a shard with under half that would mean a skewed split.
        assert!(per_shard.iter().all(|n| *n > 50), "{per_shard:?}");
        assert_eq!(
            city_key(VendorKind::Hotel, "DE#berlin", 3),
            "CITY#hotel#DE#berlin#3"
        );
    }

    #[test]
    fn listings_pack_and_unpack_to_the_same_listing() {
        let listing: Listing = serde_json::from_value(serde_json::json!({
            "vendor_id": "0195a1b2-0000-7000-8000-000000000001",
            "kind": "hotel",
            "name": "Hotel Packed",
            "city": "Berlin",
            "city_key": "DE#berlin",
            "country": "DE",
            "location": {"lat": 52.5, "lon": 13.4},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": ["wifi"],
            "cuisines": [],
            "resources": [],
            "stamp": "2026-05-01T10:00:00Z",
        }))
        .unwrap();

        let AttributeValue::B(packed) = pack(&listing).unwrap() else {
            panic!("a listing packs into a binary attribute");
        };

        assert_eq!(unpack(packed.as_ref()).unwrap(), listing);
        assert!(unpack(b"not deflate").is_err());
    }
}
