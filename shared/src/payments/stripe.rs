//! `PaymentGateway` on Stripe's REST API: form-encoded requests, JSON answers, Stripe's error
//! object mapped into `PaymentError`.
use super::{
    Intent, IntentId, IntentStatus, PaymentError, PaymentGateway, Refund, RefundId, RefundStatus,
    currency,
};
use crate::domain::ids::BookingId;
use crate::domain::money::{Currency, Money};
use anyhow::{Context, anyhow};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// Every request is pinned to this API version, so answers keep the shape parsed here whatever
/// the account's default is. (localstripe accepts any version and ignores it.)
pub const API_VERSION: &str = "2024-06-20";
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Stripe's limit on an Idempotency-Key.
const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
    secret_key: String,
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient")
            .field("api_base", &self.api_base)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl StripeClient {
    pub fn new(api_base: impl Into<String>, secret_key: impl Into<String>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("reservations/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client for Stripe")?;
        Ok(Self {
            http,
            api_base: api_base.into().trim_end_matches('/').to_owned(),
            secret_key: secret_key.into(),
        })
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION)
    }

    fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &'static str,
    ) -> Result<T, PaymentError> {
        let unavailable = |e: reqwest::Error| {
            // A request that cannot even be built (a bad STRIPE_API_BASE) will not heal.
            if e.is_builder() {
                PaymentError::Unexpected(anyhow!(e).context(what))
            } else {
                PaymentError::Unavailable(anyhow!(e).context(what))
            }
        };
        let response = request.send().await.map_err(unavailable)?;
        let status = response.status();
        let should_retry = response
            .headers()
            .get("Stripe-Should-Retry")
            .and_then(|v| v.to_str().ok())
            .map(|v| v == "true");
        let request_id = response
            .headers()
            .get("Request-Id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        let body = response.bytes().await.map_err(unavailable)?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .with_context(|| format!("{what}: unreadable answer (request {request_id})"))
                .map_err(PaymentError::Unexpected);
        }
        Err(error_from(status, should_retry, &body).context(what, &request_id))
    }

    async fn cancel_once(&self, id: &IntentId, key: &str) -> Result<Intent, PaymentError> {
        let path = format!("/v1/payment_intents/{id}/cancel");
        let wire: WireIntent = self
            .call(self.post(&path, key, &[]), "cancelling a deposit")
            .await?;
        wire.into_intent().map_err(PaymentError::Unexpected)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

/// Stripe's error object; its `type` says little that the status code does not.
#[derive(Deserialize)]
struct StripeError {
    code: Option<String>,
    message: Option<String>,
}

/// Stripe's `Stripe-Should-Retry` header, where present, overrides the status code: it is how
/// Stripe says that a 409 (a concurrent request with the same idempotency key) is worth
/// retrying, or that a 500 is not.
fn error_from(status: StatusCode, should_retry: Option<bool>, body: &[u8]) -> PaymentError {
    let error = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error);
    let retry = should_retry.unwrap_or(
        status == StatusCode::CONFLICT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error(),
    );
    match error {
        _ if retry => PaymentError::Unavailable(anyhow!(
            "Stripe answered {status}: {}",
            error
                .and_then(|e| e.message)
                .unwrap_or_else(|| "(no error object)".into())
        )),
        Some(error) if status.is_client_error() => PaymentError::Rejected {
            code: error.code,
            message: error.message.unwrap_or_else(|| status.to_string()),
            status: status.as_u16(),
        },
        _ => PaymentError::Unexpected(anyhow!(
            "Stripe answered {status} without an error object we can read"
        )),
    }
}

impl PaymentError {
    /// Says which call failed, and Stripe's request id for its support, in the logged cause.
    fn context(self, what: &'static str, request_id: &str) -> Self {
        match self {
            Self::Unavailable(cause) => {
                Self::Unavailable(cause.context(format!("{what} (request {request_id})")))
            }
            Self::Unexpected(cause) => {
                Self::Unexpected(cause.context(format!("{what} (request {request_id})")))
            }
            other => other,
        }
    }
}

