//! The test harness: a local gateway per test, on its own port, in front of the real emulators
//! started by `tests/run.sh` (DynamoDB Local, LocalStack). Tests isolate themselves by creating
//! their own accounts and vendors with unique emails, so they run in parallel.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

/// A response, read whole: status, headers and JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The JSON pointers (into the body) of a 422's field errors.
    pub fn pointers(&self) -> Vec<String> {
        self.errors_at("pointer")
    }

    /// The query parameters named by a 422's field errors.
    pub fn parameters(&self) -> Vec<String> {
        self.errors_at("parameter")
    }

    fn errors_at(&self, member: &str) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e[member].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a problem+json reply with this status.
    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "unexpected reply: {self:#?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:#?}"
        );
        assert_eq!(self.body["status"], status, "{self:#?}");
        self
    }
}

/// Fails loudly when the emulators' environment is missing: these tests never skip silently.
pub fn require_env() {
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "ACCOUNTS_TABLE",
        "VENDORS_TABLE",
        "JWT_KMS_KEY_ID",
    ] {
        assert!(
            std::env::var(name).is_ok(),
            "{name} is not set: run the tests with tests/run.sh, which starts the local emulators"
        );
    }
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A random address in 127.0.0.0/8 (all of it is the loopback interface on Linux).
fn random_loopback() -> std::net::IpAddr {
    use rand::Rng;
    let mut rng = rand::rng();
    std::net::Ipv4Addr::new(
        127,
        rng.random_range(1..=254),
        rng.random_range(1..=254),
        rng.random_range(1..=254),
    )
    .into()
}

fn client_from(source: std::net::IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source)
        .build()
        .expect("an HTTP client")
}

impl Api {
    pub async fn start() -> Self {
        require_env();
        shared::telemetry::init();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        // Consumers are driven directly by the tests that need them (see bookings.rs), so no
        // test's gateway leaves queue messages in flight when its process ends.
        let base = local_gateway::start_with(listener, false)
            .await
            .expect("start the local gateway");
        Self {
            base,
            client: client_from(random_loopback()),
        }
    }

