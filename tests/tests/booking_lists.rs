//! Reading bookings back: a guest's list, a vendor's list (filters, date ranges, paging, who may
//! look) and a vendor's availability, through the gateway against DynamoDB Local.
use api_tests::{Account, Api, Reply, merged, resource_body};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Days, NaiveDate, Utc};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::booking::BookingAction;
use shared::domain::ids::{BookingId, VendorId};
use shared::engine::{self, Requester};
use shared::store::DynamoStore;
use std::collections::BTreeMap;

/// A local date `days` from today, well inside every booking window.
fn day(days: u64) -> NaiveDate {
    Utc::now().date_naive() + Days::new(days)
}

/// A restaurant in Auckland, 11 to 13 hours ahead of UTC.
async fn auckland_restaurant(api: &Api) -> Account {
    api.vendor_with("restaurant",
        json!({
            "time_zone": "Pacific/Auckland",
            "currency": "NZD",
            "address": {"line1": "1 Queen Street", "postal_code": "1010", "city": "Auckland", "country": "NZ"},
            "location": {"lat": -36.8485, "lon": 174.7633},
            "contact": {"email": "host@example.com", "phone": "+6493001234"},
        }),
    )
    .await
}

/// Adds a room or table type: `resource_body` with the fields in `extra` replaced; its id.
async fn add_type(
    api: &Api,
    manager: &Account,
    (name, capacity, units, price): (&str, i64, i64, i64),
    extra: Value,
) -> String {
    let body = merged(resource_body(name, capacity, units, price), &extra);
    api.resource(manager, &body).await
}

fn stay(resource: &str, check_in: NaiveDate, nights: u64) -> Value {
    json!({
        "resource_id": resource,
        "party_size": 2,
        "check_in": check_in,
        "check_out": check_in + Days::new(nights),
    })
}

fn seating(resource: &str, date: NaiveDate, time: &str) -> Value {
    json!({"resource_id": resource, "party_size": 2, "date": date, "time": time})
}

/// A hold under a fresh Idempotency-Key that must succeed; the booking's id.
async fn held(api: &Api, who: &Account, vendor: &str, body: &Value) -> String {
    let key = uuid::Uuid::new_v4().to_string();
    let reply = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{vendor}"),
            who.token(),
            Some(body),
            &[("idempotency-key", key.as_str())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    assert_eq!(reply.body["status"], "HELD", "{reply:#?}");
    reply.body["id"].as_str().expect("a booking id").to_owned()
}

async fn cancel(api: &Api, who: &Account, booking: &str) {
    let reply = api
        .put(
            &format!("/booking/{booking}/status"),
            who.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
}

/// What a successful payment does (it has no route of its own yet).
async fn confirm(booking: &str) {
    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk).expect("the table names are set");
    let id = BookingId::parse(booking).expect("a booking id");
    engine::transition(
        &store,
        id,
        BookingAction::Confirm,
        &Requester::System,
        Utc::now(),
    )
    .await
    .expect("confirmed");
}

fn guest_list(guest: &Account, query: &str) -> String {
    format!("/bookings/user/{}?{query}", guest.id)
}

fn vendor_list(vendor: &str, query: &str) -> String {
    format!("/bookings/vendor/{vendor}?{query}")
}

/// A list page that must be a 200: the ids on it, in order, and its cursor.
#[track_caller]
fn page(reply: &Reply) -> (Vec<String>, Option<String>) {
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let ids = reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["id"].as_str().expect("a booking id").to_owned())
        .collect();
    (ids, reply.body["next_cursor"].as_str().map(str::to_owned))
}

/// The ids on a whole list that fits on one page.
#[track_caller]
fn only_page(reply: &Reply) -> Vec<String> {
    let (ids, cursor) = page(reply);
    assert_eq!(cursor, None, "one page only: {reply:#?}");
    ids
}

