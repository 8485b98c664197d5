//! The proof that a vendor's log only grew between two of its stored checkpoints (RFC 9162
//! §2.1.4), public: `?from=N&to=M`, both sizes of signed checkpoints, `from` not above `to`.
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::audit::AuditLog;
use shared::audit::proofs::{consistency_proof, parse_tree_size};
use shared::domain::ids::VendorId;
use shared::http::{Problem, path_id, query_param, respond};
use tlog::ConsistencyProof;

pub async fn handler(log: &impl AuditLog, req: Request) -> Result<Response<Body>, Error> {
    respond(consistency(log, &req).await)
}

fn size_param(req: &Request, name: &str) -> Result<u64, Problem> {
    let raw = query_param(req, name)
        .ok_or_else(|| Problem::parameter(name, "is required: the size of a signed checkpoint"))?;
    parse_tree_size(raw).map_err(|detail| Problem::parameter(name, detail))
}

async fn consistency(log: &impl AuditLog, req: &Request) -> Result<Response<Body>, Problem> {
    let vendor = path_id(req, "vendorid", "checkpoint", VendorId::parse)?;
    let from = size_param(req, "from")?;
    let to = size_param(req, "to")?;
    if from > to {
        return Err(Problem::parameter(
            "from",
            format!("must not be larger than to ({to}): a log only grows"),
        ));
    }
    for size in [from, to] {
        log.checkpoint(vendor, Some(size))
            .await
            .map_err(|e| Problem::internal(&e.into()))?
            .ok_or_else(|| {
                Problem::not_found("checkpoint")
                    .with_detail(format!("no checkpoint of size {size} was signed"))
            })?;
    }
    let proof = consistency_proof(log, vendor, from, to)
        .await
        .map_err(|e| match e.is_damage() {
            true => Problem::audit_log_damaged(vendor),
            false => Problem::internal(&e.into()),
        })?;
    let mut response = shared::http::json(StatusCode::OK, &ConsistencyProof { from, to, proof });
    // Between two stored checkpoints the proof never changes.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
