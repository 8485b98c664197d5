//! Cuisine pointers: one small item per restaurant and cuisine (`VENDOR#<id>`, `CUISINE#<c>`)
//! under that cuisine's cell keys, with the restaurant's location. A search for a cuisine near
//! a point reads these instead of every restaurant of the cells (which a filter still reads in
//! full): only the restaurants serving it, and only where they are, so it fetches the listings
//! of the nearest alone (a BatchGetItem), however many restaurants the area has.
//!
//! A pointer says where to look, never what is there: the listing read decides (its cuisines,
//! its markers, its location), so a pointer a race leaves behind costs a read, never a result.
use super::{DynamoSearchIndex, cell_key, nearest_km};
use crate::domain::geo;
use crate::domain::ids::VendorId;
use crate::domain::vendor::{GeoPoint, VendorKind};
use crate::search::{Batch, Candidate, Filters, Listing, Resume};
use crate::store::attr::{Item, n, optional_number, s, text};
use anyhow::Context;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeSet, HashMap};

/// A search asking for more cuisines than this reads the cells themselves, filtered.
pub(super) const MAX_CUISINES: usize = 4;

/// Listings fetched at once: a page of 20 and a few more to be sure of it.
const FETCH: usize = 32;

/// Cells read in a walk's first round (the one holding the point and its nearest
/// neighbours); the next round reads the rest of the circle, `super::PARALLEL_QUERIES` at a time.
const FIRST_ROUND: usize = 4;

const SK_PREFIX: &str = "CUISINE#";

fn pointer_key(kind: VendorKind, precision: usize, cuisine: &str, cell: &str) -> String {
    cell_key(kind, precision, &format!("cuisine={cuisine}#{cell}"))
}

/// The cuisines a listing is found by: lowercase, once each; none for a hotel.
fn cuisines(listing: &Listing) -> BTreeSet<String> {
    match listing.kind {
        VendorKind::Restaurant => listing.cuisines.iter().map(|c| c.to_lowercase()).collect(),
        VendorKind::Hotel => BTreeSet::new(),
    }
}

/// The pointer items of a listing.
pub(super) fn pointers(listing: &Listing, stamp: &str) -> Vec<Item> {
    cuisines(listing)
        .into_iter()
        .map(|cuisine| {
            let mut item: Item = HashMap::from([
                ("pk".to_owned(), s(format!("VENDOR#{}", listing.vendor_id))),
                ("sk".to_owned(), s(format!("{SK_PREFIX}{cuisine}"))),
                ("vendor_id".to_owned(), s(listing.vendor_id.to_string())),
                ("stamp".to_owned(), s(stamp)),
                ("lat".to_owned(), n(listing.location.lat)),
                ("lon".to_owned(), n(listing.location.lon)),
            ]);
            for precision in geo::INDEXED_PRECISIONS {
                let cell = geo::cell(listing.location, precision);
                item.insert(
                    format!("g{precision}pk"),
                    s(pointer_key(listing.kind, precision, &cuisine, &cell)),
                );
            }
            item
        })
        .collect()
}

/// A read of the pointers of the cells covering a circle, nearest cell first, handing over
/// the listings of the nearest pointers once no unread cell can hold a nearer one.
#[derive(Debug, Clone)]
pub(super) struct CuisineWalk {
    index: String,
    key_name: String,
    /// Each cell's least distance from the point, with its key for each cuisine asked; those
    /// from `next` on are unread.
    cells: Vec<(f64, Vec<String>)>,
    next: usize,
    /// The circle's centre, and where distances are measured from (the same in a search).
    point: GeoPoint,
    from: GeoPoint,
    radius_km: f64,
    /// A later page's cursor distance: nearer restaurants were shown already, their listings
    /// are not fetched again (a pointer's distance is the listing's, to the bit).
    beyond_km: f64,
    /// Restaurants pointed at inside the circle and not handed over yet, each at the least
    /// distance a pointer to it gave.
    pending: HashMap<VendorId, f64>,
    handed: BTreeSet<VendorId>,
}