/// Every id on a list, page after page, and the size of each page.
async fn walk(api: &Api, who: &Account, path: &str) -> (Vec<String>, Vec<usize>) {
    let (mut seen, mut sizes) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => path.to_owned(),
            Some(cursor) => format!("{path}&cursor={cursor}"),
        };
        let (ids, next) = page(&api.get(&url, who.token()).await);
        sizes.push(ids.len());
        seen.extend(ids);
        cursor = next;
        assert!(sizes.len() <= 20, "the walk ends: {sizes:?}");
        if cursor.is_none() {
            return (seen, sizes);
        }
    }
}

fn strings(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

#[track_caller]
fn assert_invalid(reply: &Reply, name: &str) {
    reply.assert_problem(422);
    // A pointer names a body member, a bare name a query parameter.
    let named = if name.starts_with('/') {
        reply.pointers()
    } else {
        reply.parameters()
    };
    assert_eq!(named, [name], "{reply:#?}");
}

/// Units sold per bucket of one room or table type, read consistently from the table.
async fn counters(vendor: &str, resource: &str) -> BTreeMap<String, i64> {
    let sdk = shared::aws::sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = std::env::var("INVENTORY_TABLE").expect("INVENTORY_TABLE is set");
    let items: Vec<_> = dynamo
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("INV#{vendor}#{resource}")))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("query the counters");
    items
        .iter()
        .map(|item| {
            let bucket = item["sk"].as_s().expect("a bucket key").clone();
            let sold = item
                .get("sold")
                .and_then(|v| v.as_n().ok())
                .map(|n| n.parse::<i64>().expect("a whole number"))
                .unwrap_or(0);
            (bucket, sold)
        })
        .collect()
}

// GET /bookings/user/{userid}

#[tokio::test]
async fn a_guest_lists_exactly_their_own_bookings_at_every_vendor_in_order_of_arrival() {
    let api = Api::start().await;
    let (hotel, restaurant) = tokio::join!(api.vendor("hotel"), api.vendor("restaurant"));
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let table = add_type(&api, &restaurant, ("Window", 2, 5, 3_000), json!({})).await;
    let (guest, other) = tokio::join!(api.guest(), api.guest());
    // Made out of order of arrival, at two vendors.
    let third = held(&api, &guest, hotel.vendor(), &stay(&room, day(40), 2)).await;
    let first = held(
        &api,
        &guest,
        restaurant.vendor(),
        &seating(&table, day(20), "19:00"),
    )
    .await;
    let second = held(&api, &guest, hotel.vendor(), &stay(&room, day(30), 1)).await;
    // Same day, same vendor, the other guest's: never on the first guest's list.
    let others = held(&api, &other, hotel.vendor(), &stay(&room, day(30), 1)).await;

    let mine = api.get(&guest_list(&guest, ""), guest.token()).await;
    let theirs = api.get(&guest_list(&other, ""), other.token()).await;

    assert_eq!(only_page(&mine), [first.clone(), second, third]);
    assert!(
        mine.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|b| b["guest_id"] == guest.id.as_str()),
        "{mine:#?}"
    );
    assert_eq!(mine.body["items"][0]["vendor_id"], restaurant.vendor());
    assert_eq!(mine.body["items"][1]["vendor_id"], hotel.vendor());
    assert_eq!(only_page(&theirs), [others]);
}

#[tokio::test]
async fn only_the_guest_themself_may_list_their_bookings() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let (guest, stranger) = tokio::join!(api.guest(), api.guest());
    held(&api, &guest, hotel.vendor(), &stay(&room, day(30), 1)).await;
    let path = guest_list(&guest, "");

    let by_stranger = api.get(&path, stranger.token()).await;
    let by_staff = api.get(&path, hotel.token()).await;
    let anonymous = api.get(&path, None).await;
    let strangers_own = api.get(&guest_list(&stranger, ""), stranger.token()).await;

    by_stranger.assert_problem(403);
    by_staff.assert_problem(403);
    anonymous.assert_problem(401);
    assert_eq!(only_page(&strangers_own), Vec::<String>::new());
}

