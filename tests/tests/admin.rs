//! Admins are created by operators, not through the API; their token carries `role: admin`. These
//! tests mint one with the real signing key and check what the handlers let it do.
use api_tests::Api;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::json;
use shared::auth::{AccessClaims, KmsSigner, sign_claims};
use shared::domain::account::Role;

async fn admin_token(api: &Api) -> String {
    let signer = KmsSigner::from_env(&shared::aws::sdk_config().await)
        .await
        .unwrap();
    let now = Utc::now().timestamp();
    let claims = AccessClaims {
        iss: api.base.clone(),
        aud: "reservations-api".into(),
        sub: "ops-admin-1".into(),
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: uuid::Uuid::new_v4().to_string(),
        role: Role::Admin,
        vendor_id: None,
        manager: false,
    };
    sign_claims(&signer, &claims).await.unwrap()
}

#[tokio::test]
async fn an_admin_may_read_any_guest_and_manage_any_vendor() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let manager = api.vendor("hotel").await;
    let admin = admin_token(&api).await;

    let profile = api.get(&format!("/user/{}", guest.id), Some(&admin)).await;
    assert_eq!(profile.status, StatusCode::OK, "{profile:#?}");
    assert_eq!(profile.body["email"], guest.email.as_str());

    let vendor = format!("/vendor/{}", manager.vendor());
    let renamed = api
        .put(
            &vendor,
            Some(&admin),
            &json!({"name": "Renamed by support"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:#?}");
    assert_eq!(
        api.get(&vendor, None).await.body["name"],
        "Renamed by support"
    );
    let staff = api.get(&format!("{vendor}/staff"), Some(&admin)).await;
    assert_eq!(staff.status, StatusCode::OK, "{staff:#?}");
}

#[tokio::test]
async fn a_token_with_a_role_we_do_not_know_is_refused() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let token = admin_token(&api).await;
    // Re-sign the same claims with a made-up role: verified, but not ours to honour.
    let signer = KmsSigner::from_env(&shared::aws::sdk_config().await)
        .await
        .unwrap();
    let (_, payload) = token.split_once('.').unwrap();
    let payload = payload.split('.').next().unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    claims["role"] = json!("superuser");
    let header = b64.encode(
        serde_json::to_vec(&json!({"alg": "ES256", "typ": "JWT", "kid": signer.jwk().kid}))
            .unwrap(),
    );
    let signing_input = format!("{header}.{}", b64.encode(claims.to_string()));
    let signature = shared::auth::TokenSigner::sign(&signer, signing_input.clone().into_bytes())
        .await
        .unwrap();
    let forged_role = format!("{signing_input}.{}", b64.encode(signature));

    api.get(&format!("/user/{}", guest.id), Some(&forged_role))
        .await
        .assert_problem(401);
}
