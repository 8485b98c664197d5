//! Tells guests and vendors about their bookings: emails (and, when enabled, SMS) to the guest
//! on a hold awaiting its deposit, confirmation, change, cancellation, no-show, before arrival,
//! on check-in (a welcome) and on a stay's check-out (a thank-you); to the vendor's contact on
//! new and cancelled bookings. Only news is sent: a fact arriving after a newer one about the
//! same booking (a hold's link after its confirmation) is dropped by the inbox, so a change soon
//! after a status change also sends what that status change would have (see `plan`).
//!
//! Its queue carries two kinds of message: the bus's booking facts, and the reminders the
//! scheduler puts there when one is due (scheduled here when a booking is confirmed).
pub mod compose;
pub mod departures;
pub mod format;
pub mod invoices;
pub mod outlets;
pub mod templates;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use compose::{Booked, CancellationTerms, GuestNotice, Refund, VendorNotice};
use outlets::{
    AppliedFacts, Claim, DynamoSentLog, Mailer, ReminderDue, ReminderKind, Reminders,
    SchedulerReminders, SentLog, SesMailer, SnsTexts, TextMessages,
};
use shared::aws::SdkConfig;
use shared::config::{self, ConfigError};
use shared::domain::booking::{Booking, BookingStatus, BookingTime};
use shared::domain::deposit::PaymentTerms;
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::money::Money;
use shared::domain::payment::{DepositPayment, DepositStatus};
use shared::domain::unit::CheckInMethod;
use shared::domain::vendor::{TimeZone, Vendor};
use shared::events::{BookingDetail, BookingEvent, BookingTerms, Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery};
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};
use std::future::Future;

pub const CONSUMER: Consumer = Consumer {
    name: "notifier",
    order: Order::LatestWins,
};

#[derive(Debug, Clone)]
pub struct Settings {
    /// The guest app, where guests pay: `{app_base_url}/bookings/{id}/pay`. `None` when there is
    /// none to link to (it is not part of this stack): the hold mail then asks the guest to pay
    /// in the app where they booked.
    pub app_base_url: Option<String>,
    /// How long before arrival the reminder goes out.
    pub reminder_lead: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let hours: u32 = config::optional("REMINDER_LEAD_HOURS", 24)?;
        Ok(Self {
            app_base_url: base_url(&config::optional("APP_BASE_URL", String::new())?),
            reminder_lead: Duration::hours(i64::from(hours)),
        })
    }

    /// Where the guest pays for this booking, if there is a guest app to link to.
    pub fn payment_link(&self, booking: BookingId) -> Option<String> {
        self.app_base_url
            .as_ref()
            .map(|base| format!("{base}/bookings/{booking}/pay"))
    }
}

/// A configured base URL without its trailing slash; `None` for an empty one.
fn base_url(configured: &str) -> Option<String> {
    Some(configured.trim().trim_end_matches('/').to_owned()).filter(|base| !base.is_empty())
}

/// The consumer's effect, and what it handles reminders with.
pub struct Notifier<S, M = SesMailer, T = SnsTexts, R = SchedulerReminders, L = DynamoSentLog> {
    pub store: S,
    pub mail: M,
    /// `None` unless SMS_ENABLED.
    pub sms: Option<T>,
    pub reminders: R,
    pub sent: L,
    pub settings: Settings,
}

impl<S> Notifier<S> {
    pub fn from_env(store: S, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let sms: bool = config::optional("SMS_ENABLED", false)?;
        Ok(Self {
            store,
            mail: SesMailer::from_env(sdk)?,
            sms: sms.then(|| SnsTexts::new(sdk)),
            reminders: SchedulerReminders::from_env(sdk)?,
            sent: DynamoSentLog::from_env(sdk)?,
            settings: Settings::from_env()?,
        })
    }
}

/// What the guest is to hear of a fact, before the names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestNews {
    Hold,
    Confirmed,
    /// The terms before the change.
    Changed(Box<BookingTerms>),
    Cancelled,
    NoShow,
    /// Welcome: the room or table, and the digital key for a stay checked in on the phone.
    CheckedIn,
    /// A stay's check-out: the nights stayed and the total.
    CheckedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderStep {
    /// Create or move it to the booking's arrival.
    Schedule,
    Cancel,
    Leave,
}

/// What one booking fact asks of the notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub guest: Option<GuestNews>,
    pub vendor: Option<VendorNotice>,
    pub reminder: ReminderStep,
    /// A `BookingUpdated` soon after its predecessor: what the status change before it sent,
    /// for when that change was never applied.
    pub catch_up: Option<CatchUp>,
}

/// What a status change sends, caught up on by the fact after it. The inbox applies only facts
/// newer than the last one applied, so a status change that failed its first try, or that SQS
/// delivers after the next fact (a refund's amend seconds after a cancellation), never is.
///
/// Sent only if the fact before this one was not applied (the status change may be further
/// back, its own messages' sent-log entries expired), and then kept to one by the per-occasion
/// sent log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    /// Only if the fact itself has nothing for the guest: a guest gets one message per fact,
    /// and a change that overtook the confirmation tells the booking as it now is.
    pub guest: Option<GuestNews>,
    /// A cancellation only to a vendor that was told of the booking (its `new` mail is in the
    /// sent log): the fact does not say whether the booking was ever confirmed.
    pub vendor: Option<VendorNotice>,
}