impl CuisineWalk {
    /// `None` unless the filters name a few cuisines of restaurants.
    pub(super) fn new(
        point: GeoPoint,
        radius_km: f64,
        from: GeoPoint,
        beyond_km: f64,
        filters: &Filters,
    ) -> Option<Self> {
        if filters.kind != VendorKind::Restaurant
            || filters.cuisines.is_empty()
            || filters.cuisines.len() > MAX_CUISINES
        {
            return None;
        }
        let asked: BTreeSet<String> = filters.cuisines.iter().map(|c| c.to_lowercase()).collect();
        let precision = geo::precision_for(radius_km);
        let mut cells: Vec<(f64, Vec<String>)> = geo::covering_cells(point, radius_km, precision)
            .into_iter()
            .filter(|cell| nearest_km(point, cell) <= radius_km)
            .map(|cell| {
                let keys = asked
                    .iter()
                    .map(|c| pointer_key(filters.kind, precision, c, &cell))
                    .collect();
                (nearest_km(from, &cell), keys)
            })
            .collect();
        cells.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(Self {
            index: format!("geo{precision}"),
            key_name: format!("g{precision}pk"),
            cells,
            next: 0,
            point,
            from,
            radius_km,
            beyond_km,
            pending: HashMap::new(),
            handed: BTreeSet::new(),
        })
    }

    /// The least distance of a cell not read yet.
    fn unread_floor(&self) -> Option<f64> {
        self.cells.get(self.next).map(|(km, _)| *km)
    }

    /// The pending restaurants no unread cell can hold a nearer one than, nearest first, up to
    /// `FETCH`; they count as handed over from here.
    fn take_sure(&mut self) -> Vec<VendorId> {
        let floor = self.unread_floor().unwrap_or(f64::INFINITY);
        let mut sure: Vec<(f64, VendorId)> = self
            .pending
            .iter()
            .filter(|(_, km)| **km <= floor)
            .map(|(vendor, km)| (*km, *vendor))
            .collect();
        sure.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        sure.truncate(FETCH);
        for (_, vendor) in &sure {
            self.pending.remove(vendor);
            self.handed.insert(*vendor);
        }
        sure.into_iter().map(|(_, vendor)| vendor).collect()
    }