#[tokio::test]
async fn the_status_filter_lists_only_bookings_in_the_statuses_asked_for() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    let mut ids = Vec::new();
    for offset in [20, 21, 22, 23] {
        ids.push(held(&api, &guest, hotel.vendor(), &stay(&room, day(offset), 1)).await);
    }
    cancel(&api, &guest, &ids[1]).await;
    confirm(&ids[2]).await;

    let cancelled = api
        .get(&guest_list(&guest, "status=CANCELLED"), guest.token())
        .await;
    let live = api
        .get(&guest_list(&guest, "status=HELD,CONFIRMED"), guest.token())
        .await;
    let confirmed = api
        .get(&guest_list(&guest, "status=confirmed"), guest.token())
        .await;
    let none = api
        .get(&guest_list(&guest, "status=NO_SHOW"), guest.token())
        .await;
    let unknown = api
        .get(&guest_list(&guest, "status=HELD,LOST"), guest.token())
        .await;
    // The filter applies after the page is read, so a page may come back short (even empty)
    // with a cursor; walking on still finds each match once.
    let (live_paged, _) = walk(
        &api,
        &guest,
        &guest_list(&guest, "status=HELD,CONFIRMED&limit=1"),
    )
    .await;

    assert_eq!(only_page(&cancelled), [ids[1].clone()]);
    assert_eq!(cancelled.body["items"][0]["status"], "CANCELLED");
    assert_eq!(
        only_page(&live),
        strings(&[&ids[0], &ids[2], &ids[3]]),
        "{live:#?}"
    );
    assert_eq!(live_paged, only_page(&live));
    assert_eq!(only_page(&confirmed), [ids[2].clone()]);
    assert_eq!(only_page(&none), Vec::<String>::new());
    assert_invalid(&unknown, "status");
}

#[tokio::test]
async fn a_guests_from_and_to_are_inclusive_utc_dates() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    // Berlin check-in at 15:00 is the same date in UTC.
    let (d1, d2, d3) = (day(50), day(52), day(54));
    let mut ids = Vec::new();
    for date in [d1, d2, d3] {
        ids.push(held(&api, &guest, hotel.vendor(), &stay(&room, date, 1)).await);
    }
    let list = |query: String| {
        let (api, guest) = (&api, &guest);
        async move { api.get(&guest_list(guest, &query), guest.token()).await }
    };

    let just_d2 = list(format!("from={d2}&to={d2}")).await;
    let from_d2 = list(format!("from={d2}")).await;
    let to_d2 = list(format!("to={d2}")).await;
    let all = list(format!("from={d1}&to={d3}")).await;
    let between = list(format!(
        "from={}&to={}",
        d1 + Days::new(1),
        d2 - Days::new(1)
    ))
    .await;

    assert_eq!(only_page(&just_d2), [ids[1].clone()]);
    assert_eq!(only_page(&from_d2), strings(&[&ids[1], &ids[2]]));
    assert_eq!(only_page(&to_d2), strings(&[&ids[0], &ids[1]]));
    assert_eq!(only_page(&all), ids);
    assert_eq!(only_page(&between), Vec::<String>::new());
}

#[tokio::test]
async fn paging_with_a_limit_walks_every_booking_once_in_order() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    let mut ids = Vec::new();
    for offset in [64, 60, 63, 61, 62] {
        ids.push((
            offset,
            held(&api, &guest, hotel.vendor(), &stay(&room, day(offset), 1)).await,
        ));
    }
    ids.sort();
    let in_order: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();

    let (seen, sizes) = walk(&api, &guest, &guest_list(&guest, "limit=2")).await;

    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, in_order);
}

#[tokio::test]
async fn a_cursor_from_another_list_or_made_up_is_rejected() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let (guest, other) = tokio::join!(api.guest(), api.guest());
    for who in [&guest, &other] {
        for offset in [70, 71] {
            held(&api, who, hotel.vendor(), &stay(&room, day(offset), 1)).await;
        }
    }
    let (_, others_cursor) = page(&api.get(&guest_list(&other, "limit=1"), other.token()).await);
    let (_, vendors_cursor) = page(
        &api.get(&vendor_list(hotel.vendor(), "limit=1"), hotel.token())
            .await,
    );
    let others_cursor = others_cursor.expect("a second page");
    let vendors_cursor = vendors_cursor.expect("a second page");

    for cursor in [
        others_cursor.as_str(),
        vendors_cursor.as_str(),
        "not-a-cursor",
        "eyJhIjoiYiJ9",
    ] {
        let reply = api
            .get(
                &guest_list(&guest, &format!("cursor={cursor}")),
                guest.token(),
            )
            .await;
        assert_invalid(&reply, "cursor");
    }
    let guests_cursor_on_the_vendor_list = api
        .get(
            &vendor_list(hotel.vendor(), &format!("cursor={others_cursor}")),
            hotel.token(),
        )
        .await;
    assert_invalid(&guests_cursor_on_the_vendor_list, "cursor");
}