/// How recent the predecessor of a `BookingUpdated` must be for it to catch up on its status's
/// messages. Well inside the sent log's 30 days, so whatever the status change sent itself is
/// still recorded there and is not sent twice.
pub const CATCH_UP: Duration = Duration::days(7);

/// Whether a hold still waits for its deposit online. A desk hold's deposit is due at the desk:
/// no payment link.
fn awaiting_deposit(detail: &BookingDetail) -> bool {
    !detail.channel.is_desk()
        && detail.payment.deposit.is_some()
        && detail
            .deposit_payment
            .as_ref()
            .is_none_or(|d| d.status == DepositStatus::AwaitingPayment)
}

/// What a guest hears when a booking is completed: a stay's check-out confirmation. A seating's
/// completion sends nothing: the guest has just left the table, and the booking's total is not
/// the bill (what was ordered is settled at the table), so a "total" would mislead.
fn completion(detail: &BookingDetail) -> Option<GuestNews> {
    matches!(detail.time, BookingTime::Stay { .. }).then_some(GuestNews::CheckedOut)
}

/// Whether the welcome says the digital key is in the app: a stay the guest checked in to on
/// their phone, which is what issues them a key for its room.
pub fn digital_key(detail: &BookingDetail) -> bool {
    matches!(detail.time, BookingTime::Stay { .. })
        && detail.unit.is_some()
        && detail
            .check_in
            .as_ref()
            .is_some_and(|c| c.method == CheckInMethod::Mobile)
}

/// Decides from the fact alone who hears what, and what becomes of the reminder.
pub fn plan(fact: &BookingEvent, now: DateTime<Utc>) -> Plan {
    let nothing = Plan {
        guest: None,
        vendor: None,
        reminder: ReminderStep::Leave,
        catch_up: None,
    };
    match fact {
        BookingEvent::Held(detail) => Plan {
            guest: awaiting_deposit(detail).then_some(GuestNews::Hold),
            ..nothing
        },
        BookingEvent::Confirmed(detail) => Plan {
            guest: Some(GuestNews::Confirmed),
            // The vendor hears of a booking once it is one, not of every hold.
            vendor: matches!(detail.previous_status, None | Some(BookingStatus::Held))
                .then_some(VendorNotice::New(detail.channel)),
            reminder: ReminderStep::Schedule,
            ..nothing
        },
        BookingEvent::Updated(detail) => {
            let live = matches!(
                detail.status,
                BookingStatus::Held | BookingStatus::Confirmed
            );
            let guest = match &detail.previous {
                Some(before) if live && *before != detail.terms() => {
                    Some(GuestNews::Changed(Box::new(before.clone())))
                }
                // Bookkeeping on a hold (its payment intent attached): its payment link, unless
                // that went out already, when this fact overtook the hold's own.
                _ if detail.status == BookingStatus::Held && awaiting_deposit(detail) => {
                    Some(GuestNews::Hold)
                }
                _ => None,
            };
            let soon = detail
                .header
                .previous_version_at
                .is_some_and(|at| at > now - CATCH_UP);
            let catch_up = match detail.status {
                BookingStatus::Confirmed => Some(CatchUp {
                    guest: Some(GuestNews::Confirmed),
                    vendor: Some(VendorNotice::New(detail.channel)),
                }),
                BookingStatus::Cancelled => Some(CatchUp {
                    guest: Some(GuestNews::Cancelled),
                    vendor: Some(VendorNotice::Cancelled),
                }),
                BookingStatus::NoShow => Some(CatchUp {
                    guest: Some(GuestNews::NoShow),
                    vendor: None,
                }),
                // A room move or a change of the stay soon after the check-in, or the deposit's
                // refund amended seconds after the check-out.
                BookingStatus::CheckedIn => Some(CatchUp {
                    guest: Some(GuestNews::CheckedIn),
                    vendor: None,
                }),
                BookingStatus::Completed => completion(detail).map(|guest| CatchUp {
                    guest: Some(guest),
                    vendor: None,
                }),
                _ => None,
            }
            .filter(|_| soon);
            Plan {
                guest,
                reminder: match detail.status {
                    BookingStatus::Held => ReminderStep::Leave,
                    BookingStatus::Confirmed => ReminderStep::Schedule,
                    // Dropping it again is harmless; it may be all that is left of a lost ending.
                    _ => ReminderStep::Cancel,
                },
                catch_up,
                ..nothing
            }
        }
        BookingEvent::Cancelled(detail) => Plan {
            guest: Some(GuestNews::Cancelled),
            vendor: (detail.previous_status == Some(BookingStatus::Confirmed))
                .then_some(VendorNotice::Cancelled),
            reminder: ReminderStep::Cancel,
            ..nothing
        },
        BookingEvent::NoShow(_) => Plan {
            guest: Some(GuestNews::NoShow),
            reminder: ReminderStep::Cancel,
            ..nothing
        },
        BookingEvent::CheckedIn(_) => Plan {
            guest: Some(GuestNews::CheckedIn),
            reminder: ReminderStep::Cancel,
            ..nothing
        },
        BookingEvent::Completed(detail) => Plan {
            guest: completion(detail),
            ..nothing
        },
        BookingEvent::Expired(_) => Plan {
            reminder: ReminderStep::Cancel,
            ..nothing
        },
    }
}

