//! The token endpoint's side of OAuth 2.0 (RFC 6749): reading a client-credentials grant (section
//! 4.4) with the client authenticated by HTTP Basic or by the body (section 2.3.1), and answering
//! errors in section 5.2's shape, which OAuth clients expect instead of problem+json.
use super::account::{ChannelId, ClientSecret};
use crate::auth::Scopes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// Larger token requests are refused before parsing.
const MAX_FORM_BODY: usize = 4 * 1024;

/// A client-credentials grant with its client's credentials.
#[derive(Debug)]
pub struct TokenRequest {
    pub client_id: ChannelId,
    pub client_secret: ClientSecret,
    /// What the client asked for; `None` is every scope a channel has.
    pub scopes: Option<Scopes>,
    /// Whether the client authenticated with HTTP Basic (a 401 then names that scheme).
    pub basic: bool,
}

/// RFC 6749 section 5.2's errors, plus the two a server needs besides.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("invalid_client")]
    InvalidClient { basic: bool },
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("too many failed attempts")]
    Throttled { retry_after_seconds: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

impl OAuthError {
    pub fn into_response(self) -> Response<Body> {
        let (status, error, description) = match &self {
            Self::InvalidRequest(why) => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                Some(why.clone()),
            ),
            Self::InvalidClient { .. } => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                Some("unknown client or wrong secret".to_owned()),
            ),
            Self::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                Some("only client_credentials is supported".to_owned()),
            ),
            Self::InvalidScope(scope) => (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                Some(format!(
                    "unknown scope {scope:?}; a channel may have ari:read and bookings:write"
                )),
            ),
            Self::Throttled {
                retry_after_seconds,
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                Some(format!(
                    "too many failed attempts; retry in {retry_after_seconds} seconds"
                )),
            ),
            Self::Unexpected(cause) => {
                tracing::error!(error = ?cause, "token request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error", None)
            }
        };
        let mut response = crate::http::json(
            status,
            &ErrorBody {
                error,
                error_description: description,
            },
        );
        let headers = response.headers_mut();
        no_store(headers);
        match self {
            Self::InvalidClient { basic } => {
                let scheme = if basic {
                    r#"Basic realm="reservations", charset="UTF-8""#
                } else {
                    r#"Basic realm="reservations""#
                };
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
            }
            Self::Throttled {
                retry_after_seconds,
            } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// RFC 6749 section 5.1: token responses (and their errors) are never cached.
pub fn no_store(headers: &mut http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Reads a token request from its content type, `Authorization` header and body.
pub fn parse_token_request(
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<TokenRequest, OAuthError> {
    let is_form = content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    if body.len() > MAX_FORM_BODY {
        return Err(OAuthError::InvalidRequest(format!(
            "the body must be at most {MAX_FORM_BODY} bytes"
        )));
    }
    let form = parse_form(body)?;
    let param = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match param("grant_type") {
        None => return Err(OAuthError::InvalidRequest("grant_type is required".into())),
        Some("client_credentials") => {}
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    let scopes = match param("scope") {
        None => None,
        Some(raw) => Some(Scopes::parse(raw).map_err(OAuthError::InvalidScope)?),
    };
    let basic = authorization.and_then(|value| {
        let (scheme, credentials) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("basic")
            .then(|| credentials.trim().to_owned())
    });
    let body_id = param("client_id");
    let body_secret = param("client_secret");
    let (id, secret, used_basic) = match basic {
        Some(_) if body_id.is_some() || body_secret.is_some() => {
            return Err(OAuthError::InvalidRequest(
                "authenticate the client one way only: HTTP Basic or the body".into(),
            ));
        }
        Some(credentials) => {
            let (id, secret) =
                basic_credentials(&credentials).ok_or(OAuthError::InvalidClient { basic: true })?;
            (id, secret, true)
        }
        None => match (body_id, body_secret) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned(), false),
            (Some(_), None) => {
                return Err(OAuthError::InvalidRequest(
                    "client_secret is required".into(),
                ));
            }
            _ => return Err(OAuthError::InvalidClient { basic: false }),
        },
    };
    let invalid = || OAuthError::InvalidClient { basic: used_basic };
    Ok(TokenRequest {
        client_id: ChannelId::parse(&id).map_err(|_| invalid())?,
        client_secret: ClientSecret::attempt(secret).map_err(|_| invalid())?,
        scopes,
        basic: used_basic,
    })
}

/// `base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 section 2.3.1.
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((url_decode(id.as_bytes())?, url_decode(secret.as_bytes())?))
}

/// `application/x-www-form-urlencoded` pairs; a parameter sent twice is an invalid request
/// (RFC 6749 section 3.2).
fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let mut split = part.splitn(2, |&b| b == b'=');
        let name = split.next().unwrap_or_default();
        let value = split.next().unwrap_or_default();
        let malformed = || OAuthError::InvalidRequest("the form body is malformed".into());
        let name = url_decode(name).ok_or_else(malformed)?;
        let value = url_decode(value).ok_or_else(malformed)?;
        if pairs.iter().any(|(k, _)| *k == name) {
            return Err(OAuthError::InvalidRequest(format!(
                "{name} is sent more than once"
            )));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn url_decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [*bytes.next()?, *bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn credentials_come_from_basic_or_the_body() {
        let id = ChannelId::generate();
        let by_basic = parse_token_request(
            FORM,
            Some(&basic(&id.to_string(), "s3cr%2Bet")),
            b"grant_type=client_credentials",
        )
        .unwrap();
        assert_eq!(by_basic.client_id, id);
        assert_eq!(by_basic.client_secret.expose(), "s3cr+et");
        assert!(by_basic.basic);
        assert_eq!(by_basic.scopes, None);
        let body = format!(
            "grant_type=client_credentials&client_id={id}&client_secret=abc-_&scope=ari%3Aread"
        );
        let by_body = parse_token_request(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            None,
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(by_body.client_id, id);
        assert_eq!(by_body.client_secret.expose(), "abc-_");
        assert!(!by_body.basic);
        assert_eq!(by_body.scopes, Some(Scopes::parse("ari:read").unwrap()));
    }

    #[test]
    fn each_wrong_grant_gets_its_rfc_6749_error() {
        let id = ChannelId::generate().to_string();
        let auth = basic(&id, "secret");
        let cases: [(Option<&str>, Option<&str>, &str, &str); 8] = [
            (
                FORM,
                Some(&auth),
                "grant_type=password",
                "unsupported_grant_type",
            ),
            (FORM, Some(&auth), "scope=ari%3Aread", "invalid_request"),
            (
                Some("application/json"),
                Some(&auth),
                "{}",
                "invalid_request",
            ),
            (
                FORM,
                Some(&auth),
                "grant_type=client_credentials&grant_type=client_credentials",
                "invalid_request",
            ),
            (
                FORM,
                Some(&auth),
                "grant_type=client_credentials&scope=admin",
                "invalid_scope",
            ),
            (
                FORM,
                None,
                "grant_type=client_credentials",
                "invalid_client",
            ),
            (
                FORM,
                Some(&auth),
                "grant_type=client_credentials&client_secret=x",
                "invalid_request",
            ),
            (
                FORM,
                Some(&basic("not-a-uuid", "secret")),
                "grant_type=client_credentials",
                "invalid_client",
            ),
        ];
        for (content_type, authorization, body, expected) in cases {
            let err =
                parse_token_request(content_type, authorization, body.as_bytes()).expect_err(body);
            let response = err.into_response();
            let got: serde_json::Value = match response.body() {
                Body::Text(text) => serde_json::from_str(text).unwrap(),
                Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
                other => panic!("{other:?}"),
            };
            assert_eq!(got["error"], expected, "{body}: {got}");
            assert_eq!(response.headers()["cache-control"], "no-store");
        }
    }

    #[test]
    fn a_bad_client_is_401_with_www_authenticate() {
        let response = OAuthError::InvalidClient { basic: true }.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
}
