//! Room types and table types: a manager adds and edits them, anyone may list and read them, and
//! every price is in the vendor's currency.
use api_tests::{Account, Api, resource_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn resources_of(vendor: &str) -> String {
    format!("/vendor/{vendor}/resources")
}

fn new_resource_of(vendor: &str) -> String {
    format!("/vendor/{vendor}/resource")
}

/// Adds a resource as `manager` and returns its path (the reply's Location) and body.
async fn add_resource(api: &Api, manager: &Account, body: &Value) -> (String, Value) {
    let created = api
        .post(&new_resource_of(manager.vendor()), manager.token(), body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let location = created.header("location").expect("a Location").to_owned();
    (location, created.body)
}

/// Onboards a hotel whose prices are in `currency` and signs its manager in.
async fn hotel_in(api: &Api, currency: &str) -> Account {
    api.vendor_with("hotel", json!({ "currency": currency }))
        .await
}

#[tokio::test]
async fn a_hotel_manager_adds_a_room_type_that_anyone_can_read() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;

    let created = api
        .post(
            &new_resource_of(manager.vendor()),
            manager.token(),
            &resource_body("Double room", 2, 12, 12_900),
        )
        .await;

    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let id = created.body["id"].as_str().expect("a resource id");
    let location = format!("/vendor/{}/resource/{id}", manager.vendor());
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["kind"], "room_type");
    assert_eq!(created.body["vendor_id"], manager.vendor());
    assert_eq!(created.body["name"], "Double room");
    assert_eq!(created.body["description"], "Quiet, facing the courtyard");
    assert_eq!(created.body["capacity"], 2);
    assert_eq!(created.body["units"], 12);
    assert_eq!(
        created.body["base_price"],
        json!({"amount_minor": 12_900, "currency": "EUR"})
    );
    assert_eq!(created.body["amenities"], json!(["balcony"]));
    assert_eq!(created.body["version"], 1);
    let read = api.get(&location, None).await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.body, created.body);
}

#[tokio::test]
async fn a_restaurant_manager_adds_a_table_type() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;

    let (location, created) = add_resource(
        &api,
        &manager,
        &resource_body("Window table for four", 4, 6, 0),
    )
    .await;

    assert_eq!(created["kind"], "table_type");
    assert_eq!(created["base_price"]["amount_minor"], 0);
    let read = api.get(&location, None).await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    assert_eq!(read.body, created);
}

