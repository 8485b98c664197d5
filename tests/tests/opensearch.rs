//! The OpenSearch search index against a real engine: what candidates an area gives back (by city
//! and by radius, with facets), that an older listing never replaces a newer one, that sold-out
//! markers are set, cleared and survive a new listing, and bulk writes. Each test works in an
//! index of its own. They need an engine at `OPENSEARCH_URL` (LocalStack in Docker mode can
//! provide one, see README "Search"); without it each test says so and passes.
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::domain::ids::VendorId;
use shared::domain::vendor::{GeoPoint, VendorKind};
use shared::search::{Area, Candidate, Filters, Listing, OpenSearchIndex, SearchIndex};
use std::collections::BTreeSet;

const SKIPPED: &str = "skipped: OPENSEARCH_URL is not set (no OpenSearch engine on this machine; \
                       LocalStack with Docker provides one, see README)";

/// A fresh index of the test's own at `OPENSEARCH_URL`, or `None` (and a note) without one.
async fn own_index() -> Option<OpenSearchIndex> {
    if std::env::var("OPENSEARCH_URL").is_ok_and(|url| !url.trim().is_empty()) {
        let sdk = shared::aws::sdk_config().await;
        let client = OpenSearchIndex::client_from_env(&sdk).expect("OPENSEARCH_URL is usable");
        let name = format!("vendors-test-{}", uuid::Uuid::new_v4().simple());
        let index = OpenSearchIndex::new(client, name);
        index.ensure_index().await.expect("the index is created");
        Some(index)
    } else {
        println!("{SKIPPED}");
        None
    }
}

/// A restaurant listing in `city` (Germany) at `at`, with one table type for four.
fn restaurant(
    vendor: VendorId,
    name: &str,
    city: &str,
    at: (f64, f64),
    facilities: &[&str],
    cuisines: &[&str],
    stamp: DateTime<Utc>,
) -> Listing {
    serde_json::from_value(json!({
        "vendor_id": vendor,
        "kind": "restaurant",
        "name": name,
        "city": city,
        "city_key": format!("DE#{}", city.to_lowercase()),
        "country": "DE",
        "location": {"lat": at.0, "lon": at.1},
        "time_zone": "Europe/Berlin",
        "currency": "EUR",
        "facilities": facilities,
        "cuisines": cuisines,
        "resources": [{
            "id": shared::domain::ids::ResourceId::generate(),
            "vendor_id": vendor,
            "kind": "table_type",
            "name": "Table for four",
            "description": "",
            "capacity": 4,
            "units": 6,
            "base_price": {"amount_minor": 2500, "currency": "EUR"},
            "amenities": ["window"],
            "seating": {"slot_minutes": 30, "seating_minutes": 90},
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
        }],
        "stamp": stamp,
    }))
    .expect("a valid listing")
}

fn restaurants(facilities: &[&str], cuisines: &[&str]) -> Filters {
    Filters {
        kind: VendorKind::Restaurant,
        facilities: facilities.iter().map(|f| f.to_string()).collect(),
        cuisines: cuisines.iter().map(|c| c.to_string()).collect(),
        name: vec![],
    }
}

fn city(name: &str) -> Area {
    Area::City {
        city_key: format!("DE#{}", name.to_lowercase()),
    }
}

fn names(candidates: &[Candidate]) -> BTreeSet<String> {
    candidates
        .iter()
        .map(|c| c.listing.name.to_string())
        .collect()
}

/// The one candidate of `vendor` in `area`.
async fn only(index: &OpenSearchIndex, area: &Area, vendor: VendorId) -> Candidate {
    let found = index
        .candidates(area, &restaurants(&[], &[]))
        .await
        .unwrap();
    let mut mine: Vec<Candidate> = found
        .into_iter()
        .filter(|c| c.listing.vendor_id == vendor)
        .collect();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    mine.remove(0)
}

/// A point `east_km` east of `at`.
fn east_of(at: (f64, f64), east_km: f64) -> (f64, f64) {
    (at.0, at.1 + east_km / (111.32 * at.0.to_radians().cos()))
}

