//! The OpenSearch search index (Amazon OpenSearch Service, signed with SigV4, or any local
//! engine): one document per vendor, id = vendor id, holding the facets searched on, the whole
//! listing (stored, not indexed) and its sold-out markers. Writes are painless scripts, so an
//! older listing never replaces a newer one and markers survive a new listing.
use super::{Area, Candidate, Filters, Listing, SearchIndex};
use crate::config::{self, ConfigError};
use crate::domain::ids::VendorId;
use crate::domain::resource::ResourceKind;
use crate::domain::vendor::{CountryCode, GeoPoint, VendorKind};
use anyhow::Context;
use opensearch::http::request::JsonBody;
use opensearch::http::response::Response;
use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::http::{StatusCode, Url};
use opensearch::indices::{IndicesCreateParts, IndicesExistsParts, IndicesRefreshParts};
use opensearch::{BulkParts, OpenSearch, SearchParts, UpdateParts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Hits per search request while paging through an area.
const PAGE_SIZE: usize = 500;
/// Listings per `_bulk` request: a few MB, well under the service's 10 MB request limit.
const BULK_BATCH: usize = 200;
/// Rounds of retrying bulk items the cluster rejected as too busy (429).
const BULK_ATTEMPTS: u32 = 8;
/// The update API re-reads and re-runs the script when a concurrent write won.
const RETRIES_ON_CONFLICT: i64 = 5;
/// Added to a search radius: the engine measures from its quantized copy of each point, and a
/// vendor right on the edge must not be lost (the real distance is checked afterwards).
const RADIUS_MARGIN_KM: f64 = 0.01;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Replaces the document's fields with the listing's unless the stored one is newer. Stamps
/// are fixed-width UTC instants, so comparing the strings compares the times. Fields not in the
/// listing's document (`sold_out`) are kept.
const UPSERT_SCRIPT: &str = "\
def current = ctx._source.stamp; \
if (current != null && current.compareTo(params.document.stamp) > 0) { ctx.op = 'none'; } \
else { ctx._source.putAll(params.document); }";

/// Adds `params.sold_out` to the markers, then removes `params.free`; writes nothing when the
/// markers do not change.
const MARK_SCRIPT: &str = "\
def keys = new TreeSet(); \
if (ctx._source.sold_out != null) { keys.addAll(ctx._source.sold_out); } \
def before = new TreeSet(); before.addAll(keys); \
keys.addAll(params.sold_out); keys.removeAll(params.free); \
if (keys.equals(before)) { ctx.op = 'none'; } \
else { ctx._source.sold_out = new ArrayList(keys); }";

#[derive(Debug, Clone)]
pub struct OpenSearchIndex {
    client: OpenSearch,
    index: String,
}

/// What the index keeps of a vendor: the fields searched on (facets lowercased, as the search
/// rules compare them) and the listing itself. The sold-out markers are written by `mark` only.
#[derive(Debug, Serialize)]
struct Document<'a> {
    vendor_id: String,
    kind: VendorKind,
    name: &'a str,
    name_words: Vec<String>,
    city_key: &'a str,
    country: &'a CountryCode,
    location: GeoPoint,
    facilities: BTreeSet<String>,
    cuisines: BTreeSet<String>,
    resources: Vec<ResourceFacets>,
    stamp: String,
    listing: &'a Listing,
}

#[derive(Debug, Serialize)]
struct ResourceFacets {
    kind: ResourceKind,
    capacity: u16,
    amenities: BTreeSet<String>,
}

impl<'a> Document<'a> {
    fn of(listing: &'a Listing) -> Self {
        Self {
            vendor_id: listing.vendor_id.to_string(),
            kind: listing.kind,
            name: listing.name.as_str(),
            name_words: super::name_words(listing.name.as_str()),
            city_key: &listing.city_key,
            country: &listing.country,
            location: listing.location,
            facilities: super::lowercase(&listing.facilities),
            cuisines: super::lowercase(&listing.cuisines),
            resources: listing
                .resources
                .iter()
                .map(|r| ResourceFacets {
                    kind: r.kind,
                    capacity: r.capacity.get(),
                    amenities: super::lowercase(&r.amenities),
                })
                .collect(),
            stamp: listing
                .stamp
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            listing,
        }
    }
}

