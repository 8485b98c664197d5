//! A realistic data set of hotels and restaurants for the local stack: vendors spread over about
//! a hundred metropolitan areas and the towns around them (bigger places get more), with
//! facilities, cuisines, room and table types, unit counts and local prices. Vendor `i` of a data
//! set is the same on every run (ids and contents come from the data set's name, its seed and
//! `i`), so writing it again changes nothing and an interrupted run can resume where it stopped.
mod cities;
mod load;

pub use cities::METROS;
pub use load::{Progress, Report, Seeder};

use anyhow::Context;
use cities::{Metro, TOWN_PARTS, per_euro};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use shared::domain::resource::Resource;
use shared::domain::review::Rating;
use shared::domain::vendor::Vendor;
use shared::search::Listing;
use uuid::Uuid;

/// Named sizes: `full` is the scale the product is built for (500k vendors, about 10M rooms
/// and tables); `demo` fills a laptop's map; `test` is quick enough for a test suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub vendors: u64,
}

pub const PRESETS: [Preset; 3] = [
    Preset {
        name: "test",
        vendors: 500,
    },
    Preset {
        name: "demo",
        vendors: 5_000,
    },
    Preset {
        name: "full",
        vendors: 500_000,
    },
];

impl Preset {
    pub fn named(name: &str) -> Option<Self> {
        PRESETS.into_iter().find(|p| p.name == name)
    }
}

/// Towns around each metro besides its core city.
const TOWNS_PER_METRO: u64 = 8;
/// The share of a metro's vendors in its core city.
const CORE_SHARE: f64 = 0.6;
const HOTEL_SHARE: f64 = 0.3;
const RATED_SHARE: f64 = 0.75;
/// How steeply vendors concentrate in the first metros (Zipf exponent over their rank).
const METRO_SKEW: f64 = 0.6;
/// When seeded vendors say they were created: fixed, so rewriting one changes nothing.
const CREATED_AT: &str = "2026-01-01T00:00:00Z";

const NAMESPACE: Uuid = Uuid::from_u128(0x3c5e_9a71_0d2b_4f86_a1e4_7b90_c2d5_16f3);