/// What happened to a cancelled booking's deposit.
pub fn refund(deposit: Option<&DepositPayment>) -> Refund {
    let Some(deposit) = deposit else {
        return Refund::NothingPaid;
    };
    match &deposit.settlement {
        Some(s) if s.refund.amount_minor == 0 => Refund::None { kept: s.kept },
        Some(s) if s.kept.amount_minor == 0 => Refund::Full(s.refund),
        Some(s) => Refund::Partial {
            refund: s.refund,
            kept: s.kept,
        },
        // Unpaid; a paid deposit is always settled by the transition that cancels it.
        None => Refund::NothingPaid,
    }
}

/// The no-show fee kept, if any.
pub fn no_show_fee(deposit: Option<&DepositPayment>) -> Option<Money> {
    deposit
        .and_then(|d| d.settlement.as_ref())
        .map(|s| s.kept)
        .filter(|kept| kept.amount_minor > 0)
}

/// What cancelling costs, as of `at`.
fn cancellation_terms(
    payment: &PaymentTerms,
    arrival_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> CancellationTerms {
    if payment.cancellation.late_fee.is_none() {
        return CancellationTerms::Free;
    }
    let deadline = payment.cancellation.free_until(arrival_at);
    if deadline > at {
        CancellationTerms::FreeUntil(deadline)
    } else {
        CancellationTerms::NotFree
    }
}

/// The cancellation terms a confirmation states: as of the fact, not of sending it, so a retry
/// states the same terms as the first attempt.
pub fn confirmed_terms(detail: &BookingDetail) -> CancellationTerms {
    cancellation_terms(
        &detail.payment,
        detail.arrival_at,
        detail.header.occurred_at,
    )
}

/// The language a vendor is written to in: its country's (a vendor profile has no locale yet).
fn vendor_language(vendor: &Vendor) -> &'static str {
    match vendor.address.country.as_str() {
        "DE" | "AT" | "CH" | "LI" => "de",
        "FR" | "MC" => "fr",
        _ => "en",
    }
}

/// The parts of a booking every message needs, from a fact or from the stored booking.
#[derive(Debug, Clone)]
struct Facts {
    booking_id: BookingId,
    vendor_id: VendorId,
    guest_id: Option<UserId>,
    resource_id: ResourceId,
    time: BookingTime,
    time_zone: TimeZone,
    arrival_at: DateTime<Utc>,
    party: u16,
    total: Money,
    /// The room or table number it is put in.
    unit: Option<String>,
}

impl From<&BookingDetail> for Facts {
    fn from(d: &BookingDetail) -> Self {
        Self {
            booking_id: d.booking_id,
            vendor_id: d.vendor_id,
            guest_id: d.guest_id,
            resource_id: d.resource_id,
            time: d.time,
            time_zone: d.time_zone,
            arrival_at: d.arrival_at,
            party: d.party_size.get(),
            total: d.total,
            unit: d.unit.as_ref().map(|u| u.number.as_str().to_owned()),
        }
    }
}

impl From<&Booking> for Facts {
    fn from(b: &Booking) -> Self {
        Self {
            booking_id: b.id,
            vendor_id: b.vendor_id,
            guest_id: b.guest_id,
            resource_id: b.resource_id,
            time: b.time,
            time_zone: b.time_zone,
            arrival_at: b.arrival_at,
            party: b.party_size.get(),
            total: b.quote.total,
            unit: b.unit.as_ref().map(|u| u.number.as_str().to_owned()),
        }
    }
}

/// A guest as a message addresses them. Personal data: never logged.
struct Addressee {
    name: String,
    email: Option<shared::domain::account::Email>,
    phone: Option<shared::domain::account::Phone>,
    locale: String,
}

/// Who a message is for, as the sent log and the logs name them (never their address).
#[derive(Debug, Clone, Copy)]
enum Recipient {
    Guest,
    Vendor,
}

impl Recipient {
    fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Vendor => "vendor",
        }
    }
}

/// A message's entry in the sent log: the booking and the occasion (a booking is confirmed or
/// cancelled once, so those are per booking; a change per version; a reminder per arrival),
/// rather than the fact's event id, so a hold's link goes out once whichever of its two facts
/// comes first.
fn sent_key(booking: BookingId, occasion: &str, to: Recipient, channel: &str) -> String {
    format!(
        "{}#sent#{booking}#{occasion}#{}#{channel}",
        CONSUMER.name,
        to.as_str()
    )
}

