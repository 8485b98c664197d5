//! Channels' access tokens (OAuth 2.0 client credentials): what they carry, issuing them with the
//! same signer and issuer as staff tokens, and the caller a channel endpoint sees. A channel token
//! is never a `Caller`: `Caller::from_claims` refuses it, so no guest or staff endpoint can
//! mistake a channel for one of its own callers.
use super::token::{TokenSettings, TokenSigner, sign_jws};
use crate::channels::{ChannelAccount, ChannelId};
use crate::domain::account::Role;
use crate::domain::ids::VendorId;
use crate::http::Problem;
use chrono::{DateTime, Utc};
use lambda_http::Request;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Channel tokens live 15 minutes: a disconnected channel is also refused by the endpoints that
/// read its account, and a short life bounds what a leaked token is worth.
pub const CHANNEL_TOKEN_TTL_SECONDS: i64 = 900;

/// What a channel token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read availability, rates and inventory (`GET /channel/ari`).
    AriRead,
    /// Send bookings, changes and cancellations (the import endpoint).
    BookingsWrite,
}

impl Scope {
    pub const ALL: [Self; 2] = [Self::AriRead, Self::BookingsWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AriRead => "ari:read",
            Self::BookingsWrite => "bookings:write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A set of scopes, written space-separated as RFC 6749 section 3.3 says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn all() -> Self {
        Self(Scope::ALL.to_vec())
    }

    /// `Err` names the first scope we do not know.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut scopes = Vec::new();
        for word in raw.split(' ').filter(|w| !w.is_empty()) {
            scopes.push(Scope::parse(word).ok_or_else(|| word.to_owned())?);
        }
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(String::new());
        }
        Ok(Self(scopes))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn as_string(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The claims of a channel token: `sub` is the channel's client id, `role` is `channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub role: Role,
    pub vendor_id: VendorId,
    pub channel_id: ChannelId,
    pub scope: String,
}

impl ChannelClaims {
    pub fn new(
        settings: &TokenSettings,
        account: &ChannelAccount,
        scopes: &Scopes,
        now: DateTime<Utc>,
    ) -> Self {
        let iat = now.timestamp();
        Self {
            iss: settings.issuer.clone(),
            aud: settings.audience.clone(),
            sub: account.id.to_string(),
            iat,
            nbf: iat,
            exp: iat + CHANNEL_TOKEN_TTL_SECONDS,
            jti: uuid::Uuid::new_v4().to_string(),
            role: Role::Channel,
            vendor_id: account.vendor_id,
            channel_id: account.id,
            scope: scopes.as_string(),
        }
    }
}

/// RFC 6749 section 5.1's successful token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

pub async fn issue_channel_token(
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    account: &ChannelAccount,
    scopes: &Scopes,
    now: DateTime<Utc>,
) -> anyhow::Result<ChannelToken> {
    let claims = ChannelClaims::new(settings, account, scopes, now);
    Ok(ChannelToken {
        access_token: sign_jws(signer, "JWT", &claims).await?,
        token_type: "Bearer".into(),
        expires_in: CHANNEL_TOKEN_TTL_SECONDS,
        scope: claims.scope,
    })
}

/// The channel calling a channel endpoint, as its verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCaller {
    pub channel_id: ChannelId,
    pub vendor_id: VendorId,
    pub scopes: Scopes,
}

impl ChannelCaller {
    /// 401 without verified claims; 403 for a guest's or staff's token.
    pub fn from_request(req: &Request) -> Result<Self, Problem> {
        let claims = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims),
            _ => None,
        };
        claims
            .ok_or_else(|| {
                Problem::unauthorized("get a token at POST /oauth/token and send it as Bearer")
            })
            .and_then(Self::from_claims)
    }

    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, Problem> {
        if claims.get("role").map(String::as_str) != Some(Role::Channel.as_str()) {
            return Err(Problem::forbidden(
                "only a channel's token (POST /oauth/token) may call the channel endpoints",
            ));
        }
        let invalid = || Problem::unauthorized("the token's claims are not ours");
        let channel_id = claims
            .get("sub")
            .and_then(|s| ChannelId::parse(s).ok())
            .ok_or_else(invalid)?;
        if claims
            .get("channel_id")
            .and_then(|c| ChannelId::parse(c).ok())
            != Some(channel_id)
        {
            return Err(invalid());
        }
        let vendor_id = claims
            .get("vendor_id")
            .and_then(|v| VendorId::parse(v).ok())
            .ok_or_else(invalid)?;
        let scopes = claims
            .get("scope")
            .and_then(|s| Scopes::parse(s).ok())
            .ok_or_else(invalid)?;
        Ok(Self {
            channel_id,
            vendor_id,
            scopes,
        })
    }

    /// 403 unless the token was granted `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "the token lacks the scope {}",
                scope.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::{ChannelAccount, ChannelKind};
    use crate::domain::text::Title;

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "https://issuer.example".into(),
            audience: "reservations-api".into(),
            ttl_seconds: 3600,
        }
    }

    fn account() -> ChannelAccount {
        ChannelAccount::connect(
            VendorId::generate(),
            ChannelKind::ChannelManager,
            Title::parse("Manager").unwrap(),
            None,
            "hash".into(),
            Utc::now(),
        )
    }

    fn flat(claims: &ChannelClaims) -> HashMap<String, String> {
        match serde_json::to_value(claims).unwrap() {
            serde_json::Value::Object(map) => crate::auth::flatten_claims(&map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_channel_token_names_the_channel_and_its_vendor_and_lives_15_minutes() {
        let account = account();
        let now = Utc::now();
        let claims = ChannelClaims::new(&settings(), &account, &Scopes::all(), now);
        assert_eq!(claims.sub, account.id.to_string());
        assert_eq!(claims.channel_id, account.id);
        assert_eq!(claims.vendor_id, account.vendor_id);
        assert_eq!(claims.role, Role::Channel);
        assert_eq!(claims.scope, "ari:read bookings:write");
        assert_eq!(claims.exp - claims.iat, 15 * 60);
        let caller = ChannelCaller::from_claims(&flat(&claims)).unwrap();
        assert_eq!(caller.channel_id, account.id);
        assert_eq!(caller.vendor_id, account.vendor_id);
        assert!(caller.require(Scope::AriRead).is_ok());
    }

    #[test]
    fn a_channel_token_is_no_caller_and_a_staff_token_no_channel() {
        let claims = ChannelClaims::new(&settings(), &account(), &Scopes::all(), Utc::now());
        let refused = crate::auth::Caller::from_claims(&flat(&claims)).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
        let staff: HashMap<String, String> = [
            ("sub", crate::domain::ids::StaffId::generate().to_string()),
            ("role", "staff".to_owned()),
            ("vendor_id", VendorId::generate().to_string()),
            ("manager", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let refused = ChannelCaller::from_claims(&staff).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_token_without_the_scope_is_refused_it() {
        let only_ari = Scopes::parse("ari:read").unwrap();
        let claims = ChannelClaims::new(&settings(), &account(), &only_ari, Utc::now());
        let caller = ChannelCaller::from_claims(&flat(&claims)).unwrap();
        assert_eq!(
            caller.require(Scope::BookingsWrite).unwrap_err().status(),
            http::StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn scopes_are_space_separated_known_words() {
        assert_eq!(
            Scopes::parse("bookings:write  ari:read ari:read").unwrap(),
            Scopes::all()
        );
        assert_eq!(Scopes::parse("ari:read admin").unwrap_err(), "admin");
        assert!(Scopes::parse(" ").is_err());
    }
}
