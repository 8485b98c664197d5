//! Client secrets are hashed like passwords (Argon2id, `auth::password`'s parameters), off the
//! async runtime's threads.
use super::account::ClientSecret;
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::OnceLock;

pub async fn hash(secret: &ClientSecret) -> anyhow::Result<String> {
    let secret = secret.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_now(&secret))
        .await
        .context("secret hashing task failed")?
}

fn hash_now(secret: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a client secret: {e}"))
}

/// Whether `secret` matches one of `hashes` (the current secret first). With none (no such
/// channel, or a disconnected one) it still does the work once against a dummy, so the response
/// time does not tell whether the client exists.
pub async fn verify(secret: ClientSecret, hashes: Vec<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let matches = |hash: &str| {
            PasswordHash::new(hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(secret.expose().as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        };
        if hashes.is_empty() {
            let _ = matches(dummy_hash());
            return false;
        }
        hashes.iter().any(|hash| matches(hash))
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("no channel has this secret").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_secret_and_never_holds_it() {
        let secret = ClientSecret::generate();
        let stored = hash(&secret).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains(secret.expose()));
        let again = |s: &ClientSecret| ClientSecret::attempt(s.expose().to_owned()).unwrap();
        assert!(verify(again(&secret), vec![stored.clone()]).await);
        let other = ClientSecret::generate();
        assert!(!verify(again(&other), vec![stored.clone()]).await);
        // The old secret in its grace period, after the new one.
        let newer = hash(&other).await.unwrap();
        assert!(verify(again(&secret), vec![newer, stored]).await);
        assert!(!verify(again(&secret), Vec::new()).await);
    }
}
