//! What a search asks of an index (`SearchIndex`): the area, the filters it can apply itself,
//! and candidates in batches in the order asked for, where it keeps that order.
use super::{Candidate, Listing};
use crate::domain::ids::VendorId;
use crate::domain::vendor::{GeoPoint, VendorKind};
use std::future::Future;
use std::sync::Arc;

/// Where to look.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    City { city_key: String },
    Near { point: GeoPoint, radius_km: f64 },
}

/// What the index can filter on by itself; the rest is checked here.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    pub kind: VendorKind,
    /// Every one of these.
    pub facilities: Vec<String>,
    /// Any one of these (restaurants).
    pub cuisines: Vec<String>,
    /// Each starts a word of the vendor's name (`name_words`).
    pub name: Vec<String>,
}

/// The order a search wants candidates in, so an index that keeps them so can hand them over
/// a batch at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// By `Listing::price_floor(party)`, the cheapest first.
    Price { party: u16 },
    /// By distance from the point, the nearest first.
    /// By distance from the point, the nearest first; a later page's cursor says nothing
    /// nearer than `beyond_km` is wanted (0 on the first page).
    Distance { from: GeoPoint, beyond_km: f64 },
    /// Any order: every candidate in one batch.
    Unordered,
}

/// Where a read of an index stopped: the backend's own state, opaque to search.
#[derive(Clone)]
pub struct Resume(Arc<dyn std::any::Any + Send + Sync>);

impl Resume {
    pub fn new(state: impl std::any::Any + Send + Sync) -> Self {
        Self(Arc::new(state))
    }

    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resume")
    }
}

/// Some candidates of an area, in no particular order among themselves.
#[derive(Debug, Clone)]
pub struct Batch {
    pub candidates: Vec<Candidate>,
    /// What is left: every candidate not handed over yet sorts at or above this floor (a unit
    /// price for `Order::Price`, kilometres for `Order::Distance`), and where to go on from.
    /// `None`: nothing is left.
    pub rest: Option<(f64, Resume)>,
}

/// A search backend: DynamoDB cells and cities (`DynamoSearchIndex`), or OpenSearch.
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces a vendor's listing, unless the index has a newer one (`stamp`).
    fn upsert(&self, listing: &Listing) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Sets and clears sold-out markers (`sold_out_key`) of a vendor.
    fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Every vendor in the area that may pass the filters (a superset is fine).
    fn candidates(
        &self,
        area: &Area,
        filters: &Filters,
    ) -> impl Future<Output = anyhow::Result<Vec<Candidate>>> + Send;

    /// The next batch of the area's candidates in `order` (from the start without `from`). An
    /// index that keeps no such order hands over every candidate at once.
    fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> impl Future<Output = anyhow::Result<Batch>> + Send {
        let _ = (order, from);
        async move {
            Ok(Batch {
                candidates: self.candidates(area, filters).await?,
                rest: None,
            })
        }
    }
}