#[tokio::test]
async fn candidates_are_the_restaurants_of_a_city_or_a_circle_with_the_facets_asked_for() {
    let Some(index) = own_index().await else {
        return;
    };
    let now = Utc::now();
    let centre = (52.52, 13.405);
    let plain = restaurant(
        VendorId::generate(),
        "Plain",
        "Berlin",
        centre,
        &["wifi"],
        &["german"],
        now,
    );
    let terrace = restaurant(
        VendorId::generate(),
        "Terrace",
        "Berlin",
        east_of(centre, 5.0),
        &["wifi", "Terrace"],
        &["italian"],
        now,
    );
    let far = restaurant(
        VendorId::generate(),
        "Far",
        "Potsdam",
        east_of(centre, -30.0),
        &["wifi", "terrace"],
        &["italian"],
        now,
    );
    for listing in [&plain, &terrace, &far] {
        index.upsert(listing).await.unwrap();
    }
    index.refresh().await.unwrap();
    let near = Area::Near {
        point: GeoPoint::new(centre.0, centre.1).unwrap(),
        radius_km: 10.0,
    };

    let in_berlin = index
        .candidates(&city("Berlin"), &restaurants(&[], &[]))
        .await
        .unwrap();
    let in_circle = index
        .candidates(&near, &restaurants(&[], &[]))
        .await
        .unwrap();
    let with_terrace_and_wifi = index
        .candidates(&near, &restaurants(&["terrace", "WIFI"], &[]))
        .await
        .unwrap();
    let italian_or_thai = index
        .candidates(&city("Berlin"), &restaurants(&[], &["thai", "Italian"]))
        .await
        .unwrap();
    let hotels = index
        .candidates(
            &city("Berlin"),
            &Filters {
                kind: VendorKind::Hotel,
                ..restaurants(&[], &[])
            },
        )
        .await
        .unwrap();

    assert_eq!(
        names(&in_berlin),
        BTreeSet::from(["Plain".into(), "Terrace".into()])
    );
    assert_eq!(
        names(&in_circle),
        BTreeSet::from(["Plain".into(), "Terrace".into()])
    );
    assert_eq!(
        names(&with_terrace_and_wifi),
        BTreeSet::from(["Terrace".into()])
    );
    assert_eq!(names(&italian_or_thai), BTreeSet::from(["Terrace".into()]));
    assert!(hotels.is_empty(), "{hotels:#?}");
    // The listing comes back exactly as it was written.
    let back = in_berlin
        .iter()
        .find(|c| c.listing.vendor_id == terrace.vendor_id)
        .unwrap();
    assert_eq!(back.listing, terrace);
    assert!(back.sold_out.is_empty());
}

#[tokio::test]
async fn an_older_listing_never_replaces_a_newer_one() {
    let Some(index) = own_index().await else {
        return;
    };
    let vendor = VendorId::generate();
    let now = Utc::now();
    let at = (48.137, 11.575);
    let newer = restaurant(vendor, "Newer", "Munich", at, &[], &[], now);
    let older = restaurant(
        vendor,
        "Older",
        "Munich",
        at,
        &[],
        &[],
        now - Duration::seconds(1),
    );
    let newest = restaurant(
        vendor,
        "Newest",
        "Munich",
        at,
        &[],
        &[],
        now + Duration::nanoseconds(1),
    );

    index.upsert(&newer).await.unwrap();
    index.upsert(&older).await.unwrap();
    index.refresh().await.unwrap();
    let after_stale = only(&index, &city("Munich"), vendor).await;
    index.upsert(&newest).await.unwrap();
    index.refresh().await.unwrap();
    let after_newest = only(&index, &city("Munich"), vendor).await;

    assert_eq!(after_stale.listing, newer);
    assert_eq!(after_newest.listing, newest);
}

