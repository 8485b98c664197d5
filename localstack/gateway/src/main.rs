//! `local-gateway`: serves the whole API on `GATEWAY_ADDR` (default 127.0.0.1:3000).
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init();
    let addr = shared::config::optional("GATEWAY_ADDR", "127.0.0.1:3000".to_owned())?;
    let listener = TcpListener::bind(&addr).await?;
    let url = local_gateway::start(listener).await?;
    tracing::info!(%url, "local gateway serving the API");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
