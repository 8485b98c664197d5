//! The local stand-in for API Gateway: matches each request against the route table, verifies
//! the bearer token like the JWT authorizer, builds the same payload 2.0 event API Gateway would
//! send, and calls the very handler the route's Lambda runs.
mod event;
mod functions;
mod pump;

pub use functions::{Deps, Handler, functions};

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
    let response = gateway.handle(req, source).await;
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    http::Response::from_parts(parts, body)
}

/// Serves the gateway on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) -> std::io::Result<()> {
    let app = axum::Router::new().fallback(entry).with_state(gateway);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Binds, wires every function to the real AWS clients from the environment, and serves in the
/// background. The issuer of tokens is this gateway's own URL unless `JWT_ISSUER` says otherwise.
pub async fn start(listener: TcpListener) -> anyhow::Result<String> {
    let consumers = shared::config::optional("GATEWAY_CONSUMERS", "on".to_owned())? != "off";
    start_with(listener, consumers).await
}

/// `start`, choosing whether to poll the consumers' queues. Tests that run many gateways at
/// once turn it off and drive the consumers themselves, so no gateway leaves messages in flight.
pub async fn start_with(listener: TcpListener, consumers: bool) -> anyhow::Result<String> {
    let base_url = format!("http://{}", listener.local_addr()?);
    let deps = Deps::from_env(&base_url).await?;
    let verifier = JwtVerifier::new(deps.tokens.issuer.clone(), deps.tokens.audience.clone());
    let deps = Arc::new(deps);
    if consumers {
        start_consumers(&deps).await?;
    }
    let gateway = Gateway::new(shared::routes::routes()?, functions(deps), verifier)?;
    tokio::spawn(async move {
        if let Err(err) = serve(listener, Arc::new(gateway)).await {
            tracing::error!(error = %err, "local gateway stopped");
        }
    });
    Ok(base_url)
}

/// Starts polling every consumer's queue (`consumers` in the route table). Its queue URL comes
/// from `<QUEUE>_QUEUE_URL`, as in AWS.
async fn start_consumers(deps: &Arc<Deps>) -> anyhow::Result<()> {
    let mut consumers = functions::consumers(deps.clone());
    let sqs = aws_sdk_sqs::Client::new(&shared::aws::sdk_config().await);
    for consumer in shared::routes::consumers()? {
        let handler = consumers
            .remove(consumer.function.as_str())
            .ok_or_else(|| anyhow::anyhow!("consumer {} is not registered", consumer.function))?;
        let variable = format!(
            "{}_QUEUE_URL",
            consumer.queue.to_uppercase().replace('-', "_")
        );
        let queue_url = std::env::var(&variable).map_err(|_| {
            anyhow::anyhow!("{variable} is not set (consumer {})", consumer.function)
        })?;
        tokio::spawn(pump::pump(
            sqs.clone(),
            consumer.function,
            queue_url,
            handler,
        ));
    }
    Ok(())
}