    /// The least distance of anything not handed over yet; `None`: nothing is left.
    fn floor(&self) -> Option<f64> {
        let pending = self.pending.values().copied().min_by(f64::total_cmp);
        match (pending, self.unread_floor()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn point_at(&mut self, vendor: VendorId, at: GeoPoint) {
        let km = geo::distance_km(self.from, at);
        if km < self.beyond_km
            || geo::distance_km(self.point, at) > self.radius_km
            || self.handed.contains(&vendor)
        {
            return;
        }
        let least = self.pending.entry(vendor).or_insert(km);
        *least = least.min(km);
    }
}

fn pointer(item: &Item) -> anyhow::Result<(VendorId, GeoPoint)> {
    const WHAT: &str = "a cuisine pointer";
    let vendor = VendorId::parse(text(item, WHAT, "vendor_id")?)
        .map_err(|e| anyhow::anyhow!("{WHAT}'s vendor_id: {e}"))?;
    let lat: f64 = optional_number(item, WHAT, "lat")?.context("a cuisine pointer's lat")?;
    let lon: f64 = optional_number(item, WHAT, "lon")?.context("a cuisine pointer's lon")?;
    let at = GeoPoint::new(lat, lon).map_err(|e| anyhow::anyhow!("{WHAT}'s location: {e}"))?;
    Ok((vendor, at))
}

impl DynamoSearchIndex {
    /// One round of a cuisine walk: the listings of the nearest sure pointers, reading the next
    /// cells first where none is sure yet.
    pub(super) async fn cuisine_round(&self, mut walk: CuisineWalk) -> anyhow::Result<Batch> {
        loop {
            let sure = walk.take_sure();
            if !sure.is_empty() {
                let candidates = self.listings(&sure).await?;
                return Ok(Batch {
                    candidates,
                    rest: walk
                        .floor()
                        .map(|floor| (floor, Resume::new(super::Scan::Cuisine(walk)))),
                });
            }
            if walk.unread_floor().is_none() {
                return Ok(Batch {
                    candidates: Vec::new(),
                    rest: None,
                });
            }
            let round = if walk.next == 0 {
                FIRST_ROUND
            } else {
                super::PARALLEL_QUERIES
            };
            let upto = (walk.next + round).min(walk.cells.len());
            let keys: Vec<String> = walk
                .cells
                .get(walk.next..upto)
                .unwrap_or_default()
                .iter()
                .flat_map(|(_, keys)| keys.iter().cloned())
                .collect();
            walk.next = upto;
            let (index, key_name) = (walk.index.clone(), walk.key_name.clone());
            let read: Vec<Vec<Item>> = futures::stream::iter(keys)
                .map(|key| self.pointers_under(&index, &key_name, key))
                .buffer_unordered(super::PARALLEL_QUERIES)
                .try_collect()
                .await?;
            for item in read.iter().flatten() {
                let (vendor, at) = pointer(item)?;
                walk.point_at(vendor, at);
            }
        }
    }

    /// Every pointer under one key of a cell index, its vendor and location only.
    async fn pointers_under(
        &self,
        index: &str,
        key_name: &str,
        key: String,
    ) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .partition(index, key_name, key.clone())
                .projection_expression("vendor_id, lat, lon")
                .set_exclusive_start_key(start)
                .send()
                .await
                .with_context(|| format!("Query cuisine pointers {index}"))?;
            found.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// The listings of these vendors (with their markers), those that exist.
    async fn listings(&self, vendors: &[VendorId]) -> anyhow::Result<Vec<Candidate>> {
        let mut candidates = Vec::with_capacity(vendors.len());
        for chunk in vendors.chunks(100) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|vendor| {
                    HashMap::from([
                        ("pk".to_owned(), s(format!("VENDOR#{vendor}"))),
                        ("sk".to_owned(), s("LISTING")),
                    ])
                })
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("listing_z, sold_out")
                    .build()
                    .context("building a batch get of listings")?,
            );
            while let Some(keys) = request.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .context("BatchGetItem search listings")?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    candidates.push(super::candidate(item)?);
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(&self.table))
                    .filter(|rest| !rest.keys().is_empty());
            }
        }
        Ok(candidates)
    }

    /// Puts the listing's pointers and deletes those of cuisines the listing it replaced
    /// (`before`) had and it no longer has, unless a newer listing's are there already
    /// (`stamp`). From the replaced listing rather than a Query of the vendor's items, so the
    /// indexer needs no read permission on the table.
    pub(super) async fn repoint(
        &self,
        listing: &Listing,
        before: Option<&Listing>,
        stamp: &str,
    ) -> anyhow::Result<()> {
        let wanted = pointers(listing, stamp);
        let gone: Vec<String> = before
            .map(cuisines)
            .unwrap_or_default()
            .difference(&cuisines(listing))
            .map(|c| format!("{SK_PREFIX}{c}"))
            .collect();
        let pk = format!("VENDOR#{}", listing.vendor_id);
        for item in wanted {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(stamp) OR stamp <= :stamp")
                .expression_attribute_values(":stamp", s(stamp))
                .send()
                .await;
            if let Err(err) = put {
                match err.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(_) => {}
                    other => return Err(anyhow::Error::new(other).context("PutItem a pointer")),
                }
            }
        }
        for sk in gone {
            let deleted = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(pk.clone()))
                .key("sk", s(sk))
                .condition_expression("stamp <= :stamp")
                .expression_attribute_values(":stamp", s(stamp))
                .send()
                .await;
            if let Err(err) = deleted {
                match err.into_service_error() {
                    DeleteItemError::ConditionalCheckFailedException(_) => {}
                    other => {
                        return Err(anyhow::Error::new(other).context("DeleteItem a pointer"));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(kind: VendorKind, cuisines: &[&str]) -> Filters {
        Filters {
            kind,
            facilities: vec![],
            cuisines: cuisines.iter().map(|c| c.to_string()).collect(),
            name: vec![],
        }
    }

    fn vendor(n: u8) -> VendorId {
        VendorId::parse(&format!("0195a1b2-0000-7000-8000-0000000000{n:02x}")).unwrap()
    }

    #[test]
    fn a_walk_is_for_a_few_cuisines_of_restaurants_only() {
        let point = GeoPoint::new(51.5, -0.12).unwrap();

        assert!(
            CuisineWalk::new(
                point,
                5.0,
                point,
                0.0,
                &filters(VendorKind::Restaurant, &["thai"])
            )
            .is_some()
        );
        assert!(
            CuisineWalk::new(
                point,
                5.0,
                point,
                0.0,
                &filters(VendorKind::Restaurant, &[])
            )
            .is_none()
        );
        assert!(
            CuisineWalk::new(
                point,
                5.0,
                point,
                0.0,
                &filters(VendorKind::Hotel, &["thai"])
            )
            .is_none()
        );
        let many = ["a", "b", "c", "d", "e"];
        assert!(
            CuisineWalk::new(
                point,
                5.0,
                point,
                0.0,
                &filters(VendorKind::Restaurant, &many)
            )
            .is_none()
        );
    }

    #[test]
    fn a_pointer_is_sure_only_once_no_unread_cell_can_hold_a_nearer_one_and_the_nearest_counts() {
        let point = GeoPoint::new(51.5, -0.12).unwrap();
        let mut walk = CuisineWalk::new(
            point,
            5.0,
            point,
            0.0,
            &filters(VendorKind::Restaurant, &["Thai", "thai"]),
        )
        .unwrap();
        // One key per cell: the cuisine asked twice, in two cases, is one cuisine.
        assert!(walk.cells.iter().all(|(_, keys)| keys.len() == 1));
        assert_eq!(walk.cells[0].0, 0.0);
        let east = |km: f64| {
            GeoPoint::new(51.5, -0.12 + km / (111.32 * 51.5f64.to_radians().cos())).unwrap()
        };
        walk.next = 1;
        let second_cell = walk.unread_floor().unwrap();
        walk.point_at(vendor(1), east(second_cell + 0.5));
        walk.point_at(vendor(2), east(0.1));
        // A second pointer to the same restaurant, nearer (a race left the first behind).
        walk.point_at(vendor(1), east(second_cell / 2.0));
        walk.point_at(vendor(3), east(6.0));

        assert_eq!(walk.take_sure(), [vendor(2), vendor(1)]);
        assert_eq!(walk.floor(), Some(second_cell));
        // Outside the circle: never pending.
        assert!(walk.pending.is_empty());
        walk.point_at(vendor(2), east(0.1));
        assert!(
            walk.pending.is_empty(),
            "a vendor handed over is not pending again"
        );
    }

    #[test]
    fn a_later_page_fetches_no_listing_nearer_than_its_cursor() {
        let point = GeoPoint::new(51.5, -0.12).unwrap();
        let east = |km: f64| {
            GeoPoint::new(51.5, -0.12 + km / (111.32 * 51.5f64.to_radians().cos())).unwrap()
        };
        let at_cursor = geo::distance_km(point, east(0.3));
        let mut walk = CuisineWalk::new(
            point,
            5.0,
            point,
            at_cursor,
            &filters(VendorKind::Restaurant, &["thai"]),
        )
        .unwrap();
        walk.next = walk.cells.len();

        walk.point_at(vendor(1), east(0.1));
        walk.point_at(vendor(2), east(0.3));
        walk.point_at(vendor(3), east(0.4));

        // The one at the cursor's distance stays: a tie is broken by vendor id.
        assert_eq!(walk.take_sure(), [vendor(2), vendor(3)]);
    }
}