/// The index's settings and mapping. `dynamic: strict` refuses a field the mapping does not
/// know, so a document can never quietly grow an unsearchable (or wrongly typed) field.
fn index_definition() -> Value {
    let keyword = json!({"type": "keyword"});
    json!({
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "vendor_id": keyword,
                "kind": keyword,
                "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
                // The name's words as the search rules split them, so a prefix here means
                // exactly what it means there.
                "name_words": keyword,
                "city_key": keyword,
                "country": keyword,
                "location": {"type": "geo_point"},
                "facilities": keyword,
                "cuisines": keyword,
                "resources": {
                    "type": "nested",
                    "properties": {
                        "kind": keyword,
                        "capacity": {"type": "integer"},
                        "amenities": keyword,
                    },
                },
                "stamp": {"type": "date"},
                "sold_out": keyword,
                "listing": {"type": "object", "enabled": false},
            },
        },
    })
}

/// The filter for an area and the facets the index can check itself: the kind, the city or the
/// circle, every facility, any of the cuisines, a word of the name starting with each word asked.
fn candidates_query(area: &Area, filters: &Filters) -> Value {
    let mut clauses = vec![json!({"term": {"kind": filters.kind}})];
    clauses.push(match area {
        Area::City { city_key } => json!({"term": {"city_key": city_key}}),
        Area::Near { point, radius_km } => json!({
            "geo_distance": {
                "distance": format!("{}km", radius_km + RADIUS_MARGIN_KM),
                "location": {"lat": point.lat, "lon": point.lon},
            }
        }),
    });
    for facility in super::lowercase(&filters.facilities) {
        clauses.push(json!({"term": {"facilities": facility}}));
    }
    if !filters.cuisines.is_empty() {
        clauses.push(json!({"terms": {"cuisines": super::lowercase(&filters.cuisines)}}));
    }
    for word in &filters.name {
        clauses.push(json!({"prefix": {"name_words": word}}));
    }
    json!({"bool": {"filter": clauses}})
}

/// One page of candidates, after the sort values of the previous page's last hit. Sorted by the
/// vendor id (a keyword with doc values, unique per document), so the pages neither overlap nor
/// skip a document that was there when the search began.
fn page_body(query: &Value, after: Option<&[Value]>) -> Value {
    let mut body = json!({
        "size": PAGE_SIZE,
        "query": query,
        "sort": [{"vendor_id": "asc"}],
        "_source": ["listing", "sold_out"],
        "track_total_hits": false,
    });
    if let Some(after) = after {
        body["search_after"] = json!(after);
    }
    body
}

fn upsert_body(listing: &Listing) -> anyhow::Result<Value> {
    Ok(json!({
        "scripted_upsert": true,
        "script": {
            "lang": "painless",
            "source": UPSERT_SCRIPT,
            "params": {"document": serde_json::to_value(Document::of(listing))?},
        },
        "upsert": {},
    }))
}

/// Like the DynamoDB index, markers for a vendor not listed yet are kept (in a document with
/// markers only, which no search finds) until its listing arrives.
fn mark_body(sold_out: &[String], free: &[String]) -> Value {
    json!({
        "scripted_upsert": true,
        "script": {
            "lang": "painless",
            "source": MARK_SCRIPT,
            "params": {"sold_out": sold_out, "free": free},
        },
        "upsert": {},
    })
}

/// The NDJSON lines of a `_bulk` request indexing these listings: an action line, then the
/// document, per listing.
fn bulk_lines(listings: &[&Listing]) -> anyhow::Result<Vec<Value>> {
    let mut lines = Vec::with_capacity(listings.len() * 2);
    for listing in listings {
        lines.push(json!({"index": {"_id": listing.vendor_id.to_string()}}));
        lines.push(serde_json::to_value(Document::of(listing))?);
    }
    Ok(lines)
}

#[derive(Debug, Deserialize)]
struct SearchResponse {
    hits: SearchHits,
}

#[derive(Debug, Deserialize)]
struct SearchHits {
    hits: Vec<SearchHit>,
}

