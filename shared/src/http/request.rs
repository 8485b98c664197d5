//! Reading a request: its JSON body, path parameters and preconditions.
use super::Problem;
use crate::domain::Invalid;
use crate::domain::idempotency::IdempotencyKey;
use http::header;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

/// Larger bodies are refused before parsing; no request of this API needs more.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Parses a JSON body, naming the offending field (as a JSON pointer) when its type is wrong.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(Problem::unsupported_media_type());
    }
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > MAX_JSON_BODY {
        return Err(Problem::payload_too_large(MAX_JSON_BODY));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::malformed_json("the body is empty"));
    }
    // Syntax first, then types: serde_json reports some wrong types (a number where an enum's
    // string goes) as syntax errors when it reads the bytes straight into `T`, but valid JSON of
    // the wrong type is the client's field error, a 422 naming the field.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        if err.to_string().starts_with("trailing characters") {
            Problem::malformed_json("trailing characters after the JSON value")
        } else {
            Problem::malformed_json(format!("at line {} column {}", err.line(), err.column()))
        }
    })?;
    from_json_value(value, "")
}

/// Deserializes one part of an already parsed body; errors name fields under `prefix`.
pub fn from_json_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let pointer = format!("{prefix}{}", json_pointer(err.path()));
        Problem::field(&pointer, data_error_detail(err.inner()))
    })
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

/// serde's message without its " at line L column C" suffix, which means nothing to a client.
fn data_error_detail(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

/// A path parameter parsed into an id; a malformed id names nothing that exists, so it is a 404.
pub fn path_id<T>(
    req: &Request,
    name: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<T, Problem> {
    req.path_parameters_ref()
        .and_then(|params| params.first(name))
        .ok_or_else(|| Problem::not_found(what))
        .and_then(|raw| parse(raw).map_err(|_| Problem::not_found(what)))
}

/// The version named by an `If-Match` header (`"3"`, as our ETags are), if the client sent one.
pub fn if_match(req: &Request) -> Result<Option<u64>, Problem> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                http::StatusCode::BAD_REQUEST,
                "bad-precondition",
                "Invalid If-Match header",
            )
            .with_detail("send the ETag of the version you last read, e.g. \"3\"")
        })
}

/// The `Idempotency-Key` of a desk action that may be sent again, if the client sent one; a
/// value that is not a usable key is a 400 naming the header.
pub fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, Problem> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let raw = value.to_str().map(str::trim).unwrap_or("");
    IdempotencyKey::parse(raw)
        .map(Some)
        .map_err(|e| Problem::header("Idempotency-Key", e.0))
}

/// The `Idempotency-Key` a request cannot go without (a booking, a desk payment): one missing or
/// unusable is a 400 idempotency-key-required.
pub fn required_idempotency_key(req: &Request, per: &str) -> Result<IdempotencyKey, Problem> {
    idempotency_key(req).ok().flatten().ok_or_else(|| {
        Problem::new(
            http::StatusCode::BAD_REQUEST,
            "idempotency-key-required",
            "An Idempotency-Key header is required",
        )
        .with_detail(format!(
            "send a unique key of 1 to {} visible characters per {per}, e.g. a UUID; retries reuse it",
            IdempotencyKey::MAX_LEN
        ))
    })
}

/// A query string parameter, if present and not empty.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref()
        .and_then(|params| params.first(name))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Status {
        Cancelled,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StatusBody {
        #[allow(dead_code)]
        status: Option<Status>,
    }

    fn request(body: &str) -> Request {
        http::Request::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    fn pointers(problem: &Problem) -> Vec<serde_json::Value> {
        let body = serde_json::to_value(problem).unwrap();
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].clone())
            .collect()
    }

    #[test]
    fn valid_json_of_the_wrong_type_is_a_422_naming_the_member() {
        // serde_json reads a number where an enum's string goes as a syntax error when it
        // parses bytes straight into the type: the client must still hear which member.
        for body in [
            r#"{"status": 3}"#,
            r#"{"status": [1]}"#,
            r#"{"status": "LOST"}"#,
        ] {
            let problem = json_body::<StatusBody>(&request(body)).unwrap_err();
            assert_eq!(
                problem.status(),
                http::StatusCode::UNPROCESSABLE_ENTITY,
                "{body}"
            );
            assert_eq!(pointers(&problem), ["/status"], "{body}");
        }
        let unknown = json_body::<StatusBody>(&request(r#"{"colour": 1}"#)).unwrap_err();
        assert_eq!(pointers(&unknown), ["/colour"]);
    }

    #[test]
    fn an_idempotency_key_is_optional_but_a_bad_one_is_a_400_naming_the_header() {
        let with = |key: &str| {
            http::Request::builder()
                .header("idempotency-key", key)
                .body(Body::Empty)
                .unwrap()
        };
        let none = http::Request::builder().body(Body::Empty).unwrap();
        assert_eq!(idempotency_key(&none).unwrap(), None);
        let key = idempotency_key(&with(" 3f2b8c1e-9a4d ")).unwrap().unwrap();
        assert_eq!(key.as_str(), "3f2b8c1e-9a4d");
        for bad in ["", "two words", &"k".repeat(256)] {
            let problem = idempotency_key(&with(bad)).unwrap_err();
            assert_eq!(problem.status(), http::StatusCode::BAD_REQUEST, "{bad:?}");
            let body = serde_json::to_value(&problem).unwrap();
            assert_eq!(body["errors"][0]["header"], "Idempotency-Key", "{body}");
            let required = required_idempotency_key(&with(bad), "booking").unwrap_err();
            let body = serde_json::to_value(&required).unwrap();
            assert!(
                body["type"]
                    .as_str()
                    .unwrap()
                    .ends_with("idempotency-key-required")
            );
        }
    }

    #[test]
    fn json_that_does_not_parse_is_a_400() {
        for body in [r#"{"status": 3"#, r#"{"status": CANCELLED}"#, "{} {}", "  "] {
            let problem = json_body::<StatusBody>(&request(body)).unwrap_err();
            assert_eq!(problem.status(), http::StatusCode::BAD_REQUEST, "{body}");
        }
        assert!(json_body::<StatusBody>(&request(r#"{"status": "CANCELLED"}"#)).is_ok());
    }
}
