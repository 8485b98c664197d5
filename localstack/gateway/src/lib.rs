//! The local stand-in for API Gateway: matches each request against the route table, verifies
//! the bearer token like the JWT authorizer, builds the same payload 2.0 event API Gateway would
//! send, and calls the very handler the route's Lambda runs. Its event side (`Backbone`) feeds the
//! stream and queue consumers like Lambda's event source mappings.
pub mod clock;
pub mod cron;
pub mod desk;
mod event;
mod functions;
pub mod pump;
pub mod schedules;
pub mod stream;

pub use functions::{
    Deps, Handler, ScheduledHandler, consumers, functions, inbox, schedules, streams,
};

use axum::extract::{ConnectInfo, State};
use http::{Method, StatusCode};
use lambda_http::Body;
use shared::auth::JwtVerifier;
use shared::http::Problem;
use shared::routes::{Route, RouteAuth};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// API Gateway's own limit on a request's payload.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

struct Target {
    route_key: String,
    function: String,
    auth: RouteAuth,
    handler: Handler,
}

pub struct Gateway {
    routers: HashMap<Method, matchit::Router<Arc<Target>>>,
    verifier: JwtVerifier,
}

impl Gateway {
    /// Fails if a route names a function that isn't registered, or a function has no route.
    pub fn new(
        routes: Vec<Route>,
        mut handlers: HashMap<&'static str, Handler>,
        verifier: JwtVerifier,
    ) -> anyhow::Result<Self> {
        let mut routers: HashMap<Method, matchit::Router<Arc<Target>>> = HashMap::new();
        for route in routes {
            let handler = handlers.remove(route.function.as_str()).ok_or_else(|| {
                anyhow::anyhow!(
                    "route {} {} names unknown function {}",
                    route.method,
                    route.path,
                    route.function
                )
            })?;
            let method: Method = route.method.parse()?;
            let target = Arc::new(Target {
                route_key: format!("{} {}", route.method, route.path),
                function: route.function,
                auth: route.auth,
                handler,
            });
            routers
                .entry(method)
                .or_default()
                .insert(&route.path, target)?;
        }
        if let Some(unrouted) = handlers.keys().next() {
            anyhow::bail!("function {unrouted} has no route");
        }
        Ok(Self { routers, verifier })
    }

    pub async fn handle(
        &self,
        req: http::Request<axum::body::Body>,
        source: SocketAddr,
    ) -> http::Response<Body> {
        let started = Instant::now();
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let matched = self
            .routers
            .get(&method)
            .and_then(|router| router.at(&path).ok())
            .map(|m| {
                let params: Vec<(String, String)> = m
                    .params
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                (m.value.clone(), params)
            });
        let Some((target, params)) = matched else {
            return Problem::new(StatusCode::NOT_FOUND, "no-route", "No such endpoint")
                .with_detail(format!("{method} {path} is not part of this API"))
                .into_response();
        };
        let response = self.call(&target, params, req, source).await;
        tracing::info!(
            route = %target.route_key,
            function = %target.function,
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "request"
        );
        response
    }

    async fn call(
        &self,
        target: &Target,
        params: Vec<(String, String)>,
        req: http::Request<axum::body::Body>,
        source: SocketAddr,
    ) -> http::Response<Body> {
        let claims = match target.auth {
            RouteAuth::None => None,
            RouteAuth::Jwt => match self.authorize(req.headers()).await {
                Ok(claims) => Some(claims),
                Err(problem) => return problem.into_response(),
            },
        };
        let (parts, body) = req.into_parts();
        let body = match axum::body::to_bytes(body, MAX_PAYLOAD).await {
            Ok(body) => body,
            Err(_) => return Problem::payload_too_large(MAX_PAYLOAD).into_response(),
        };
        let event = event::payload_v2(&target.route_key, &parts, &params, claims, &body, source);
        let request = match lambda_http::request::from_str(&event.to_string()) {
            Ok(request) => request,
            Err(err) => return Problem::internal(&err.into()).into_response(),
        };
        match (target.handler)(request).await {
            Ok(response) => response,
            // In AWS, a function error becomes API Gateway's bare 500.
            Err(err) => Problem::internal(&anyhow::anyhow!("{err}")).into_response(),
        }
    }