const HOTEL_FACILITIES: [(&str, f64); 15] = [
    ("wifi", 0.95),
    ("breakfast", 0.7),
    ("parking", 0.5),
    ("restaurant", 0.45),
    ("bar", 0.45),
    ("air conditioning", 0.5),
    ("accessible", 0.4),
    ("family rooms", 0.35),
    ("gym", 0.3),
    ("pet friendly", 0.25),
    ("room service", 0.25),
    ("spa", 0.15),
    ("pool", 0.15),
    ("airport shuttle", 0.1),
    ("ev charging", 0.1),
];
const RESTAURANT_FACILITIES: [(&str, f64); 9] = [
    ("wifi", 0.5),
    ("accessible", 0.45),
    ("terrace", 0.35),
    ("vegan options", 0.35),
    ("kids menu", 0.3),
    ("bar", 0.3),
    ("parking", 0.2),
    ("private dining", 0.15),
    ("live music", 0.08),
];
const CUISINES: [&str; 22] = [
    "italian",
    "local",
    "french",
    "japanese",
    "chinese",
    "indian",
    "mediterranean",
    "pizza",
    "thai",
    "mexican",
    "spanish",
    "seafood",
    "steakhouse",
    "american",
    "greek",
    "turkish",
    "vietnamese",
    "korean",
    "lebanese",
    "vegetarian",
    "sushi",
    "fusion",
];
/// Room types: name, guests, nightly price in euros for a mid-priced city, amenities to pick from.
const ROOM_TYPES: [(&str, u16, f64, &[&str]); 8] = [
    ("Single room", 1, 70.0, &["desk"]),
    ("Double room", 2, 100.0, &["city view", "desk", "minibar"]),
    ("Twin room", 2, 95.0, &["desk"]),
    (
        "Superior double",
        2,
        140.0,
        &["balcony", "bathtub", "city view"],
    ),
    ("Triple room", 3, 135.0, &["desk"]),
    ("Family room", 4, 170.0, &["bathtub", "kitchenette"]),
    (
        "Junior suite",
        2,
        210.0,
        &["balcony", "bathtub", "minibar", "sea view"],
    ),
    ("Apartment", 6, 260.0, &["balcony", "kitchenette"]),
];
/// Table types: name, guests, amenities to pick from.
const TABLE_TYPES: [(&str, u16, &[&str]); 5] = [
    ("Bar seat", 1, &[]),
    ("Table for two", 2, &["window"]),
    ("Table for four", 4, &["booth", "terrace", "window"]),
    ("Table for six", 6, &["terrace"]),
    ("Large table", 10, &["quiet"]),
];
const HOTEL_WORDS: [&[&str]; 2] = [
    &[
        "Grand", "Royal", "Park", "City", "Garden", "Harbour", "Old Town", "Central", "River",
        "Station", "Boutique", "Plaza", "Palace", "Corner",
    ],
    &["Hotel", "Inn", "Suites", "Residence", "House", "Lodge"],
];
const RESTAURANT_WORDS: [&[&str]; 2] = [
    &[
        "Golden", "Little", "Blue", "Green", "Olive", "Copper", "Salt", "Fig", "Lantern", "Oak",
        "Saffron", "Silver", "Wild", "Corner",
    ],
    &[
        "Kitchen",
        "Table",
        "Bistro",
        "Trattoria",
        "Grill",
        "Brasserie",
        "Canteen",
        "Diner",
        "Tavern",
        "Bar",
    ],
];
const STREETS: [&str; 10] = [
    "Main Street",
    "Market Square",
    "Station Road",
    "Church Lane",
    "Harbour Walk",
    "Park Avenue",
    "Mill Street",
    "Bridge Road",
    "Garden Row",
    "High Street",
];

/// One generated vendor with its room or table types.
#[derive(Debug, Clone)]
pub struct Generated {
    pub vendor: Vendor,
    pub resources: Vec<Resource>,
    /// Most vendors have been reviewed (the seeded rating has no reviews behind it).
    pub rating: Option<Rating>,
}

impl Generated {
    pub fn listing(&self) -> Listing {
        Listing::of(&self.vendor, self.resources.clone(), self.rating.as_ref())
    }

    /// Rooms or tables: the units of all its types.
    pub fn units(&self) -> u64 {
        self.resources
            .iter()
            .map(|r| u64::from(r.units.get()))
            .sum()
    }
}

/// A place vendors are put in: a metro's core city or one of its towns.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Index into `METROS`.
    pub metro: usize,
    pub city: String,
    pub country: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// How far from the centre vendors typically are (km).
    pub spread_km: f64,
    pub time_zone: &'static str,
    pub currency: &'static str,
    pub price_level: f64,
}

/// A data set: its name (part of every id, so data sets never collide), seed and size.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub seed: u64,
    pub vendors: u64,
    /// A word every vendor's name ends with, so a search can keep to this data set.
    pub name_tag: Option<String>,
    /// Cumulative metro weights, for picking a metro by a uniform draw.
    cumulative: Vec<f64>,
}

impl Dataset {
    /// A preset, or another size of it (which is then a data set of its own, `<preset>-<size>`,
    /// so it never mixes with the preset's).
    pub fn of(preset: Preset, seed: u64, vendors: Option<u64>) -> Self {
        match vendors {
            Some(n) if n != preset.vendors => Self::new(&format!("{}-{n}", preset.name), seed, n),
            _ => Self::new(preset.name, seed, preset.vendors),
        }
    }

