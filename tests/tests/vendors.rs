//! Vendors: onboarding a hotel or restaurant with its manager, staff sign-in, the public profile,
//! and who may edit it or add staff.
use api_tests::{Api, PASSWORD, Reply, unique_email, vendor_body};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The claims inside one of our access tokens.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

/// Every item of the vendors table whose `name` attribute is `name`, read straight from DynamoDB.
async fn vendor_items_named(name: &str) -> Vec<HashMap<String, AttributeValue>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    client
        .scan()
        .table_name(std::env::var("VENDORS_TABLE").expect("VENDORS_TABLE is set"))
        .filter_expression("#name = :name")
        .expression_attribute_names("#name", "name")
        .expression_attribute_values(":name", AttributeValue::S(name.to_owned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("scan the vendors table")
}

fn assert_no_secrets(reply: &Reply) {
    let text = reply.body.to_string().to_lowercase();
    for secret in ["password", "hash", "argon2", PASSWORD] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

/// Onboards a vendor of `kind` and checks what every onboarding must show: the reply, the public
/// profile it points to, and a manager who signs in for that vendor.
async fn onboard_and_check(api: &Api, kind: &str) -> Reply {
    let email = unique_email("owner");
    let body = vendor_body(kind, &email);

    let created = api.post("/vendor/create", None, &body).await;

    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let vendor = &created.body["vendor"];
    let id = vendor["id"].as_str().expect("a vendor id");
    assert_eq!(
        created.header("location"),
        Some(format!("/vendor/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(vendor["kind"], kind);
    assert_eq!(vendor["name"], body["name"]);
    assert_eq!(vendor["time_zone"], "Europe/Berlin");
    assert_eq!(vendor["currency"], "EUR");
    assert_eq!(vendor["address"]["city"], "Berlin");
    assert_eq!(vendor["address"]["country"], "DE");
    assert_eq!(vendor["location"], json!({"lat": 52.5170, "lon": 13.3889}));
    assert_eq!(vendor["facilities"], json!(["parking", "wifi"]));
    assert_eq!(vendor["contact"]["email"], "frontdesk@example.com");
    assert_eq!(vendor["version"], 1);
    let manager = &created.body["manager"];
    assert_eq!(manager["manager"], true);
    assert_eq!(manager["email"], email.as_str());
    assert_eq!(manager["name"], "Mia Manager");
    assert_eq!(manager["vendor_id"], id);
    assert_no_secrets(&created);

    let login = api
        .post(
            "/vendor/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:#?}");
    assert_eq!(login.body["vendor_id"], id);
    assert_eq!(login.body["account_id"], manager["id"]);
    let token = claims(login.body["access_token"].as_str().expect("a token"));
    assert_eq!(token["vendor_id"], id);
    assert_eq!(token["role"], "staff");
    assert_eq!(token["manager"], true);

    let public = api.get(&format!("/vendor/{id}"), None).await;
    assert_eq!(public.status, StatusCode::OK, "{public:#?}");
    assert_eq!(public.header("etag"), Some("\"1\""));
    assert_eq!(&public.body, vendor);
    created
}

#[tokio::test]
async fn onboarding_a_hotel_creates_it_with_a_manager_who_signs_in_for_it() {
    let api = Api::start().await;

    let created = onboard_and_check(&api, "hotel").await;

    assert_eq!(created.body["vendor"]["cuisines"], json!([]));
}

#[tokio::test]
async fn onboarding_a_restaurant_keeps_its_cuisines() {
    let api = Api::start().await;

    let created = onboard_and_check(&api, "restaurant").await;

    assert_eq!(
        created.body["vendor"]["cuisines"],
        json!(["german", "vegan"])
    );
}

#[tokio::test]
async fn onboarding_without_required_fields_names_all_of_them_at_once() {
    let api = Api::start().await;

    let reply = api.post("/vendor/create", None, &json!({})).await;

    reply.assert_problem(422);
    let mut pointers = reply.pointers();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/address",
            "/contact",
            "/currency",
            "/kind",
            "/location",
            "/manager",
            "/name",
            "/time_zone"
        ]
    );
}

#[tokio::test]
async fn onboarding_with_a_bad_value_names_the_field_and_writes_nothing() {
    let api = Api::start().await;
    let email = unique_email("owner");
    let long_name = "n".repeat(300);
    let cases: [(&str, Value, &[&str]); 20] = [
        ("/kind", json!("spa"), &["/kind"]),
        ("/kind", json!(1), &["/kind"]),
        ("/time_zone", json!("CEST"), &["/time_zone"]),
        ("/currency", json!("EURO"), &["/currency"]),
        ("/currency", json!("XYZ"), &["/currency"]),
        ("/location/lat", json!(91.0), &["/location/lat"]),
        ("/location/lon", json!(-180.5), &["/location/lon"]),
        ("/cuisines", json!(["german"]), &["/cuisines"]),
        ("/stars", json!(5), &["/stars"]),
        ("/name", json!(long_name), &["/name"]),
        ("/name", json!(5), &["/name"]),
        ("/manager/password", json!("short"), &["/manager/password"]),
        ("/manager/role", json!("admin"), &["/manager/role"]),
        ("/address/country", json!("Germany"), &["/address/country"]),
        // Well formed, but ISO 3166-1 assigns them to no country.
        ("/address/country", json!("ZZ"), &["/address/country"]),
        ("/address/country", json!("UK"), &["/address/country"]),
        // ISO 4217 codes, but not of a currency in circulation: no currency, gold, a fund, one
        // replaced by another.
        ("/currency", json!("XXX"), &["/currency"]),
        ("/currency", json!("XAU"), &["/currency"]),
        ("/currency", json!("BOV"), &["/currency"]),
        ("/currency", json!("VES"), &["/currency"]),
    ];

    for (field, value, expected) in cases {
        let mut body = vendor_body("hotel", &email);
        let (parent, key) = field.rsplit_once('/').expect("a pointer");
        body.pointer_mut(parent).expect("the parent exists")[key] = value.clone();

        let reply = api.post("/vendor/create", None, &body).await;

        reply.assert_problem(422);
        assert_eq!(reply.pointers(), expected, "{field} = {value}: {reply:#?}");
    }
    // None of the above wrote anything: the manager's address is still free.
    let created = api
        .post("/vendor/create", None, &vendor_body("hotel", &email))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
}

#[tokio::test]
async fn onboarding_with_an_unreadable_body_is_refused() {
    let api = Api::start().await;
    let body = vendor_body("hotel", &unique_email("owner")).to_string();

    let truncated = api
        .send_raw(
            Method::POST,
            "/vendor/create",
            None,
            "application/json",
            &body[..body.len() / 2],
        )
        .await;
    let empty = api
        .send_raw(Method::POST, "/vendor/create", None, "application/json", "")
        .await;
    let text = api
        .send_raw(Method::POST, "/vendor/create", None, "text/plain", &body)
        .await;

    truncated.assert_problem(400);
    empty.assert_problem(400);
    text.assert_problem(415);
}

#[tokio::test]
async fn onboarding_with_a_taken_manager_email_is_a_conflict_and_writes_nothing() {
    let api = Api::start().await;
    let email = unique_email("owner");
    let first_body = vendor_body("hotel", &email);
    let first = api.post("/vendor/create", None, &first_body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:#?}");
    let mut same = vendor_body("restaurant", &email);
    same["manager"]["password"] = json!("another long passphrase");
    let mut same_in_capitals = vendor_body("restaurant", &email.to_uppercase());
    same_in_capitals["manager"]["password"] = json!("another long passphrase");

    let conflict = api.post("/vendor/create", None, &same).await;
    let conflict_in_capitals = api.post("/vendor/create", None, &same_in_capitals).await;

    conflict.assert_problem(409);
    conflict_in_capitals.assert_problem(409);
    // The scan does find what was written, so finding nothing below means nothing was written.
    let first_name = first_body["name"].as_str().unwrap();
    assert_eq!(vendor_items_named(first_name).await.len(), 1);
    for rejected in [&same, &same_in_capitals] {
        let name = rejected["name"].as_str().unwrap();
        assert_eq!(vendor_items_named(name).await, vec![], "{name} was written");
    }
    // The first manager's account is untouched: old password in, new one out, same vendor.
    api.post(
        "/vendor/login",
        None,
        &json!({"email": email, "password": "another long passphrase"}),
    )
    .await
    .assert_problem(401);
    let token = api.login("/vendor/login", &email, PASSWORD).await;
    assert_eq!(claims(&token)["vendor_id"], first.body["vendor"]["id"]);
}

#[tokio::test]
async fn guests_and_staff_sign_in_only_at_their_own_login() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let manager = api.vendor("hotel").await;

    let wrong_staff_password = api
        .post(
            "/vendor/login",
            None,
            &json!({"email": manager.email, "password": "not the password"}),
        )
        .await;
    let guest_as_staff = api
        .post(
            "/vendor/login",
            None,
            &json!({"email": guest.email, "password": PASSWORD}),
        )
        .await;
    let wrong_guest_password = api
        .post(
            "/user/login",
            None,
            &json!({"email": guest.email, "password": "not the password"}),
        )
        .await;
    let manager_as_guest = api
        .post(
            "/user/login",
            None,
            &json!({"email": manager.email, "password": PASSWORD}),
        )
        .await;

    guest_as_staff.assert_problem(401);
    assert_eq!(guest_as_staff.body, wrong_staff_password.body);
    manager_as_guest.assert_problem(401);
    assert_eq!(manager_as_guest.body, wrong_guest_password.body);
}

#[tokio::test]
async fn a_manager_edits_the_profile_and_stale_edits_are_refused() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let path = format!("/vendor/{}", manager.vendor());
    let change = json!({
        "name": "Hotel Am Test",
        "facilities": ["Pool", "spa", "pool"],
        "contact": {"email": "Desk@Example.org", "phone": "+49 30 2261 0"},
    });

    let edited = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&change),
            &[("if-match", "\"1\"")],
        )
        .await;

    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    assert_eq!(edited.header("etag"), Some("\"2\""));
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.body["name"], "Hotel Am Test");
    assert_eq!(edited.body["facilities"], json!(["pool", "spa"]));
    assert_eq!(
        edited.body["contact"],
        json!({"email": "desk@example.org", "phone": "+493022610"})
    );
    assert_eq!(edited.body["time_zone"], "Europe/Berlin");
    assert_eq!(edited.body["address"]["city"], "Berlin");
    let public = api.get(&path, None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.header("etag"), Some("\"2\""));
    assert_eq!(public.body, edited.body);

    let stale = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&json!({"name": "Lost Update"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.assert_problem(412);
    let garbage = api
        .send_with(
            Method::PUT,
            &path,
            manager.token(),
            Some(&json!({"name": "Garbage"})),
            &[("if-match", "banana")],
        )
        .await;
    garbage.assert_problem(400);
    assert_eq!(api.get(&path, None).await.body, edited.body);
}

#[tokio::test]
async fn an_edit_must_change_something_and_keep_to_the_rules_of_its_kind() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let path = format!("/vendor/{}", manager.vendor());

    let empty = api.put(&path, manager.token(), &json!({})).await;
    let cuisines = api
        .put(&path, manager.token(), &json!({"cuisines": ["thai"]}))
        .await;
    let kind = api
        .put(&path, manager.token(), &json!({"kind": "restaurant"}))
        .await;
    let several = api
        .put(
            &path,
            manager.token(),
            &json!({"time_zone": "CEST", "currency": "euro"}),
        )
        .await;

    empty.assert_problem(422);
    assert_eq!(empty.pointers(), [""]);
    cuisines.assert_problem(422);
    assert_eq!(cuisines.pointers(), ["/cuisines"]);
    kind.assert_problem(422);
    assert_eq!(kind.pointers(), ["/kind"]);
    several.assert_problem(422);
    assert_eq!(several.pointers(), ["/time_zone", "/currency"]);
    let unchanged = api.get(&path, None).await;
    assert_eq!(unchanged.body["version"], 1);
    assert_eq!(unchanged.body["kind"], "hotel");
    assert_eq!(unchanged.body["cuisines"], json!([]));
}