    /// What the JWT authorizer does: a valid bearer token or a 401, before the function runs.
    async fn authorize(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<HashMap<String, String>, Problem> {
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("send the access token as Authorization: Bearer <token>")
            })?;
        let claims = self.verifier.verify(token).await.map_err(|err| {
            tracing::info!(reason = %err, "token rejected");
            Problem::unauthorized("the access token is invalid or expired")
        })?;
        Ok(shared::auth::flatten_claims(&claims))
    }
}

async fn entry(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(source): ConnectInfo<SocketAddr>,
    req: http::Request<axum::body::Body>,
) -> http::Response<axum::body::Body> {
    to_axum(gateway.handle(req, source).await)
}

fn to_axum(response: http::Response<Body>) -> http::Response<axum::body::Body> {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    http::Response::from_parts(parts, body)
}

/// Serves the gateway on `listener` until the task is dropped, and the desk web app at `/desk/`.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) -> std::io::Result<()> {
    let desk = desk::DeskApp::from_env().map_err(std::io::Error::other)?;
    let desk_app = move |req: http::Request<axum::body::Body>| {
        let desk = desk.clone();
        async move { desk.respond(req).await }
    };
    let app = axum::Router::new()
        .route(desk::MOUNT, axum::routing::any(desk_app.clone()))
        .route("/desk/", axum::routing::any(desk_app.clone()))
        .route("/desk/{*path}", axum::routing::any(desk_app))
        .route(
            clock::PATH,
            axum::routing::get(|| async { to_axum(clock::get()) })
                .post(|body: axum::body::Bytes| async move { to_axum(clock::set(&body)) }),
        )
        .fallback(entry)
        .with_state(gateway);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Binds, wires every function to the real AWS clients from the environment, and serves in the
/// background. The issuer of tokens is this gateway's own URL unless `JWT_ISSUER` says otherwise.
/// Unless `GATEWAY_CONSUMERS=off`, the event backbone runs too, for as long as the process.
pub async fn start(listener: TcpListener) -> anyhow::Result<String> {
    let consumers = shared::config::optional("GATEWAY_CONSUMERS", "on".to_owned())? != "off";
    start_with(listener, consumers).await
}

/// `start`, choosing whether to run the event backbone. Tests that run many gateways at once
/// turn it off and start a `Backbone` of their own where they need one, so that exactly one
/// publisher reads the streams.
pub async fn start_with(listener: TcpListener, backbone: bool) -> anyhow::Result<String> {
    let base_url = format!("http://{}", listener.local_addr()?);
    let deps = Arc::new(Deps::from_env(&base_url).await?);
    let verifier = JwtVerifier::new(deps.tokens.issuer.clone(), deps.tokens.audience.clone());
    if backbone {
        let mut running = Backbone::start(consumers(deps.clone()), streams(deps.clone())).await?;
        running.schedules(schedules(deps.clone()))?;
        // LocalStack's Scheduler keeps the reminders' one-time schedules but never runs them.
        let stand_in = schedules::StandIn::from_env().await?;
        running.tasks.push(tokio::spawn(stand_in.run()));
        // Runs as long as the process: the gateway has no shutdown of its own.
        std::mem::forget(running);
    }
    let gateway = Gateway::new(shared::routes::routes()?, functions(deps), verifier)?;
    tokio::spawn(async move {
        if let Err(err) = serve(listener, Arc::new(gateway)).await {
            tracing::error!(error = %err, "local gateway stopped");
        }
    });
    Ok(base_url)
}

