//! Channels end to end (issue 22, items 1 and 4's pull): a manager connects a channel, the channel
//! gets tokens with its client credentials (HTTP Basic or the body), rotates and is disconnected,
//! may call only the channel endpoints, and pulls availability and rates that equal the counters.
use api_tests::{Account, Api, Reply, resource_body};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const UNITS: i64 = 5;
const PRICE: i64 = 12_900;
const PRICEY: i64 = 15_500;

struct Hotel {
    api: Api,
    manager: Account,
    room: String,
    /// The first night the tests look at; `pricey` is two nights later.
    first: NaiveDate,
}

impl Hotel {
    async fn open() -> Self {
        let api = Api::start().await;
        let manager = api.vendor("hotel").await;
        let first = Utc::now().date_naive() + Duration::days(20);
        let pricey = first + Duration::days(2);
        let mut room = resource_body("Double", 2, UNITS, PRICE);
        room["price_rules"] =
            json!([{"from": pricey.to_string(), "to": pricey.to_string(), "amount_minor": PRICEY}]);
        let room = api.resource(&manager, &room).await;
        Self {
            api,
            manager,
            room,
            first,
        }
    }

    fn vendor(&self) -> &str {
        self.manager.vendor()
    }

    async fn connect_as(&self, by: Option<&str>, body: &Value) -> Reply {
        self.api
            .post(&format!("/vendor/{}/channels", self.vendor()), by, body)
            .await
    }