#[tokio::test]
async fn the_list_holds_exactly_the_vendors_own_resources() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let neighbour = api.vendor("hotel").await;
    let mut created = Vec::new();
    for (name, capacity) in [("Single", 1), ("Double", 2), ("Family suite", 5)] {
        created.push(
            add_resource(&api, &manager, &resource_body(name, capacity, 3, 9_900))
                .await
                .1,
        );
    }
    let (_, neighbours) =
        add_resource(&api, &neighbour, &resource_body("Attic", 2, 1, 5_000)).await;

    let list = api.get(&resources_of(manager.vendor()), None).await;
    let neighbours_list = api.get(&resources_of(neighbour.vendor()), None).await;

    assert_eq!(list.status, StatusCode::OK, "{list:#?}");
    let items = list.body["items"].as_array().expect("items");
    let ids = |items: &[Value]| -> BTreeSet<String> {
        items
            .iter()
            .map(|item| item["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(items.len(), 3, "{items:#?}");
    assert_eq!(ids(items), ids(&created));
    for item in items {
        assert!(
            created.contains(item),
            "{item:#?} differs from what was created"
        );
    }
    assert_eq!(neighbours_list.body["items"], json!([neighbours]));
}

#[tokio::test]
async fn a_vendor_without_resources_lists_none() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;

    let list = api.get(&resources_of(manager.vendor()), None).await;

    assert_eq!(list.status, StatusCode::OK, "{list:#?}");
    assert_eq!(list.body, json!({"items": []}));
}

#[tokio::test]
async fn an_unknown_vendor_or_resource_is_not_found() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let neighbour = api.vendor("hotel").await;
    let (_, room) = add_resource(&api, &manager, &resource_body("Double", 2, 3, 9_900)).await;
    let room_id = room["id"].as_str().unwrap();
    let random = uuid::Uuid::now_v7();

    let unknown_vendor_list = api.get(&resources_of(&random.to_string()), None).await;
    let malformed_vendor_list = api.get(&resources_of("abc"), None).await;
    let unknown_resource = api
        .get(
            &format!("/vendor/{}/resource/{random}", manager.vendor()),
            None,
        )
        .await;
    let malformed_resource = api
        .get(&format!("/vendor/{}/resource/abc", manager.vendor()), None)
        .await;
    let under_another_vendor = api
        .get(
            &format!("/vendor/{}/resource/{room_id}", neighbour.vendor()),
            None,
        )
        .await;

    unknown_vendor_list.assert_problem(404);
    malformed_vendor_list.assert_problem(404);
    unknown_resource.assert_problem(404);
    malformed_resource.assert_problem(404);
    under_another_vendor.assert_problem(404);
}

#[tokio::test]
async fn a_price_is_in_the_vendors_currency() {
    let api = Api::start().await;
    let euro_hotel = api.vendor("hotel").await;
    let dollar_hotel = hotel_in(&api, "USD").await;
    let mut no_currency = resource_body("Double", 2, 3, 9_900);
    no_currency["base_price"] = json!({"amount_minor": 9_900});
    let mut in_dollars = resource_body("Double", 2, 3, 9_900);
    in_dollars["base_price"]["currency"] = json!("USD");
    let mut lower_case = resource_body("Double", 2, 3, 9_900);
    lower_case["base_price"]["currency"] = json!("eur");

    let (_, euro_default) = add_resource(&api, &euro_hotel, &no_currency).await;
    let (_, dollar_default) = add_resource(&api, &dollar_hotel, &no_currency).await;
    let dollars_at_euro_hotel = api
        .post(
            &new_resource_of(euro_hotel.vendor()),
            euro_hotel.token(),
            &in_dollars,
        )
        .await;
    let lower_case_code = api
        .post(
            &new_resource_of(euro_hotel.vendor()),
            euro_hotel.token(),
            &lower_case,
        )
        .await;

    assert_eq!(euro_default["base_price"]["currency"], "EUR");
    assert_eq!(dollar_default["base_price"]["currency"], "USD");
    dollars_at_euro_hotel.assert_problem(422);
    assert_eq!(dollars_at_euro_hotel.pointers(), ["/base_price/currency"]);
    lower_case_code.assert_problem(422);
    assert_eq!(lower_case_code.pointers(), ["/base_price/currency"]);
    let list = api.get(&resources_of(euro_hotel.vendor()), None).await;
    assert_eq!(list.body["items"], json!([euro_default]));
}

#[tokio::test]
async fn invalid_resources_name_each_bad_field_and_create_nothing() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let path = new_resource_of(manager.vendor());
    let valid = resource_body("Double", 2, 3, 9_900);
    let with = |changes: Value| {
        let mut body = valid.clone();
        for (key, value) in changes.as_object().expect("an object") {
            body[key] = value.clone();
        }
        body
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with(json!({"capacity": 0})), vec!["/capacity"]),
        (with(json!({"capacity": 101})), vec!["/capacity"]),
        (with(json!({"capacity": "two"})), vec!["/capacity"]),
        (with(json!({"units": -1})), vec!["/units"]),
        (with(json!({"units": 100_001})), vec!["/units"]),
        (with(json!({"units": 2.5})), vec!["/units"]),
        (
            with(json!({"base_price": {"amount_minor": -1, "currency": "EUR"}})),
            vec!["/base_price/amount_minor"],
        ),
        (
            with(json!({"base_price": {"currency": "EUR"}})),
            vec!["/base_price/amount_minor"],
        ),
        (with(json!({"name": "  "})), vec!["/name"]),
        (with(json!({"name": "n".repeat(121)})), vec!["/name"]),
        (with(json!({"floor": 3})), vec!["/floor"]),
        (
            with(json!({"base_price": {"amount_minor": 100, "tax": 19}})),
            vec!["/base_price/tax"],
        ),
        (
            with(json!({"capacity": 0, "units": -1})),
            vec!["/capacity", "/units"],
        ),
        (
            json!({"description": "only this"}),
            vec!["/name", "/capacity", "/units", "/base_price"],
        ),
        (
            with(json!({"deposit": {"kind": "percent", "percent": 0}})),
            vec!["/deposit/percent"],
        ),
        (
            with(json!({"deposit": {"kind": "percent"}})),
            vec!["/deposit/percent"],
        ),
        (
            with(json!({"deposit": {"kind": "all of it"}})),
            vec!["/deposit/kind"],
        ),
        (
            with(
                json!({"deposit": {"kind": "fixed", "amount": {"amount_minor": 500, "currency": "USD"}}}),
            ),
            vec!["/deposit/amount/currency"],
        ),
        (
            with(json!({"cancellation": {"late_fee": {"kind": "percent", "percent": 50}}})),
            vec!["/cancellation/free_until_hours"],
        ),
        (
            with(json!({"cancellation": {"free_until_hours": -2, "late_fee": {"kind": "none"}}})),
            vec![
                "/cancellation/free_until_hours",
                "/cancellation/late_fee/kind",
            ],
        ),
    ];

    for (body, expected) in cases {
        let reply = api.post(&path, manager.token(), &body).await;

        reply.assert_problem(422);
        assert_eq!(reply.pointers(), expected, "{body}: {reply:#?}");
    }
    let text = valid.to_string();
    api.send_raw(
        Method::POST,
        &path,
        manager.token(),
        "application/json",
        &text[..10],
    )
    .await
    .assert_problem(400);
    api.send_raw(Method::POST, &path, manager.token(), "text/plain", &text)
        .await
        .assert_problem(415);
    let list = api.get(&resources_of(manager.vendor()), None).await;
    assert_eq!(list.body, json!({"items": []}));
}