#[tokio::test]
async fn a_cursor_reused_with_a_range_it_lies_outside_is_rejected_as_a_cursor() {
    let api = Api::start().await;
    let hotel = api.vendor("hotel").await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    for offset in [70, 71, 80, 81] {
        held(&api, &guest, hotel.vendor(), &stay(&room, day(offset), 1)).await;
    }
    let (_, cursor) = page(&api.get(&guest_list(&guest, "limit=1"), guest.token()).await);
    let cursor = cursor.expect("a second page");

    let later_range = api
        .get(
            &guest_list(&guest, &format!("from={}&cursor={cursor}", day(80))),
            guest.token(),
        )
        .await;
    let earlier_range = api
        .get(
            &guest_list(&guest, &format!("to={}&cursor={cursor}", day(60))),
            guest.token(),
        )
        .await;

    assert_invalid(&later_range, "cursor");
    assert_invalid(&earlier_range, "cursor");
}

/// A cursor made up in the shape of the ones we give out: base64url of the JSON.
fn crafted_cursor(list: &str, after: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"list": list, "after": after}).to_string())
}

#[tokio::test]
async fn a_crafted_cursor_at_the_end_of_the_range_or_not_a_position_is_rejected_as_a_cursor() {
    let api = Api::start().await;
    // In UTC, so the vendor's `to` ends where the guest's does.
    let hotel = api.vendor_with("hotel", json!({"time_zone": "UTC"})).await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    let booked = held(&api, &guest, hotel.vendor(), &stay(&room, day(70), 1)).await;
    let to = day(75);
    // `to` is inclusive: the range ends at the start of the next day.
    let end = format!("{}T00:00:00Z", to + Days::new(1));
    let lists = [
        (
            &guest,
            format!("GUEST#{}", guest.id),
            guest_list(&guest, ""),
        ),
        (
            &hotel,
            format!("VENDOR#{}", hotel.vendor()),
            vendor_list(hotel.vendor(), ""),
        ),
    ];

    for (who, list, path) in &lists {
        for (after, range) in [
            ("~".to_owned(), String::new()),
            ("~".to_owned(), format!("to={to}&")),
            (end.clone(), format!("to={to}&")),
            (format!("{end}#{booked}"), format!("to={to}&")),
            ("2027-01-01T15:00:00Z".to_owned(), String::new()),
            (
                "2027-01-01T15:00:00Z#not-a-booking".to_owned(),
                String::new(),
            ),
            (format!("2027-01-01 15:00:00#{booked}"), String::new()),
        ] {
            let cursor = crafted_cursor(list, &after);

            let reply = api
                .get(&format!("{path}{range}cursor={cursor}"), who.token())
                .await;

            assert_invalid(&reply, "cursor");
        }
        let before_the_booking = format!("{}T00:00:00Z#{booked}", day(70));
        let taken = api
            .get(
                &format!(
                    "{path}to={to}&cursor={}",
                    crafted_cursor(list, &before_the_booking)
                ),
                who.token(),
            )
            .await;
        assert_eq!(only_page(&taken), std::slice::from_ref(&booked), "{path}");
    }
}

