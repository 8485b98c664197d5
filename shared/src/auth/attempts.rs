//! Limits on guessing passwords, for sign-in and for the current password a profile change
//! asks for. Each attempt is counted against three budgets, so that a stranger's guesses
//! cannot lock an account's owner out from everywhere:
//! - one account from one source: `MAX_PER_ACCOUNT_AND_SOURCE`, then that source is refused
//!   for that account until the window ends;
//! - one source across every account: `MAX_PER_SOURCE` failures (credential stuffing);
//! - one account from every source: `MAX_PER_ACCOUNT`, far higher, against guessing spread over
//!   many sources.
//!
//! A source is the caller's IP address as API Gateway saw it; an IPv6 caller is its /64, as one
//! host or network usually holds a whole /64. The budgets are counted in that order and a refused
//! attempt stops at the budget that refused it, so one source's refused guesses never reach the
//! account's shared budget. A right password takes its attempt back and clears that account's
//! budget for that source, so only failures use the budgets up.
use crate::domain::account::{AccountKind, Email};
use crate::store::{AttemptBudget, CredentialStore, LoginAttempts};
use chrono::{DateTime, Utc};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::net::IpAddr;

/// Failed attempts on one account from one source per window (`store::LOGIN_WINDOW_MINUTES`).
pub const MAX_PER_ACCOUNT_AND_SOURCE: u32 = 5;
/// Failed attempts from one source on any accounts per window.
pub const MAX_PER_SOURCE: u32 = 20;
/// Failed attempts on one account from all sources together per window.
pub const MAX_PER_ACCOUNT: u32 = 100;

/// Where an attempt comes from: an IPv4 address, an IPv6 /64, or `unknown` when the request
/// carries no source (never the case behind API Gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptSource(String);

impl AttemptSource {
    pub fn of(req: &Request) -> Self {
        let ip = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
            _ => None,
        };
        Self::from_ip(ip)
    }

    pub fn from_ip(ip: Option<&str>) -> Self {
        match ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok()) {
            Some(IpAddr::V4(v4)) => Self(v4.to_string()),
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    Self(format!("{a:x}:{b:x}:{c:x}:{d:x}::/64"))
                }
            },
            None => Self("unknown".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The attempt is refused: wait this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_seconds: u64,
}

/// One attempt at a password, counted before the password is checked so that a burst of
/// parallel guesses is counted too. A wrong password needs nothing more: it stays counted.
#[must_use]
pub struct Attempt<'a> {
    kind: AccountKind,
    email: &'a Email,
    source: &'a AttemptSource,
}

impl<'a> Attempt<'a> {
    /// Counts the attempt, budget by budget, stopping at the first one it exceeds.
    pub async fn begin(
        store: &impl CredentialStore,
        kind: AccountKind,
        email: &'a Email,
        source: &'a AttemptSource,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Self, Throttled>> {
        let attempt = Self {
            kind,
            email,
            source,
        };
        for (budget, max) in attempt.budgets() {
            let counted = store.count_attempt(budget, now).await?;
            if counted.count > max {
                return Ok(Err(throttled(counted, now)));
            }
        }
        Ok(Ok(attempt))
    }

    /// A right password: the attempt was not a guess, so it is taken back, and this source
    /// starts afresh on this account.
    pub async fn succeeded(
        self,
        store: &impl CredentialStore,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let [pair, source, account] = self.budgets();
        store.reset_attempts(pair.0).await?;
        store.forgive_attempt(source.0, now).await?;
        store.forgive_attempt(account.0, now).await
    }

    fn budgets(&self) -> [(AttemptBudget<'a>, u32); 3] {
        let source = self.source.as_str();
        [
            (
                AttemptBudget::AccountFromSource(self.kind, self.email, source),
                MAX_PER_ACCOUNT_AND_SOURCE,
            ),
            (AttemptBudget::Source(source), MAX_PER_SOURCE),
            (
                AttemptBudget::Account(self.kind, self.email),
                MAX_PER_ACCOUNT,
            ),
        ]
    }
}

fn throttled(counted: LoginAttempts, now: DateTime<Utc>) -> Throttled {
    let wait = (counted.window_ends_at - now).num_seconds().max(1);
    Throttled {
        retry_after_seconds: wait.unsigned_abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_network() {
        let source = |ip| AttemptSource::from_ip(Some(ip)).as_str().to_owned();
        assert_eq!(source("203.0.113.7"), "203.0.113.7");
        assert_eq!(source("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            source("2001:db8:1:2:bbbb::9"),
            source("2001:db8:1:2:aaaa::1")
        );
        assert_ne!(source("2001:db8:1:3::1"), source("2001:db8:1:2::1"));
        assert_eq!(source("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(AttemptSource::from_ip(None).as_str(), "unknown");
        assert_eq!(source("not an address"), "unknown");
    }
}
