//! Every function of the route table, wired to the same AWS clients its Lambda builds at cold
//! start. Adding a function means one line here and one route in `shared/api/routes.json`.
use booking_create::HoldSettings;
use futures::future::BoxFuture;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::{Body, Request, Response};
use payment_reconcile::ReconcileSettings;
use payment_webhook::WebhookSettings;
use shared::auth::{Jwks, KmsSigner, TokenSettings};
use shared::config;
use shared::inbox::{Consumer, Effect, Inbox};
use shared::outbox::EventBridgeBus;
use shared::payments::{StripeClient, StripeSettings};
use shared::search::{AnyIndex, CachedIndex};
use shared::store::{DynamoStore, StreamTables};
use shared::timer::SqsHoldTimer;
use std::collections::HashMap;
use std::sync::Arc;

use crate::pump::QueueHandler;
use crate::stream::StreamConsumer;

pub type Handler = Arc<
    dyn Fn(Request) -> BoxFuture<'static, Result<Response<Body>, lambda_http::Error>> + Send + Sync,
>;

pub struct Deps {
    pub store: DynamoStore,
    pub signer: KmsSigner,
    pub tokens: TokenSettings,
    pub jwks: Jwks,
    pub timer: SqsHoldTimer,
    pub holds: HoldSettings,
    pub inbox: Inbox,
    pub bus: EventBridgeBus,
    pub stream_tables: StreamTables,
    pub payments: StripeClient,
    pub webhook: WebhookSettings,
    pub reconcile: ReconcileSettings,
    pub search: AnyIndex,
    /// vendor-search's warm cache of first batches, as its Lambda keeps one (`SEARCH_CACHE_TTL_MS`).
    pub search_cache: CachedIndex<AnyIndex>,
    pub archiver: archiver::Archiver,
    pub notifier: notifier::Notifier<DynamoStore>,
    pub feed: shared::feed::Feed<shared::feed::DynamoFeed>,
    pub history: shared::store::DynamoHistoryLog,
    pub audit: shared::audit::DynamoAudit,
    pub audit_signer: shared::audit::sign::KmsCheckpointSigner,
    /// The audit key's public half: what the witness verifies checkpoints with.
    pub audit_keys: tlog::PublicKeys,
    pub witness: audit_witness::DynamoWitnessState,
    /// The vendors' night-audit schedules (EventBridge Scheduler, kept by LocalStack).
    pub audit_schedules: shared::night_audit::SchedulerSchedules,
    pub billing: shared::billing::DynamoBilling,
    pub invoice_archive: shared::billing::archive::S3InvoiceArchive,
    pub reports: shared::reports::DynamoReports,
    pub waitlist: shared::waitlist::DynamoWaitlist,
    /// How long a waitlist offer's hold lasts (`OFFER_HOLD_SECONDS`).
    pub offers: shared::waitlist::OfferSettings,
    pub channels: shared::channels::DynamoChannels,
    pub ari_marks: shared::ari_push::dynamo::DynamoMarks,
    pub ari_queue: shared::ari_push::dynamo::SqsFlushQueue,
    /// ari-flush as its Lambda builds it, its key read from Secrets Manager (`ARI_PUSH_SECRET_ID`).
    pub ari_flush: ari_flush::Flusher<
        shared::ari_push::dynamo::DynamoMarks,
        DynamoStore,
        shared::channels::DynamoChannels,
        shared::ari_push::deliver::HttpWebhook,
    >,
}

