//! The scheduled checkpoint signer (every minute by default): each vendor whose audit log grew
//! since its last checkpoint gets a new one, signed with the audit KMS key (the only function
//! allowed to sign with it) and stored; a log that did not grow is not signed again.
use lambda_http::Error;
use lambda_http::lambda_runtime::LambdaEvent;
use shared::audit::AuditLog;
use shared::audit::sign::{CheckpointSigner, SignRound, sign_grown};

pub async fn handler(
    log: &impl AuditLog,
    signer: &impl CheckpointSigner,
    issuer: &str,
    _event: LambdaEvent<serde_json::Value>,
) -> Result<SignRound, Error> {
    let round = sign_grown(log, signer, issuer, chrono::Utc::now()).await?;
    if round.signed + round.failed > 0 {
        tracing::info!(
            signed = round.signed,
            refused = round.refused,
            failed = round.failed,
            "audit signer run"
        );
    }
    Ok(round)
}
