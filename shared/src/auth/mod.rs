//! Identity: who is calling (from verified token claims), passwords, and the tokens we issue:
//! access tokens for the API and door keys for locks.
pub mod attempts;
mod caller;
mod channel;
mod claims;
mod keys;
pub mod login;
pub mod password;
mod token;
mod verify;

pub use caller::Caller;
pub use channel::{
    CHANNEL_TOKEN_TTL_SECONDS, ChannelCaller, ChannelClaims, ChannelToken, Scope, Scopes,
    issue_channel_token,
};
pub use claims::{AccessClaims, flatten_claims};
pub use keys::{
    DOOR_KEY_TYPE, DoorKey, DoorKeyClaims, DoorKeyRejected, IssuedDoorKey, KeyHolder,
    door_audience, issue_door_key, verify_door_key,
};
pub use token::{
    IssuedToken, Jwk, Jwks, KmsSigner, TokenSettings, TokenSigner, issue_token, sign_claims,
};
pub use verify::{JwtVerifier, VerifyError};