    /// The same gateway reached from another source address, as a caller on another network
    /// reaches API Gateway: sign-in limits are counted per source (`auth::attempts`). Each `Api`
    /// sends from a loopback address of its own, so tests never share a source's budget.
    pub fn from_another_source(&self) -> Self {
        Self {
            base: self.base.clone(),
            client: client_from(random_loopback()),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        self.send_with(method, path, token, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the gateway answers");
        Self::read(response).await
    }

    /// Sends raw bytes with the given content type (for malformed bodies).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::read(request.send().await.expect("the gateway answers")).await
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    /// Signs up a new guest and signs them in.
    pub async fn guest(&self) -> Account {
        let email = unique_email("guest");
        let created = self
            .post(
                "/user/create",
                None,
                &json!({"email": email, "password": PASSWORD, "name": "Test Guest"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
        let token = self.login("/user/login", &email, PASSWORD).await;
        Account {
            id: created.body["id"].as_str().unwrap_or_default().to_owned(),
            email,
            token,
            vendor_id: None,
        }
    }

    /// Onboards a vendor of `kind` and signs its manager in.
    pub async fn vendor(&self, kind: &str) -> Account {
        self.vendor_with(kind, json!({})).await
    }

    /// Onboards a vendor with some of `vendor_body`'s fields replaced and signs its manager in.
    pub async fn vendor_with(&self, kind: &str, overrides: Value) -> Account {
        let email = unique_email("manager");
        let body = merged(vendor_body(kind, &email), &overrides);
        let created = self.post("/vendor/create", None, &body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
        let token = self.login("/vendor/login", &email, PASSWORD).await;
        Account {
            id: created.body["manager"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            email,
            token,
            vendor_id: created.body["vendor"]["id"].as_str().map(str::to_owned),
        }
    }

    /// Adds a room or table type to the manager's vendor; its id.
    pub async fn resource(&self, manager: &Account, body: &Value) -> String {
        let path = format!("/vendor/{}/resource", manager.vendor());
        let created = self.post(&path, manager.token(), body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
        created.body["id"]
            .as_str()
            .expect("a resource id")
            .to_owned()
    }

    /// Adds a member of staff to the manager's vendor and signs them in.
    pub async fn staff(&self, manager: &Account, is_manager: bool) -> Account {
        let email = unique_email("staff");
        let body = json!({"name": "Sam Staff", "email": email, "password": PASSWORD, "manager": is_manager});
        let created = self
            .post(
                &format!("/vendor/{}/staff", manager.vendor()),
                manager.token(),
                &body,
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
        let token = self.login("/vendor/login", &email, PASSWORD).await;
        Account {
            id: created.body["id"].as_str().unwrap_or_default().to_owned(),
            email,
            token,
            vendor_id: Some(manager.vendor().to_owned()),
        }
    }

    /// Takes a booking through its stay as the vendor's staff do: checked in, then completed.
    pub async fn complete(&self, staff: &Account, booking: &str) {
        for status in ["CHECKED_IN", "COMPLETED"] {
            let reply = self
                .put(
                    &format!("/booking/{booking}/status"),
                    staff.token(),
                    &json!({ "status": status }),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{status}: {reply:#?}");
        }
    }

    /// `POST /booking/{booking}/review` with `body`, as `reviewer`.
    pub async fn review(&self, reviewer: &Account, booking: &str, body: &Value) -> Reply {
        self.post(
            &format!("/booking/{booking}/review"),
            reviewer.token(),
            body,
        )
        .await
    }

    pub async fn login(&self, path: &str, email: &str, password: &str) -> String {
        let reply = self
            .post(path, None, &json!({"email": email, "password": password}))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub token: String,
    pub vendor_id: Option<String>,
}

impl Account {
    pub fn token(&self) -> Option<&str> {
        Some(&self.token)
    }

    pub fn vendor(&self) -> &str {
        self.vendor_id.as_deref().unwrap_or_default()
    }
}

/// `base` with the top-level fields of `extra` written over it.
pub fn merged(mut base: Value, extra: &Value) -> Value {
    if let Some(fields) = extra.as_object() {
        for (field, value) in fields {
            base[field] = value.clone();
        }
    }
    base
}

/// A valid onboarding body for a hotel or restaurant in Berlin, with its manager.
pub fn vendor_body(kind: &str, manager_email: &str) -> Value {
    let mut body = json!({
        "kind": kind,
        "name": format!("Test {kind} {}", uuid::Uuid::new_v4().simple()),
        "description": "A place to test things",
        "address": {"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"},
        "location": {"lat": 52.5170, "lon": 13.3889},
        "time_zone": "Europe/Berlin",
        "currency": "EUR",
        "facilities": ["wifi", "parking"],
        "contact": {"email": "frontdesk@example.com", "phone": "+49301234567"},
        "manager": {"name": "Mia Manager", "email": manager_email, "password": PASSWORD},
    });
    if kind == "restaurant" {
        body["cuisines"] = json!(["german", "vegan"]);
    }
    body
}

/// A valid room type or table type body.
/// A room or table type that takes a 20 % deposit, so its holds wait for payment (HELD).
pub fn resource_body(name: &str, capacity: i64, units: i64, price_minor: i64) -> Value {
    json!({
        "name": name,
        "description": "Quiet, facing the courtyard",
        "capacity": capacity,
        "units": units,
        "base_price": {"amount_minor": price_minor, "currency": "EUR"},
        "amenities": ["balcony"],
        "deposit": {"kind": "percent", "percent": 20},
    })
}

/// An SQS batch as Lambda hands it to a queue consumer: (message id, body) per message.
pub fn sqs_event(messages: &[(&str, String)]) -> aws_lambda_events::sqs::SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("AQEB{id}"),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795000000000",
                    "SenderId": "000000000000",
                    "ApproximateFirstReceiveTimestamp": "1795000000000"
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:reservations-hold-expiry",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
}

/// Pays a payment intent as the guest's browser does through Stripe.js, as raw HTTP against
/// localstripe: its confirm takes neither a `payment_method` (500 "Not implemented") nor a
/// publishable key, so the method is set on the intent first and confirmed with the secret key;
/// Stripe accepts the same two calls. The confirm's status and body.
pub async fn pay_intent(
    api_base: &str,
    secret_key: &str,
    intent_id: &str,
    payment_method: &str,
) -> (StatusCode, Value) {
    let http = reqwest::Client::new();
    let url = format!("{api_base}/v1/payment_intents/{intent_id}");
    let set = http
        .post(&url)
        .bearer_auth(secret_key)
        .form(&[("payment_method", payment_method)])
        .send()
        .await
        .expect("localstripe answers");
    assert!(set.status().is_success(), "{:?}", set.text().await);
    let confirmed = http
        .post(format!("{url}/confirm"))
        .bearer_auth(secret_key)
        .send()
        .await
        .expect("localstripe answers");
    let status = confirmed.status();
    (status, confirmed.json().await.unwrap_or(Value::Null))
}

/// Receives webhook deliveries on a port of its own: (Stripe-Signature header, raw body).
/// Register its URL with localstripe (`POST /_config/webhooks/{id}`); localstripe sends every
/// event to every registered URL, so a test picks out its own.
pub async fn webhook_receiver() -> (String, tokio::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port");
    let url = format!(
        "http://{}/stripe-webhook",
        listener.local_addr().expect("a bound port")
    );
    let (deliveries, received) = tokio::sync::mpsc::channel(256);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let deliveries = deliveries.clone();
            tokio::spawn(async move {
                if let Some(delivery) = read_delivery(&mut socket).await {
                    let _ = tokio::io::AsyncWriteExt::write_all(
                        &mut socket,
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
                    let _ = deliveries.send(delivery).await;
                }
            });
        }
    });
    (url, received)
}

async fn read_delivery(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = tokio::io::AsyncReadExt::read(socket, &mut chunk)
            .await
            .ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length")?.parse().ok()?;
    while buffer.len() < head_end + length {
        let n = tokio::io::AsyncReadExt::read(socket, &mut chunk)
            .await
            .ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let signature = header("stripe-signature").unwrap_or_default();
    Some((signature, buffer[head_end..head_end + length].to_vec()))
}

/// Registers (or, with the same `id`, replaces) a localstripe webhook endpoint: localstripe has
/// no endpoints API, only `POST /_config/webhooks/{id}`, and keeps registrations for the life of
/// its process, for every test that runs meanwhile. No `events` is the nearest thing to removing
/// one (an empty list only travels as JSON: a form without `events[]` means every event).
pub async fn localstripe_webhook(
    api_base: &str,
    id: &str,
    url: &str,
    secret: &str,
    events: &[&str],
) {
    let registered = reqwest::Client::new()
        .post(format!("{api_base}/_config/webhooks/{id}"))
        .json(&json!({"url": url, "secret": secret, "events": events}))
        .send()
        .await
        .expect("localstripe answers");
    assert!(registered.status().is_success(), "{registered:?}");
}

/// A fact as the event bus delivers it to a consumer, for tests that hand one to a consumer's
/// effect directly.
pub fn received(fact: &shared::events::Event) -> shared::events::ReceivedEvent {
    shared::events::ReceivedEvent {
        version: "0".into(),
        id: uuid::Uuid::new_v4().to_string(),
        detail_type: fact.detail_type().into(),
        source: fact.source().into(),
        account: "000000000000".into(),
        time: chrono::Utc::now(),
        region: "us-east-1".into(),
        resources: vec![],
        detail: fact.detail().expect("a fact's detail serialises"),
    }
}

/// One mail as LocalStack's SES recorded it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// Every mail LocalStack's SES accepted for `address` (`GET /_aws/ses`, which cannot filter by
/// recipient), oldest first.
pub async fn mailbox(address: &str) -> Vec<Mail> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL is set");
    let all: Value = reqwest::get(format!("{}/_aws/ses", endpoint.trim_end_matches('/')))
        .await
        .expect("LocalStack answers")
        .json()
        .await
        .expect("the SES mailbox as JSON");
    all["messages"]
        .as_array()
        .expect("a list of messages")
        .iter()
        .filter(|m| {
            m["Destination"]["ToAddresses"]
                .as_array()
                .is_some_and(|to| to.iter().any(|a| a == address))
        })
        .map(|m| Mail {
            subject: m["Subject"].as_str().unwrap_or_default().to_owned(),
            body: m["Body"]["text_part"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

impl Api {
    /// Adds a member of staff with `role` (`manager`, `desk` or `housekeeping`) to the manager's
    /// vendor and signs them in.
    pub async fn staff_as(&self, manager: &Account, role: &str) -> Account {
        let email = unique_email(role);
        let body = json!({"name": "Sam Staff", "email": email, "password": PASSWORD, "role": role});
        let created = self
            .post(
                &format!("/vendor/{}/staff", manager.vendor()),
                manager.token(),
                &body,
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
        assert_eq!(created.body["role"], role, "{created:#?}");
        let token = self.login("/vendor/login", &email, PASSWORD).await;
        Account {
            id: created.body["id"].as_str().unwrap_or_default().to_owned(),
            email,
            token,
            vendor_id: Some(manager.vendor().to_owned()),
        }
    }
}

/// Business time (`shared::clock`), as the local gateway keeps it: tests move it forward to live
/// through days (the offset is absolute, from the real time, and never negative).
impl Api {
    /// Sets business time to the real time plus `offset` (`POST /_local/clock`).
    pub async fn set_clock_offset(&self, offset: chrono::Duration) {
        let reply = self
            .post(
                "/_local/clock",
                None,
                &json!({ "offset_seconds": offset.num_seconds() }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }

    /// The gateway's business time now (`GET /_local/clock`).
    pub async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let reply = self.get("/_local/clock", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["now"]
            .as_str()
            .and_then(|now| chrono::DateTime::parse_from_rfc3339(now).ok())
            .map(|now| now.to_utc())
            .expect("the clock's now")
    }

    /// `today_in`, on the gateway's business time (which a test may have moved).
    pub async fn today_in(&self, zone: &str) -> chrono::NaiveDate {
        let zone = shared::domain::vendor::TimeZone::parse(zone)
            .expect("an IANA time zone")
            .tz();
        self.now().await.with_timezone(&zone).date_naive()
    }
}

/// Today's date where a vendor is (`zone`, an IANA name as onboarding takes it): the arrival
/// day of a booking staff may check in now (nobody checks in before the arrival day).
pub fn today_in(zone: &str) -> chrono::NaiveDate {
    let zone = shared::domain::vendor::TimeZone::parse(zone)
        .expect("an IANA time zone")
        .tz();
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

/// A zone where it is now between noon and one in the afternoon (one of the whole-hour `Etc`
/// zones, which keep no summer time), for a vendor whose test books and checks in "today":
/// a stay from today or a seating later today then never straddles the vendor's midnight,
/// whenever the test runs.
pub fn zone_at_noon() -> &'static str {
    use chrono::Timelike;
    const ZONES: [&str; 24] = [
        "Etc/GMT+11",
        "Etc/GMT+10",
        "Etc/GMT+9",
        "Etc/GMT+8",
        "Etc/GMT+7",
        "Etc/GMT+6",
        "Etc/GMT+5",
        "Etc/GMT+4",
        "Etc/GMT+3",
        "Etc/GMT+2",
        "Etc/GMT+1",
        "Etc/GMT",
        "Etc/GMT-1",
        "Etc/GMT-2",
        "Etc/GMT-3",
        "Etc/GMT-4",
        "Etc/GMT-5",
        "Etc/GMT-6",
        "Etc/GMT-7",
        "Etc/GMT-8",
        "Etc/GMT-9",
        "Etc/GMT-10",
        "Etc/GMT-11",
        "Etc/GMT-12",
    ];
    let now = chrono::Utc::now();
    ZONES
        .into_iter()
        .find(|zone| {
            let zone = shared::domain::vendor::TimeZone::parse(zone).expect("an IANA time zone");
            now.with_timezone(&zone.tz()).hour() == 12
        })
        .expect("every hour of the day is noon in one of 24 zones an hour apart")
}

/// The outbox publisher on the bookings stream and one consumer fed by its queue, as their
/// Lambdas run them: `consumer` by its registered name, its queue's URL read from
/// `queue_url_var` (local.sh env). Dropping the backbone stops both.
pub async fn bookings_to_consumer(
    api: &Api,
    consumer: &str,
    queue_url_var: &str,
) -> local_gateway::Backbone {
    let deps = std::sync::Arc::new(
        local_gateway::Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    );
    let mut backbone = local_gateway::Backbone::default();
    let publisher = local_gateway::streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let bookings = std::env::var("BOOKINGS_TABLE").expect("the table's name is set");
    backbone
        .stream("outbox-publisher", &bookings, publisher)
        .await
        .expect("the stream opens");
    let handler = local_gateway::consumers(deps)
        .remove(consumer)
        .expect("the consumer is registered");
    let queue_url = std::env::var(queue_url_var)
        .unwrap_or_else(|_| panic!("the queue's URL is set in {queue_url_var} (local.sh env)"));
    backbone.queue(consumer, &queue_url, handler).await;
    backbone
}

/// Channels as a vendor's manager connects them and as they then call us.
impl Api {
    /// Connects a channel (`kind`: `channel_manager` or `ota`) to the manager's vendor; its
    /// client id and secret.
    pub async fn connect_channel(
        &self,
        manager: &Account,
        kind: &str,
        name: &str,
    ) -> (String, String) {
        let reply = self
            .post(
                &format!("/vendor/{}/channels", manager.vendor()),
                manager.token(),
                &json!({"kind": kind, "name": name}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        let id = reply.body["client_id"].as_str().expect("a client id");
        let secret = reply.body["client_secret"].as_str().expect("a secret");
        (id.to_owned(), secret.to_owned())
    }

    /// A channel's client-credentials token, with every scope or only `scope`.
    pub async fn channel_token(&self, id: &str, secret: &str, scope: Option<&str>) -> String {
        let mut form = "grant_type=client_credentials".to_owned();
        if let Some(scope) = scope {
            form.push_str(&format!("&scope={}", scope.replace(':', "%3A")));
        }
        let response = self
            .client
            .post(format!("{}/oauth/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .basic_auth(id, Some(secret))
            .body(form)
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("JSON");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// The booking limit of `room` each night from `from` to `to`, as the channel's ARI pull
    /// says.
    pub async fn ari_limits(
        &self,
        token: &str,
        room: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Vec<i64> {
        let reply = self
            .get(&format!("/channel/ari?from={from}&to={to}"), Some(token))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        let room = reply.body["room_types"]
            .as_array()
            .and_then(|rooms| rooms.iter().find(|r| r["inv_type_code"] == room))
            .expect("the room type");
        room["days"]
            .as_array()
            .expect("days")
            .iter()
            .map(|d| d["booking_limit"].as_i64().expect("a number"))
            .collect()
    }
}