#[derive(Debug, Deserialize)]
struct SearchHit {
    #[serde(rename = "_source")]
    source: Stored,
    #[serde(default)]
    sort: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Stored {
    listing: Listing,
    #[serde(default)]
    sold_out: BTreeSet<String>,
}

#[derive(Debug, Deserialize)]
struct BulkResponse {
    errors: bool,
    /// One map per action, keyed by the action (`index`).
    items: Vec<BTreeMap<String, BulkItem>>,
}

#[derive(Debug, Deserialize)]
struct BulkItem {
    #[serde(rename = "_id")]
    id: String,
    status: u16,
    #[serde(default)]
    error: Option<Value>,
}

/// The items of a bulk response that failed, with their status and OpenSearch's error.
fn bulk_failures(response: BulkResponse) -> Vec<BulkItem> {
    if !response.errors {
        return Vec::new();
    }
    response
        .items
        .into_iter()
        .flat_map(BTreeMap::into_values)
        .filter(|item| item.error.is_some() || item.status >= 300)
        .collect()
}

/// The response if OpenSearch accepted the request; otherwise an error with its status and
/// what it said (the error type and reason), for the logs.
async fn accepted(response: Response, action: &str) -> anyhow::Result<Response> {
    let status = response.status_code();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let said: String = body.chars().take(1_000).collect();
    anyhow::bail!("OpenSearch {action}: {status}: {said}")
}

fn is_aws_domain(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|host| host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
}

impl OpenSearchIndex {
    pub fn new(client: OpenSearch, index: impl Into<String>) -> Self {
        Self {
            client,
            index: index.into(),
        }
    }