impl<S, M, T, R, L> Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    /// Sends one message unless it was sent before.
    ///
    /// Claimed before sending and marked sent after: a copy of the fact arriving meanwhile
    /// sends nothing, and a send that fails is released for the retry. Only a crash between the
    /// provider accepting it and the mark leaves a claim that lapses, and the retry sends that
    /// message again: a guest who reads a confirmation twice is better off than one who never
    /// hears that a booking was cancelled.
    async fn once(
        &self,
        key: &str,
        send: impl Future<Output = anyhow::Result<()>> + Send,
    ) -> anyhow::Result<bool> {
        match self.sent.claim(key, Utc::now()).await? {
            Claim::Sent => return Ok(false),
            Claim::Busy => anyhow::bail!("another copy is sending this message right now"),
            Claim::Ours => {}
        }
        if let Err(err) = send.await {
            if let Err(release) = self.sent.release(key).await {
                tracing::warn!(error = %format!("{release:#}"), "sent-log claim not released; it lapses by itself");
            }
            return Err(err);
        }
        self.sent.sent(key, Utc::now()).await?;
        Ok(true)
    }

    async fn vendor_of(&self, id: VendorId) -> anyhow::Result<Vendor> {
        self.store
            .vendor(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("vendor {id} of the booking does not exist"))
    }

    async fn resource_name(&self, vendor: VendorId, id: ResourceId) -> anyhow::Result<String> {
        Ok(self
            .store
            .resource(vendor, id)
            .await?
            .map(|r| r.name.as_str().to_owned())
            .unwrap_or_default())
    }

    async fn booked(&self, facts: &Facts, vendor: &Vendor) -> anyhow::Result<Booked> {
        Ok(Booked {
            booking_id: facts.booking_id,
            vendor_name: vendor.name.as_str().to_owned(),
            what: self
                .resource_name(facts.vendor_id, facts.resource_id)
                .await?,
            time: facts.time,
            time_zone: facts.time_zone,
            arrival_at: facts.arrival_at,
            party: facts.party,
            total: facts.total,
            unit: facts.unit.clone(),
        })
    }

    /// Who the guest is and how to reach them: their account, or for a desk guest without one,
    /// the name and contact on the booking record (facts never carry them). `None`: nobody to
    /// write to (no contact given at the desk, or the account is gone).
    async fn addressee(&self, facts: &Facts) -> anyhow::Result<Option<Addressee>> {
        if let Some(guest_id) = facts.guest_id {
            let Some(guest) = self.store.guest(guest_id).await? else {
                tracing::info!(booking_id = %facts.booking_id, "the guest's account is gone; no message");
                return Ok(None);
            };
            return Ok(Some(Addressee {
                name: guest.name.as_str().to_owned(),
                email: Some(guest.email),
                phone: guest.phone,
                locale: guest.locale.as_str().to_owned(),
            }));
        }
        let desk_guest = self
            .store
            .booking(facts.booking_id)
            .await?
            .and_then(|booking| booking.desk_guest);
        Ok(desk_guest.map(|guest| Addressee {
            name: guest.name.as_str().to_owned(),
            email: guest.email,
            phone: guest.phone,
            locale: guest
                .locale
                .map_or_else(|| "en".to_owned(), |l| l.as_str().to_owned()),
        }))
    }

    /// The guest's email (and SMS, for the notices that have one), each once per occasion. A
    /// desk guest is written to at the contact given at the desk; a booking with nobody to
    /// write to, or whose account is gone, gets none.
    async fn tell_guest(
        &self,
        facts: &Facts,
        booked: &Booked,
        notice: &GuestNotice,
        occasion: &str,
    ) -> anyhow::Result<()> {
        let Some(guest) = self.addressee(facts).await? else {
            return Ok(());
        };
        let catalog = templates::catalog(&guest.locale);
        if let Some(email) = &guest.email {
            let message = compose::guest_mail(catalog, notice, booked, Some(&guest.name));
            let key = sent_key(facts.booking_id, occasion, Recipient::Guest, "email");
            if self.once(&key, self.mail.send(email, &message)).await? {
                tracing::info!(booking_id = %facts.booking_id, message = notice.name(), recipient = "guest", language = catalog.tag, "email sent");
            }
        }
        if let (Some(sms), Some(phone), Some(text)) = (
            &self.sms,
            &guest.phone,
            compose::text(catalog, notice, booked),
        ) {
            let key = sent_key(facts.booking_id, occasion, Recipient::Guest, "sms");
            if self.once(&key, sms.send(phone, &text)).await? {
                tracing::info!(booking_id = %facts.booking_id, message = notice.name(), recipient = "guest", "sms sent");
            }
        }
        Ok(())
    }

    async fn tell_vendor(
        &self,
        facts: &Facts,
        booked: &Booked,
        vendor: &Vendor,
        notice: VendorNotice,
    ) -> anyhow::Result<()> {
        let catalog = templates::catalog(vendor_language(vendor));
        let message = compose::vendor_mail(catalog, notice, booked);
        let key = sent_key(facts.booking_id, notice.name(), Recipient::Vendor, "email");
        if self
            .once(&key, self.mail.send(&vendor.contact.email, &message))
            .await?
        {
            tracing::info!(booking_id = %facts.booking_id, vendor_id = %facts.vendor_id, message = notice.name(), recipient = "vendor", "email sent");
        }
        Ok(())
    }

    /// Everything one booking fact asks for.
    pub async fn on_fact(&self, fact: &BookingEvent, now: DateTime<Utc>) -> anyhow::Result<()> {
        let mut plan = plan(fact, now);
        let detail = fact.booking();
        let facts = Facts::from(detail);
        if let Some(catch_up) = plan.catch_up.take() {
            self.catch_up(detail, catch_up, &mut plan).await?;
        }
        if plan.guest.is_some() || plan.vendor.is_some() {
            let vendor = self.vendor_of(detail.vendor_id).await?;
            let booked = self.booked(&facts, &vendor).await?;
            if let Some(news) = &plan.guest {
                let (notice, occasion) = self.guest_notice(detail, news, &booked, now).await?;
                if let Some(notice) = notice {
                    self.tell_guest(&facts, &booked, &notice, &occasion).await?;
                }
            }
            if let Some(notice) = plan.vendor {
                self.tell_vendor(&facts, &booked, &vendor, notice).await?;
            }
        }
        match plan.reminder {
            ReminderStep::Leave => {}
            ReminderStep::Cancel => self.reminders.cancel(detail.booking_id).await?,
            ReminderStep::Schedule => {
                let at = detail.arrival_at - self.settings.reminder_lead;
                if at > now {
                    let due = ReminderDue {
                        kind: ReminderKind::BookingReminder,
                        booking_id: detail.booking_id,
                        version: detail.header.version,
                        arrival_at: detail.arrival_at,
                    };
                    self.reminders.schedule(&due, at).await?;
                    tracing::info!(booking_id = %detail.booking_id, remind_at = %at, "reminder scheduled");
                } else {
                    // Too close to arrival for a reminder; one set for an earlier arrival goes.
                    self.reminders.cancel(detail.booking_id).await?;
                }
            }
        }
        Ok(())
    }

    /// Adds what the status change before this fact sent, if that fact was not applied.
    async fn catch_up(
        &self,
        detail: &BookingDetail,
        catch_up: CatchUp,
        plan: &mut Plan,
    ) -> anyhow::Result<()> {
        let previous = detail.header.version.checked_sub(1);
        if previous.is_some() && self.sent.applied_version(detail.booking_id).await? == previous {
            return Ok(());
        }
        plan.guest = plan.guest.take().or(catch_up.guest);
        plan.vendor = match catch_up.vendor {
            Some(VendorNotice::Cancelled) => {
                let told = sent_key(
                    detail.booking_id,
                    VendorNotice::New(detail.channel).name(),
                    Recipient::Vendor,
                    "email",
                );
                self.sent
                    .was_sent(&told)
                    .await?
                    .then_some(VendorNotice::Cancelled)
            }
            other => other,
        };
        tracing::info!(booking_id = %detail.booking_id, version = detail.header.version, "the fact before this one was not applied; catching up on its status's messages");
        Ok(())
    }

    /// The notice for the guest's news, and the occasion it is sent once for.
    async fn guest_notice(
        &self,
        detail: &BookingDetail,
        news: &GuestNews,
        booked: &Booked,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(Option<GuestNotice>, String)> {
        Ok(match news {
            GuestNews::Hold => {
                // A hold whose time ran out (a fact redriven late) has nothing left to pay for.
                let pay_by = detail.hold_expires_at.filter(|pay_by| *pay_by > now);
                let notice =
                    detail
                        .payment
                        .deposit
                        .zip(pay_by)
                        .map(|(deposit, pay_by)| GuestNotice::Hold {
                            deposit,
                            pay_by,
                            link: self.settings.payment_link(detail.booking_id),
                        });
                (notice, "hold".into())
            }
            GuestNews::Confirmed => (
                Some(GuestNotice::Confirmed(confirmed_terms(detail))),
                "confirmed".into(),
            ),
            GuestNews::Changed(before) => {
                let what = if before.resource_id == detail.resource_id {
                    booked.what.clone()
                } else {
                    self.resource_name(detail.vendor_id, before.resource_id)
                        .await?
                };
                let before = Booked {
                    what,
                    time: before.time,
                    arrival_at: before.arrival_at,
                    party: before.party_size.get(),
                    total: before.total,
                    ..booked.clone()
                };
                (
                    Some(GuestNotice::Changed(Box::new(before))),
                    format!("changed-v{}", detail.header.version),
                )
            }
            GuestNews::Cancelled => (
                Some(GuestNotice::Cancelled(refund(
                    detail.deposit_payment.as_ref(),
                ))),
                "cancelled".into(),
            ),
            GuestNews::NoShow => (
                Some(GuestNotice::NoShow(no_show_fee(
                    detail.deposit_payment.as_ref(),
                ))),
                "no-show".into(),
            ),
            GuestNews::CheckedIn => (
                Some(GuestNotice::CheckedIn {
                    digital_key: digital_key(detail),
                }),
                "checked-in".into(),
            ),
            GuestNews::CheckedOut => (Some(GuestNotice::CheckedOut), "checked-out".into()),
        })
    }

    /// A reminder came due: sent only if the booking is still confirmed for that arrival, and
    /// that arrival is still ahead (not a reminder redriven from the dead-letter queue too late).
    pub async fn remind(&self, due: &ReminderDue, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(booking) = self.store.booking(due.booking_id).await? else {
            tracing::info!(booking_id = %due.booking_id, version = due.version, "reminder for a booking that is gone; dropped");
            return Ok(());
        };
        if booking.status != BookingStatus::Confirmed
            || booking.arrival_at != due.arrival_at
            || booking.arrival_at <= now
        {
            tracing::info!(booking_id = %due.booking_id, version = due.version, current_version = booking.version, status = ?booking.status, "reminder for a booking that moved or ended; dropped");
            return Ok(());
        }
        let facts = Facts::from(&booking);
        let vendor = self.vendor_of(booking.vendor_id).await?;
        let booked = self.booked(&facts, &vendor).await?;
        let occasion = format!("reminder-{}", due.arrival_at.timestamp());
        tracing::info!(booking_id = %due.booking_id, version = due.version, current_version = booking.version, "reminder due for a booking still confirmed for that arrival");
        self.tell_guest(&facts, &booked, &GuestNotice::Reminder, &occasion)
            .await
    }
}

