//! The sample events in `events/http/` are what API Gateway really sends: each one parses the way
//! the Lambda runtime parses it and gets the expected answer from its function's handler.
use lambda_http::Body;
use serde_json::Value;
use shared::auth::Caller;
use shared::store::DynamoStore;
use std::path::Path;

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/http")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn body(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

async fn store() -> DynamoStore {
    let sdk = shared::aws::sdk_config().await;
    DynamoStore::from_env(&sdk).expect("run via tests/run.sh, which sets the table names")
}

#[tokio::test]
async fn the_user_create_sample_signs_up_a_guest() {
    let email = api_tests::unique_email("sample");
    let event = sample("user-create.json").replace("sample.guest@example.com", &email);
    let request = lambda_http::request::from_str(&event).unwrap();

    let response = user_create::handler(&store().await, request).await.unwrap();

    assert_eq!(response.status(), 201, "{:?}", body(&response));
    assert_eq!(body(&response)["email"], email.as_str());
    assert_eq!(body(&response)["locale"], "en-GB");
}

#[tokio::test]
async fn the_user_get_sample_carries_the_authorizers_claims() {
    let request = lambda_http::request::from_str(&sample("user-get.json")).unwrap();
    let caller = Caller::from_request(&request).unwrap();
    assert!(
        matches!(caller, Caller::Guest(id) if id.to_string() == "7c9e6679-7425-40de-944b-e07fc1f90ae7")
    );

    // No guest has that id (ours are UUIDv7; it is a v4), which the handler reports as such.
    let response = user_get::handler(&store().await, request).await.unwrap();
    assert_eq!(response.status(), 404, "{:?}", body(&response));
}

#[tokio::test]
async fn the_vendor_get_sample_is_public_and_names_a_vendor() {
    let request = lambda_http::request::from_str(&sample("vendor-get.json")).unwrap();
    assert!(
        Caller::from_request(&request).is_err(),
        "a public route carries no claims"
    );

    let response = vendor_get::handler(&store().await, request).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(body(&response)["detail"], "no such vendor");
}