fn check_idempotency_key(key: &str) -> Result<(), PaymentError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(())
    } else {
        Err(PaymentError::Invalid(format!(
            "an idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        )))
    }
}

/// A PaymentIntent as Stripe sends it, in API answers and in webhook events alike.
#[derive(Deserialize)]
pub(super) struct WireIntent {
    id: String,
    status: String,
    amount: i64,
    currency: String,
    amount_received: Option<i64>,
    client_secret: Option<String>,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WireIntent {
    pub(super) fn into_intent(self) -> anyhow::Result<Intent> {
        let id = IntentId::parse(&self.id).map_err(|e| anyhow!("intent id {}: {e}", self.id))?;
        let amount = Money {
            amount_minor: self.amount,
            currency: stripe_currency(&self.currency)?,
        };
        let status = IntentStatus::from_stripe(&self.status);
        // localstripe leaves out amount_received, which Stripe always sends. An automatically
        // captured intent has received its whole amount once it has succeeded.
        let amount_received = self.amount_received.unwrap_or(match status {
            IntentStatus::Succeeded => self.amount,
            _ => 0,
        });
        let booking_id = self
            .metadata
            .as_ref()
            .and_then(|m| m.get("booking_id"))
            .and_then(|v| v.as_str())
            .and_then(|raw| BookingId::parse(raw).ok());
        Ok(Intent {
            id,
            status,
            amount,
            amount_received,
            client_secret: self.client_secret,
            booking_id,
        })
    }
}

/// Stripe's lower-case code, as our currency; one whose amounts we would misread is an error.
fn stripe_currency(code: &str) -> anyhow::Result<Currency> {
    let currency = Currency::parse(&code.to_ascii_uppercase())
        .map_err(|e| anyhow!("currency {code:?}: {e}"))?;
    currency::check_currency(currency).map_err(|e| anyhow!(e))?;
    Ok(currency)
}

/// A Refund as Stripe sends it, in API answers and in webhook events alike.
#[derive(Deserialize)]
pub(super) struct WireRefund {
    id: String,
    status: Option<String>,
    amount: i64,
    currency: String,
    failure_reason: Option<String>,
    payment_intent: Option<String>,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WireRefund {
    pub(super) fn into_refund(self) -> anyhow::Result<Refund> {
        Ok(Refund {
            id: RefundId::parse(&self.id).map_err(|e| anyhow!("refund id {}: {e}", self.id))?,
            status: RefundStatus::from_stripe(self.status.as_deref().unwrap_or("")),
            amount: Money {
                amount_minor: self.amount,
                currency: stripe_currency(&self.currency)?,
            },
            failure_reason: self.failure_reason,
            intent_id: self
                .payment_intent
                .as_deref()
                .and_then(|raw| IntentId::parse(raw).ok()),
            booking_id: self
                .metadata
                .as_ref()
                .and_then(|m| m.get("booking_id"))
                .and_then(|v| v.as_str())
                .and_then(|raw| BookingId::parse(raw).ok()),
        })
    }
}

impl PaymentGateway for StripeClient {
    async fn create_deposit(
        &self,
        booking_id: BookingId,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Intent, PaymentError> {
        currency::check_amount(amount).map_err(PaymentError::Invalid)?;
        check_idempotency_key(idempotency_key)?;
        // Neither payment_method_types nor automatic_payment_methods: since 2023-08-16 Stripe
        // enables the methods configured in the Dashboard by default (and localstripe refuses
        // automatic_payment_methods). `automatic` rather than the default `automatic_async`, so
        // the charge exists, with its balance transaction, once the intent has succeeded.
        let form = [
            ("amount", amount.amount_minor.to_string()),
            ("currency", amount.currency.code().to_ascii_lowercase()),
            ("capture_method", "automatic".to_owned()),
            ("metadata[booking_id]", booking_id.to_string()),
        ];
        let wire: WireIntent = self
            .call(
                self.post("/v1/payment_intents", idempotency_key, &form),
                "creating a deposit",
            )
            .await?;
        wire.into_intent().map_err(PaymentError::Unexpected)
    }

    async fn intent(&self, id: &IntentId) -> Result<Intent, PaymentError> {
        let wire: WireIntent = self
            .call(
                self.get(&format!("/v1/payment_intents/{id}")),
                "reading a deposit",
            )
            .await?;
        wire.into_intent().map_err(PaymentError::Unexpected)
    }

    async fn cancel(&self, id: &IntentId, idempotency_key: &str) -> Result<Intent, PaymentError> {
        check_idempotency_key(idempotency_key)?;
        match self.cancel_once(id, idempotency_key).await {
            // Stripe answers 400 (payment_intent_unexpected_state) when the intent is already
            // cancelled under another key; that is what the caller wanted. Any other state, a
            // paid one above all, stays a rejection.
            Err(rejected @ PaymentError::Rejected { status: 400, .. }) => {
                let intent = self.intent(id).await?;
                if intent.status == IntentStatus::Canceled {
                    Ok(intent)
                } else {
                    Err(rejected)
                }
            }
            other => other,
        }
    }

    async fn refund(
        &self,
        id: &IntentId,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        currency::check_amount(amount).map_err(PaymentError::Invalid)?;
        check_idempotency_key(idempotency_key)?;
        // Stripe's refund takes no currency, so a refund in the wrong one would go through in
        // the deposit's. Both checks hold whatever was refunded before, so a retry of a refund
        // that went through still reaches Stripe and gets its original answer back; what is left
        // to refund is Stripe's to enforce.
        let intent = self.intent(id).await?;
        if amount.currency != intent.amount.currency {
            return Err(PaymentError::Invalid(format!(
                "the deposit was paid in {}, not {}",
                intent.amount.currency, amount.currency
            )));
        }
        if amount.amount_minor > intent.amount_received {
            return Err(PaymentError::Invalid(format!(
                "cannot refund {} minor units of a deposit that received {}",
                amount.amount_minor, intent.amount_received
            )));
        }
        let mut form = vec![
            ("payment_intent", id.to_string()),
            ("amount", amount.amount_minor.to_string()),
        ];
        if let Some(booking_id) = intent.booking_id {
            form.push(("metadata[booking_id]", booking_id.to_string()));
        }
        let wire: WireRefund = self
            .call(
                self.post("/v1/refunds", idempotency_key, &form),
                "refunding a deposit",
            )
            .await?;
        wire.into_refund().map_err(PaymentError::Unexpected)
    }

    async fn read_refund(&self, id: &RefundId) -> Result<Refund, PaymentError> {
        let wire: WireRefund = self
            .call(self.get(&format!("/v1/refunds/{id}")), "reading a refund")
            .await?;
        wire.into_refund().map_err(PaymentError::Unexpected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// One HTTP request as the fake Stripe saw it.
    #[derive(Debug)]
    struct Seen {
        request_line: String,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Seen {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        fn form(&self) -> Vec<(String, String)> {
            let url = reqwest::Url::parse(&format!("http://form/?{}", self.body)).unwrap();
            url.query_pairs().into_owned().collect()
        }
    }

    /// A fake Stripe that answers each request with the next canned reply, and hands back what
    /// it was sent.
    async fn fake_stripe(
        replies: Vec<(u16, &'static str, &'static str)>,
    ) -> (String, tokio::task::JoinHandle<Vec<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut seen = Vec::new();
            for (status, extra_headers, body) in replies {
                let (mut socket, _) = listener.accept().await.unwrap();
                seen.push(read_request(&mut socket).await);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
                    body.len()
                );
                socket.write_all(reply.as_bytes()).await.unwrap();
                socket.shutdown().await.unwrap();
            }
            seen
        });
        (base, server)
    }

    async fn read_request(socket: &mut tokio::net::TcpStream) -> Seen {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed mid-request");
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed mid-body");
            buffer.extend_from_slice(&chunk[..n]);
        }
        Seen {
            request_line,
            headers,
            body: String::from_utf8(buffer[head_end..head_end + length].to_vec()).unwrap(),
        }
    }

    const BOOKING: &str = "0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f";
    const CREATED: &str = r#"{"id":"pi_123abc","object":"payment_intent","amount":12900,
        "amount_received":0,"currency":"eur","status":"requires_payment_method",
        "client_secret":"pi_123abc_secret_xyz","capture_method":"automatic",
        "metadata":{"booking_id":"0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f"},
        "latest_charge":null,"livemode":false}"#;
    const SUCCEEDED: &str = r#"{"id":"pi_123abc","amount":12900,"amount_received":12900,
        "currency":"eur","status":"succeeded","client_secret":"pi_123abc_secret_xyz",
        "metadata":{"booking_id":"0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f"}}"#;

    fn eur(amount_minor: i64) -> Money {
        Money::price(amount_minor, "EUR").unwrap()
    }

    fn intent_id() -> IntentId {
        IntentId::parse("pi_123abc").unwrap()
    }

    #[tokio::test]
    async fn a_deposit_is_created_form_encoded_with_the_key_version_and_idempotency_key() {
        let (base, server) = fake_stripe(vec![(200, "", CREATED)]).await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();
        let booking = BookingId::parse(BOOKING).unwrap();

        let intent = stripe
            .create_deposit(booking, eur(12_900), "deposit-key-1")
            .await
            .unwrap();

        let seen = server.await.unwrap();
        let request = &seen[0];
        assert_eq!(request.request_line, "POST /v1/payment_intents HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer sk_test_123"));
        assert_eq!(request.header("stripe-version"), Some(API_VERSION));
        assert_eq!(request.header("idempotency-key"), Some("deposit-key-1"));
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let form = request.form();
        for (name, value) in [
            ("amount", "12900"),
            ("currency", "eur"),
            ("capture_method", "automatic"),
            ("metadata[booking_id]", BOOKING),
        ] {
            assert!(
                form.contains(&(name.to_owned(), value.to_owned())),
                "{name}={value} missing from {form:?}"
            );
        }
        assert_eq!(intent.id, intent_id());
        assert_eq!(intent.status, IntentStatus::RequiresPaymentMethod);
        assert_eq!(intent.amount, eur(12_900));
        assert_eq!(intent.amount_received, 0);
        assert_eq!(intent.booking_id, Some(booking));
        assert_eq!(
            intent.client_secret.as_deref(),
            Some("pi_123abc_secret_xyz")
        );
    }

    #[tokio::test]
    async fn stripe_errors_map_to_rejected_unavailable_or_unexpected() {
        let declined = r#"{"error":{"type":"card_error","code":"card_declined",
            "decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#;
        let rate_limited = r#"{"error":{"type":"invalid_request_error","code":"rate_limit",
            "message":"Too many requests"}}"#;
        let in_use = r#"{"error":{"type":"idempotency_error","code":"idempotency_key_in_use",
            "message":"There is currently another in-progress request using this key"}}"#;
        let api_error = r#"{"error":{"type":"api_error","message":"Something went wrong"}}"#;
        let bad_request = r#"{"error":{"type":"invalid_request_error",
            "code":"parameter_invalid_integer","message":"Invalid integer: abc"}}"#;
        let (base, server) = fake_stripe(vec![
            (402, "", declined),
            (429, "", rate_limited),
            (409, "", in_use),
            (500, "", api_error),
            (400, "Stripe-Should-Retry: true\r\n", bad_request),
            (500, "Stripe-Should-Retry: false\r\n", api_error),
            (404, "", "<html>not here</html>"),
            (200, "", "{\"id\":"),
        ])
        .await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();
        let mut outcomes = Vec::new();
        for _ in 0..8 {
            outcomes.push(stripe.intent(&intent_id()).await.unwrap_err());
        }
        server.await.unwrap();

        match &outcomes[0] {
            PaymentError::Rejected {
                code,
                message,
                status,
            } => {
                assert_eq!(code.as_deref(), Some("card_declined"));
                assert_eq!(message, "Your card has insufficient funds.");
                assert_eq!(*status, 402);
            }
            other => panic!("a decline is a rejection, not {other:?}"),
        }
        for (i, outcome) in outcomes.iter().enumerate().skip(1).take(4) {
            assert!(
                matches!(outcome, PaymentError::Unavailable(_)) && outcome.is_retryable(),
                "reply {i} should be retryable, got {outcome:?}"
            );
        }
        assert!(
            matches!(outcomes[5], PaymentError::Unexpected(_)),
            "a 500 Stripe says not to retry is not a rejection: {:?}",
            outcomes[5]
        );
        assert!(matches!(outcomes[6], PaymentError::Unexpected(_)));
        assert!(matches!(outcomes[7], PaymentError::Unexpected(_)));
        let cause = format!("{:#}", anyhow::Error::from(outcomes.remove(3)));
        assert!(cause.contains("reading a deposit"), "{cause}");
        assert!(cause.contains("Something went wrong"), "{cause}");
    }

    #[tokio::test]
    async fn a_network_failure_is_unavailable() {
        let stripe = StripeClient::new("http://127.0.0.1:9", "sk_test_123").unwrap();
        let error = stripe.intent(&intent_id()).await.unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
    }

    #[tokio::test]
    async fn amounts_stripe_would_misread_are_refused_before_any_request() {
        // Nothing listens on port 9: reaching the network would give Unavailable instead.
        let stripe = StripeClient::new("http://127.0.0.1:9", "sk_test_123").unwrap();
        let booking = BookingId::generate();
        for (amount, code) in [(5_000, "ISK"), (5_000, "UGX"), (1_005, "KWD"), (0, "EUR")] {
            let money = Money::price(amount, code).unwrap();
            let refused = stripe.create_deposit(booking, money, "k").await;
            assert!(
                matches!(refused, Err(PaymentError::Invalid(_))),
                "{amount} {code}: {refused:?}"
            );
        }
        for key in ["", "with space", &"k".repeat(256)] {
            let refused = stripe.create_deposit(booking, eur(100), key).await;
            assert!(
                matches!(refused, Err(PaymentError::Invalid(_))),
                "{key:?}: {refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_refund_must_be_in_the_deposits_currency_and_within_what_was_paid() {
        let (base, server) = fake_stripe(vec![(200, "", SUCCEEDED), (200, "", SUCCEEDED)]).await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();

        let wrong_currency = stripe
            .refund(&intent_id(), Money::price(100, "USD").unwrap(), "r1")
            .await;
        let too_much = stripe.refund(&intent_id(), eur(12_901), "r2").await;

        let seen = server.await.unwrap();
        assert!(
            seen.iter().all(|s| s.request_line.starts_with("GET ")),
            "no refund may be sent: {seen:?}"
        );
        assert!(matches!(wrong_currency, Err(PaymentError::Invalid(_))));
        assert!(matches!(too_much, Err(PaymentError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_refund_names_the_intent_amount_and_booking() {
        let refund = r#"{"id":"re_789","object":"refund","amount":4000,"currency":"eur",
            "status":"succeeded","payment_intent":"pi_123abc"}"#;
        let (base, server) = fake_stripe(vec![(200, "", SUCCEEDED), (200, "", refund)]).await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();

        let refunded = stripe
            .refund(&intent_id(), eur(4_000), "refund-key")
            .await
            .unwrap();

        let seen = server.await.unwrap();
        assert_eq!(seen[1].request_line, "POST /v1/refunds HTTP/1.1");
        assert_eq!(seen[1].header("idempotency-key"), Some("refund-key"));
        let form = seen[1].form();
        assert!(form.contains(&("payment_intent".into(), "pi_123abc".into())));
        assert!(form.contains(&("amount".into(), "4000".into())));
        assert!(form.contains(&("metadata[booking_id]".into(), BOOKING.into())));
        assert_eq!(refunded.id.as_str(), "re_789");
        assert_eq!(refunded.status, RefundStatus::Succeeded);
        assert_eq!(refunded.amount, eur(4_000));
        assert_eq!(refunded.intent_id, Some(intent_id()));
    }

    #[tokio::test]
    async fn a_refund_is_read_back_with_its_failure_reason_and_booking() {
        let failed = r#"{"id":"re_789","object":"refund","amount":4000,"currency":"eur",
            "status":"failed","failure_reason":"expired_or_canceled_card",
            "payment_intent":"pi_123abc",
            "metadata":{"booking_id":"0190a5f2-7b1c-7d3e-8f40-1a2b3c4d5e6f"}}"#;
        let (base, server) = fake_stripe(vec![(200, "", failed)]).await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();

        let refund = stripe
            .read_refund(&RefundId::parse("re_789").unwrap())
            .await
            .unwrap();

        let seen = server.await.unwrap();
        assert_eq!(seen[0].request_line, "GET /v1/refunds/re_789 HTTP/1.1");
        assert_eq!(refund.status, RefundStatus::Failed);
        assert_eq!(
            refund.failure_reason.as_deref(),
            Some("expired_or_canceled_card")
        );
        assert_eq!(refund.booking_id, Some(BookingId::parse(BOOKING).unwrap()));
    }

    #[tokio::test]
    async fn cancelling_an_intent_already_cancelled_is_ok_but_a_paid_one_is_rejected() {
        let unexpected_state = r#"{"error":{"type":"invalid_request_error",
            "code":"payment_intent_unexpected_state",
            "message":"You cannot cancel this PaymentIntent because it has a status of canceled."}}"#;
        let canceled = r#"{"id":"pi_123abc","amount":12900,"amount_received":0,
            "currency":"eur","status":"canceled","metadata":{}}"#;
        let (base, server) = fake_stripe(vec![
            (400, "", unexpected_state),
            (200, "", canceled),
            (400, "", unexpected_state),
            (200, "", SUCCEEDED),
        ])
        .await;
        let stripe = StripeClient::new(&base, "sk_test_123").unwrap();

        let again = stripe.cancel(&intent_id(), "cancel-2").await.unwrap();
        let paid = stripe.cancel(&intent_id(), "cancel-3").await;

        let seen = server.await.unwrap();
        assert_eq!(
            seen[0].request_line,
            "POST /v1/payment_intents/pi_123abc/cancel HTTP/1.1"
        );
        assert_eq!(again.status, IntentStatus::Canceled);
        assert!(
            matches!(&paid, Err(PaymentError::Rejected { status: 400, code: Some(code), .. }) if code == "payment_intent_unexpected_state"),
            "{paid:?}"
        );
    }

    #[test]
    fn the_client_never_shows_its_secret_key() {
        let stripe = StripeClient::new("http://127.0.0.1:9", "sk_live_TOPSECRET").unwrap();
        assert!(!format!("{stripe:?}").contains("TOPSECRET"));
    }
}