#[tokio::test]
async fn a_manager_updates_a_resource_and_stale_updates_are_refused() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let (path, created) = add_resource(&api, &manager, &resource_body("Double", 2, 3, 9_900)).await;

    let updated = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&json!({"units": 7, "base_price": {"amount_minor": 11_500}})),
            &[("if-match", "\"1\"")],
        )
        .await;

    assert_eq!(updated.status, StatusCode::OK, "{updated:#?}");
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["units"], 7);
    assert_eq!(
        updated.body["base_price"],
        json!({"amount_minor": 11_500, "currency": "EUR"})
    );
    assert_eq!(updated.body["name"], created["name"]);
    assert_eq!(updated.body["capacity"], created["capacity"]);
    assert_eq!(updated.body["created_at"], created["created_at"]);
    let read = api.get(&path, None).await;
    assert_eq!(read.header("etag"), Some("\"2\""));
    assert_eq!(read.body, updated.body);

    let stale = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&json!({"units": 1})),
            &[("if-match", "\"1\"")],
        )
        .await;
    let garbage = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&json!({"units": 1})),
            &[("if-match", "latest")],
        )
        .await;
    let empty = api.put(&path, manager.token(), &json!({})).await;
    let invalid = api
        .put(&path, manager.token(), &json!({"units": -1, "capacity": 0}))
        .await;

    stale.assert_problem(412);
    garbage.assert_problem(400);
    empty.assert_problem(422);
    assert_eq!(empty.pointers(), [""]);
    invalid.assert_problem(422);
    assert_eq!(invalid.pointers(), ["/capacity", "/units"]);
    assert_eq!(api.get(&path, None).await.body, updated.body);
}

#[tokio::test]
async fn only_a_manager_of_the_vendor_may_add_or_edit_its_resources() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let other_manager = api.vendor("hotel").await;
    let staff = api.staff(&manager, false).await;
    let guest = api.guest().await;
    let (path, created) = add_resource(&api, &manager, &resource_body("Double", 2, 3, 9_900)).await;
    let new = resource_body("Intruder's room", 2, 1, 1);
    let change = json!({"units": 0});

    for (who, token) in [
        ("a guest", guest.token()),
        ("another vendor's manager", other_manager.token()),
        ("a member of staff", staff.token()),
    ] {
        let add = api
            .post(&new_resource_of(manager.vendor()), token, &new)
            .await;
        let edit = api.put(&path, token, &change).await;

        assert_eq!(add.status, StatusCode::FORBIDDEN, "{who} added: {add:#?}");
        add.assert_problem(403);
        assert_eq!(
            edit.status,
            StatusCode::FORBIDDEN,
            "{who} edited: {edit:#?}"
        );
        edit.assert_problem(403);
    }
    api.post(&new_resource_of(manager.vendor()), None, &new)
        .await
        .assert_problem(401);
    api.put(&path, None, &change).await.assert_problem(401);

    let list = api.get(&resources_of(manager.vendor()), None).await;
    assert_eq!(list.body, json!({"items": [created]}));
}

#[tokio::test]
async fn a_manager_cannot_reach_another_vendors_resource_through_their_own_vendor() {
    let api = Api::start().await;
    let owner = api.vendor("hotel").await;
    let neighbour = api.vendor("hotel").await;
    let (path, created) = add_resource(&api, &owner, &resource_body("Double", 2, 3, 9_900)).await;
    let id = created["id"].as_str().unwrap();

    let reply = api
        .put(
            &format!("/vendor/{}/resource/{id}", neighbour.vendor()),
            neighbour.token(),
            &json!({"units": 0}),
        )
        .await;

    reply.assert_problem(404);
    assert_eq!(api.get(&path, None).await.body, created);
    let neighbours = api.get(&resources_of(neighbour.vendor()), None).await;
    assert_eq!(neighbours.body, json!({"items": []}));
}

