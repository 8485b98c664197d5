//! Keyset cursors: where the last page stopped (a hit's position), bound to its search.
use super::hits::Hit;
use super::{SearchError, SearchQuery, SortBy};
use crate::domain::ids::VendorId;
use serde::{Deserialize, Serialize};

/// Where a hit sorts: the sort value, then the vendor id, so the order is total and a cursor
/// can say "strictly after".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct Position {
    pub(super) value: f64,
    pub(super) vendor: VendorId,
}

impl Position {
    pub(super) fn of(hit: &Hit, sort: SortBy) -> Self {
        let value = match sort {
            SortBy::Distance => hit.distance_km.unwrap_or(f64::MAX),
            // Minor units compare exactly as f64 up to 2^53, far above any price we accept.
            SortBy::Price => hit
                .offers
                .first()
                .map_or(f64::MAX, |o| o.quote.total.amount_minor as f64),
            // Ascending like the others: the best average is the most negative.
            SortBy::Rating => hit.listing.rating.map_or(f64::MAX, |r| -r.average),
        };
        Self {
            value,
            vendor: hit.listing.vendor_id,
        }
    }

    pub(super) fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value
            .total_cmp(&other.value)
            .then_with(|| self.vendor.to_string().cmp(&other.vendor.to_string()))
    }
}

#[derive(Serialize, Deserialize)]
struct CursorToken {
    q: String,
    after: Position,
}

pub(super) fn encode_cursor(query: &SearchQuery, after: Position) -> Option<String> {
    use base64::Engine;
    let json = serde_json::to_vec(&CursorToken {
        q: query.fingerprint(),
        after,
    })
    .ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

pub(super) fn decode_cursor(query: &SearchQuery, raw: &str) -> Result<Position, SearchError> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| SearchError::BadCursor)?;
    let token: CursorToken = serde_json::from_slice(&json).map_err(|_| SearchError::BadCursor)?;
    if token.q != query.fingerprint() {
        return Err(SearchError::BadCursor);
    }
    Ok(token.after)
}
