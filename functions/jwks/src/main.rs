use lambda_http::{Error, run, service_fn};
use shared::auth::{Jwks, KmsSigner};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let signer = KmsSigner::from_env(&sdk).await?;
    // The audit log's checkpoint key is published beside the token key, under its own kid.
    let (audit, _) = shared::audit::sign::audit_public_key_from_env(&sdk).await?;
    let keys = Jwks {
        keys: vec![signer.jwk().clone(), audit],
    };
    run(service_fn(|req| jwks::handler(&keys, req))).await
}