#[tokio::test]
async fn sold_out_markers_are_set_and_cleared_and_survive_a_new_listing() {
    let Some(index) = own_index().await else {
        return;
    };
    let vendor = VendorId::generate();
    let early = VendorId::generate();
    let now = Utc::now();
    let at = (50.938, 6.960);
    let listing = restaurant(vendor, "Marked", "Cologne", at, &[], &[], now);
    let markers = |keys: &[&str]| -> Vec<String> { keys.iter().map(|k| k.to_string()).collect() };

    index.upsert(&listing).await.unwrap();
    index
        .mark(vendor, &markers(&["t#6#a", "t#6#b"]), &[])
        .await
        .unwrap();
    index
        .mark(vendor, &markers(&["t#6#c"]), &markers(&["t#6#a"]))
        .await
        .unwrap();
    index.refresh().await.unwrap();
    let marked = only(&index, &city("Cologne"), vendor).await;
    let relisted = restaurant(
        vendor,
        "Relisted",
        "Cologne",
        at,
        &[],
        &[],
        now + Duration::seconds(1),
    );
    index.upsert(&relisted).await.unwrap();
    // Markers for a vendor whose listing has not arrived yet wait for it, as in DynamoDB.
    index.mark(early, &markers(&["t#6#z"]), &[]).await.unwrap();
    index.refresh().await.unwrap();
    let before_listing = index
        .candidates(&city("Cologne"), &restaurants(&[], &[]))
        .await
        .unwrap();
    index
        .upsert(&restaurant(early, "Early", "Cologne", at, &[], &[], now))
        .await
        .unwrap();
    index.refresh().await.unwrap();
    let after_relisting = only(&index, &city("Cologne"), vendor).await;
    let early_found = only(&index, &city("Cologne"), early).await;

    let keys = |keys: &[&str]| -> BTreeSet<String> { keys.iter().map(|k| k.to_string()).collect() };
    assert_eq!(marked.sold_out, keys(&["t#6#b", "t#6#c"]));
    assert_eq!(after_relisting.listing.name.as_str(), "Relisted");
    assert_eq!(after_relisting.sold_out, keys(&["t#6#b", "t#6#c"]));
    // Only the listed vendor: the markers-only document of `early` is no candidate.
    assert_eq!(names(&before_listing), BTreeSet::from(["Relisted".into()]));
    assert_eq!(early_found.sold_out, keys(&["t#6#z"]));
}

#[tokio::test]
async fn put_new_writes_many_listings_in_bulk_and_every_one_is_found() {
    let Some(index) = own_index().await else {
        return;
    };
    let now = Utc::now();
    let centre = (53.551, 9.993);
    // More than one bulk request and more than one page of search hits.
    let listings: Vec<Listing> = (0..1_234)
        .map(|n| {
            let at = east_of(centre, f64::from(n % 100) * 0.05);
            restaurant(
                VendorId::generate(),
                &format!("Hamburg {n}"),
                "Hamburg",
                at,
                &[],
                &[],
                now,
            )
        })
        .collect();

    index.put_new(&listings).await.unwrap();
    index.refresh().await.unwrap();
    let found = index
        .candidates(&city("Hamburg"), &restaurants(&[], &[]))
        .await
        .unwrap();

    let ids: BTreeSet<VendorId> = found.iter().map(|c| c.listing.vendor_id).collect();
    assert_eq!(found.len(), listings.len());
    assert_eq!(ids, listings.iter().map(|l| l.vendor_id).collect());
    // Written with no stamp check, but an older upsert still loses to them.
    let first = &listings[0];
    let stale = restaurant(
        first.vendor_id,
        "Stale",
        "Hamburg",
        centre,
        &[],
        &[],
        now - Duration::minutes(1),
    );
    index.upsert(&stale).await.unwrap();
    index.refresh().await.unwrap();
    assert_eq!(
        only(&index, &city("Hamburg"), first.vendor_id)
            .await
            .listing,
        *first
    );
}

#[tokio::test]
async fn ensuring_the_index_twice_keeps_it_and_its_listings() {
    let Some(index) = own_index().await else {
        return;
    };
    let vendor = VendorId::generate();
    let listing = restaurant(
        vendor,
        "Kept",
        "Leipzig",
        (51.34, 12.37),
        &[],
        &[],
        Utc::now(),
    );
    index.upsert(&listing).await.unwrap();

    index.ensure_index().await.unwrap();
    index.refresh().await.unwrap();

    assert_eq!(
        only(&index, &city("Leipzig"), vendor).await.listing,
        listing
    );
}