#[tokio::test]
async fn a_restaurant_manager_changes_its_cuisines() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let path = format!("/vendor/{}", manager.vendor());

    let edited = api
        .put(
            &path,
            manager.token(),
            &json!({"cuisines": ["Thai", "street food"]}),
        )
        .await;

    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    assert_eq!(edited.body["cuisines"], json!(["street food", "thai"]));
    assert_eq!(
        api.get(&path, None).await.body["cuisines"],
        json!(["street food", "thai"])
    );
}

#[tokio::test]
async fn only_a_manager_of_the_vendor_may_edit_it() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let other_manager = api.vendor("hotel").await;
    let staff = api.staff(&manager, false).await;
    let guest = api.guest().await;
    let path = format!("/vendor/{}", manager.vendor());
    let before = api.get(&path, None).await;
    let change = json!({"name": "Taken Over"});

    let anonymous = api.put(&path, None, &change).await;
    let as_guest = api.put(&path, guest.token(), &change).await;
    let as_other_manager = api.put(&path, other_manager.token(), &change).await;
    let as_staff = api.put(&path, staff.token(), &change).await;

    anonymous.assert_problem(401);
    as_guest.assert_problem(403);
    as_other_manager.assert_problem(403);
    as_staff.assert_problem(403);
    let after = api.get(&path, None).await;
    assert_eq!(after.body, before.body);
    assert_eq!(after.body["version"], 1);
}