#[tokio::test]
async fn concurrent_updates_without_if_match_lose_no_update() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let (path, _) = add_resource(&api, &manager, &resource_body("Double", 2, 3, 9_900)).await;
    let requested: Vec<i64> = (11..=20).collect();
    let bodies: Vec<Value> = requested
        .iter()
        .map(|units| json!({"units": units}))
        .collect();

    let replies = futures::future::join_all(
        bodies
            .iter()
            .map(|body| api.put(&path, manager.token(), body)),
    )
    .await;

    // Without If-Match the handler re-reads and re-applies after losing a race, with jittered
    // pauses; only an edit that keeps losing is told to retry (409 with Retry-After), never 412.
    let mut won = Vec::new();
    for (units, reply) in requested.iter().zip(&replies) {
        match reply.status {
            StatusCode::OK => {
                assert_eq!(reply.body["units"], *units, "{reply:#?}");
                won.push((reply.body["version"].as_u64().expect("a version"), *units));
            }
            _ => {
                reply.assert_problem(409);
                assert_eq!(reply.header("retry-after"), Some("1"));
            }
        }
    }
    println!("{} of {} concurrent edits won", won.len(), replies.len());
    assert!(!won.is_empty(), "no update succeeded: {replies:#?}");
    won.sort();
    let versions: Vec<u64> = won.iter().map(|(version, _)| *version).collect();
    let expected: Vec<u64> = (2..=1 + won.len() as u64).collect();
    assert_eq!(versions, expected, "two writers won the same version");
    let last = api.get(&path, None).await;
    assert_eq!(last.body["version"], 1 + won.len() as u64);
    assert_eq!(
        last.header("etag"),
        Some(format!("\"{}\"", 1 + won.len()).as_str())
    );
    let (_, last_units) = won.last().expect("a winner");
    assert_eq!(last.body["units"], *last_units);
}

#[tokio::test]
async fn a_vendors_currency_is_fixed_because_its_prices_are_in_it() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let (path, _) = add_resource(&api, &manager, &resource_body("Double", 2, 3, 9_900)).await;
    let vendor_path = format!("/vendor/{}", manager.vendor());

    let change = api
        .put(&vendor_path, manager.token(), &json!({"currency": "USD"}))
        .await;

    change.assert_problem(422);
    assert_eq!(change.pointers(), ["/currency"]);
    let vendor = api.get(&vendor_path, None).await;
    let resource = api.get(&path, None).await;
    assert_eq!(vendor.body["currency"], "EUR");
    assert_eq!(
        resource.body["base_price"]["currency"],
        vendor.body["currency"]
    );
}

#[tokio::test]
async fn a_room_type_carries_its_deposit_and_cancellation_policy() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let mut body = resource_body("Double", 2, 4, 12_900);
    body["deposit"] = json!({"kind": "percent", "percent": 30});
    body["cancellation"] = json!({
        "free_until_hours": 48,
        "late_fee": {"kind": "fixed", "amount": {"amount_minor": 5_000}}
    });

    let (location, created) = add_resource(&api, &manager, &body).await;

    assert_eq!(
        created["deposit"],
        json!({"kind": "percent", "percent": 30})
    );
    assert_eq!(
        created["cancellation"],
        json!({
            "free_until_hours": 48,
            "late_fee": {"kind": "fixed", "amount": {"amount_minor": 5_000, "currency": "EUR"}}
        })
    );
    let updated = api
        .put(
            &location,
            manager.token(),
            &json!({"deposit": {"kind": "none"}, "cancellation": {"free_until_hours": 0}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:#?}");
    assert_eq!(updated.body["deposit"], json!({"kind": "none"}));
    assert_eq!(
        updated.body["cancellation"],
        json!({"free_until_hours": 0, "late_fee": null})
    );
    // Without a policy: no deposit, and cancelling is always free.
    let mut plain = resource_body("Single", 1, 2, 8_900);
    plain.as_object_mut().unwrap().remove("deposit");
    let (_, plain) = add_resource(&api, &manager, &plain).await;
    assert_eq!(plain["deposit"], json!({"kind": "none"}));
    assert_eq!(
        plain["cancellation"],
        json!({"free_until_hours": 0, "late_fee": null})
    );
}