#[tokio::test]
async fn bad_list_parameters_are_rejected_naming_the_parameter() {
    let api = Api::start().await;
    let guest = api.guest().await;

    for (query, pointer) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("from=2027-02-30", "from"),
        ("from=tomorrow", "from"),
        ("to=2027-1-1x", "to"),
        ("from=2027-03-02&to=2027-03-01", "to"),
    ] {
        let reply = api.get(&guest_list(&guest, query), guest.token()).await;
        assert_invalid(&reply, pointer);
    }
    let edges = [
        api.get(&guest_list(&guest, "limit=1"), guest.token()).await,
        api.get(&guest_list(&guest, "limit=100"), guest.token())
            .await,
        api.get(
            &guest_list(&guest, "from=2027-03-01&to=2027-03-01"),
            guest.token(),
        )
        .await,
    ];
    for reply in &edges {
        assert_eq!(only_page(reply), Vec::<String>::new());
    }
}

// GET /bookings/vendor/{vendorid}

#[tokio::test]
async fn a_vendors_staff_see_every_booking_of_the_vendor_and_none_of_another() {
    let api = Api::start().await;
    let (hotel, other_hotel) = tokio::join!(api.vendor("hotel"), api.vendor("hotel"));
    let desk = api.staff(&hotel, false).await;
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let other_room = add_type(&api, &other_hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guests = join_all((0..3).map(|_| api.guest())).await;
    let mut ours = Vec::new();
    for (n, guest) in guests.iter().enumerate() {
        let check_in = day(90 - 2 * n as u64);
        ours.push(held(&api, guest, hotel.vendor(), &stay(&room, check_in, 1)).await);
    }
    // A walk-in booked at the front desk has no guest account; it is the vendor's all the same.
    let mut walk_in_stay = stay(&room, day(89), 1);
    walk_in_stay["guest"] = json!({"name": "Walk-in Guest"});
    let walk_in = held(&api, &desk, hotel.vendor(), &walk_in_stay).await;
    let elsewhere = held(
        &api,
        &guests[0],
        other_hotel.vendor(),
        &stay(&other_room, day(87), 1),
    )
    .await;

    let by_manager = api
        .get(&vendor_list(hotel.vendor(), ""), hotel.token())
        .await;
    let by_staff = api
        .get(&vendor_list(hotel.vendor(), ""), desk.token())
        .await;
    let other = api
        .get(&vendor_list(other_hotel.vendor(), ""), other_hotel.token())
        .await;

    let expected = strings(&[&ours[2], &ours[1], &walk_in, &ours[0]]);
    assert_eq!(only_page(&by_manager), expected);
    assert_eq!(only_page(&by_staff), expected);
    assert_eq!(only_page(&other), [elsewhere]);
    assert_eq!(by_manager.body["items"][2]["channel"], "walk_in");
}

#[tokio::test]
async fn only_the_vendors_own_staff_may_list_its_bookings() {
    let api = Api::start().await;
    let (hotel, other_hotel) = tokio::join!(api.vendor("hotel"), api.vendor("hotel"));
    let room = add_type(&api, &hotel, ("Double", 2, 5, 10_000), json!({})).await;
    let guest = api.guest().await;
    held(&api, &guest, hotel.vendor(), &stay(&room, day(30), 1)).await;
    let path = vendor_list(hotel.vendor(), "");

    let by_guest = api.get(&path, guest.token()).await;
    let by_other_manager = api.get(&path, other_hotel.token()).await;
    let anonymous = api.get(&path, None).await;

    by_guest.assert_problem(403);
    by_other_manager.assert_problem(403);
    anonymous.assert_problem(401);
}

#[tokio::test]
async fn a_vendors_from_and_to_are_its_local_dates_and_a_guests_are_utc_dates() {
    let api = Api::start().await;
    let restaurant = auckland_restaurant(&api).await;
    let table = add_type(
        &api,
        &restaurant,
        ("Window", 2, 5, 4_000),
        json!({"base_price": {"amount_minor": 4_000, "currency": "NZD"}}),
    )
    .await;
    let guest = api.guest().await;
    let date = day(30);
    let before = date - Days::new(1);
    // 00:30 in Auckland is still the day before in UTC.
    let late = held(
        &api,
        &guest,
        restaurant.vendor(),
        &seating(&table, date, "00:30"),
    )
    .await;
    let staff_list = |from: NaiveDate, to: NaiveDate| {
        let (api, restaurant) = (&api, &restaurant);
        async move {
            api.get(
                &vendor_list(restaurant.vendor(), &format!("from={from}&to={to}")),
                restaurant.token(),
            )
            .await
        }
    };
    let guests_list = |from: NaiveDate, to: NaiveDate| {
        let (api, guest) = (&api, &guest);
        async move {
            api.get(
                &guest_list(guest, &format!("from={from}&to={to}")),
                guest.token(),
            )
            .await
        }
    };

    let vendor_on_the_day = staff_list(date, date).await;
    let vendor_day_before = staff_list(before, before).await;
    let guest_on_the_day = guests_list(date, date).await;
    let guest_day_before = guests_list(before, before).await;

    assert_eq!(only_page(&vendor_on_the_day), [late.as_str()]);
    assert_eq!(only_page(&vendor_day_before), Vec::<String>::new());
    assert_eq!(only_page(&guest_on_the_day), Vec::<String>::new());
    assert_eq!(only_page(&guest_day_before), [late]);
}

// GET /vendor/{id}/availability

/// A Berlin hotel with three doubles (dearer on `pricey_night`) and one family room.
struct Hotel {
    api: Api,
    manager: Account,
    double: String,
    family: String,
}

async fn hotel_with_doubles_and_a_family_room(pricey_night: NaiveDate) -> Hotel {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let double = add_type(
        &api,
        &manager,
        ("Double", 2, 3, 10_000),
        json!({"price_rules": [{"from": pricey_night, "to": pricey_night, "amount_minor": 15_000}]}),
    )
    .await;
    let family = add_type(&api, &manager, ("Family", 4, 1, 18_000), json!({})).await;
    Hotel {
        api,
        manager,
        double,
        family,
    }
}

impl Hotel {
    async fn availability(&self, query: &str) -> Reply {
        self.api
            .get(
                &format!("/vendor/{}/availability?{query}", self.manager.vendor()),
                None,
            )
            .await
    }

    async fn stay(&self, party: u8, check_in: NaiveDate, check_out: NaiveDate) -> Reply {
        self.availability(&format!(
            "party_size={party}&check_in={check_in}&check_out={check_out}"
        ))
        .await
    }
}

/// (resource id, units left) of each offer, in the order offered.
#[track_caller]
fn offers(reply: &Reply) -> Vec<(String, u64)> {
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|offer| {
            (
                offer["resource_id"].as_str().expect("an id").to_owned(),
                offer["units_left"].as_u64().expect("units left"),
            )
        })
        .collect()
}

