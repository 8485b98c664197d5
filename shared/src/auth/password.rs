//! Argon2id password hashes (the crate's defaults follow OWASP's minimums), computed off the
//! async runtime's threads because they are deliberately slow.
use crate::domain::account::Password;
use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::OnceLock;

pub async fn hash(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(password.expose()))
        .await
        .context("password hashing task failed")?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Checks a password against a stored hash. With no hash (no such account) it still does the
/// same work against a dummy, so the response time does not tell whether the account exists.
pub async fn verify(password: Password, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let dummy = dummy_hash();
        let (hash, real) = match &stored {
            Some(hash) => (hash.as_str(), true),
            None => (dummy, false),
        };
        let matches = PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        real && matches
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("no account has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let stored = hash(Password::new("correct horse battery".into()).unwrap())
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify(
                Password::attempt("correct horse battery".into()).unwrap(),
                Some(stored.clone())
            )
            .await
        );
        assert!(
            !verify(
                Password::attempt("wrong horse battery".into()).unwrap(),
                Some(stored)
            )
            .await
        );
        assert!(
            !verify(
                Password::attempt("no account has this password".into()).unwrap(),
                None
            )
            .await
        );
    }
}
