//! Identity: who is calling (from verified token claims), passwords, and the tokens we issue.
pub mod attempts;
mod caller;
mod claims;
pub mod login;
pub mod password;
mod token;
mod verify;

pub use caller::Caller;
pub use claims::{AccessClaims, flatten_claims};
pub use token::{
    IssuedToken, Jwk, Jwks, KmsSigner, TokenSettings, TokenSigner, issue_token, sign_claims,
};
pub use verify::{JwtVerifier, VerifyError};