#[tokio::test]
async fn a_manager_cannot_edit_an_unknown_vendor_and_a_malformed_id_is_not_found() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let change = json!({"name": "Somewhere Else"});

    let unknown = api
        .put(
            &format!("/vendor/{}", uuid::Uuid::now_v7()),
            manager.token(),
            &change,
        )
        .await;
    let malformed = api.put("/vendor/abc", manager.token(), &change).await;

    unknown.assert_problem(403);
    malformed.assert_problem(404);
}

#[tokio::test]
async fn a_manager_adds_staff_who_sign_in_for_the_same_vendor() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let email = unique_email("host");

    let created = api
        .post(
            &format!("/vendor/{}/staff", manager.vendor()),
            manager.token(),
            &json!({"name": "Hugo Host", "email": email, "password": PASSWORD}),
        )
        .await;

    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let id = created.body["id"].as_str().expect("a staff id");
    assert_eq!(created.body["manager"], false);
    assert_eq!(created.body["vendor_id"], manager.vendor());
    assert_eq!(created.body["email"], email.as_str());
    assert_eq!(created.body["name"], "Hugo Host");
    assert_no_secrets(&created);
    let login = api
        .post(
            "/vendor/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:#?}");
    assert_eq!(login.body["account_id"], id);
    assert_eq!(login.body["vendor_id"], manager.vendor());
    let token = claims(login.body["access_token"].as_str().expect("a token"));
    assert_eq!(token["vendor_id"], manager.vendor());
    assert_eq!(token["role"], "staff");
    assert_ne!(token["manager"], true);
}