impl Deps {
    /// The clients and settings the functions read from the environment; the token issuer
    /// defaults to the gateway's own URL, where it serves the discovery document.
    pub async fn from_env(default_issuer: &str) -> anyhow::Result<Self> {
        let sdk = shared::aws::sdk_config().await;
        let store = DynamoStore::from_env(&sdk)?;
        let signer = KmsSigner::from_env(&sdk).await?;
        let tokens = TokenSettings {
            issuer: config::optional("JWT_ISSUER", default_issuer.to_owned())?
                .trim_end_matches('/')
                .to_owned(),
            audience: config::optional("JWT_AUDIENCE", "reservations-api".to_owned())?,
            ttl_seconds: config::optional("JWT_TTL_SECONDS", 900)?,
        };
        let audit_signer = shared::audit::sign::KmsCheckpointSigner::from_env(&sdk).await?;
        let jwks = Jwks {
            keys: vec![signer.jwk().clone(), audit_signer.jwk().clone()],
        };
        let stripe = StripeSettings::load(&sdk).await?;
        let push_key = shared::ari_push::PushKey::load(&sdk).await?;
        let search = AnyIndex::from_env(&sdk)?;
        search.ensure_ready().await?;
        let archiver = archiver::Archiver::from_env(&sdk)?;
        let notifier = notifier::Notifier::from_env(store.clone(), &sdk)?;
        Ok(Self {
            feed: shared::feed::Feed::new(shared::feed::DynamoFeed::from_env(&sdk)?),
            history: shared::store::DynamoHistoryLog::from_env(&sdk)?,
            audit: shared::audit::DynamoAudit::from_env(&sdk)?,
            audit_keys: tlog::PublicKeys::from(
                shared::audit::sign::CheckpointSigner::public_key(&audit_signer).clone(),
            ),
            audit_signer,
            witness: audit_witness::DynamoWitnessState::from_env(&sdk)?,
            audit_schedules: shared::night_audit::SchedulerSchedules::from_env(&sdk)?,
            billing: shared::billing::DynamoBilling::from_env(&sdk)?,
            invoice_archive: shared::billing::archive::S3InvoiceArchive::from_env(&sdk)?,
            reports: shared::reports::DynamoReports::from_env(&sdk)?,
            waitlist: shared::waitlist::DynamoWaitlist::from_env(&sdk)?,
            offers: shared::waitlist::OfferSettings::from_env()?,
            channels: shared::channels::DynamoChannels::from_env(&sdk)?,
            ari_marks: shared::ari_push::dynamo::DynamoMarks::from_env(&sdk)?,
            ari_queue: shared::ari_push::dynamo::SqsFlushQueue::from_env(&sdk)?,
            ari_flush: ari_flush::Flusher {
                marks: shared::ari_push::dynamo::DynamoMarks::from_env(&sdk)?,
                source: store.clone(),
                channels: shared::channels::DynamoChannels::from_env(&sdk)?,
                webhook: shared::ari_push::deliver::HttpWebhook::new()?,
                signing_key: push_key,
                retry: shared::ari_push::Retry::default(),
            },
            archiver,
            notifier,
            payments: stripe.client()?,
            webhook: WebhookSettings::new(stripe.webhook_secrets.clone())?,
            reconcile: ReconcileSettings::from_env()?,
            search_cache: CachedIndex::from_env(search.clone())?,
            search,
            store,
            signer,
            tokens,
            jwks,
            timer: SqsHoldTimer::from_env(&sdk)?,
            holds: HoldSettings::from_env()?,
            inbox: Inbox::from_env(&sdk)?,
            bus: EventBridgeBus::from_env(&sdk)?,
            stream_tables: StreamTables::from_env()?,
        })
    }
}

