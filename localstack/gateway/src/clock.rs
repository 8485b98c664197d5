//! Local only: `/_local/clock` moves business time (`shared::clock`) forward, so end-to-end tests
//! can live through days. No route table or CDK knows it: in AWS business time is the real time.
use chrono::{Duration, SecondsFormat};
use http::StatusCode;
use lambda_http::{Body, Response};
use shared::http::Problem;
use std::sync::LazyLock;
use tokio::sync::watch;

pub const PATH: &str = "/_local/clock";

/// A hundred years: far enough for any test, near enough that no date arithmetic overflows.
const MAX_OFFSET_SECONDS: i64 = 100 * 366 * 86_400;

/// Bumped whenever the clock moves, so schedule runners look at once instead of at their next
/// tick.
static MOVED: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::Sender::new(0));

/// Changes whenever the clock is moved.
pub fn moves() -> watch::Receiver<u64> {
    MOVED.subscribe()
}

/// `GET /_local/clock`: `{"now": "...", "offset_seconds": N}`.
pub fn get() -> Response<Body> {
    let reading = serde_json::json!({
        "now": shared::clock::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        "offset_seconds": shared::clock::offset().num_seconds(),
    });
    shared::http::json(StatusCode::OK, &reading)
}

/// `POST /_local/clock` `{"offset_seconds": N}`: business time becomes the real time plus N
/// seconds (absolute, not added to the current offset); N ≥ 0, so it never runs behind the real
/// time.
pub fn set(body: &[u8]) -> Response<Body> {
    match offset_of(body) {
        Ok(offset) => {
            shared::clock::set_offset(offset);
            MOVED.send_modify(|moves| *moves = moves.wrapping_add(1));
            tracing::info!(
                offset_seconds = offset.num_seconds(),
                "business clock moved"
            );
            get()
        }
        Err(problem) => problem.into_response(),
    }
}

fn offset_of(body: &[u8]) -> Result<Duration, Problem> {
    let body: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Problem::malformed_json(e.to_string()))?;
    let seconds = body
        .get("offset_seconds")
        .ok_or_else(|| Problem::field("/offset_seconds", "is required"))?
        .as_i64()
        .ok_or_else(|| Problem::field("/offset_seconds", "must be a whole number of seconds"))?;
    if !(0..=MAX_OFFSET_SECONDS).contains(&seconds) {
        return Err(Problem::field(
            "/offset_seconds",
            format!(
                "must be between 0 and {MAX_OFFSET_SECONDS}: business time never runs behind the real time"
            ),
        ));
    }
    Ok(Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointers(problem: &Problem) -> Vec<String> {
        serde_json::to_value(problem).unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn an_offset_is_whole_non_negative_seconds() {
        assert_eq!(
            offset_of(br#"{"offset_seconds": 86400}"#).unwrap(),
            Duration::days(1)
        );
        assert_eq!(
            offset_of(br#"{"offset_seconds": 0}"#).unwrap(),
            Duration::zero()
        );
        for body in [
            r#"{"offset_seconds": -1}"#,
            r#"{"offset_seconds": 1.5}"#,
            r#"{"offset_seconds": "1"}"#,
            r#"{}"#,
            r#"{"offset_seconds": 99999999999}"#,
        ] {
            let problem = offset_of(body.as_bytes()).unwrap_err();
            assert_eq!(problem.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(pointers(&problem), ["/offset_seconds"], "{body}");
        }
        assert_eq!(
            offset_of(b"not json").unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }
}
