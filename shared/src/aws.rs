//! One SDK configuration per cold start. `AWS_ENDPOINT_URL` and the service-specific
//! `AWS_ENDPOINT_URL_DYNAMODB` (read by aws-config itself) point it at the local emulators.
pub use aws_config::SdkConfig;

pub async fn sdk_config() -> SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