fn offer(resource: &str, units_left: u64) -> (String, u64) {
    (resource.to_owned(), units_left)
}

#[tokio::test]
async fn availability_offers_every_type_that_seats_the_party_smallest_first_and_priced() {
    let check_in = day(100);
    let pricey_night = check_in + Days::new(1);
    let hotel = hotel_with_doubles_and_a_family_room(pricey_night).await;

    let reply = hotel.stay(2, check_in, check_in + Days::new(3)).await;

    assert_eq!(
        offers(&reply),
        [offer(&hotel.double, 3), offer(&hotel.family, 1)]
    );
    assert_eq!(reply.header("cache-control"), Some("public, max-age=5"));
    let double = &reply.body["items"][0];
    assert_eq!(double["name"], "Double");
    assert_eq!(double["kind"], "room_type");
    assert_eq!(double["capacity"], 2);
    let prices: Vec<&Value> = double["quote"]["lines"]
        .as_array()
        .expect("a line per night")
        .iter()
        .map(|line| &line["unit_price"]["amount_minor"])
        .collect();
    assert_eq!(prices, [&json!(10_000), &json!(15_000), &json!(10_000)]);
    assert_eq!(
        double["quote"]["total"],
        json!({"amount_minor": 35_000, "currency": "EUR"})
    );
    assert_eq!(
        reply.body["items"][1]["quote"]["total"],
        json!({"amount_minor": 3 * 18_000, "currency": "EUR"})
    );
}