impl<S, M, T, R, L> Effect for Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        match event {
            Event::Booking(fact) => self.on_fact(fact, shared::clock::now()).await,
            Event::Vendor(_) => Ok(()),
        }
    }
}

/// A reminder, if the message is one (anything else is the bus's).
pub fn reminder_in(message: &SqsMessage) -> Option<ReminderDue> {
    serde_json::from_str(message.body.as_deref()?).ok()
}

/// The Lambda handler: reminders are sent (or dropped) here, booking facts go through the inbox;
/// the messages to deliver again, of both kinds, come back.
pub async fn handler<S, M, T, R, L>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    notifier: &Notifier<S, M, T, R, L>,
    event: lambda_http::lambda_runtime::LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_http::Error>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
    let (audits, records): (Vec<SqsMessage>, Vec<SqsMessage>) = event
        .payload
        .records
        .into_iter()
        .partition(|m| departures::audit_news_in(m).is_some());
    let (bills, records): (Vec<SqsMessage>, Vec<SqsMessage>) = records
        .into_iter()
        .partition(|m| invoices::billing_news_in(m).is_some());
    let (reminders, facts): (Vec<SqsMessage>, Vec<SqsMessage>) =
        records.into_iter().partition(|m| reminder_in(m).is_some());
    let mut failed = Vec::new();
    for message in &audits {
        let Some(departures::AuditNews::Overdue(overdue)) = departures::audit_news_in(message)
        else {
            continue;
        };
        if let Err(err) = notifier.departures_overdue(&overdue).await {
            tracing::error!(consumer = CONSUMER.name, vendor_id = %overdue.vendor_id, error = %format!("{err:#}"), "departures overdue not sent; it will be delivered again");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            failed.push(failure);
        }
    }
    for message in &bills {
        let Some(invoices::BillingNews::Invoice(invoice)) = invoices::billing_news_in(message)
        else {
            continue;
        };
        if let Err(err) = notifier.invoice_issued(&invoice).await {
            tracing::error!(consumer = CONSUMER.name, booking_id = %invoice.booking_id, error = %format!("{err:#}"), "invoice email not sent; it will be delivered again");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            failed.push(failure);
        }
    }
    for message in &reminders {
        let Some(due) = reminder_in(message) else {
            continue;
        };
        if let Err(err) = notifier.remind(&due, shared::clock::now()).await {
            tracing::error!(consumer = CONSUMER.name, booking_id = %due.booking_id, error = %format!("{err:#}"), "reminder not sent; it will be delivered again");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            failed.push(failure);
        }
    }
    let mut batch = SqsEvent::default();
    batch.records = facts;
    let mut response = CONSUMER.consume(inbox, notifier, batch).await;
    response.batch_item_failures.extend(failed);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use shared::domain::booking::Channel;

    /// A fact from the samples in events/, with `change` applied to its detail.
    fn sample(detail_type: &str, change: impl FnOnce(&mut Value)) -> BookingEvent {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let envelope: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut detail = envelope["detail"].clone();
        change(&mut detail);
        BookingEvent::from_detail(detail_type, detail).unwrap()
    }

    /// Any time: for the facts whose plan does not depend on it.
    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    /// Minutes after the `BookingUpdated` sample (its predecessor: 2026-03-05T17:57:10Z).
    fn soon_after_update() -> DateTime<Utc> {
        "2026-03-05T18:05:00Z".parse().unwrap()
    }

    /// An update of a booking whose status (and its previous) is `status`, and whose terms
    /// changed only if `changed`.
    fn updated(status: &str, changed: bool) -> BookingEvent {
        let sample = sample("BookingUpdated", |_| {});
        let same_terms = serde_json::to_value(sample.booking().terms()).unwrap();
        self::sample("BookingUpdated", |d| {
            d["status"] = status.into();
            d["previous_status"] = status.into();
            if !changed {
                d["previous"] = same_terms;
            }
        })
    }

    #[test]
    fn a_hold_awaiting_its_deposit_gets_the_payment_link_and_the_vendor_hears_nothing() {
        let held = sample("BookingHeld", |_| {});
        let free = sample("BookingHeld", |d| d["payment"]["deposit"] = Value::Null);

        assert_eq!(
            plan(&held, now()),
            Plan {
                guest: Some(GuestNews::Hold),
                vendor: None,
                reminder: ReminderStep::Leave,
                catch_up: None
            }
        );
        assert_eq!(plan(&free, now()).guest, None);
    }

    #[test]
    fn a_desk_hold_sends_no_payment_link_and_its_confirmation_tells_both() {
        for channel in ["walk_in", "phone"] {
            let held = sample("BookingHeld", |d| d["channel"] = channel.into());
            let confirmed = sample("BookingConfirmed", |d| d["channel"] = channel.into());

            assert_eq!(plan(&held, now()).guest, None, "{channel}");
            let told = plan(&confirmed, now());
            assert_eq!(told.guest, Some(GuestNews::Confirmed), "{channel}");
            assert!(
                matches!(told.vendor, Some(VendorNotice::New(c)) if c.is_desk()),
                "{channel}"
            );
        }
    }

    #[test]
    fn a_confirmation_tells_both_and_schedules_the_reminder() {
        let confirmed = sample("BookingConfirmed", |d| d["channel"] = "front_desk".into());

        assert_eq!(
            plan(&confirmed, now()),
            Plan {
                guest: Some(GuestNews::Confirmed),
                vendor: Some(VendorNotice::New(Channel::FrontDesk)),
                reminder: ReminderStep::Schedule,
                catch_up: None
            }
        );
    }

    #[test]
    fn a_change_of_terms_is_news_and_bookkeeping_is_not() {
        // Long after the predecessor: nothing to catch up on.
        let later = soon_after_update() + CATCH_UP + Duration::minutes(10);
        let changed = updated("CONFIRMED", true);
        let same = updated("CONFIRMED", false);

        assert!(matches!(
            plan(&changed, later).guest,
            Some(GuestNews::Changed(_))
        ));
        assert_eq!(plan(&changed, later).vendor, None);
        assert_eq!(plan(&changed, later).reminder, ReminderStep::Schedule);
        assert_eq!(
            plan(&same, later),
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Schedule,
                catch_up: None
            }
        );
    }

    #[test]
    fn an_update_soon_after_a_cancellation_catches_up_on_the_cancellation_it_may_have_overtaken() {
        assert_eq!(
            plan(&updated("CANCELLED", false), soon_after_update()),
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Cancel,
                catch_up: Some(CatchUp {
                    guest: Some(GuestNews::Cancelled),
                    // Only to a vendor that was told of the booking: it may have been a hold.
                    vendor: Some(VendorNotice::Cancelled),
                }),
            }
        );
    }

    #[test]
    fn an_update_soon_after_a_confirmation_catches_up_on_it_and_a_change_still_tells_the_guest() {
        let same = plan(&updated("CONFIRMED", false), soon_after_update());
        let changed = plan(&updated("CONFIRMED", true), soon_after_update());
        let confirmation = Some(CatchUp {
            guest: Some(GuestNews::Confirmed),
            vendor: Some(VendorNotice::New(Channel::Online)),
        });

        assert_eq!(
            same,
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Schedule,
                catch_up: confirmation.clone(),
            }
        );
        // The change is the guest's one message; the catch-up's guest news only fills a gap.
        assert!(matches!(changed.guest, Some(GuestNews::Changed(_))));
        assert_eq!(changed.catch_up, confirmation);
        assert_eq!(changed.reminder, ReminderStep::Schedule);
    }

    #[test]
    fn an_update_soon_after_a_no_show_catches_up_on_the_guests_mail_and_tells_the_vendor_nothing() {
        assert_eq!(
            plan(&updated("NO_SHOW", false), soon_after_update()),
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Cancel,
                catch_up: Some(CatchUp {
                    guest: Some(GuestNews::NoShow),
                    vendor: None,
                }),
            }
        );
    }

    #[test]
    fn an_update_long_after_its_predecessor_catches_up_on_nothing_but_the_reminder() {
        let later = soon_after_update() + CATCH_UP;
        for (status, reminder) in [
            ("CANCELLED", ReminderStep::Cancel),
            ("NO_SHOW", ReminderStep::Cancel),
            ("CONFIRMED", ReminderStep::Schedule),
        ] {
            assert_eq!(
                plan(&updated(status, false), later),
                Plan {
                    guest: None,
                    vendor: None,
                    reminder,
                    catch_up: None,
                },
                "{status}"
            );
        }
        // And nothing for an update without a predecessor's time.
        let no_time = sample("BookingUpdated", |d| {
            d["status"] = "CANCELLED".into();
            d["previous_status"] = "CANCELLED".into();
            d["previous_version_at"] = Value::Null;
        });
        assert_eq!(plan(&no_time, soon_after_update()).catch_up, None);
    }

    #[test]
    fn an_update_of_an_expired_booking_drops_the_reminder_and_sends_nothing() {
        assert_eq!(
            plan(&updated("EXPIRED", true), soon_after_update()),
            Plan {
                guest: None,
                vendor: None,
                reminder: ReminderStep::Cancel,
                catch_up: None,
            }
        );
    }

    #[test]
    fn an_update_soon_after_a_check_in_or_a_stays_check_out_catches_up_on_the_guests_message() {
        for (status, news) in [
            ("CHECKED_IN", GuestNews::CheckedIn),
            ("COMPLETED", GuestNews::CheckedOut),
        ] {
            assert_eq!(
                plan(&updated(status, true), soon_after_update()),
                Plan {
                    guest: None,
                    vendor: None,
                    reminder: ReminderStep::Cancel,
                    catch_up: Some(CatchUp {
                        guest: Some(news),
                        vendor: None,
                    }),
                },
                "{status}"
            );
        }
        let seating = sample("BookingUpdated", |d| {
            d["status"] = "COMPLETED".into();
            d["previous_status"] = "COMPLETED".into();
            d["time"] =
                serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
        });
        assert_eq!(plan(&seating, soon_after_update()).catch_up, None);
    }

    #[test]
    fn a_check_in_welcomes_the_guest_and_drops_the_reminder() {
        assert_eq!(
            plan(&sample("BookingCheckedIn", |_| {}), now()),
            Plan {
                guest: Some(GuestNews::CheckedIn),
                vendor: None,
                reminder: ReminderStep::Cancel,
                catch_up: None
            }
        );
    }

    #[test]
    fn a_stays_completion_thanks_the_guest_and_a_seatings_sends_nothing() {
        let stay = sample("BookingCompleted", |_| {});
        let seating = sample("BookingCompleted", |d| {
            d["time"] =
                serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
        });

        assert_eq!(
            plan(&stay, now()),
            Plan {
                guest: Some(GuestNews::CheckedOut),
                vendor: None,
                reminder: ReminderStep::Leave,
                catch_up: None
            }
        );
        assert_eq!(plan(&seating, now()).guest, None);
    }

    #[test]
    fn the_digital_key_is_mentioned_only_for_a_stay_checked_in_on_the_phone_with_a_room() {
        let checked_in =
            |change: fn(&mut Value)| sample("BookingCheckedIn", change).booking().clone();

        assert!(!digital_key(&checked_in(|_| {})), "at the desk");
        assert!(digital_key(&checked_in(|d| {
            d["check_in"]["method"] = "mobile".into();
        })));
        assert!(!digital_key(&checked_in(|d| {
            d["check_in"]["method"] = "mobile".into();
            d["unit"] = Value::Null;
        })));
        assert!(!digital_key(&checked_in(|d| {
            d["check_in"]["method"] = "mobile".into();
            d["time"] =
                serde_json::json!({"kind": "seating", "date": "2026-03-28", "time": "19:30"});
        })));
    }

    #[test]
    fn a_confirmation_states_the_cancellation_terms_as_of_the_fact_not_of_sending() {
        // Confirmed 2026-03-01 for 2026-03-27 14:00, free until 48 hours before: long past by
        // now, but a retry today must say what the first attempt said.
        let confirmed = sample("BookingConfirmed", |_| {});

        assert_eq!(
            confirmed_terms(confirmed.booking()),
            CancellationTerms::FreeUntil("2026-03-25T14:00:00Z".parse().unwrap())
        );
        let late = sample("BookingConfirmed", |d| {
            d["occurred_at"] = "2026-03-26T09:00:00Z".into();
        });
        assert_eq!(confirmed_terms(late.booking()), CancellationTerms::NotFree);
    }

    #[test]
    fn the_vendor_hears_of_a_cancellation_only_of_a_booking_it_was_told_of() {
        let confirmed_then_cancelled = sample("BookingCancelled", |_| {});
        let hold_cancelled = sample("BookingCancelled", |d| d["previous_status"] = "HELD".into());

        assert_eq!(
            plan(&confirmed_then_cancelled, now()).vendor,
            Some(VendorNotice::Cancelled)
        );
        assert_eq!(plan(&hold_cancelled, now()).vendor, None);
        assert_eq!(
            plan(&hold_cancelled, now()).guest,
            Some(GuestNews::Cancelled)
        );
        assert_eq!(plan(&hold_cancelled, now()).reminder, ReminderStep::Cancel);
    }

    #[test]
    fn endings_drop_the_reminder() {
        for detail_type in ["BookingExpired", "BookingCheckedIn", "BookingNoShow"] {
            assert_eq!(
                plan(&sample(detail_type, |_| {}), now()).reminder,
                ReminderStep::Cancel,
                "{detail_type}"
            );
        }
        // Checked in before completing: nothing left to drop.
        assert_eq!(
            plan(&sample("BookingCompleted", |_| {}), now()).reminder,
            ReminderStep::Leave
        );
    }

    #[test]
    fn a_refund_is_read_from_the_deposits_settlement() {
        let eur = |minor| Money::price(minor, "EUR").unwrap();
        let settled = |refund: i64, kept: i64| {
            sample("BookingCancelled", |d| {
                d["deposit_payment"]["settlement"]["refund"]["amount_minor"] = refund.into();
                d["deposit_payment"]["settlement"]["kept"]["amount_minor"] = kept.into();
            })
            .booking()
            .deposit_payment
            .clone()
        };

        assert_eq!(refund(settled(400, 0).as_ref()), Refund::Full(eur(400)));
        assert_eq!(
            refund(settled(200, 200).as_ref()),
            Refund::Partial {
                refund: eur(200),
                kept: eur(200)
            }
        );
        assert_eq!(
            refund(settled(0, 400).as_ref()),
            Refund::None { kept: eur(400) }
        );
        assert_eq!(refund(None), Refund::NothingPaid);
        assert_eq!(no_show_fee(settled(0, 400).as_ref()), Some(eur(400)));
        assert_eq!(no_show_fee(settled(400, 0).as_ref()), None);
        assert_eq!(no_show_fee(None), None);
    }

    #[test]
    fn without_a_guest_app_there_is_no_payment_link_and_with_one_it_is_the_bookings_pay_page() {
        let booking = BookingId::parse("0195a1b2-0000-7000-8000-0000000000b1").unwrap();
        let settings = |base: Option<&str>| Settings {
            app_base_url: base.map(str::to_owned),
            reminder_lead: Duration::hours(24),
        };

        assert_eq!(base_url(""), None);
        assert_eq!(base_url("  "), None);
        assert_eq!(
            base_url("https://book.example.com/"),
            Some("https://book.example.com".to_owned())
        );
        assert_eq!(settings(None).payment_link(booking), None);
        assert_eq!(
            settings(Some("https://book.example.com")).payment_link(booking),
            Some(format!("https://book.example.com/bookings/{booking}/pay"))
        );
    }

    #[test]
    fn a_reminder_is_told_apart_from_a_bus_event_on_the_same_queue() {
        let mut reminder = SqsMessage::default();
        reminder.body = Some(
            r#"{"kind":"booking_reminder","booking_id":"0195d0e9-6b7c-7d8e-9f0a-1b2c3d4e5f60","version":2,"arrival_at":"2026-03-28T18:30:00Z"}"#
                .into(),
        );
        let mut event = SqsMessage::default();
        event.body = Some(
            std::fs::read_to_string(format!(
                "{}/../../events/samples/BookingConfirmed.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        );

        assert_eq!(reminder_in(&reminder).map(|r| r.version), Some(2));
        assert_eq!(reminder_in(&event), None);
    }
}
