//! A vendor's signed checkpoint, public: the latest, or with `?size=N` a past one, as the C2SP
//! signed note itself (`text/plain`), so that any C2SP client or `tlog-verify` reads it as is.
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::audit::AuditLog;
use shared::audit::proofs::parse_tree_size;
use shared::domain::ids::VendorId;
use shared::http::{Problem, path_id, query_param, respond};

pub async fn handler(log: &impl AuditLog, req: Request) -> Result<Response<Body>, Error> {
    respond(checkpoint(log, &req).await)
}

async fn checkpoint(log: &impl AuditLog, req: &Request) -> Result<Response<Body>, Problem> {
    let vendor = path_id(req, "vendorid", "checkpoint", VendorId::parse)?;
    let size = query_param(req, "size")
        .map(|raw| parse_tree_size(raw).map_err(|detail| Problem::parameter("size", detail)))
        .transpose()?;
    let stored = log
        .checkpoint(vendor, size)
        .await
        .map_err(|e| Problem::internal(&e.into()))?
        .ok_or_else(|| Problem::not_found("checkpoint"))?;
    let mut response = Response::new(Body::Text(stored.note));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // A past checkpoint never changes; the latest changes as often as the signer runs.
    let cache = if size.is_some() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=30"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}
