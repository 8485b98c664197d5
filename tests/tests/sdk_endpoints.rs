//! The AWS SDK reaches the local emulators through the standard variables alone:
//! `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local and `AWS_ENDPOINT_URL` for LocalStack.
#[tokio::test]
async fn the_sdk_finds_dynamodb_local_and_localstack_from_the_environment() {
    let dynamodb_url = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run via tests/run.sh");
    let localstack_url = std::env::var("AWS_ENDPOINT_URL").expect("run via tests/run.sh");
    assert_ne!(
        dynamodb_url, localstack_url,
        "the two emulators are separate processes"
    );
    let sdk = shared::aws::sdk_config().await;

    // Only DynamoDB Local holds our tables: LocalStack runs without its DynamoDB here.
    let tables = aws_sdk_dynamodb::Client::new(&sdk)
        .list_tables()
        .send()
        .await
        .unwrap();
    let accounts = std::env::var("ACCOUNTS_TABLE").unwrap();
    assert!(tables.table_names().contains(&accounts), "{tables:?}");

    // KMS is LocalStack's: the signing key provisioned there is an ECC P-256 signing key.
    let key = aws_sdk_kms::Client::new(&sdk)
        .describe_key()
        .key_id(std::env::var("JWT_KMS_KEY_ID").unwrap())
        .send()
        .await
        .unwrap();
    let metadata = key.key_metadata().unwrap();
    assert_eq!(
        metadata.key_spec().map(|s| s.as_str()),
        Some("ECC_NIST_P256")
    );
    assert_eq!(
        metadata.key_usage().map(|u| u.as_str()),
        Some("SIGN_VERIFY")
    );
}