#[tokio::test]
async fn staff_added_as_a_manager_may_edit_the_vendor() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let deputy = api.staff(&manager, true).await;

    let edited = api
        .put(
            &format!("/vendor/{}", manager.vendor()),
            deputy.token(),
            &json!({"description": "Now with a deputy"}),
        )
        .await;

    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    assert_eq!(edited.body["description"], "Now with a deputy");
    assert_eq!(claims(&deputy.token)["manager"], true);
}

#[tokio::test]
async fn a_staff_email_has_one_account() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let other_manager = api.vendor("restaurant").await;
    let staff = api.staff(&manager, false).await;
    let path = format!("/vendor/{}/staff", manager.vendor());
    let again = |email: &str| json!({"name": "Twin", "email": email.to_uppercase(), "password": "another long passphrase"});

    let same_staff = api.post(&path, manager.token(), &again(&staff.email)).await;
    let own_manager = api
        .post(&path, manager.token(), &again(&manager.email))
        .await;
    let other_vendors_manager = api
        .post(&path, manager.token(), &again(&other_manager.email))
        .await;

    same_staff.assert_problem(409);
    own_manager.assert_problem(409);
    other_vendors_manager.assert_problem(409);
    // The existing accounts kept their passwords and their vendors.
    for (account, vendor) in [
        (&staff, manager.vendor()),
        (&manager, manager.vendor()),
        (&other_manager, other_manager.vendor()),
    ] {
        let wrong = json!({"email": account.email, "password": "another long passphrase"});
        api.post("/vendor/login", None, &wrong)
            .await
            .assert_problem(401);
        let token = api.login("/vendor/login", &account.email, PASSWORD).await;
        assert_eq!(claims(&token)["vendor_id"], vendor);
    }
}

