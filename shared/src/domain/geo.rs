//! Distances on the Earth, and the geohash cells that cover a circle: what a search by point and
//! radius reads from an index keyed by cell.
use super::vendor::GeoPoint;

/// The mean Earth radius (IUGG).
const EARTH_RADIUS_KM: f64 = 6_371.008_8;
/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = 111.32;

/// The precisions the search index keys vendors by: about 156 x 156 km, 39 x 20 km and
/// 4.9 x 4.9 km cells.
pub const INDEXED_PRECISIONS: [usize; 3] = [3, 4, 5];

/// The largest radius a search may ask for.
pub const MAX_RADIUS_KM: f64 = 200.0;

/// Great-circle distance (haversine).
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The indexed precision whose cells suit a radius: a handful of cells to query, without
/// reading far more candidates than the circle holds.
pub fn precision_for(radius_km: f64) -> usize {
    if radius_km <= 10.0 {
        5
    } else if radius_km <= 60.0 {
        4
    } else {
        3
    }
}

/// The geohash cell of `point` at `precision`.
pub fn cell(point: GeoPoint, precision: usize) -> String {
    // Valid coordinates (GeoPoint checks them) and a precision of 1 to 12 always encode.
    geohash::encode(
        geohash::Coord {
            x: point.lon,
            y: point.lat,
        },
        precision.clamp(1, 12),
    )
    .unwrap_or_default()
}

/// Every cell of `precision` that meets the circle's bounding box, so no point of the circle is
/// missed; candidates are then filtered by their real distance. The box is clamped at the poles
/// and at the antimeridian (a circle across it finds only its own side).
pub fn covering_cells(center: GeoPoint, radius_km: f64, precision: usize) -> Vec<String> {
    let dlat = radius_km / KM_PER_DEGREE;
    let dlon = radius_km / (KM_PER_DEGREE * center.lat.to_radians().cos().max(0.01));
    let (south, north) = (
        (center.lat - dlat).max(-90.0),
        (center.lat + dlat).min(90.0),
    );
    let (west, east) = (
        (center.lon - dlon).max(-180.0),
        (center.lon + dlon).min(180.0),
    );
    // Cells of one precision form a grid; stepping by a cell's size from one edge of the box to
    // the other (and taking the far edge too) lands in every cell the box meets.
    let (height, width) = cell_size(precision);
    let mut cells = Vec::new();
    for lat in steps(south, north, height) {
        for lon in steps(west, east, width) {
            if let Ok(point) = GeoPoint::new(lat, lon) {
                let cell = cell(point, precision);
                if !cells.contains(&cell) {
                    cells.push(cell);
                }
            }
        }
    }
    cells
}

/// A cell's height and width in degrees at `precision`.
fn cell_size(precision: usize) -> (f64, f64) {
    let bits = 5 * precision.clamp(1, 12) as i32;
    let lon_bits = (bits + 1) / 2;
    let lat_bits = bits / 2;
    (180.0 / 2f64.powi(lat_bits), 360.0 / 2f64.powi(lon_bits))
}

fn steps(from: f64, to: f64, step: f64) -> Vec<f64> {
    let mut at = Vec::new();
    let mut x = from;
    while x < to {
        at.push(x);
        x += step;
    }
    at.push(to);
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn distances_match_known_ones() {
        let berlin = point(52.5200, 13.4050);
        let paris = point(48.8566, 2.3522);
        // About 878 km between the two city centres.
        assert!((distance_km(berlin, paris) - 878.0).abs() < 5.0);
        assert_eq!(distance_km(berlin, berlin), 0.0);
        // A degree of latitude is about 111 km anywhere.
        assert!((distance_km(point(10.0, 50.0), point(11.0, 50.0)) - 111.2).abs() < 0.5);
    }

    #[test]
    fn cells_have_the_documented_sizes() {
        let (h3, w3) = cell_size(3);
        assert_eq!((h3, w3), (1.40625, 1.40625));
        let (h5, w5) = cell_size(5);
        assert_eq!((h5, w5), (180.0 / 4096.0, 360.0 / 8192.0));
        let berlin = cell(point(52.5200, 13.4050), 5);
        let bbox = geohash::decode_bbox(&berlin).unwrap();
        assert!(berlin.starts_with("u33"), "{berlin}");
        assert!(bbox.min().y <= 52.52 && 52.52 < bbox.max().y);
        assert!(bbox.min().x <= 13.405 && 13.405 < bbox.max().x);
        assert!((bbox.max().y - bbox.min().y - h5).abs() < 1e-12);
        assert!((bbox.max().x - bbox.min().x - w5).abs() < 1e-12);
    }

    #[test]
    fn the_covering_cells_contain_every_point_of_the_circle() {
        let center = point(52.52, 13.405);
        for (radius, precision) in [(2.0, 5), (8.0, 5), (30.0, 4), (150.0, 3)] {
            let cells = covering_cells(center, radius, precision);
            assert!(
                cells.len() <= 30,
                "{radius} km at {precision}: {}",
                cells.len()
            );
            // Points on and inside the circle, all around it.
            for step in 0..72 {
                let bearing = f64::from(step) * 5.0_f64.to_radians();
                for fraction in [0.5, 0.99] {
                    let d = radius * fraction / KM_PER_DEGREE;
                    let p = point(
                        center.lat + d * bearing.cos(),
                        center.lon + d * bearing.sin() / center.lat.to_radians().cos(),
                    );
                    assert!(
                        cells.contains(&cell(p, precision)),
                        "{radius} km: {p:?} is in {} which is not covered",
                        cell(p, precision)
                    );
                }
            }
        }
    }

    #[test]
    fn small_radii_use_fine_cells_and_large_ones_coarse_cells() {
        assert_eq!(precision_for(1.0), 5);
        assert_eq!(precision_for(25.0), 4);
        assert_eq!(precision_for(MAX_RADIUS_KM), 3);
        assert!(INDEXED_PRECISIONS.contains(&precision_for(0.1)));
    }
}