/// The local event source mappings: each stream consumer reads its tables' streams (from the
/// moment it starts), each queue consumer polls its queue. Dropping it stops them.
#[derive(Default)]
pub struct Backbone {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Backbone {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Backbone {
    /// The route table's consumers, each of which must be in `queues` or `streams`; queue URLs
    /// come from `<QUEUE>_QUEUE_URL` and table names from `<TABLE>_TABLE`, as in AWS.
    pub async fn start(
        mut queues: HashMap<&'static str, pump::QueueHandler>,
        mut streams: HashMap<&'static str, stream::StreamConsumer>,
    ) -> anyhow::Result<Self> {
        let mut backbone = Self::default();
        for consumer in shared::routes::streams()? {
            let handler = streams
                .remove(consumer.function.as_str())
                .ok_or_else(|| anyhow::anyhow!("{} is not registered", consumer.function))?;
            for table in &consumer.tables {
                let name = env_named(table, "_TABLE", &consumer.function)?;
                backbone
                    .stream(&consumer.function, &name, handler.clone())
                    .await?;
            }
        }
        for consumer in shared::routes::consumers()? {
            let handler = queues
                .remove(consumer.function.as_str())
                .ok_or_else(|| anyhow::anyhow!("{} is not registered", consumer.function))?;
            let queue_url = env_named(&consumer.queue, "_QUEUE_URL", &consumer.function)?;
            backbone
                .queue(&consumer.function, &queue_url, handler)
                .await;
        }
        Ok(backbone)
    }

    /// Feeds `table`'s stream to `handler`. The stream is positioned before this returns, so
    /// every write after it reaches the handler.
    pub async fn stream(
        &mut self,
        function: &str,
        table: &str,
        handler: stream::StreamConsumer,
    ) -> anyhow::Result<()> {
        let sdk = shared::aws::sdk_config().await;
        let client = stream::aws_sdk_dynamodbstreams::Client::new(&sdk);
        let reader =
            stream::StreamReader::open(client, table, stream::StartingPosition::Latest).await?;
        self.tasks
            .push(tokio::spawn(reader.run(function.to_owned(), handler)));
        Ok(())
    }

    /// Feeds the queue's messages to `handler` in batches.
    pub async fn queue(&mut self, function: &str, queue_url: &str, handler: pump::QueueHandler) {
        let sqs = aws_sdk_sqs::Client::new(&shared::aws::sdk_config().await);
        self.tasks.push(tokio::spawn(pump::pump(
            sqs,
            function.to_owned(),
            queue_url.to_owned(),
            handler,
        )));
    }
}

impl Backbone {
    /// Runs each scheduled function every `everyMinutes` of the route table, like EventBridge
    /// Scheduler, or every `<FUNCTION>_EVERY_SECONDS` when set (`AUDIT_SIGNER_EVERY_SECONDS=10`);
    /// the first run comes one period after the start.
    pub fn schedules(
        &mut self,
        mut handlers: HashMap<&'static str, ScheduledHandler>,
    ) -> anyhow::Result<()> {
        for schedule in shared::routes::schedules()? {
            let handler = handlers
                .remove(schedule.function.as_str())
                .ok_or_else(|| anyhow::anyhow!("{} is not registered", schedule.function))?;
            let variable = format!(
                "{}_EVERY_SECONDS",
                schedule.function.to_uppercase().replace('-', "_")
            );
            let seconds: u64 = match std::env::var(&variable) {
                Ok(raw) => raw.trim().parse().map_err(|_| {
                    anyhow::anyhow!("{variable} must be a whole number of seconds, not {raw:?}")
                })?,
                Err(_) => u64::from(schedule.every_minutes) * 60,
            };
            anyhow::ensure!(seconds > 0, "{variable} must be at least 1");
            let period = std::time::Duration::from_secs(seconds);
            self.tasks.push(tokio::spawn(async move {
                let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                let mut moves = clock::moves();
                loop {
                    // A moved clock may have made a run due: run at once rather than next tick.
                    tokio::select! {
                        _ = ticks.tick() => {}
                        Ok(()) = moves.changed() => {}
                    }
                    if let Err(err) = handler().await {
                        tracing::error!(function = %schedule.function, error = %err, "scheduled run failed");
                    }
                }
            }));
        }
        Ok(())
    }
}

/// `bookings` + `_TABLE` -> the value of `BOOKINGS_TABLE`.
fn env_named(name: &str, suffix: &str, function: &str) -> anyhow::Result<String> {
    let variable = format!("{}{suffix}", name.to_uppercase().replace('-', "_"));
    std::env::var(&variable)
        .map_err(|_| anyhow::anyhow!("{variable} is not set (function {function})"))
}
