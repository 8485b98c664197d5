//! The route table in `api/routes.json`: one place says which function serves which path.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteAuth {
    /// Public.
    None,
    /// Guarded by the JWT authorizer; the function receives the verified claims.
    Jwt,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub method: String,
    /// API Gateway's template syntax: `/user/{id}`.
    pub path: String,
    pub function: String,
    pub auth: RouteAuth,
}

/// A function fed by an SQS queue of `localstack/resources.json` instead of a route.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Consumer {
    pub function: String,
    pub queue: String,
}

/// A function fed by the DynamoDB streams of tables of `localstack/resources.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StreamConsumer {
    pub function: String,
    pub tables: Vec<String>,
}

/// A function run on a schedule instead of a route.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub function: String,
    pub every_minutes: u32,
}

#[derive(Deserialize)]
struct RouteTable {
    routes: Vec<Route>,
    #[serde(default)]
    consumers: Vec<Consumer>,
    #[serde(default)]
    streams: Vec<StreamConsumer>,
    #[serde(default)]
    schedules: Vec<Schedule>,
}

pub const ROUTES_JSON: &str = include_str!("../api/routes.json");

pub fn routes() -> Result<Vec<Route>, serde_json::Error> {
    serde_json::from_str::<RouteTable>(ROUTES_JSON).map(|t| t.routes)
}

pub fn consumers() -> Result<Vec<Consumer>, serde_json::Error> {
    serde_json::from_str::<RouteTable>(ROUTES_JSON).map(|t| t.consumers)
}

pub fn streams() -> Result<Vec<StreamConsumer>, serde_json::Error> {
    serde_json::from_str::<RouteTable>(ROUTES_JSON).map(|t| t.streams)
}

pub fn schedules() -> Result<Vec<Schedule>, serde_json::Error> {
    serde_json::from_str::<RouteTable>(ROUTES_JSON).map(|t| t.schedules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_is_unique_and_served_by_one_function() {
        let routes = routes().unwrap();
        let mut seen = HashSet::new();
        let mut functions = HashSet::new();
        for route in &routes {
            assert!(
                seen.insert((route.method.clone(), route.path.clone())),
                "{route:?} twice"
            );
            assert!(
                functions.insert(route.function.clone()),
                "{} serves two routes",
                route.function
            );
        }
    }
}