    /// The index `OPENSEARCH_INDEX` (default `vendors`) at `OPENSEARCH_URL`.
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Self::client_from_env(sdk)?,
            config::optional("OPENSEARCH_INDEX", "vendors".to_owned())?,
        ))
    }

    /// A client for `OPENSEARCH_URL`. Requests are signed with SigV4 (service `es`, with the
    /// SDK's credentials and region) when `OPENSEARCH_SIGV4` is true, by default when the URL is
    /// an Amazon OpenSearch Service domain; a local engine gets plain unsigned requests.
    pub fn client_from_env(sdk: &crate::aws::SdkConfig) -> Result<OpenSearch, ConfigError> {
        let url =
            Url::parse(&config::required("OPENSEARCH_URL")?).map_err(|e| ConfigError::Invalid {
                name: "OPENSEARCH_URL",
                reason: e.to_string(),
            })?;
        let sign = config::optional("OPENSEARCH_SIGV4", is_aws_domain(&url))?;
        let mut transport =
            TransportBuilder::new(SingleNodeConnectionPool::new(url)).timeout(REQUEST_TIMEOUT);
        if sign {
            let credentials =
                opensearch::auth::Credentials::try_from(sdk).map_err(|e| ConfigError::Invalid {
                    name: "OPENSEARCH_SIGV4",
                    reason: format!("signing needs AWS credentials and a region: {e}"),
                })?;
            transport = transport.auth(credentials).service_name("es");
        }
        let transport = transport.build().map_err(|e| ConfigError::Invalid {
            name: "OPENSEARCH_URL",
            reason: e.to_string(),
        })?;
        Ok(OpenSearch::new(transport))
    }

    /// Creates the index with its mapping unless it exists. Writes to a missing index would
    /// create it with guessed field types (a `location` that is no `geo_point`), so whatever
    /// writes runs this first.
    pub async fn ensure_index(&self) -> anyhow::Result<()> {
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[&self.index]))
            .send()
            .await
            .context("OpenSearch index exists")?;
        match exists.status_code() {
            StatusCode::OK => return Ok(()),
            StatusCode::NOT_FOUND => {}
            _ => {
                accepted(exists, "index exists").await?;
            }
        }
        let created = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(&self.index))
            .body(index_definition())
            .send()
            .await
            .context("OpenSearch create index")?;
        if created.status_code() == StatusCode::BAD_REQUEST {
            // Another cold start created it first.
            let said: Value = created.json().await.unwrap_or_default();
            if said["error"]["type"] == "resource_already_exists_exception" {
                return Ok(());
            }
            anyhow::bail!("OpenSearch create index {}: {said}", self.index);
        }
        accepted(created, "create index").await?;
        Ok(())
    }

    /// Makes every write so far visible to searches now rather than at the next periodic
    /// refresh (about a second): for seeding and tests.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .indices()
            .refresh(IndicesRefreshParts::Index(&[&self.index]))
            .send()
            .await
            .context("OpenSearch refresh")?;
        accepted(response, "refresh").await?;
        Ok(())
    }

    /// Writes listings of vendors the index does not have yet (no stamp check) with the bulk
    /// API: for seeding, where nothing else writes these vendors. Items the cluster is too busy
    /// for are retried; any other failed item fails the call, naming the vendors.
    pub async fn put_new(&self, listings: &[Listing]) -> anyhow::Result<()> {
        for chunk in listings.chunks(BULK_BATCH) {
            let mut pending: Vec<&Listing> = chunk.iter().collect();
            for attempt in 0..BULK_ATTEMPTS {
                let failures = self.bulk_index(&pending).await?;
                let (busy, failed): (Vec<BulkItem>, Vec<BulkItem>) = failures
                    .into_iter()
                    .partition(|item| item.status == StatusCode::TOO_MANY_REQUESTS.as_u16());
                if !failed.is_empty() {
                    let named: Vec<String> = failed
                        .iter()
                        .map(|item| {
                            let reason = item.error.as_ref().map_or(
                                Value::Null,
                                |e| json!({"type": e["type"], "reason": e["reason"]}),
                            );
                            format!("{} ({}: {reason})", item.id, item.status)
                        })
                        .collect();
                    anyhow::bail!(
                        "OpenSearch bulk: {} of {} listings failed: {}",
                        failed.len(),
                        pending.len(),
                        named.join("; ")
                    );
                }
                let busy: BTreeSet<String> = busy.into_iter().map(|item| item.id).collect();
                pending.retain(|listing| busy.contains(&listing.vendor_id.to_string()));
                if pending.is_empty() {
                    break;
                }
                crate::store::jittered_pause(attempt).await;
            }
            anyhow::ensure!(
                pending.is_empty(),
                "OpenSearch kept rejecting {} listings as too busy",
                pending.len()
            );
        }
        Ok(())
    }

    /// One `_bulk` request; the items that failed.
    async fn bulk_index(&self, listings: &[&Listing]) -> anyhow::Result<Vec<BulkItem>> {
        let body: Vec<JsonBody<Value>> = bulk_lines(listings)?
            .into_iter()
            .map(JsonBody::new)
            .collect();
        let response = self
            .client
            .bulk(BulkParts::Index(&self.index))
            .body(body)
            .send()
            .await
            .context("OpenSearch bulk")?;
        let response: BulkResponse = accepted(response, "bulk")
            .await?
            .json()
            .await
            .context("OpenSearch bulk response")?;
        Ok(bulk_failures(response))
    }

    async fn update(&self, vendor: VendorId, body: Value, action: &str) -> anyhow::Result<()> {
        let id = vendor.to_string();
        let response = self
            .client
            .update(UpdateParts::IndexId(&self.index, &id))
            .retry_on_conflict(RETRIES_ON_CONFLICT)
            .body(body)
            .send()
            .await
            .with_context(|| format!("OpenSearch update ({action})"))?;
        accepted(response, action).await?;
        Ok(())
    }
}

impl SearchIndex for OpenSearchIndex {
    async fn upsert(&self, listing: &Listing) -> anyhow::Result<()> {
        self.update(listing.vendor_id, upsert_body(listing)?, "listing")
            .await
    }

    async fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> anyhow::Result<()> {
        if sold_out.is_empty() && free.is_empty() {
            return Ok(());
        }
        self.update(vendor, mark_body(sold_out, free), "sold-out markers")
            .await
    }

