//! RFC 9457 problem details: every error a client sees has this one shape.
use crate::domain::{FieldError, FieldErrors};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

const TYPE_BASE: &str = "https://reservations.example/problems/";

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// One entry per rejected value: a body member (`pointer`) or a query parameter (`parameter`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    /// Boxed: rarely used, and it keeps `Result<_, Problem>` small.
    #[serde(flatten)]
    extra: Box<Extra>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct Extra {
    /// RFC 9457 extension members, e.g. which nights are sold out.
    #[serde(flatten)]
    extensions: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    headers: Vec<(header::HeaderName, String)>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &'static str) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title,
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            extra: Box::default(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds an extension member. The standard members' names are reserved for them.
    pub fn with_extension(mut self, name: &str, value: serde_json::Value) -> Self {
        const RESERVED: [&str; 6] = ["type", "title", "status", "detail", "instance", "errors"];
        debug_assert!(
            !RESERVED.contains(&name),
            "{name} is a standard problem member"
        );
        if !RESERVED.contains(&name) {
            self.extra.extensions.insert(name.to_owned(), value);
        }
        self
    }

    /// Names the rejected values of a problem whose `type` says more than `validation` (a
    /// channel's import refused for an unknown room type still names `/room_type_code`).
    pub fn with_errors(mut self, errors: FieldErrors) -> Self {
        self.errors = errors.into_vec();
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.extra.headers.push((name, value.into()));
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The request body is not valid JSON",
        )
        .with_detail(detail)
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request has invalid fields",
        );
        problem.errors = errors.into_vec();
        problem
    }

    /// A 422 naming one member of the body by its JSON pointer (`/check_out`).
    pub fn field(pointer: &str, detail: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.push(pointer, detail);
        Self::validation(errors)
    }

    /// A 422 naming one query parameter by its name (`party_size`).
    pub fn parameter(name: &str, detail: impl Into<String>) -> Self {
        Self::validation(FieldErrors::param(name, detail))
    }

    /// A 400 naming one request header (`Idempotency-Key`) whose value is unusable.
    pub fn header(name: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut problem = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-header",
            "A request header is invalid",
        )
        .with_detail(format!("{name} {detail}"));
        problem.errors = vec![FieldError {
            location: crate::domain::Location::Header(name.to_owned()),
            detail,
        }];
        problem
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "The request body must be JSON",
        )
        .with_detail("send Content-Type: application/json")
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "The request body is too large",
        )
        .with_detail(format!("the limit is {limit} bytes"))
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication is required",
        )
        .with_detail(detail)
        .with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "You may not do this").with_detail(detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found")
            .with_detail(format!("no such {what}"))
    }

    pub fn conflict(slug: &str, title: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, slug, title).with_detail(detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "version-mismatch",
            "The resource was changed by someone else",
        )
        .with_detail("fetch it again and retry with its current ETag")
    }

    /// An edit without `If-Match` that kept losing races with other edits.
    pub fn edit_conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "edit-conflict",
            "Others are editing this right now",
        )
        .with_detail("retry the request")
        .with_header(header::RETRY_AFTER, "1")
    }

    /// A vendor's audit log lacks a leaf or node its own indexes name (`ProofsError::is_damage`):
    /// a fault of ours, said as such, naming nothing of the store.
    pub fn audit_log_damaged(vendor: crate::domain::ids::VendorId) -> Self {
        tracing::error!(vendor_id = %vendor, "audit log damaged: a recorded leaf or node is missing");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "audit-log-damaged",
            "The vendor's audit log is damaged",
        )
        .with_detail(
            "a fact the log recorded can no longer be proven; receipts handed out earlier still \
             verify on their own",
        )
    }

    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            "Too many attempts",
        )
        .with_detail("try again later")
        .with_header(header::RETRY_AFTER, retry_after_seconds.to_string())
    }

    /// A failure that is ours, not the client's: logged with its cause, reported without it.
    /// Contention that outlasted our retries is the one expected cause: a 503 to retry.
    pub fn internal(cause: &anyhow::Error) -> Self {
        if cause.chain().any(|e| e.is::<crate::store::Contended>()) {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Too many requests for the same rooms or tables",
            )
            .with_detail("retry in a moment")
            .with_header(header::RETRY_AFTER, "1");
        }
        tracing::error!(error = %format!("{cause:#}"), "unexpected error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
        )
    }

    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.extra.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

impl From<FieldErrors> for Problem {
    fn from(errors: FieldErrors) -> Self {
        Self::validation(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_problem_names_each_field() {
        let mut errors = FieldErrors::default();
        errors.push("/email", "must be an email address");
        errors.push("/name", "must not be empty");
        let response = Problem::validation(errors).into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"][0]["pointer"], "/email");
        assert_eq!(body["errors"][1]["pointer"], "/name");
    }

    #[test]
    fn a_query_parameter_is_named_apart_from_the_body() {
        let mut errors = FieldErrors::query();
        errors.push("party_size", "must be a number");
        let problem = Problem::validation(errors);
        let body = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            body["errors"],
            serde_json::json!([{"parameter": "party_size", "detail": "must be a number"}])
        );
        let body = serde_json::to_value(Problem::field("", "is empty")).unwrap();
        assert_eq!(
            body["errors"],
            serde_json::json!([{"pointer": "", "detail": "is empty"}])
        );
    }

    #[test]
    fn a_body_rule_reused_for_a_query_string_names_parameters() {
        let mut errors = FieldErrors::default();
        errors.push("/check_out", "must be after check_in");
        errors.push("units", "the price is too large");
        let body = serde_json::to_value(Problem::validation(errors.into_parameters())).unwrap();
        assert_eq!(body["errors"][0]["parameter"], "check_out");
        assert_eq!(body["errors"][1]["parameter"], "units");
        assert!(body["errors"][0].get("pointer").is_none(), "{body}");
    }

    #[test]
    fn contention_that_outlasts_the_retries_is_a_503_to_retry() {
        let cause = anyhow::Error::new(crate::store::Contended).context("TransactWriteItems");
        let response = Problem::internal(&cause).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn an_internal_problem_reveals_nothing() {
        let cause = anyhow::anyhow!("table reservations-accounts: access denied");
        let response = Problem::internal(&cause).into_response();
        let body = String::from_utf8(response.body().to_vec()).unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.contains("reservations-accounts"), "{body}");
    }
}
