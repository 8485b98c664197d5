//! The seeding tool on the local stack: what it writes is exactly what search finds (checked
//! against the generated vendors themselves, page after page), and a run that stops resumes
//! where it stopped. Each test seeds a data set of its own name, so its vendors have ids nobody
//! else's have; other data in the same cities is told apart by those ids.
use api_tests::Api;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use seed::{Dataset, Generated, Seeder};
use serde_json::Value;
use shared::domain::geo;
use shared::domain::vendor::VendorKind;
use shared::store::{DynamoStore, VendorStore};
use std::collections::{BTreeMap, BTreeSet};

/// A data set of its own, its name in every vendor's name: searches ask for it, so the results
/// are this test's vendors even on a stack holding the full data set in the same cities.
fn dataset(vendors: u64) -> Dataset {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    Dataset::new(&format!("t{}", &tag[..12]), 1, vendors).tagged()
}

async fn seeder(parallel: usize) -> Seeder {
    api_tests::require_env();
    let sdk = shared::aws::sdk_config().await;
    Seeder::from_env(&sdk, parallel).expect("the stack's tables are named in the environment")
}

/// Every page of a search, following `next_cursor`; the items in order.
async fn all_pages(api: &Api, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let path = match &cursor {
            Some(c) => format!("/vendors?{query}&cursor={c}"),
            None => format!("/vendors?{query}"),
        };
        let reply = api.get(&path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {reply:#?}");
        items.extend(reply.body["items"].as_array().cloned().unwrap_or_default());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("{query}: more than 200 pages");
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["vendor_id"].as_str().expect("vendor_id").to_owned())
        .collect()
}

fn fits(g: &Generated, party: u16) -> bool {
    g.resources.iter().any(|r| r.capacity.get() >= party)
}

#[tokio::test]
async fn search_finds_exactly_the_seeded_vendors_that_fit_across_pages() {
    let set = dataset(600);
    seeder(8)
        .await
        .seed_with_progress(&set)
        .await
        .expect("seeding");
    let api = Api::start().await;
    let generated: Vec<Generated> = (0..set.vendors).map(|i| set.vendor(i).unwrap()).collect();
    let today = Utc::now().date_naive();

    // City + facility + nights: the city with the most of our hotels.
    let mut hotels_per_city: BTreeMap<String, Vec<&Generated>> = BTreeMap::new();
    for g in generated
        .iter()
        .filter(|g| g.vendor.kind == VendorKind::Hotel)
    {
        hotels_per_city
            .entry(g.vendor.address.city_key())
            .or_default()
            .push(g);
    }
    let hotels = hotels_per_city
        .values()
        .max_by_key(|v| v.len())
        .expect("the data set has hotels");
    let address = &hotels[0].vendor.address;
    let expected: BTreeSet<String> = hotels
        .iter()
        .filter(|g| g.vendor.facilities.iter().any(|f| f == "wifi") && fits(g, 2))
        .map(|g| g.vendor.id.to_string())
        .collect();
    let city_query = format!(
        "city={}&country={}&facilities=wifi&party_size=2&check_in={}&check_out={}&limit=3&name={}",
        address.city.as_str().replace(' ', "%20"),
        address.country.as_str(),
        today + Duration::days(30),
        today + Duration::days(32),
        set.name,
    );

    let items = all_pages(&api, &city_query).await;

    let found = ids_of(&items);
    let unique: BTreeSet<String> = found.iter().cloned().collect();
    assert_eq!(unique.len(), found.len(), "no vendor twice: {found:?}");
    assert!(
        !expected.is_empty(),
        "the busiest city has hotels with wifi"
    );
    assert_eq!(unique, expected, "{city_query}");
    // Each shows the rating it was seeded with.
    for item in &items {
        let Some(g) = hotels
            .iter()
            .find(|g| g.vendor.id.to_string() == item["vendor_id"].as_str().unwrap())
        else {
            continue;
        };
        assert_eq!(
            item["rating"]["count"].as_u64(),
            g.rating.as_ref().map(|r| r.count),
            "{item}"
        );
    }
    let prices: Vec<i64> = items
        .iter()
        .map(|i| {
            i["offer"]["quote"]["total"]["amount_minor"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "cheapest first: {prices:?}"
    );

    // Radius + cuisine + time: around a restaurant with a table for four, for its cuisine.
    let centre = generated
        .iter()
        .find(|g| g.vendor.kind == VendorKind::Restaurant && fits(g, 4))
        .expect("the data set has a restaurant with a table for four");
    let cuisine = centre.vendor.cuisines[0].clone();
    let point = centre.vendor.location;
    let radius_km = 3.0;
    let expected: BTreeSet<String> = generated
        .iter()
        .filter(|g| {
            g.vendor.kind == VendorKind::Restaurant
                && g.vendor.cuisines.contains(&cuisine)
                && fits(g, 4)
                && geo::distance_km(point, g.vendor.location) <= radius_km
        })
        .map(|g| g.vendor.id.to_string())
        .collect();
    let near_query = format!(
        "lat={}&lon={}&radius_km={radius_km}&cuisines={}&party_size=4&date={}&time=19:30&limit=4&name={}",
        point.lat,
        point.lon,
        cuisine.replace(' ', "%20"),
        today + Duration::days(7),
        set.name,
    );

    let items = all_pages(&api, &near_query).await;

    let found = ids_of(&items);
    let unique: BTreeSet<String> = found.iter().cloned().collect();
    assert_eq!(unique.len(), found.len(), "no vendor twice: {found:?}");
    assert!(expected.contains(&centre.vendor.id.to_string()));
    assert_eq!(unique, expected, "{near_query}");
    let distances: Vec<f64> = items
        .iter()
        .map(|i| i["distance_km"].as_f64().unwrap())
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {distances:?}"
    );
    assert!(distances.iter().all(|d| *d <= radius_km));
}

#[tokio::test]
async fn a_stopped_run_resumes_where_it_stopped() {
    let set = dataset(300);
    // One batch of 100 vendors a round, so the run can stop between rounds.
    let seeder = seeder(1).await;
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk).expect("the table names are set");
    let start = seeder.progress(&set).await.expect("progress");
    assert_eq!(start.done, 0);

    seeder
        .run_until(&set, start, 150, |_, _| {})
        .await
        .expect("the first run");

    assert_eq!(seeder.progress(&set).await.unwrap().done, 200);
    let written = set.vendor(199).unwrap();
    let not_yet = set.vendor(250).unwrap();
    assert_eq!(
        store.vendor(written.vendor.id).await.unwrap(),
        Some(written.vendor)
    );
    assert_eq!(store.vendor(not_yet.vendor.id).await.unwrap(), None);

    let report = seeder
        .seed_with_progress(&set)
        .await
        .expect("the resumed run");

    assert_eq!(report.resumed_at, 200);
    assert_eq!(report.vendors, 100);
    assert_eq!(
        report.units,
        (200..300)
            .map(|i| set.vendor(i).unwrap().units())
            .sum::<u64>()
    );
    assert_eq!(
        store.vendor(not_yet.vendor.id).await.unwrap(),
        Some(not_yet.vendor)
    );
    assert_eq!(seeder.progress(&set).await.unwrap().done, 300);
    // The same name with another size is another data set: resuming it would mix the two.
    let resized = Dataset::new(&set.name, set.seed, 400);
    let refused = seeder.progress(&resized).await.unwrap_err().to_string();
    assert!(refused.contains("--restart"), "{refused}");
}