// One line per function, so the table reads like the route table.
#[rustfmt::skip]
pub fn functions(deps: Arc<Deps>) -> HashMap<&'static str, Handler> {
    let mut functions: HashMap<&'static str, Handler> = HashMap::new();
    macro_rules! register {
        ($name:literal, |$d:ident, $req:ident| $call:expr) => {{
            let deps = deps.clone();
            let handler: Handler = Arc::new(move |$req: Request| {
                let $d = deps.clone();
                Box::pin(async move { $call.await })
            });
            functions.insert($name, handler);
        }};
    }
    register!("openid-configuration", |d, req| openid_configuration::handler(&d.tokens, req));
    register!("jwks",                 |d, req| jwks::handler(&d.jwks, req));
    register!("user-create",          |d, req| user_create::handler(&d.store, req));
    register!("user-login",           |d, req| user_login::handler(&d.store, &d.signer, &d.tokens, req));
    register!("user-get",             |d, req| user_get::handler(&d.store, req));
    register!("user-update",          |d, req| user_update::handler(&d.store, req));
    register!("vendor-search",        |d, req| vendor_search::handler(&d.search_cache, &d.store, req));
    register!("vendor-create",        |d, req| vendor_create::handler(&d.store, &d.audit_schedules, req));
    register!("vendor-login",         |d, req| vendor_login::handler(&d.store, &d.signer, &d.tokens, req));
    register!("vendor-get",           |d, req| vendor_get::handler(&d.store, req));
    register!("vendor-update",        |d, req| vendor_update::handler(&d.store, &d.audit_schedules, req));
    register!("vendor-night-audit",   |d, req| vendor_night_audit::handler(&d.store, &d.reports, &d.bus, req));
    register!("vendor-staff-create",  |d, req| vendor_staff_create::handler(&d.store, req));
    register!("vendor-staff-list",    |d, req| vendor_staff_list::handler(&d.store, req));
    register!("resource-create",      |d, req| resource_create::handler(&d.store, req));
    register!("resource-list",        |d, req| resource_list::handler(&d.store, req));
    register!("vendor-availability",  |d, req| vendor_availability::handler(&d.store, req));
    register!("resource-get",         |d, req| resource_get::handler(&d.store, req));
    register!("resource-update",      |d, req| resource_update::handler(&d.store, req));
    register!("booking-create",       |d, req| booking_create::handler(&d.store, &d.archiver.index, &d.payments, &d.holds, req));
    register!("booking-get",          |d, req| booking_get::handler(&d.store, &d.archiver.index, &d.archiver.records, req));
    register!("booking-update",       |d, req| booking_update::handler(&d.store, &d.archiver.index, req));
    register!("booking-status-get",   |d, req| booking_status_get::handler(&d.store, &d.archiver.index, req));
    register!("booking-history-get",  |d, req| booking_history_get::handler(&d.store, &d.archiver.index, &d.history, req));
    register!("booking-status-update", |d, req| booking_status_update::handler(&d.store, &d.archiver.index, req));
    register!("booking-review",       |d, req| booking_review::handler(&d.store, req));
    register!("booking-payment",      |d, req| booking_payment::handler(&d.store, &d.archiver.index, req));
    register!("user-bookings",        |d, req| user_bookings::handler(&d.archiver.index, req));
    register!("vendor-bookings",      |d, req| vendor_bookings::handler(&d.store, &d.archiver.index, req));
    register!("vendor-changes",       |d, req| vendor_changes::handler(&d.store, &d.feed, vendor_changes::Polling::default(), req));
    register!("unit-create",          |d, req| unit_create::handler(&d.store, req));
    register!("unit-list",            |d, req| unit_list::handler(&d.store, req));
    register!("unit-update",          |d, req| unit_update::handler(&d.store, req));
    register!("unit-housekeeping",    |d, req| unit_housekeeping::handler(&d.store, req));
    register!("unit-block-create",    |d, req| unit_block_create::handler(&d.store, &d.archiver.index, req));
    register!("unit-block-delete",    |d, req| unit_block_delete::handler(&d.store, req));
    register!("unit-key",             |d, req| unit_key::handler(&d.store, &d.signer, &d.tokens, req));
    register!("booking-unit-assign",  |d, req| booking_unit_assign::handler(&d.store, req));
    register!("booking-unit-release", |d, req| booking_unit_release::handler(&d.store, req));
    register!("booking-check-in",     |d, req| booking_check_in::handler(&d.store, &d.signer, &d.tokens, req));
    register!("booking-check-out",    |d, req| booking_check_out::handler(&d.store, req));
    register!("booking-key",          |d, req| booking_key::handler(&d.store, &d.signer, &d.tokens, req));
    register!("booking-receipt",      |d, req| booking_receipt::handler(&d.store, &d.archiver.index, &d.audit, &d.tokens.issuer, req));
    register!("booking-invoice",      |d, req| booking_invoice::handler(&d.store, &d.archiver.index, &d.archiver.records, &d.billing, req));
    register!("credit-note-create",   |d, req| credit_note_create::handler(&d.store, &d.archiver.index, &d.archiver.records, &d.billing, req));
    register!("vendor-reports",       |d, req| vendor_reports::handler(&d.store, &d.reports, req));
    register!("audit-checkpoint",     |d, req| audit_checkpoint::handler(&d.audit, req));
    register!("audit-consistency",    |d, req| audit_consistency::handler(&d.audit, req));
    register!("waitlist-join",        |d, req| waitlist_join::handler(&d.store, &d.waitlist, req));
    register!("waitlist-list",        |d, req| waitlist_list::handler(&d.store, &d.waitlist, req));
    register!("waitlist-user",        |d, req| waitlist_user::handler(&d.waitlist, req));
    register!("waitlist-leave",       |d, req| waitlist_leave::handler(&d.waitlist, req));
    register!("payment-webhook",      |d, req| payment_webhook::handler(&d.store, &d.archiver.index, &d.payments, &d.inbox.ledger, &d.webhook, req));
    register!("channel-create",       |d, req| channel_create::handler(&d.channels, &d.ari_flush.signing_key, req));
    register!("channel-list",         |d, req| channel_list::handler(&d.channels, req));
    register!("channel-secret-rotate", |d, req| channel_secret_rotate::handler(&d.channels, &d.ari_flush.signing_key, req));
    register!("channel-delete",       |d, req| channel_delete::handler(&d.channels, req));
    register!("oauth-token",          |d, req| oauth_token::handler(&d.store, &d.channels, &d.signer, &d.tokens, req));
    register!("channel-ari",          |d, req| channel_ari::handler(&d.store, &d.channels, req));
    register!("channel-reservation",  |d, req| channel_reservation::handler(&d.store, &d.archiver.index, &d.channels, req));
    register!("channel-rejections",   |d, req| channel_rejections::handler(&d.channels, req));
    register!("allotment-set",        |d, req| allotment_set::handler(&d.store, &d.channels, req));
    register!("allotment-list",       |d, req| allotment_list::handler(&d.store, req));
    register!("protection-set",       |d, req| protection_set::handler(&d.store, req));
    functions
}