#[tokio::test]
async fn only_a_manager_of_the_vendor_may_add_staff() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let other_manager = api.vendor("hotel").await;
    let staff = api.staff(&manager, false).await;
    let guest = api.guest().await;
    let path = format!("/vendor/{}/staff", manager.vendor());
    let candidate = |tag: &str| json!({"name": "Eve", "email": unique_email(tag), "password": PASSWORD, "manager": true});
    let (by_nobody, by_guest, by_other, by_staff) = (
        candidate("nobody"),
        candidate("guest"),
        candidate("other"),
        candidate("staff"),
    );

    let anonymous = api.post(&path, None, &by_nobody).await;
    let as_guest = api.post(&path, guest.token(), &by_guest).await;
    let as_other_manager = api.post(&path, other_manager.token(), &by_other).await;
    let as_staff = api.post(&path, staff.token(), &by_staff).await;

    anonymous.assert_problem(401);
    as_guest.assert_problem(403);
    as_other_manager.assert_problem(403);
    as_staff.assert_problem(403);
    for refused in [&by_nobody, &by_guest, &by_other, &by_staff] {
        api.post(
            "/vendor/login",
            None,
            &json!({"email": refused["email"], "password": PASSWORD}),
        )
        .await
        .assert_problem(401);
    }
}

#[tokio::test]
async fn an_unknown_or_malformed_vendor_is_not_found() {
    let api = Api::start().await;

    let unknown = api
        .get(&format!("/vendor/{}", uuid::Uuid::now_v7()), None)
        .await;
    let malformed = api.get("/vendor/abc", None).await;

    unknown.assert_problem(404);
    malformed.assert_problem(404);
}

#[tokio::test]
async fn a_vendors_staff_see_who_works_there_and_outsiders_do_not() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let path = format!("/vendor/{}/staff", manager.vendor());
    let host_email = unique_email("host");
    let added = api
        .post(
            &path,
            manager.token(),
            &json!({"name": "Hana Host", "email": host_email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{added:#?}");
    let host = api.login("/vendor/login", &host_email, PASSWORD).await;

    // The list is read from an index that may lag a write by a moment.
    let mut listed = api.get(&path, Some(&host)).await;
    for _ in 0..20 {
        if listed.body["items"]
            .as_array()
            .is_some_and(|items| items.len() == 2)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        listed = api.get(&path, Some(&host)).await;
    }
    assert_eq!(listed.status, StatusCode::OK, "{listed:#?}");
    let mut emails: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    emails.sort();
    let mut expected = vec![manager.email.as_str(), host_email.as_str()];
    expected.sort();
    assert_eq!(emails, expected);
    assert!(!listed.body.to_string().contains("password"));

    let guest = api.guest().await;
    let other = api.vendor("restaurant").await;
    api.get(&path, guest.token()).await.assert_problem(403);
    api.get(&path, other.token()).await.assert_problem(403);
    api.get(&path, None).await.assert_problem(401);
}
