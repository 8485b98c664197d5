//! The JSON Web Key Set: the public half of the KMS key that signs our tokens, read once at
//! cold start. Verifiers cache it; a key rotation shows up here before tokens use the new key.
//! It also holds the audit log's checkpoint key (kid `audit-...`), which verifies checkpoints
//! and receipts only: token verifiers skip it.
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Jwks;

pub async fn handler(keys: &Jwks, _req: Request) -> Result<Response<Body>, Error> {
    let mut response = shared::http::json(StatusCode::OK, keys);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