    /// A connected channel: its client id and secret.
    async fn connect(&self) -> (String, String) {
        let reply = self
            .connect_as(
                self.manager.token(),
                &json!({"kind": "channel_manager", "name": "Test channel manager",
                        "webhook_url": "http://127.0.0.1:9/ari"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        let id = reply.body["client_id"].as_str().expect("a client id");
        let secret = reply.body["client_secret"].as_str().expect("a secret");
        assert_eq!(
            STANDARD.decode(b64_std(secret)).map(|b| b.len()).ok(),
            Some(32)
        );
        (id.to_owned(), secret.to_owned())
    }

    async fn rotate(&self, client_id: &str) -> Reply {
        self.api
            .post(
                &format!("/vendor/{}/channels/{client_id}/secret", self.vendor()),
                self.manager.token(),
                &json!({}),
            )
            .await
    }

    async fn disconnect(&self, by: Option<&str>, client_id: &str) -> Reply {
        self.api
            .send(
                Method::DELETE,
                &format!("/vendor/{}/channels/{client_id}", self.vendor()),
                by,
                None,
            )
            .await
    }

    async fn list(&self, by: Option<&str>) -> Reply {
        self.api
            .get(&format!("/vendor/{}/channels", self.vendor()), by)
            .await
    }

    /// A one-night hold (one room) from `night`, for `nights` nights, by a new guest.
    async fn hold(&self, night: NaiveDate, nights: i64) {
        let guest = self.api.guest().await;
        let body = json!({
            "resource_id": self.room,
            "party_size": 2,
            "check_in": night.to_string(),
            "check_out": (night + Duration::days(nights)).to_string(),
        });
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.vendor()),
                guest.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    }

    async fn ari(&self, token: Option<&str>, from: NaiveDate, to: NaiveDate) -> Reply {
        self.api
            .get(&format!("/channel/ari?from={from}&to={to}"), token)
            .await
    }
}

/// base64url without padding, as a secret is, read back for its length.
fn b64_std(secret: &str) -> String {
    let mut s = secret.replace('-', "+").replace('_', "/");
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

/// `POST /oauth/token` with a form body and, if given, HTTP Basic credentials.
async fn token_request(api: &Api, basic: Option<(&str, &str)>, form: &str) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client
        .post(format!("{}/oauth/token", api.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("the gateway answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body");
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

async fn token_by_basic(api: &Api, id: &str, secret: &str) -> Reply {
    token_request(api, Some((id, secret)), "grant_type=client_credentials").await
}

async fn token_by_body(api: &Api, id: &str, secret: &str) -> Reply {
    let form = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={}&scope=ari%3Aread",
        secret.replace('-', "%2D")
    );
    token_request(api, None, &form).await
}

fn access_token(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    assert_eq!(reply.body["token_type"], "Bearer", "{reply:#?}");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn a_connected_channel_gets_tokens_by_basic_and_by_the_body_and_never_by_a_wrong_secret() {
    let hotel = Hotel::open().await;
    let (id, secret) = hotel.connect().await;

    let by_basic = access_token(&token_by_basic(&hotel.api, &id, &secret).await);
    let claimed = claims(&by_basic);
    assert_eq!(claimed["sub"], id.as_str());
    assert_eq!(claimed["channel_id"], id.as_str());
    assert_eq!(claimed["vendor_id"], hotel.vendor());
    assert_eq!(claimed["role"], "channel");
    assert_eq!(claimed["scope"], "ari:read bookings:write");
    assert_eq!(
        claimed["exp"].as_i64().unwrap() - claimed["iat"].as_i64().unwrap(),
        900
    );

    let by_body = token_by_body(&hotel.api, &id, &secret).await;
    assert_eq!(claims(&access_token(&by_body))["scope"], "ari:read");

    let wrong = token_by_basic(&hotel.api, &id, "not-the-secret").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:#?}");
    assert_eq!(wrong.body["error"], "invalid_client");
    assert!(
        wrong
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic"))
    );
    let unknown = token_by_basic(&hotel.api, &uuid::Uuid::new_v4().to_string(), &secret).await;
    assert_eq!(unknown.body["error"], "invalid_client", "{unknown:#?}");

    let grant = token_request(&hotel.api, Some((&id, &secret)), "grant_type=password").await;
    assert_eq!(grant.status, StatusCode::BAD_REQUEST);
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    let scope = token_request(
        &hotel.api,
        Some((&id, &secret)),
        "grant_type=client_credentials&scope=admin",
    )
    .await;
    assert_eq!(scope.body["error"], "invalid_scope", "{scope:#?}");
    let missing = token_request(&hotel.api, Some((&id, &secret)), "").await;
    assert_eq!(missing.body["error"], "invalid_request", "{missing:#?}");

    // The list shows the channel, never its secret.
    let list = hotel.list(hotel.manager.token()).await;
    assert_eq!(list.status, StatusCode::OK, "{list:#?}");
    let text = list.body.to_string();
    assert!(!text.contains(&secret), "{text}");
    assert!(!text.contains("argon2"), "{text}");
    let listed: Vec<&Value> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["client_id"] == id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{list:#?}");
    assert_eq!(listed[0]["kind"], "channel_manager");
    assert_eq!(listed[0]["status"], "active");
}

#[tokio::test]
async fn failed_secrets_are_throttled_like_sign_ins() {
    let hotel = Hotel::open().await;
    let (id, secret) = hotel.connect().await;
    for _ in 0..shared::auth::attempts::MAX_PER_ACCOUNT_AND_SOURCE {
        let wrong = token_by_basic(&hotel.api, &id, "guess").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:#?}");
    }
    let refused = token_by_basic(&hotel.api, &id, &secret).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{refused:#?}"
    );
    assert!(refused.header("retry-after").is_some());
}

#[tokio::test]
async fn a_rotated_secret_works_through_its_grace_period_beside_the_new_one() {
    let hotel = Hotel::open().await;
    let (id, old) = hotel.connect().await;
    let rotated = hotel.rotate(&id).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:#?}");
    let new = rotated.body["client_secret"]
        .as_str()
        .expect("a new secret");
    assert_ne!(new, old);
    let grace_end = rotated.body["previous_secret_valid_until"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .expect("the old secret's grace period");
    let hours = (grace_end.with_timezone(&Utc) - Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{rotated:#?}");

    access_token(&token_by_basic(&hotel.api, &id, new).await);
    access_token(&token_by_basic(&hotel.api, &id, &old).await);

    // A second rotation ends the first secret's grace at once; the second one's starts.
    let again = hotel.rotate(&id).await;
    let newest = again.body["client_secret"]
        .as_str()
        .expect("a newer secret");
    let first = token_by_basic(&hotel.api, &id, &old).await;
    assert_eq!(first.body["error"], "invalid_client", "{first:#?}");
    access_token(&token_by_basic(&hotel.api, &id, new).await);
    access_token(&token_by_basic(&hotel.api, &id, newest).await);
}

#[tokio::test]
async fn a_disconnected_channels_tokens_and_secrets_are_refused() {
    let hotel = Hotel::open().await;
    let (id, secret) = hotel.connect().await;
    let token = access_token(&token_by_basic(&hotel.api, &id, &secret).await);
    let first = hotel.first;
    assert_eq!(
        hotel.ari(Some(&token), first, first).await.status,
        StatusCode::OK
    );

    let gone = hotel.disconnect(hotel.manager.token(), &id).await;
    assert_eq!(gone.status, StatusCode::OK, "{gone:#?}");
    assert_eq!(gone.body["status"], "disconnected");

    hotel
        .ari(Some(&token), first, first)
        .await
        .assert_problem(401);
    let refused = token_by_basic(&hotel.api, &id, &secret).await;
    assert_eq!(refused.body["error"], "invalid_client", "{refused:#?}");
    let rotate = hotel.rotate(&id).await;
    rotate.assert_problem(409);
}

#[tokio::test]
async fn only_the_vendors_manager_manages_its_channels() {
    let hotel = Hotel::open().await;
    let (id, _) = hotel.connect().await;
    let desk = hotel.api.staff_as(&hotel.manager, "desk").await;
    let housekeeper = hotel.api.staff_as(&hotel.manager, "housekeeping").await;
    let guest = hotel.api.guest().await;
    let other = hotel.api.vendor("hotel").await;
    let body = json!({"kind": "ota", "name": "A booking site"});
    for (who, account) in [
        ("desk", &desk),
        ("housekeeping", &housekeeper),
        ("guest", &guest),
        ("another vendor's manager", &other),
    ] {
        let connect = hotel.connect_as(account.token(), &body).await;
        assert_eq!(connect.status, StatusCode::FORBIDDEN, "{who}: {connect:#?}");
        let list = hotel.list(account.token()).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN, "{who}: {list:#?}");
        let disconnect = hotel.disconnect(account.token(), &id).await;
        assert_eq!(
            disconnect.status,
            StatusCode::FORBIDDEN,
            "{who}: {disconnect:#?}"
        );
    }
    let anonymous = hotel.connect_as(None, &body).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // The channel is still there: none of the refused calls touched it.
    let list = hotel.list(hotel.manager.token()).await;
    assert!(
        list.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["client_id"] == id.as_str() && c["status"] == "active"),
        "{list:#?}"
    );
}

#[tokio::test]
async fn a_channel_token_opens_no_guest_or_staff_endpoint_and_theirs_no_channel_endpoint() {
    let hotel = Hotel::open().await;
    let (id, secret) = hotel.connect().await;
    let token = access_token(&token_by_basic(&hotel.api, &id, &secret).await);
    let guest = hotel.api.guest().await;
    let v = hotel.vendor();
    let booking = json!({
        "resource_id": hotel.room, "party_size": 2,
        "check_in": hotel.first.to_string(),
        "check_out": (hotel.first + Duration::days(1)).to_string(),
    });
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/user/{}", guest.id), None),
        (
            Method::PUT,
            format!("/vendor/{v}"),
            Some(json!({"name": "Taken over"})),
        ),
        (Method::GET, format!("/vendor/{v}/staff"), None),
        (
            Method::POST,
            format!("/vendor/{v}/resource"),
            Some(resource_body("Suite", 2, 1, 1)),
        ),
        (Method::POST, format!("/booking/vendor/{v}"), Some(booking)),
        (Method::GET, format!("/bookings/vendor/{v}"), None),
        (Method::GET, format!("/vendor/{v}/units"), None),
        (Method::GET, format!("/vendor/{v}/reports"), None),
        (Method::GET, format!("/vendor/{v}/changes"), None),
        (Method::GET, format!("/vendor/{v}/channels"), None),
        (
            Method::POST,
            format!("/vendor/{v}/channels"),
            Some(json!({"kind": "ota", "name": "x"})),
        ),
        (
            Method::POST,
            format!("/vendor/{v}/channels/{id}/secret"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/vendor/{v}/channels/{id}"), None),
    ];
    for (method, path, body) in routes {
        let reply = hotel
            .api
            .send_with(
                method.clone(),
                &path,
                Some(&token),
                body.as_ref(),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert!(
            matches!(
                reply.status,
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
            ),
            "{method} {path}: {reply:#?}"
        );
    }
    // Still connected: its own endpoint works with the same token.
    assert_eq!(
        hotel
            .ari(Some(&token), hotel.first, hotel.first)
            .await
            .status,
        StatusCode::OK
    );
    for account in [&hotel.manager, &guest] {
        hotel
            .ari(account.token(), hotel.first, hotel.first)
            .await
            .assert_problem(403);
    }
    hotel
        .ari(None, hotel.first, hotel.first)
        .await
        .assert_problem(401);
}

#[tokio::test]
async fn ari_shows_the_free_units_the_holds_left_and_each_nights_price() {
    let hotel = Hotel::open().await;
    let (id, secret) = hotel.connect().await;
    let token = access_token(&token_by_basic(&hotel.api, &id, &secret).await);
    let first = hotel.first;
    // Nights first..first+3: two one-night holds on the second night, a two-night hold from it.
    let holds = [(1, 1), (1, 1), (1, 2)];
    for (offset, nights) in holds {
        hotel.hold(first + Duration::days(offset), nights).await;
    }
    let mut held = [0i64; 4];
    for (offset, nights) in holds {
        for night in offset..offset + nights {
            held[night as usize] += 1;
        }
    }

    let reply = hotel
        .ari(Some(&token), first, first + Duration::days(3))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    assert_eq!(reply.body["hotel_code"], hotel.vendor());
    assert_eq!(reply.body["currency_code"], "EUR");
    let rooms = reply.body["room_types"].as_array().expect("room types");
    assert_eq!(rooms.len(), 1, "{reply:#?}");
    assert_eq!(rooms[0]["inv_type_code"], hotel.room.as_str());
    let days = rooms[0]["days"].as_array().expect("days");
    assert_eq!(days.len(), 4);
    for (night, day) in days.iter().enumerate() {
        let date = first + Duration::days(night as i64);
        assert_eq!(day["date"], date.to_string());
        assert_eq!(day["booking_limit"], UNITS - held[night], "{date}: {day}");
        let price = if night == 2 { PRICEY } else { PRICE };
        assert_eq!(day["rate"]["amount_minor"], price, "{date}: {day}");
        assert_eq!(day["rate"]["currency"], "EUR");
    }
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let hotel = Hotel::open().await;
    let bad = hotel
        .connect_as(
            hotel.manager.token(),
            &json!({"kind": "gds", "name": "", "webhook_url": "http://channel.example.com/ari"}),
        )
        .await;
    bad.assert_problem(422);
    let mut pointers = bad.pointers();
    pointers.sort();
    assert_eq!(pointers, vec!["/kind", "/name", "/webhook_url"], "{bad:#?}");

    let (id, secret) = hotel.connect().await;
    let token = access_token(&token_by_basic(&hotel.api, &id, &secret).await);
    let first = hotel.first;
    let too_long = hotel
        .ari(Some(&token), first, first + Duration::days(366))
        .await;
    too_long.assert_problem(422);
    assert_eq!(too_long.parameters(), vec!["to"], "{too_long:#?}");
    let longest = hotel
        .ari(Some(&token), first, first + Duration::days(365))
        .await;
    assert_eq!(longest.status, StatusCode::OK, "{longest:#?}");
    let backwards = hotel
        .ari(Some(&token), first, first - Duration::days(1))
        .await;
    assert_eq!(backwards.parameters(), vec!["to"], "{backwards:#?}");
    let missing = hotel
        .api
        .get("/channel/ari?to=2027-01-01", Some(&token))
        .await;
    missing.assert_problem(422);
    assert_eq!(missing.parameters(), vec!["from"], "{missing:#?}");
}
