//! The OpenID discovery document: API Gateway's JWT authorizer reads it to find our keys.
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::TokenSettings;

pub async fn handler(settings: &TokenSettings, _req: Request) -> Result<Response<Body>, Error> {
    let issuer = &settings.issuer;
    let document = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "jti", "role", "vendor_id", "manager"],
    });
    let mut response = shared::http::json(StatusCode::OK, &document);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}