/// The SQS consumers, by function name, each taking a batch like its Lambda does.
pub fn consumers(deps: Arc<Deps>) -> HashMap<&'static str, QueueHandler> {
    let mut consumers: HashMap<&'static str, QueueHandler> = HashMap::new();
    let expiry_deps = deps.clone();
    consumers.insert(
        "hold-expiry",
        Arc::new(move |event| {
            let deps = expiry_deps.clone();
            Box::pin(async move {
                let event = LambdaEvent::new(event, Context::default());
                hold_expiry::handler(&deps.store, &deps.payments, event).await
            })
        }),
    );
    let audit_deps = deps.clone();
    consumers.insert(
        "night-audit",
        Arc::new(move |event| {
            let deps = audit_deps.clone();
            Box::pin(async move {
                let event = LambdaEvent::new(event, Context::default());
                night_audit::handler(&deps.store, &deps.reports, &deps.bus, event).await
            })
        }),
    );
    let flush_deps = deps.clone();
    consumers.insert(
        "ari-flush",
        Arc::new(move |event| {
            let deps = flush_deps.clone();
            Box::pin(async move { Ok(deps.ari_flush.handle(event).await) })
        }),
    );
    let inboxes = [
        inbox(
            &deps,
            search_indexer::CONSUMER,
            search_indexer::Indexer {
                store: deps.store.clone(),
                index: deps.search.clone(),
            },
        ),
        notifications(&deps),
        inbox(
            &deps,
            payment_refund::CONSUMER,
            payment_refund::Refunds {
                store: deps.store.clone(),
                payments: deps.payments.clone(),
            },
        ),
        inbox(&deps, archiver::CONSUMER, deps.archiver.clone()),
        inbox(
            &deps,
            change_feed::CONSUMER,
            change_feed::FeedWriter {
                feed: deps.feed.clone(),
            },
        ),
        inbox(
            &deps,
            booking_history::CONSUMER,
            booking_history::HistoryWriter {
                log: deps.history.clone(),
            },
        ),
        inbox(
            &deps,
            reports::CONSUMER,
            reports::ReportWriter {
                store: deps.store.clone(),
                reports: deps.reports.clone(),
            },
        ),
        inbox(
            &deps,
            invoicer::CONSUMER,
            invoicer::Invoicer {
                store: deps.store.clone(),
                billing: deps.billing.clone(),
                archive: deps.invoice_archive.clone(),
            },
        ),
        inbox(
            &deps,
            audit::CONSUMER,
            audit::AuditWriter {
                log: deps.audit.clone(),
            },
        ),
    ];
    consumers.extend(inboxes);
    consumers.extend([ari_marks(&deps), waitlist_offers(&deps)]);
    consumers
}

/// The waitlist as its Lambda runs it: allotment facts beside the inbox's.
fn waitlist_offers(deps: &Arc<Deps>) -> (&'static str, QueueHandler) {
    let deps = deps.clone();
    let handler: QueueHandler = Arc::new(move |event| {
        let deps = deps.clone();
        Box::pin(async move {
            let offers = waitlist::Offers {
                store: deps.store.clone(),
                archive: deps.archiver.index.clone(),
                payments: deps.payments.clone(),
                waitlist: deps.waitlist.clone(),
                settings: deps.offers,
            };
            Ok(waitlist::handle(&deps.inbox, &offers, event).await)
        })
    });
    (waitlist::CONSUMER.name, handler)
}

