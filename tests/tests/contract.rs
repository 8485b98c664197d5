//! The route table, the functions and the OpenAPI document describe the same API.
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const OPENAPI: &str = include_str!("../../shared/api/openapi.json");
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

fn routes() -> Vec<shared::routes::Route> {
    shared::routes::routes().expect("routes.json parses")
}

#[test]
fn every_route_has_a_documented_operation_and_every_operation_a_route() {
    let document: Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
    assert_eq!(document["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                let operation_id = operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                documented.insert((method.to_uppercase(), path.clone(), operation_id));
            }
        }
    }
    let routed: BTreeSet<_> = routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.function))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes without a documented operation: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented operations without a route: {unrouted:?}"
    );
}

#[test]
fn guarded_routes_are_documented_as_needing_a_token() {
    let document: Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
    for route in routes() {
        let operation = &document["paths"][&route.path][route.method.to_lowercase()];
        let needs_token = operation["security"]
            .as_array()
            .is_some_and(|schemes| schemes.iter().any(|s| s.get("bearerAuth").is_some()));
        let guarded = route.auth == shared::routes::RouteAuth::Jwt;
        assert_eq!(needs_token, guarded, "{} {}", route.method, route.path);
        if guarded {
            assert!(
                operation["responses"].get("401").is_some(),
                "{} {} lacks a 401",
                route.method,
                route.path
            );
        }
    }
}

#[test]
fn every_function_crate_serves_exactly_one_route_queue_or_stream() {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let crates: BTreeSet<String> = std::fs::read_dir(&functions)
        .expect("functions/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let mut served: BTreeSet<String> = routes().into_iter().map(|r| r.function).collect();
    let consumers = shared::routes::consumers().expect("routes.json parses");
    served.extend(consumers.into_iter().map(|c| c.function));
    let streams = shared::routes::streams().expect("routes.json parses");
    served.extend(streams.into_iter().map(|s| s.function));
    let schedules = shared::routes::schedules().expect("routes.json parses");
    assert!(
        schedules.iter().all(|s| s.every_minutes > 0),
        "{schedules:?}"
    );
    served.extend(schedules.into_iter().map(|s| s.function));
    assert_eq!(crates, served);
}