    async fn candidates(&self, area: &Area, filters: &Filters) -> anyhow::Result<Vec<Candidate>> {
        let query = candidates_query(area, filters);
        let mut found = Vec::new();
        let mut after: Option<Vec<Value>> = None;
        loop {
            let response = self
                .client
                .search(SearchParts::Index(&[&self.index]))
                .body(page_body(&query, after.as_deref()))
                .send()
                .await
                .context("OpenSearch search")?;
            let page: SearchResponse = accepted(response, "search")
                .await?
                .json()
                .await
                .context("OpenSearch search response")?;
            let full = page.hits.hits.len() == PAGE_SIZE;
            after = page.hits.hits.last().map(|hit| hit.sort.clone());
            found.extend(page.hits.hits.into_iter().map(|hit| Candidate {
                listing: hit.source.listing,
                sold_out: hit.source.sold_out,
            }));
            if !full {
                return Ok(found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-05-01T10:00:00Z";
    const VENDOR: &str = "0195a1b2-0000-7000-8000-000000000001";

    fn listing(stamp: &str) -> Listing {
        serde_json::from_value(json!({
            "vendor_id": VENDOR,
            "kind": "restaurant",
            "name": "Trattoria Uno",
            "city": "Berlin",
            "city_key": "DE#berlin",
            "country": "DE",
            "location": {"lat": 52.517, "lon": 13.389},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": ["Terrace", "wifi"],
            "cuisines": ["Italian"],
            "resources": [{
                "id": "0195a1b2-0000-7000-8000-000000000101",
                "vendor_id": VENDOR,
                "kind": "table_type",
                "name": "Table for four",
                "description": "",
                "capacity": 4,
                "units": 6,
                "base_price": {"amount_minor": 2500, "currency": "EUR"},
                "amenities": ["Window"],
                "seating": {"slot_minutes": 30, "seating_minutes": 90},
                "created_at": NOW,
                "updated_at": NOW,
                "version": 1,
            }],
            "stamp": stamp,
        }))
        .unwrap()
    }

    fn filters(facilities: &[&str], cuisines: &[&str]) -> Filters {
        Filters {
            kind: VendorKind::Restaurant,
            facilities: facilities.iter().map(|f| f.to_string()).collect(),
            cuisines: cuisines.iter().map(|c| c.to_string()).collect(),
            name: vec![],
        }
    }

    fn clauses(query: &Value) -> &Vec<Value> {
        query["bool"]["filter"].as_array().unwrap()
    }

    #[test]
    fn the_mapping_indexes_location_as_a_geo_point_and_facets_as_keywords_but_not_the_listing() {
        let definition = index_definition();
        let fields = &definition["mappings"]["properties"];

        assert_eq!(definition["mappings"]["dynamic"], "strict");
        assert_eq!(fields["location"]["type"], "geo_point");
        for facet in [
            "kind",
            "city_key",
            "country",
            "facilities",
            "cuisines",
            "sold_out",
        ] {
            assert_eq!(fields[facet]["type"], "keyword", "{facet}");
        }
        assert_eq!(fields["resources"]["type"], "nested");
        assert_eq!(
            fields["resources"]["properties"]["capacity"]["type"],
            "integer"
        );
        assert_eq!(
            fields["resources"]["properties"]["amenities"]["type"],
            "keyword"
        );
        assert_eq!(fields["resources"]["properties"]["kind"]["type"], "keyword");
        assert_eq!(fields["name"]["type"], "text");
        assert_eq!(fields["name"]["fields"]["keyword"]["type"], "keyword");
        assert_eq!(fields["stamp"]["type"], "date");
        assert_eq!(fields["listing"]["enabled"], false);
    }

    #[test]
    fn every_field_of_a_document_is_mapped() {
        // The mapping is strict: a field it does not know would fail every write.
        let definition = index_definition();
        let mapped = definition["mappings"]["properties"].as_object().unwrap();
        let document = serde_json::to_value(Document::of(&listing(NOW))).unwrap();

        for (field, value) in document.as_object().unwrap() {
            assert!(mapped.contains_key(field), "{field} is not mapped");
            if field == "resources" {
                let nested = mapped[field]["properties"].as_object().unwrap();
                for key in value[0].as_object().unwrap().keys() {
                    assert!(nested.contains_key(key), "resources.{key} is not mapped");
                }
            }
        }
    }

    #[test]
    fn a_document_carries_lowercased_facets_a_fixed_width_stamp_and_the_whole_listing() {
        let listing = listing("2026-05-01T10:00:00.5Z");

        let document = serde_json::to_value(Document::of(&listing)).unwrap();

        assert_eq!(document["vendor_id"], VENDOR);
        assert_eq!(document["kind"], "restaurant");
        assert_eq!(document["location"], json!({"lat": 52.517, "lon": 13.389}));
        assert_eq!(document["facilities"], json!(["terrace", "wifi"]));
        assert_eq!(document["cuisines"], json!(["italian"]));
        assert_eq!(
            document["resources"],
            json!([{"kind": "table_type", "capacity": 4, "amenities": ["window"]}])
        );
        assert_eq!(document["stamp"], "2026-05-01T10:00:00.500000000Z");
        let back: Listing = serde_json::from_value(document["listing"].clone()).unwrap();
        assert_eq!(back, listing);
    }

    #[test]
    fn a_city_search_filters_by_kind_and_city_key() {
        let area = Area::City {
            city_key: "DE#berlin".into(),
        };

        let query = candidates_query(&area, &filters(&[], &[]));

        assert_eq!(
            clauses(&query),
            &vec![
                json!({"term": {"kind": "restaurant"}}),
                json!({"term": {"city_key": "DE#berlin"}}),
            ]
        );
    }

    #[test]
    fn a_radius_search_is_a_geo_distance_in_km_around_the_point() {
        let area = Area::Near {
            point: GeoPoint::new(52.52, 13.405).unwrap(),
            radius_km: 2.5,
        };

        let query = candidates_query(&area, &filters(&[], &[]));

        assert_eq!(
            clauses(&query)[1],
            json!({"geo_distance": {"distance": "2.51km", "location": {"lat": 52.52, "lon": 13.405}}})
        );
    }

    #[test]
    fn every_facility_must_match_and_any_cuisine_may() {
        let area = Area::City {
            city_key: "DE#berlin".into(),
        };

        let query = candidates_query(&area, &filters(&["WiFi", "terrace"], &["Italian", "thai"]));

        assert_eq!(
            clauses(&query)[2..],
            [
                json!({"term": {"facilities": "terrace"}}),
                json!({"term": {"facilities": "wifi"}}),
                json!({"terms": {"cuisines": ["italian", "thai"]}}),
            ]
        );
    }

    #[test]
    fn each_word_of_a_name_search_is_a_prefix_of_a_word_of_the_name() {
        let area = Area::City {
            city_key: "DE#berlin".into(),
        };
        let filters = Filters {
            name: vec!["tratt".into(), "uno".into()],
            ..filters(&[], &[])
        };

        let query = candidates_query(&area, &filters);

        assert_eq!(
            clauses(&query)[2..],
            [
                json!({"prefix": {"name_words": "tratt"}}),
                json!({"prefix": {"name_words": "uno"}}),
            ]
        );
        assert_eq!(
            serde_json::to_value(Document::of(&listing(NOW))).unwrap()["name_words"],
            json!(["trattoria", "uno"])
        );
    }

    #[test]
    fn pages_are_sorted_by_vendor_id_and_continue_after_the_last_sort_values() {
        let query = json!({"bool": {"filter": []}});

        let first = page_body(&query, None);
        let next = page_body(&query, Some(&[json!(VENDOR)]));

        assert_eq!(first["size"], PAGE_SIZE);
        assert_eq!(first["query"], query);
        assert_eq!(first["sort"], json!([{"vendor_id": "asc"}]));
        assert_eq!(first["_source"], json!(["listing", "sold_out"]));
        assert!(first.get("search_after").is_none());
        assert_eq!(next["search_after"], json!([VENDOR]));
    }

    #[test]
    fn a_search_hit_gives_back_the_listing_and_its_markers() {
        let listing = listing(NOW);
        let response: SearchResponse = serde_json::from_value(json!({
            "took": 3,
            "hits": {"hits": [{
                "_index": "vendors",
                "_id": VENDOR,
                "_score": null,
                "_source": {"listing": listing, "sold_out": ["b", "a"]},
                "sort": [VENDOR],
            }]},
        }))
        .unwrap();

        let hit = &response.hits.hits[0];
        assert_eq!(hit.source.listing, listing);
        assert_eq!(
            hit.source.sold_out,
            BTreeSet::from(["a".into(), "b".into()])
        );
        assert_eq!(hit.sort, vec![json!(VENDOR)]);
    }

    #[test]
    fn a_bulk_body_is_an_index_action_then_the_document_per_listing() {
        let older = listing(NOW);

        let lines = bulk_lines(&[&older]).unwrap();

        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], json!({"index": {"_id": VENDOR}}));
        assert_eq!(lines[1]["vendor_id"], VENDOR);
        assert_eq!(lines[1]["city_key"], "DE#berlin");
        assert!(lines[1].get("sold_out").is_none());
        for line in &lines {
            // NDJSON: one line per value.
            assert!(!serde_json::to_string(line).unwrap().contains('\n'));
        }
    }

    #[test]
    fn failed_bulk_items_are_reported_with_their_vendor() {
        let response: BulkResponse = serde_json::from_value(json!({
            "took": 5,
            "errors": true,
            "items": [
                {"index": {"_index": "vendors", "_id": "a", "status": 201, "result": "created"}},
                {"index": {"_index": "vendors", "_id": "b", "status": 400,
                    "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [location]"}}},
                {"index": {"_index": "vendors", "_id": "c", "status": 429,
                    "error": {"type": "es_rejected_execution_exception", "reason": "rejected"}}},
            ],
        }))
        .unwrap();

        let failed = bulk_failures(response);

        let ids: Vec<(&str, u16)> = failed.iter().map(|i| (i.id.as_str(), i.status)).collect();
        assert_eq!(ids, [("b", 400), ("c", 429)]);
    }

    #[test]
    fn an_upsert_is_a_scripted_upsert_that_keeps_a_newer_stamp() {
        let body = upsert_body(&listing("2026-05-01T10:00:00Z")).unwrap();

        assert_eq!(body["scripted_upsert"], true);
        assert_eq!(body["upsert"], json!({}));
        assert_eq!(body["script"]["lang"], "painless");
        assert_eq!(body["script"]["source"], UPSERT_SCRIPT);
        let document = &body["script"]["params"]["document"];
        assert_eq!(document["stamp"], "2026-05-01T10:00:00.000000000Z");
        assert_eq!(document["listing"]["vendor_id"], VENDOR);
        // The script compares the stored stamp with the new one and never touches the markers.
        assert!(UPSERT_SCRIPT.contains("compareTo(params.document.stamp) > 0"));
        assert!(!UPSERT_SCRIPT.contains("sold_out"));
    }

    #[test]
    fn fixed_width_stamps_compare_as_strings_like_the_times() {
        let stamp = |raw: &str| Document::of(&listing(raw)).stamp;

        assert!(stamp("2026-05-01T10:00:00.5Z") > stamp("2026-05-01T10:00:00Z"));
        assert!(stamp("2026-05-01T10:00:00.000000001Z") > stamp("2026-05-01T10:00:00Z"));
        assert!(stamp("2026-05-01T12:00:00+02:00") == stamp("2026-05-01T10:00:00Z"));
    }

    #[test]
    fn a_mark_adds_and_removes_marker_keys_with_a_scripted_upsert() {
        let sold_out = vec!["r1#6#N#2026-06-01".to_owned()];
        let free = vec!["r1#6#N#2026-06-02".to_owned()];

        let body = mark_body(&sold_out, &free);

        assert_eq!(body["scripted_upsert"], true);
        assert_eq!(body["script"]["source"], MARK_SCRIPT);
        assert_eq!(
            body["script"]["params"],
            json!({"sold_out": ["r1#6#N#2026-06-01"], "free": ["r1#6#N#2026-06-02"]})
        );
        // Free wins over sold out when a key is in both, as in the DynamoDB index (ADD, then DELETE).
        let add = MARK_SCRIPT.find("addAll(params.sold_out)").unwrap();
        let remove = MARK_SCRIPT.find("removeAll(params.free)").unwrap();
        assert!(add < remove);
    }

    #[test]
    fn only_amazon_domains_are_signed_by_default() {
        let url = |raw: &str| Url::parse(raw).unwrap();

        assert!(is_aws_domain(&url(
            "https://search-vendors-abc123.eu-central-1.es.amazonaws.com"
        )));
        assert!(!is_aws_domain(&url(
            "http://vendors.us-east-1.opensearch.localhost.localstack.cloud:4566"
        )));
        assert!(!is_aws_domain(&url("http://localhost:9200")));
    }
}
