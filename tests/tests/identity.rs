//! Guests: signing up, signing in, tokens, and a profile only its owner can read or change.
use api_tests::{Api, PASSWORD, unique_email};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::auth::{AccessClaims, KmsSigner, TokenSigner, sign_claims};
use shared::domain::account::Role;

fn signup(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Grace Guest", "locale": "de-AT"})
}

#[tokio::test]
async fn a_guest_signs_up_signs_in_and_reads_their_profile() {
    let api = Api::start().await;
    let email = unique_email("grace");

    let created = api.post("/user/create", None, &signup(&email)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/user/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["locale"], "de-AT");

    let login = api
        .post(
            "/user/login",
            None,
            &json!({"email": email.to_uppercase(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:#?}");
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["account_id"], id.as_str());
    let token = login.body["access_token"].as_str().unwrap();

    let profile = api.get(&format!("/user/{id}"), Some(token)).await;
    assert_eq!(profile.status, StatusCode::OK, "{profile:#?}");
    assert_eq!(profile.body["email"], email.as_str());
    assert_eq!(profile.body["name"], "Grace Guest");
    let text = profile.body.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_signups_name_every_bad_field_and_write_nothing() {
    let api = Api::start().await;
    let email = unique_email("bad");

    let everything_wrong = api
        .post("/user/create", None, &json!({"email": email.replace('@', ""), "password": "short", "name": " ", "phone": "12", "locale": "english"}))
        .await;
    everything_wrong.assert_problem(422);
    assert_eq!(
        everything_wrong.pointers(),
        ["/email", "/password", "/name", "/phone", "/locale"]
    );

    let missing = api.post("/user/create", None, &json!({})).await;
    missing.assert_problem(422);
    assert_eq!(missing.pointers(), ["/email", "/password", "/name"]);

    let too_long = api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "n".repeat(101)}),
        )
        .await;
    too_long.assert_problem(422);
    assert_eq!(too_long.pointers(), ["/name"]);

    let wrong_type = api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": 42}),
        )
        .await;
    wrong_type.assert_problem(422);
    assert_eq!(wrong_type.pointers(), ["/name"]);

    let extra = api
        .post(
            "/user/create",
            None,
            &json!({"email": email, "password": PASSWORD, "name": "A", "role": "admin"}),
        )
        .await;
    extra.assert_problem(422);
    assert_eq!(extra.pointers(), ["/role"]);

    api.send_raw(
        Method::POST,
        "/user/create",
        None,
        "application/json",
        "{\"email\": ",
    )
    .await
    .assert_problem(400);
    api.send_raw(Method::POST, "/user/create", None, "application/json", "")
        .await
        .assert_problem(400);
    api.send_raw(
        Method::POST,
        "/user/create",
        None,
        "text/plain",
        &signup(&email).to_string(),
    )
    .await
    .assert_problem(415);
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(70 * 1024));
    api.send_raw(
        Method::POST,
        "/user/create",
        None,
        "application/json",
        &huge,
    )
    .await
    .assert_problem(413);

    // None of the above wrote anything: the address is still free and has no password.
    let login = api
        .post(
            "/user/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    login.assert_problem(401);
    let created = api.post("/user/create", None, &signup(&email)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:#?}");
}

#[tokio::test]
async fn an_email_address_has_one_account_even_when_signups_race() {
    let api = Api::start().await;
    let email = unique_email("race");
    let body = signup(&email);

    let replies =
        futures::future::join_all((0..10).map(|_| api.post("/user/create", None, &body))).await;

    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let taken = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, taken), (1, 9), "{replies:#?}");
    let again = api
        .post(
            "/user/create",
            None,
            &json!({"email": email.to_uppercase(), "password": PASSWORD, "name": "Twin"}),
        )
        .await;
    again.assert_problem(409);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_look_the_same() {
    let api = Api::start().await;
    let guest = api.guest().await;

    let wrong = api
        .post(
            "/user/login",
            None,
            &json!({"email": guest.email, "password": "not the password"}),
        )
        .await;
    let unknown = api
        .post(
            "/user/login",
            None,
            &json!({"email": unique_email("nobody"), "password": "not the password"}),
        )
        .await;

    wrong.assert_problem(401);
    unknown.assert_problem(401);
    assert_eq!(wrong.body, unknown.body);
    // A guest is not staff: the staff login knows no such account.
    let as_staff = api
        .post(
            "/vendor/login",
            None,
            &json!({"email": guest.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(as_staff.body, wrong.body);
}

#[track_caller]
fn retry_after(reply: &api_tests::Reply) -> u64 {
    reply.assert_problem(429);
    let seconds: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in {reply:#?}"));
    assert!((1..=15 * 60).contains(&seconds), "{seconds}");
    seconds
}

async fn sign_in(api: &Api, email: &str, password: &str) -> api_tests::Reply {
    api.post(
        "/user/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test]
async fn a_lockout_from_one_source_leaves_the_account_open_from_others() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let elsewhere = api.from_another_source();

    for _ in 0..5 {
        sign_in(&api, &guest.email, "guessing wrong")
            .await
            .assert_problem(401);
    }
    retry_after(&sign_in(&api, &guest.email, "guessing wrong").await);
    retry_after(&sign_in(&api, &guest.email, PASSWORD).await);

    // The owner, somewhere else, still signs in; a wrong password there is just wrong.
    let owner = sign_in(&elsewhere, &guest.email, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{owner:#?}");
    sign_in(&elsewhere, &guest.email, "a typo")
        .await
        .assert_problem(401);
    // The guesser's source stays refused for the rest of its window.
    retry_after(&sign_in(&api, &guest.email, PASSWORD).await);
}

#[tokio::test]
async fn a_source_guessing_across_many_accounts_is_throttled() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let budget = shared::auth::attempts::MAX_PER_SOURCE;

    // Credential stuffing: one guess each at many addresses, none locked on its own.
    for _ in 0..budget {
        sign_in(&api, &unique_email("stuffed"), "password1")
            .await
            .assert_problem(401);
    }
    retry_after(&sign_in(&api, &unique_email("stuffed"), "password1").await);
    // The source is refused for every account, even with a right password...
    retry_after(&sign_in(&api, &guest.email, PASSWORD).await);
    // ...and nobody else is.
    let owner = sign_in(&api.from_another_source(), &guest.email, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{owner:#?}");
}

#[tokio::test]
async fn guesses_spread_over_many_sources_lock_the_account_for_all_at_its_higher_cap() {
    use shared::auth::attempts::{MAX_PER_ACCOUNT, MAX_PER_ACCOUNT_AND_SOURCE};
    let api = Api::start().await;
    let guest = api.guest().await;
    let sources = MAX_PER_ACCOUNT / MAX_PER_ACCOUNT_AND_SOURCE;

    // Each source guesses as often as it may; together they use up the account's budget.
    let guessers: Vec<Api> = (0..sources).map(|_| api.from_another_source()).collect();
    futures::future::join_all(guessers.iter().map(|guesser| async {
        for _ in 0..MAX_PER_ACCOUNT_AND_SOURCE {
            sign_in(guesser, &guest.email, "guessing wrong")
                .await
                .assert_problem(401);
        }
    }))
    .await;

    // Now the account waits, from a source that never guessed too.
    retry_after(&sign_in(&api.from_another_source(), &guest.email, PASSWORD).await);
    // Other accounts are not affected.
    let other = api.guest().await;
    assert!(!other.token.is_empty());
}

#[tokio::test]
async fn right_passwords_do_not_use_up_a_sources_budget() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let budget = shared::auth::attempts::MAX_PER_SOURCE;

    // An office behind one address: its people sign in many times, and some mistype.
    for round in 0..budget + 5 {
        if round % 5 == 4 {
            sign_in(&api, &guest.email, "a typo")
                .await
                .assert_problem(401);
        }
        let reply = sign_in(&api, &guest.email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "round {round}: {reply:#?}");
    }
}

#[tokio::test]
async fn repeated_sign_in_attempts_are_throttled_per_account() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let attempt = |password: &'static str| {
        let body = json!({"email": guest.email, "password": password});
        let api = &api;
        async move { api.post("/user/login", None, &body).await }
    };

    for _ in 0..5 {
        attempt("guessing wrong").await.assert_problem(401);
    }
    let throttled = attempt("guessing wrong").await;
    throttled.assert_problem(429);
    let retry_after: u64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // Even the right password waits now, and other accounts are unaffected.
    attempt(PASSWORD).await.assert_problem(429);
    let other = api.guest().await;
    assert!(!other.token.is_empty());

    // Unknown accounts are throttled the same way, so 429 says nothing about existence.
    let nobody = unique_email("nobody");
    for _ in 0..5 {
        api.post(
            "/user/login",
            None,
            &json!({"email": nobody, "password": "x"}),
        )
        .await
        .assert_problem(401);
    }
    api.post(
        "/user/login",
        None,
        &json!({"email": nobody, "password": "x"}),
    )
    .await
    .assert_problem(429);
}

#[tokio::test]
async fn a_guest_cannot_read_or_change_another_guests_profile() {
    let api = Api::start().await;
    let (alice, bob) = (api.guest().await, api.guest().await);
    let bobs = format!("/user/{}", bob.id);

    api.get(&bobs, alice.token()).await.assert_problem(403);
    api.put(&bobs, alice.token(), &json!({"name": "Mallory"}))
        .await
        .assert_problem(403);
    let staff = api.vendor("hotel").await;
    api.get(&bobs, staff.token()).await.assert_problem(403);

    let unchanged = api.get(&bobs, bob.token()).await;
    assert_eq!(unchanged.body["name"], "Test Guest");
    assert_eq!(unchanged.body["version"], 1);
}

#[tokio::test]
async fn a_guest_edits_their_profile_and_stale_edits_are_refused() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let path = format!("/user/{}", guest.id);

    let edited = api
        .send_with(
            Method::PUT,
            &path,
            guest.token(),
            Some(&json!({"name": "Grace H.", "phone": "+4915112345678", "locale": "fr"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.header("etag"), Some("\"2\""));
    assert_eq!(edited.body["phone"], "+4915112345678");

    let stale = api
        .send_with(
            Method::PUT,
            &path,
            guest.token(),
            Some(&json!({"name": "Old"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    stale.assert_problem(412);
    let removed_phone = api.put(&path, guest.token(), &json!({"phone": null})).await;
    assert_eq!(removed_phone.status, StatusCode::OK, "{removed_phone:#?}");
    assert!(removed_phone.body.get("phone").is_none());
    assert_eq!(removed_phone.body["name"], "Grace H.");

    api.put(&path, guest.token(), &json!({}))
        .await
        .assert_problem(422);
    let bad = api
        .put(&path, guest.token(), &json!({"email": "new@example.com"}))
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.pointers(), ["/email"]);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let path = format!("/user/{}", guest.id);
    let new_password = "a completely new passphrase";

    let wrong = api
        .put(
            &path,
            guest.token(),
            &json!({"current_password": "wrong guess", "new_password": new_password}),
        )
        .await;
    wrong.assert_problem(422);
    assert_eq!(wrong.pointers(), ["/current_password"]);
    let half = api
        .put(&path, guest.token(), &json!({"new_password": new_password}))
        .await;
    assert_eq!(half.pointers(), ["/current_password"]);

    let changed = api
        .put(
            &path,
            guest.token(),
            &json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    api.post(
        "/user/login",
        None,
        &json!({"email": guest.email, "password": PASSWORD}),
    )
    .await
    .assert_problem(401);
    assert!(
        !api.login("/user/login", &guest.email, new_password)
            .await
            .is_empty()
    );
}

/// Claims as our login would issue them for `sub`, to be bent by each test.
fn claims(api: &Api, sub: &str) -> AccessClaims {
    let now = Utc::now().timestamp();
    AccessClaims {
        iss: api.base.clone(),
        aud: "reservations-api".into(),
        sub: sub.into(),
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: uuid::Uuid::new_v4().to_string(),
        role: Role::Guest,
        vendor_id: None,
        manager: false,
    }
}

/// An attacker's key that claims to be ours (same key id).
struct ForgedKey {
    kid: String,
    key: p256::ecdsa::SigningKey,
}

impl TokenSigner for ForgedKey {
    fn key_id(&self) -> &str {
        &self.kid
    }

    async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        use p256::ecdsa::signature::Signer;
        let signature: p256::ecdsa::Signature = self.key.sign(&message);
        Ok(signature.to_bytes().to_vec())
    }
}

#[tokio::test]
async fn tokens_that_are_missing_expired_forged_or_not_for_us_are_refused() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let path = format!("/user/{}", guest.id);
    let sdk = shared::aws::sdk_config().await;
    let kms = KmsSigner::from_env(&sdk).await.unwrap();

    // The genuine article works, so the refusals below are about the token alone.
    let genuine = sign_claims(&kms, &claims(&api, &guest.id)).await.unwrap();
    assert_eq!(api.get(&path, Some(&genuine)).await.status, StatusCode::OK);

    let expired = sign_claims(
        &kms,
        &AccessClaims {
            exp: Utc::now().timestamp() - 60,
            ..claims(&api, &guest.id)
        },
    )
    .await
    .unwrap();
    let not_yet = sign_claims(
        &kms,
        &AccessClaims {
            nbf: Utc::now().timestamp() + 600,
            ..claims(&api, &guest.id)
        },
    )
    .await
    .unwrap();
    let other_audience = sign_claims(
        &kms,
        &AccessClaims {
            aud: "someone-else".into(),
            ..claims(&api, &guest.id)
        },
    )
    .await
    .unwrap();
    let other_issuer = sign_claims(
        &kms,
        &AccessClaims {
            iss: "https://evil.example".into(),
            ..claims(&api, &guest.id)
        },
    )
    .await
    .unwrap();
    let forged_key = ForgedKey {
        kid: kms.jwk().kid.clone(),
        key: p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap(),
    };
    let forged = sign_claims(&forged_key, &claims(&api, &guest.id))
        .await
        .unwrap();
    let (header, rest) = genuine.split_once('.').unwrap();
    let payload = rest.split('.').next().unwrap();
    let mut tampered_claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    tampered_claims["role"] = json!("admin");
    let tampered = format!(
        "{header}.{}.{}",
        B64.encode(tampered_claims.to_string()),
        genuine.rsplit('.').next().unwrap()
    );
    let unsigned = format!("{}.{payload}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#));

    for (what, token) in [
        ("expired", expired.as_str()),
        ("not yet valid", &not_yet),
        ("for another audience", &other_audience),
        ("from another issuer", &other_issuer),
        ("signed by another key", &forged),
        ("tampered", &tampered),
        ("unsigned", &unsigned),
        ("garbage", "not-a-jwt"),
    ] {
        let reply = api.get(&path, Some(token)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {reply:#?}");
        reply.assert_problem(401);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    api.get(&path, None).await.assert_problem(401);
    api.send_with(
        Method::GET,
        &path,
        None,
        None,
        &[("authorization", "Basic Z3Vlc3Q6cGFzcw==")],
    )
    .await
    .assert_problem(401);
}

#[tokio::test]
async fn the_issuer_publishes_its_discovery_document_and_keys() {
    let api = Api::start().await;
    let guest = api.guest().await;

    let discovery = api.get("/.well-known/openid-configuration", None).await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.body["issuer"], api.base.as_str());
    let jwks_uri = discovery.body["jwks_uri"].as_str().unwrap();
    let jwks = api.get(jwks_uri.trim_start_matches(&api.base), None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let key = &jwks.body["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(
        key.get("d").is_none(),
        "the private key must never be published"
    );

    // The tokens we issue name that key and carry the guest's role.
    let header: Value =
        serde_json::from_slice(&B64.decode(guest.token.split('.').next().unwrap()).unwrap())
            .unwrap();
    assert_eq!(header["kid"], key["kid"]);
    assert_eq!(header["alg"], "ES256");
    let claims: Value =
        serde_json::from_slice(&B64.decode(guest.token.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert_eq!(claims["sub"], guest.id.as_str());
    assert_eq!(claims["role"], "guest");
    assert_eq!(claims["iss"], api.base.as_str());
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 900);
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let api = Api::start().await;
    api.get("/no/such/thing", None).await.assert_problem(404);
    api.send(Method::DELETE, "/user/create", None, None)
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn another_guests_id_is_forbidden_and_a_malformed_id_is_not_found() {
    let api = Api::start().await;
    let guest = api.guest().await;
    api.get(&format!("/user/{}", uuid::Uuid::now_v7()), guest.token())
        .await
        .assert_problem(403);
    api.get("/user/not-a-uuid", guest.token())
        .await
        .assert_problem(404);
}

#[tokio::test]
async fn repeated_wrong_current_passwords_on_a_profile_update_are_throttled() {
    let api = Api::start().await;
    let guest = api.guest().await;
    let path = format!("/user/{}", guest.id);
    let change = |current: &str| json!({"current_password": current, "new_password": "a completely new passphrase"});

    for _ in 0..5 {
        let wrong = api
            .put(&path, guest.token(), &change("guessing wrong"))
            .await;
        wrong.assert_problem(422);
        assert_eq!(wrong.pointers(), ["/current_password"]);
    }
    // A stolen token is no way to guess the password: the sixth guess waits, the right one too.
    retry_after(
        &api.put(&path, guest.token(), &change("guessing wrong"))
            .await,
    );
    retry_after(&api.put(&path, guest.token(), &change(PASSWORD)).await);
    // They count as sign-ins do: this source may not sign in to the account either.
    retry_after(&sign_in(&api, &guest.email, PASSWORD).await);
    // Edits without a password are not limited, and the owner elsewhere changes it.
    let renamed = api
        .put(&path, guest.token(), &json!({"name": "Grace Renamed"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:#?}");
    let changed = api
        .from_another_source()
        .put(&path, guest.token(), &change(PASSWORD))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
}

#[tokio::test]
async fn a_door_key_opens_its_lock_offline_and_is_refused_as_an_access_token() {
    use shared::auth::{
        DoorKey, DoorKeyRejected, Jwks, KeyHolder, TokenSettings, issue_door_key, verify_door_key,
    };
    use shared::domain::ids::{BookingId, StaffId, UnitId, VendorId};
    let api = Api::start().await;
    let guest = api.guest().await;
    let manager = api.vendor("hotel").await;
    let sdk = shared::aws::sdk_config().await;
    let kms = KmsSigner::from_env(&sdk).await.unwrap();
    let settings = TokenSettings {
        issuer: api.base.clone(),
        audience: "reservations-api".into(),
        ttl_seconds: 900,
    };
    let now = Utc::now();
    let unit = UnitId::generate();
    let key = |holder| DoorKey {
        vendor_id: VendorId::parse(manager.vendor()).unwrap(),
        unit_id: unit,
        unit_number: "214".into(),
        holder,
        valid_from: now - chrono::Duration::minutes(1),
        valid_to: now + chrono::Duration::hours(20),
    };
    let for_guest = issue_door_key(
        &kms,
        &settings,
        &key(KeyHolder::Guest(BookingId::generate())),
        now,
    )
    .await
    .unwrap();
    let for_cart = issue_door_key(
        &kms,
        &settings,
        &key(KeyHolder::Housekeeping(StaffId::generate())),
        now,
    )
    .await
    .unwrap();

    // The lock read the issuer's keys once, while it was online; it checks keys without a network.
    let served = api.get("/.well-known/jwks.json", None).await;
    assert_eq!(served.status, StatusCode::OK);
    let jwks: Jwks = serde_json::from_value(served.body).unwrap();
    for issued in [&for_guest, &for_cart] {
        assert_eq!(
            verify_door_key(&jwks, &api.base, &issued.token, unit, now),
            Ok(issued.claims.clone())
        );
        assert_eq!(
            verify_door_key(&jwks, &api.base, &issued.token, UnitId::generate(), now),
            Err(DoorKeyRejected::WrongUnit)
        );
    }
    // An access token of ours opens no door.
    assert_eq!(
        verify_door_key(&jwks, &api.base, &guest.token, unit, now),
        Err(DoorKeyRejected::NotADoorKey)
    );

    // And no door key opens the API, though signed by the same key.
    for (path, owner) in [
        (format!("/user/{}", guest.id), &guest),
        (format!("/bookings/vendor/{}", manager.vendor()), &manager),
    ] {
        assert_eq!(api.get(&path, owner.token()).await.status, StatusCode::OK);
        for issued in [&for_guest, &for_cart] {
            api.get(&path, Some(&issued.token))
                .await
                .assert_problem(401);
        }
    }
}