#[tokio::test]
async fn units_left_is_the_fewest_free_over_the_nights_asked_for() {
    let n = day(110);
    let night = |k: u64| n + Days::new(k);
    let hotel = hotel_with_doubles_and_a_family_room(night(9)).await;
    let guest = hotel.api.guest().await;
    // Nights n+1 and n+2, then n+2 and n+3: only night n+2 has two doubles taken.
    for first in [1, 2] {
        held(
            &hotel.api,
            &guest,
            hotel.manager.vendor(),
            &stay(&hotel.double, night(first), 2),
        )
        .await;
    }

    let whole_week = hotel.stay(2, night(0), night(7)).await;
    let busiest_night = hotel.stay(2, night(2), night(3)).await;
    let from_the_third = hotel.stay(2, night(3), night(5)).await;
    let before_them = hotel.stay(2, night(0), night(1)).await;
    let two_rooms = hotel
        .availability(&format!(
            "party_size=2&units=2&check_in={}&check_out={}",
            night(0),
            night(7)
        ))
        .await;

    assert_eq!(
        offers(&whole_week),
        [offer(&hotel.double, 1), offer(&hotel.family, 1)]
    );
    assert_eq!(
        offers(&busiest_night),
        [offer(&hotel.double, 1), offer(&hotel.family, 1)]
    );
    assert_eq!(
        offers(&from_the_third),
        [offer(&hotel.double, 2), offer(&hotel.family, 1)]
    );
    assert_eq!(
        offers(&before_them),
        [offer(&hotel.double, 3), offer(&hotel.family, 1)]
    );
    assert_eq!(
        two_rooms.body["items"][0]["quote"]["total"],
        json!({"amount_minor": 2 * 7 * 10_000, "currency": "EUR"})
    );
}

#[tokio::test]
async fn a_party_is_offered_only_the_types_that_seat_it_in_the_units_asked_for() {
    let check_in = day(120);
    let hotel = hotel_with_doubles_and_a_family_room(day(300)).await;
    let check_out = check_in + Days::new(1);
    let ask = |party: u8, units: u8| {
        let (hotel, query) = (
            &hotel,
            format!("party_size={party}&units={units}&check_in={check_in}&check_out={check_out}"),
        );
        async move { hotel.availability(&query).await }
    };

    let three = hotel.stay(3, check_in, check_out).await;
    let five = hotel.stay(5, check_in, check_out).await;
    let five_in_two = ask(5, 2).await;
    let five_in_three = ask(5, 3).await;
    let four_in_two = ask(4, 2).await;

    assert_eq!(offers(&three), [offer(&hotel.family, 1)]);
    assert_invalid(&five, "party_size");
    // Two doubles seat four, so only the family type seats five in two units, although the
    // hotel has only one: the offer says so with units_left below the units asked for.
    assert_eq!(offers(&five_in_two), [offer(&hotel.family, 1)]);
    assert_eq!(
        offers(&five_in_three),
        [offer(&hotel.double, 3), offer(&hotel.family, 1)]
    );
    assert_eq!(
        offers(&four_in_two),
        [offer(&hotel.double, 3), offer(&hotel.family, 1)]
    );
}

#[tokio::test]
async fn a_restaurant_offers_its_table_types_for_a_date_and_time() {
    let api = Api::start().await;
    let restaurant = api.vendor("restaurant").await;
    let two_top = add_type(&api, &restaurant, ("Two-top", 2, 4, 3_000), json!({})).await;
    let four_top = add_type(&api, &restaurant, ("Four-top", 4, 2, 5_000), json!({})).await;
    let guest = api.guest().await;
    let date = day(45);
    held(
        &api,
        &guest,
        restaurant.vendor(),
        &seating(&two_top, date, "19:00"),
    )
    .await;
    let ask = |party: u8, time: &str| {
        let path = format!(
            "/vendor/{}/availability?party_size={party}&date={date}&time={time}",
            restaurant.vendor()
        );
        let api = &api;
        async move { api.get(&path, None).await }
    };

    // A seating lasts 90 minutes: one starting at 19:30 overlaps the 19:00 one, 20:30 does not.
    let overlapping = ask(2, "19:30").await;
    let after = ask(2, "20:30").await;
    let four = ask(4, "19:00").await;
    let off_the_grid = ask(2, "19:10").await;

    assert_eq!(
        offers(&overlapping),
        [offer(&two_top, 3), offer(&four_top, 2)]
    );
    assert_eq!(overlapping.body["items"][0]["kind"], "table_type");
    assert_eq!(
        overlapping.body["items"][0]["quote"]["lines"],
        json!([{
            "date": date,
            "unit_price": {"amount_minor": 3_000, "currency": "EUR"},
            "units": 1,
            "amount": {"amount_minor": 3_000, "currency": "EUR"},
        }])
    );
    assert_eq!(offers(&after), [offer(&two_top, 4), offer(&four_top, 2)]);
    assert_eq!(offers(&four), [offer(&four_top, 2)]);
    assert_invalid(&off_the_grid, "time");
}

