use lambda_http::{Error, run, service_fn};
use shared::auth::TokenSettings;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let settings = TokenSettings::from_env()?;
    run(service_fn(|req| {
        openid_configuration::handler(&settings, req)
    }))
    .await
}
