//! The HTTP edge: turning API Gateway requests into typed input and results into responses.
mod booking;
mod problem;
mod request;
mod response;
mod units;

pub use booking::not_live;
pub use problem::Problem;
pub use request::{
    MAX_JSON_BODY, from_json_value, idempotency_key, if_match, json_body, path_id, query_param,
    required_idempotency_key,
};
pub use response::{created, json, json_with_etag, respond};
pub use units::door_key;
