//! Successful responses, and the one place where an operation's error becomes a response.
use super::Problem;
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => Problem::internal(&err.into()).into_response(),
    }
}

/// A JSON response carrying the version as its ETag, for `If-Match` on the next update.
pub fn json_with_etag<T: Serialize>(status: StatusCode, body: &T, version: u64) -> Response<Body> {
    let mut response = json(status, body);
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// 201 with the new resource's location.
pub fn created<T: Serialize>(location: &str, body: &T, version: u64) -> Response<Body> {
    let mut response = json_with_etag(StatusCode::CREATED, body, version);
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Every handler ends here: an expected failure is a problem+json response, never an `Err`.
pub fn respond<E: Into<Problem>>(
    result: Result<Response<Body>, E>,
) -> Result<Response<Body>, lambda_http::Error> {
    Ok(result.unwrap_or_else(|err| err.into().into_response()))
}