    pub fn new(name: &str, seed: u64, vendors: u64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..METROS.len())
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(METRO_SKEW);
                total
            })
            .collect();
        Self {
            name: name.to_owned(),
            seed,
            vendors,
            name_tag: None,
            cumulative,
        }
    }

    /// The same data set with its name as the last word of every vendor's name: tests search
    /// for it (`name=<tag>`), so other data in the same places can't crowd their results.
    pub fn tagged(self) -> Self {
        Self {
            name_tag: Some(self.name.clone()),
            ..self
        }
    }

    fn rng(&self, what: &str, i: u64) -> StdRng {
        let id = Uuid::new_v5(
            &NAMESPACE,
            format!("{}/{}/{what}/{i}", self.name, self.seed).as_bytes(),
        );
        StdRng::seed_from_u64(id.as_u64_pair().0)
    }

    fn id(&self, what: &str) -> Uuid {
        Uuid::new_v5(
            &NAMESPACE,
            format!("{}/{}/{what}", self.name, self.seed).as_bytes(),
        )
    }

    /// The metro a uniform draw in [0, 1) lands in.
    fn metro(&self, draw: f64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        self.cumulative
            .partition_point(|&c| c <= draw * total)
            .min(METROS.len() - 1)
    }

    /// Town `town` of metro `metro` (0 is the core city itself).
    pub fn place(&self, metro: usize, town: u64) -> Place {
        let m: &Metro = &METROS[metro];
        let base = Place {
            metro,
            city: m.name.to_owned(),
            country: m.country,
            lat: m.lat,
            lon: m.lon,
            spread_km: 3.0,
            time_zone: m.time_zone,
            currency: m.currency,
            price_level: m.price_level,
        };
        if town == 0 {
            return base;
        }
        let mut rng = self.rng("town", metro as u64 * 100 + town);
        let name: String = TOWN_PARTS
            .iter()
            .map(|parts| parts[rng.random_range(0..parts.len())])
            .collect();
        let distance_km = rng.random_range(10.0..60.0);
        let bearing = rng.random_range(0.0..std::f64::consts::TAU);
        let (lat, lon) = offset(m.lat, m.lon, distance_km, bearing);
        Place {
            city: name,
            lat,
            lon,
            spread_km: 1.2,
            price_level: m.price_level * 0.8,
            ..base
        }
    }

    /// Every place of the data set: each metro's core city and its towns.
    pub fn places(&self) -> Vec<Place> {
        (0..METROS.len())
            .flat_map(|m| (0..=TOWNS_PER_METRO).map(move |t| (m, t)))
            .map(|(m, t)| self.place(m, t))
            .collect()
    }

    /// Vendor `i` (0-based) of the data set.
    pub fn vendor(&self, i: u64) -> anyhow::Result<Generated> {
        let mut rng = self.rng("vendor", i);
        let metro = self.metro(rng.random());
        let town = if rng.random_bool(CORE_SHARE) {
            0
        } else {
            rng.random_range(1..=TOWNS_PER_METRO)
        };
        let place = self.place(metro, town);
        // Rayleigh-distributed distance from the centre: dense in the middle, thinning out.
        let distance_km = (place.spread_km * (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt())
            .min(place.spread_km * 6.0);
        let (lat, lon) = offset(
            place.lat,
            place.lon,
            distance_km,
            rng.random_range(0.0..std::f64::consts::TAU),
        );
        let hotel = rng.random_bool(HOTEL_SHARE);
        let vendor_id = self.id(&format!("vendor/{i}"));
        let words = if hotel { HOTEL_WORDS } else { RESTAURANT_WORDS };
        let mut name = format!(
            "{} {}",
            words[0][rng.random_range(0..words[0].len())],
            words[1][rng.random_range(0..words[1].len())]
        );
        if let Some(tag) = &self.name_tag {
            name = format!("{name} {tag}");
        }
        let facilities: Vec<&str> = if hotel {
            &HOTEL_FACILITIES[..]
        } else {
            &RESTAURANT_FACILITIES[..]
        }
        .iter()
        .filter(|(_, p)| rng.random_bool(*p))
        .map(|(f, _)| *f)
        .collect();
        let cuisines: Vec<&str> = if hotel {
            vec![]
        } else {
            // Early cuisines are the common ones: the square skews the draw towards them.
            let count = rng.random_range(1..=2);
            (0..count)
                .map(|_| CUISINES[(rng.random::<f64>().powi(2) * CUISINES.len() as f64) as usize])
                .collect()
        };
        let vendor = json!({
            "id": vendor_id,
            "kind": if hotel { "hotel" } else { "restaurant" },
            "name": name,
            "description": format!("{name} in {}", place.city),
            "address": {
                "line1": format!("{} {}", rng.random_range(1..200), STREETS[rng.random_range(0..STREETS.len())]),
                "postal_code": format!("{:05}", rng.random_range(1000..99999)),
                "city": place.city,
                "country": place.country,
            },
            "location": {"lat": round6(lat), "lon": round6(lon)},
            "time_zone": place.time_zone,
            "currency": place.currency,
            "facilities": sorted(facilities),
            "cuisines": sorted(cuisines),
            "contact": {"email": format!("vendor-{i}@{}.seed.example", self.name)},
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT,
            "version": 1,
        });
        let vendor: Vendor = serde_json::from_value(vendor)
            .with_context(|| format!("generated vendor {i} is not a valid vendor"))?;
        let resources = if hotel {
            self.rooms(&mut rng, &vendor, &place)
        } else {
            self.tables(&mut rng, &vendor, &place)
        }
        .into_iter()
        .enumerate()
        .map(|(n, mut r)| {
            r["id"] = json!(self.id(&format!("vendor/{i}/type/{n}")));
            r["vendor_id"] = json!(vendor_id);
            r["created_at"] = json!(CREATED_AT);
            r["updated_at"] = json!(CREATED_AT);
            r["version"] = json!(1);
            serde_json::from_value::<Resource>(r)
                .with_context(|| format!("generated type {n} of vendor {i} is not valid"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let rating = rng.random_bool(RATED_SHARE).then(|| {
            // From a handful of reviews to thousands; averages lean towards good, as they do.
            let count = 10f64.powf(rng.random_range(0.0..3.3)).round().max(1.0) as u64;
            let average = 5.0 - 2.2 * rng.random::<f64>().powf(1.6);
            Rating {
                vendor_id: vendor.id,
                stars_total: ((average * count as f64).round() as u64).clamp(count, 5 * count),
                count,
                version: 1,
                updated_at: vendor.created_at,
            }
        });
        Ok(Generated {
            vendor,
            resources,
            rating,
        })
    }

    fn rooms(&self, rng: &mut StdRng, vendor: &Vendor, place: &Place) -> Vec<Value> {
        let picked = some_of(rng, ROOM_TYPES.len(), 2..=5);
        // One quality level per hotel, so its rooms are priced alike.
        let quality = rng.random_range(0.7..1.8);
        let weekend = rng.random_bool(0.4);
        picked
            .into_iter()
            .map(|t| {
                let (name, capacity, euros, amenities) = ROOM_TYPES[t];
                let price = local_price(euros * quality * place.price_level, vendor);
                let mut room = json!({
                    "kind": "room_type",
                    "name": name,
                    "description": "",
                    "capacity": capacity,
                    "units": rng.random_range(2..=12),
                    "base_price": {"amount_minor": price, "currency": place.currency},
                    "amenities": sorted(amenities.iter().copied().filter(|_| rng.random_bool(0.6)).collect()),
                    "overbooking_percent": if rng.random_bool(0.2) { 10 } else { 0 },
                });
                if weekend {
                    room["price_rules"] = json!([{
                        "from": "2026-01-01",
                        "to": "2027-12-31",
                        "weekdays": ["Fri", "Sat"],
                        "amount_minor": price + price / 5,
                    }]);
                }
                room
            })
            .collect()
    }

    fn tables(&self, rng: &mut StdRng, vendor: &Vendor, place: &Place) -> Vec<Value> {
        let picked = some_of(rng, TABLE_TYPES.len(), 2..=4);
        // Most restaurants take tables for free; some charge a set menu per seating.
        let set_menu = rng
            .random_bool(0.3)
            .then(|| rng.random_range(25.0..90.0) * place.price_level);
        picked
            .into_iter()
            .map(|t| {
                let (name, capacity, amenities) = TABLE_TYPES[t];
                let price = set_menu.map_or(0, |euros| local_price(euros * f64::from(capacity), vendor));
                json!({
                    "kind": "table_type",
                    "name": name,
                    "description": "",
                    "capacity": capacity,
                    "units": rng.random_range(2..=10),
                    "base_price": {"amount_minor": price, "currency": place.currency},
                    "amenities": sorted(amenities.iter().copied().filter(|_| rng.random_bool(0.5)).collect()),
                })
            })
            .collect()
    }
}

/// A price in euros as minor units of the vendor's currency, rounded to a whole major unit.
fn local_price(euros: f64, vendor: &Vendor) -> i64 {
    let code = vendor.currency.code();
    let exponent = code
        .parse::<iso_currency::Currency>()
        .ok()
        .and_then(|c| c.exponent())
        .unwrap_or(2);
    let major = (euros * per_euro(code)).round().max(1.0);
    major as i64 * 10_i64.pow(u32::from(exponent))
}

fn sorted(mut tags: Vec<&str>) -> Vec<&str> {
    tags.sort_unstable();
    tags.dedup();
    tags
}

/// A random number (in `count`) of distinct indexes below `len`, in order.
fn some_of(rng: &mut StdRng, len: usize, count: std::ops::RangeInclusive<usize>) -> Vec<usize> {
    let amount = rng.random_range(count).min(len);
    let mut picked = rand::seq::index::sample(rng, len, amount).into_vec();
    picked.sort_unstable();
    picked
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

/// The point `distance_km` from (lat, lon) towards `bearing` (radians), on a sphere.
fn offset(lat: f64, lon: f64, distance_km: f64, bearing: f64) -> (f64, f64) {
    const EARTH_RADIUS_KM: f64 = 6_371.0;
    let d = distance_km / EARTH_RADIUS_KM;
    let (lat1, lon1) = (lat.to_radians(), lon.to_radians());
    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * bearing.cos()).asin();
    let lon2 =
        lon1 + (bearing.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
    let lon2 = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    (lat2.to_degrees().clamp(-90.0, 90.0), lon2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::geo;
    use shared::domain::vendor::{GeoPoint, VendorKind};

    #[test]
    fn a_vendor_is_the_same_on_every_run_and_differs_between_data_sets() {
        let a = Dataset::new("test", 1, 100);
        let again = Dataset::new("test", 1, 100);
        let other = Dataset::new("demo", 1, 100);

        let first = a.vendor(7).unwrap();

        assert_eq!(first.vendor, again.vendor(7).unwrap().vendor);
        assert_eq!(first.resources, again.vendor(7).unwrap().resources);
        assert_ne!(first.vendor.id, other.vendor(7).unwrap().vendor.id);
        assert_ne!(first.vendor.id, a.vendor(8).unwrap().vendor.id);
    }

    #[test]
    fn vendors_are_valid_and_look_like_their_kind() {
        let set = Dataset::new("test", 1, 2_000);
        let (mut hotels, mut restaurants) = (0, 0);
        for i in 0..2_000 {
            let g = set.vendor(i).unwrap();
            assert!(!g.resources.is_empty());
            for r in &g.resources {
                assert_eq!(r.vendor_id, g.vendor.id);
                assert_eq!(r.base_price.currency, g.vendor.currency);
                assert!(r.units.get() >= 2);
            }
            match g.vendor.kind {
                VendorKind::Hotel => {
                    hotels += 1;
                    assert!(g.vendor.cuisines.is_empty());
                    assert!(g.resources.iter().all(|r| r.base_price.amount_minor > 0));
                }
                VendorKind::Restaurant => {
                    restaurants += 1;
                    assert!(!g.vendor.cuisines.is_empty());
                }
            }
            let mut facilities = g.vendor.facilities.clone();
            facilities.sort();
            assert_eq!(facilities, g.vendor.facilities, "tags are stored sorted");
        }
        // About 30% hotels.
        assert!((450..750).contains(&hotels), "{hotels} hotels");
        assert_eq!(hotels + restaurants, 2_000);
    }

    #[test]
    fn the_full_preset_averages_about_twenty_units_a_vendor() {
        // 500k vendors x ~20 = ~10M rooms and tables; a sample tells the average.
        let set = Dataset::new("full", 1, 500_000);
        let units: u64 = (0..5_000).map(|i| set.vendor(i).unwrap().units()).sum();
        let mean = units as f64 / 5_000.0;
        assert!((17.0..23.0).contains(&mean), "mean units {mean}");
    }

    #[test]
    fn vendors_lie_near_their_place_and_big_metros_get_more() {
        let set = Dataset::new("test", 1, 3_000);
        let places = set.places();
        let mut per_metro = vec![0u32; METROS.len()];
        for i in 0..3_000 {
            let v = set.vendor(i).unwrap().vendor;
            // Towns' names are made up, so two far apart may share one: any of them will do.
            let place = places
                .iter()
                .filter(|p| {
                    p.city == v.address.city.as_str() && p.country == v.address.country.as_str()
                })
                .find(|p| {
                    let centre = GeoPoint::new(p.lat, p.lon).unwrap();
                    geo::distance_km(centre, v.location) <= p.spread_km * 6.0 + 0.01
                })
                .expect("a vendor lies near one of the data set's places of its city");
            per_metro[place.metro] += 1;
        }
        assert!(per_metro[0] > per_metro[METROS.len() - 1] * 2);
    }

    #[test]
    fn most_vendors_are_rated_between_one_and_five_stars() {
        let set = Dataset::new("test", 1, 1_000);
        let ratings: Vec<Rating> = (0..1_000)
            .filter_map(|i| set.vendor(i).unwrap().rating)
            .collect();
        assert!(
            (650..850).contains(&ratings.len()),
            "{} rated",
            ratings.len()
        );
        for r in &ratings {
            assert!(r.count >= 1);
            assert!((r.count..=5 * r.count).contains(&r.stars_total));
        }
        let listing = set.vendor(0).unwrap().listing();
        assert_eq!(
            listing.rating.is_some(),
            set.vendor(0).unwrap().rating.is_some()
        );
    }

    #[test]
    fn prices_are_whole_local_units() {
        let set = Dataset::new("test", 1, 1_000);
        let tokyo = (0..1_000)
            .map(|i| set.vendor(i).unwrap())
            .find(|g| g.vendor.currency.code() == "JPY" && g.vendor.kind == VendorKind::Hotel)
            .expect("a hotel in Japan among 1,000 vendors");
        // JPY has no minor unit: a night costs thousands of yen, not hundreds of thousands.
        let price = tokyo.resources[0].base_price.amount_minor;
        assert!((5_000..200_000).contains(&price), "{price} yen");
    }

    #[test]
    fn offsets_move_the_distance_asked() {
        let (lat, lon) = offset(52.52, 13.405, 10.0, 1.0);
        let d = geo::distance_km(
            GeoPoint::new(52.52, 13.405).unwrap(),
            GeoPoint::new(lat, lon).unwrap(),
        );
        assert!((d - 10.0).abs() < 0.05, "{d}");
    }
}