/// ari-push as its Lambda runs it: allotment facts beside the inbox's.
fn ari_marks(deps: &Arc<Deps>) -> (&'static str, QueueHandler) {
    let deps = deps.clone();
    let handler: QueueHandler = Arc::new(move |event| {
        let deps = deps.clone();
        Box::pin(async move {
            let marks = ari_push::Marks {
                marks: deps.ari_marks.clone(),
                queue: deps.ari_queue.clone(),
            };
            Ok(ari_push::handle(&deps.inbox, &marks, event).await)
        })
    });
    (ari_push::CONSUMER.name, handler)
}

/// An event consumer as its Lambda runs it: the shared inbox (ledger, early redelivery, partial
/// batch failures) around the consumer's effect.
pub fn inbox(
    deps: &Arc<Deps>,
    consumer: Consumer,
    effect: impl Effect + 'static,
) -> (&'static str, QueueHandler) {
    let (deps, effect) = (deps.clone(), Arc::new(effect));
    let handler: QueueHandler = Arc::new(move |event| {
        let (deps, effect) = (deps.clone(), effect.clone());
        Box::pin(async move {
            let event = LambdaEvent::new(event, Context::default());
            consumer.handler(&deps.inbox, &*effect, event).await
        })
    });
    (consumer.name, handler)
}

/// The notifier as its Lambda runs it: reminders beside the inbox's booking facts.
fn notifications(deps: &Arc<Deps>) -> (&'static str, QueueHandler) {
    let deps = deps.clone();
    let handler: QueueHandler = Arc::new(move |event| {
        let deps = deps.clone();
        Box::pin(async move {
            let event = LambdaEvent::new(event, Context::default());
            notifier::handler(&deps.inbox, &deps.notifier, event).await
        })
    });
    (notifier::CONSUMER.name, handler)
}

/// The functions fed by DynamoDB streams (`streams` in the route table), by name.
pub fn streams(deps: Arc<Deps>) -> HashMap<&'static str, StreamConsumer> {
    let publisher: StreamConsumer = Arc::new(move |event| {
        let deps = deps.clone();
        Box::pin(async move {
            let event = LambdaEvent::new(event, Context::default());
            outbox_publisher::handler(&deps.stream_tables, &deps.bus, &deps.timer, event).await
        })
    });
    HashMap::from([("outbox-publisher", publisher)])
}

/// A scheduled function's run, as its Lambda takes one from the scheduler.
pub type ScheduledHandler = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The functions run on a schedule (`schedules` in the route table), by name.
pub fn schedules(deps: Arc<Deps>) -> HashMap<&'static str, ScheduledHandler> {
    let sweep_deps = deps.clone();
    let signer_deps = deps.clone();
    let witness_deps = deps.clone();
    let sweep: ScheduledHandler = Arc::new(move || {
        let deps = sweep_deps.clone();
        Box::pin(async move { deps.archiver.sweep(shared::clock::now()).await.map(|_| ()) })
    });
    let reconcile: ScheduledHandler = Arc::new(move || {
        let deps = deps.clone();
        Box::pin(async move {
            let event = LambdaEvent::new(serde_json::json!({}), Context::default());
            payment_reconcile::handler(&deps.store, &deps.payments, &deps.reconcile, event)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    });
    let audit_signer: ScheduledHandler = Arc::new(move || {
        let deps = signer_deps.clone();
        Box::pin(async move {
            let event = LambdaEvent::new(serde_json::json!({}), Context::default());
            audit_signer::handler(&deps.audit, &deps.audit_signer, &deps.tokens.issuer, event)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    });
    let audit_witness: ScheduledHandler = Arc::new(move || {
        let deps = witness_deps.clone();
        Box::pin(async move {
            let event = LambdaEvent::new(serde_json::json!({}), Context::default());
            let d = &*deps;
            audit_witness::handler(&d.audit, &d.witness, &d.audit_keys, &d.tokens.issuer, event)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
    });
    HashMap::from([
        ("payment-reconcile", reconcile),
        ("archiver", sweep),
        ("audit-signer", audit_signer),
        ("audit-witness", audit_witness),
    ])
}