#[tokio::test]
async fn availability_rejects_incomplete_or_past_requests_and_unknown_vendors() {
    let hotel = hotel_with_doubles_and_a_family_room(day(300)).await;
    let (check_in, check_out) = (day(30), day(32));
    let yesterday = Utc::now().date_naive() - Days::new(1);

    for (query, pointer) in [
        (
            format!("check_in={check_in}&check_out={check_out}"),
            "party_size",
        ),
        (
            format!("party_size=0&check_in={check_in}&check_out={check_out}"),
            "party_size",
        ),
        (
            format!("party_size=2&units=0&check_in={check_in}&check_out={check_out}"),
            "units",
        ),
        (
            format!("party_size=2&units=51&check_in={check_in}&check_out={check_out}"),
            "units",
        ),
        (format!("party_size=2&check_in={check_in}"), "check_out"),
        ("party_size=2".to_owned(), "check_in"),
        (
            format!(
                "party_size=2&check_in={yesterday}&check_out={}",
                yesterday + Days::new(2)
            ),
            "check_in",
        ),
        (
            format!(
                "party_size=2&check_in={}&check_out={yesterday}",
                yesterday - Days::new(2)
            ),
            "check_in",
        ),
        (
            format!("party_size=2&check_in={check_out}&check_out={check_in}"),
            "check_out",
        ),
        (format!("party_size=2&date={check_in}&time=19:00"), "date"),
    ] {
        let reply = hotel.availability(&query).await;
        assert_invalid(&reply, pointer);
    }
    let bad_date = hotel
        .availability(&format!(
            "party_size=2&check_in=2027-02-30&check_out={check_out}"
        ))
        .await;
    bad_date.assert_problem(422);
    assert!(
        bad_date.parameters().contains(&"check_in".to_owned()),
        "{bad_date:#?}"
    );
    let unknown = hotel
        .api
        .get(
            &format!(
                "/vendor/{}/availability?party_size=2&check_in={check_in}&check_out={check_out}",
                VendorId::generate()
            ),
            None,
        )
        .await;
    unknown.assert_problem(404);
}

#[tokio::test]
async fn asking_for_availability_never_changes_a_counter() {
    let hotel = hotel_with_doubles_and_a_family_room(day(300)).await;
    let guest = hotel.api.guest().await;
    let check_in = day(130);
    held(
        &hotel.api,
        &guest,
        hotel.manager.vendor(),
        &stay(&hotel.double, check_in, 2),
    )
    .await;
    let vendor = hotel.manager.vendor();
    let before = (
        counters(vendor, &hotel.double).await,
        counters(vendor, &hotel.family).await,
    );

    let replies = join_all((0..20).map(|n| {
        hotel.stay(
            2,
            check_in - Days::new(n % 3),
            check_in + Days::new(1 + n % 4),
        )
    }))
    .await;

    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }
    assert_eq!(
        before.0,
        [
            (format!("N#{check_in}"), 1),
            (format!("N#{}", check_in + Days::new(1)), 1)
        ]
        .into()
    );
    assert_eq!(before.1, BTreeMap::new());
    let after = (
        counters(vendor, &hotel.double).await,
        counters(vendor, &hotel.family).await,
    );
    assert_eq!(after, before);
}
