//! Finding hotels and restaurants that really have something free: a search index (behind the
//! `SearchIndex` trait) hands over the candidates of an area with their sold-out markers, in
//! batches ordered by a lower bound of the sort value where it can; the rules here keep those
//! with a room or table type that fits the party, is bookable then and not marked sold out,
//! price and sort them, and check each page against the inventory counters before it is
//! returned. A hit is placed on the page once no unread candidate can sort before it, so a
//! page costs what it takes to be sure of it, not the whole area. A stale marker or cached
//! batch can therefore delay a vendor's reappearance, but never show a sold-out one.
//!
//! Where things are: `listing.rs` (what the index keeps of a vendor), `index.rs` (the
//! `SearchIndex` trait and what a search asks of it), `query.rs` (a validated search),
//! `hits.rs` (the rules that keep and price a candidate), `page.rs` (one page, checked against
//! the counters), `cursor.rs` (keyset cursors), `cache.rs` (the warm function's cache),
//! `backend.rs` (choosing the backend), `dynamo/` and `opensearch.rs` (the backends).
mod backend;
mod cache;
mod cursor;
mod dynamo;
mod hits;
mod index;
mod listing;
mod opensearch;
mod page;
mod query;
#[cfg(test)]
mod tests;

pub use backend::AnyIndex;
pub use cache::{CacheStats, CachedIndex};
pub use dynamo::DynamoSearchIndex;
pub use index::{Area, Batch, Filters, Order, Resume, SearchIndex};
pub use listing::{Candidate, Listing, name_words, sold_out_key};
pub use opensearch::OpenSearchIndex;
pub use page::{Found, SearchError, SearchPage, search};
pub use query::{SearchQuery, SortBy};

/// Facets compare lowercase, in the rules and in the OpenSearch documents alike.
use hits::lowercase;
