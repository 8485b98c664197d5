//! The DynamoDB search index, the default locally and for deployments without an OpenSearch
//! domain. One item per vendor (`VENDOR#<id>`, `LISTING`) holds its listing and its sold-out
//! markers (a string set); four indexes find it by city (`city`) and by geohash cell at three
//! precisions (`geo3`, `geo4`, `geo5`), so a radius search queries the handful of cells covering the
//! circle, in parallel.
use super::{Area, Candidate, Filters, Listing, SearchIndex};
use crate::config::{self, ConfigError};
use crate::domain::geo;
use crate::domain::ids::VendorId;
use anyhow::Context;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeSet, HashMap};

/// How many cell queries run at once.
const PARALLEL_QUERIES: usize = 16;

#[derive(Debug, Clone)]
pub struct DynamoSearchIndex {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn cell_index(precision: usize) -> (String, String) {
    (format!("geo{precision}"), format!("g{precision}pk"))
}

fn cell_key(precision: usize, cell: &str) -> String {
    format!("G{precision}#{cell}")
}

fn city_key(city_key: &str) -> String {
    format!("CITY#{city_key}")
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

    /// Every listing under one key of one index (all pages).
    async fn query_all(
        &self,
        index: &str,
        key_name: &str,
        key: String,
        filters: &Filters,
    ) -> anyhow::Result<Vec<Candidate>> {
        let kind = serde_json::to_value(filters.kind)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#k = :k")
                .filter_expression("#l.#kind = :kind")
                .expression_attribute_names("#k", key_name)
                .expression_attribute_names("#l", "listing")
                .expression_attribute_names("#kind", "kind")
                .expression_attribute_values(":k", s(key.clone()))
                .expression_attribute_values(":kind", s(kind.clone()))
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

/// The index keys a listing is found by: its city and its cell at each indexed precision.
fn index_keys(listing: &Listing) -> Vec<(String, String)> {
    let mut keys = vec![("citypk".to_owned(), city_key(&listing.city_key))];
    for precision in geo::INDEXED_PRECISIONS {
        let (_, key_name) = cell_index(precision);
        keys.push((
            key_name,
            cell_key(precision, &geo::cell(listing.location, precision)),
        ));
    }
    keys
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
                (
                    "listing".to_owned(),
                    serde_dynamo::to_attribute_value(listing)?,
                ),
                ("vendor_id".to_owned(), s(listing.vendor_id.to_string())),
                ("stamp".to_owned(), s(stamp(listing))),
            ]);
            item.extend(index_keys(listing).into_iter().map(|(k, v)| (k, s(v))));
            items.push(item);
        }
        crate::store::batch_put(&self.client, &self.table, items).await
    }
}

fn candidate(mut item: Item) -> anyhow::Result<Candidate> {
    let listing = item
        .remove("listing")
        .context("a search item without a listing")?;
    let listing: Listing = serde_dynamo::from_attribute_value(listing)?;
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
            .expression_attribute_values(":listing", serde_dynamo::to_attribute_value(listing)?)
            .expression_attribute_values(":vendor", s(listing.vendor_id.to_string()))
            .expression_attribute_values(":stamp", s(stamp(listing)));
        let mut set = vec![
            "listing = :listing".to_owned(),
            "vendor_id = :vendor".to_owned(),
            "stamp = :stamp".to_owned(),
        ];
        for (key_name, key) in index_keys(listing) {
            let value = format!(":{key_name}");
            request = request.expression_attribute_values(&value, s(key));
            set.push(format!("{key_name} = {value}"));
        }
        let result = request
            .update_expression(format!("SET {}", set.join(", ")))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
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
        match area {
            Area::City { city_key: key } => {
                self.query_all("city", "citypk", city_key(key), filters)
                    .await
            }
            Area::Near { point, radius_km } => {
                let precision = geo::precision_for(*radius_km);
                let (index, key_name) = cell_index(precision);
                let cells = geo::covering_cells(*point, *radius_km, precision);
                let per_cell: Vec<Vec<Candidate>> = futures::stream::iter(cells)
                    .map(|cell| {
                        self.query_all(&index, &key_name, cell_key(precision, &cell), filters)
                    })
                    .buffer_unordered(PARALLEL_QUERIES)
                    .try_collect()
                    .await?;
                Ok(per_cell.into_iter().flatten().collect())
            }
        }
    }
}
