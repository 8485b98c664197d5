//! The bus's booking facts: who hears what of each (`plan`, from the fact alone), what a status
//! change the fact overtook still owes (`CatchUp`), and the booking's reminder.
use crate::Notifier;
use crate::compose::{Booked, CancellationTerms, GuestNotice, Refund, VendorNotice};
use crate::outlets::{
    AppliedFacts, Mailer, ReminderDue, ReminderKind, Reminders, SentLog, TextMessages,
};
use crate::recipients::{Facts, Recipient, sent_key};
use chrono::{DateTime, Duration, Utc};
use shared::domain::booking::{BookingStatus, BookingTime};
use shared::domain::deposit::PaymentTerms;
use shared::domain::money::Money;
use shared::domain::payment::{DepositPayment, DepositStatus};
use shared::domain::unit::CheckInMethod;
use shared::events::{BookingDetail, BookingEvent, BookingTerms, Event, ReceivedEvent};
use shared::inbox::Effect;
use shared::store::{BookingStore, GuestStore, ResourceStore, VendorStore};

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

impl<S, M, T, R, L> Notifier<S, M, T, R, L>
where
    S: GuestStore + VendorStore + ResourceStore + BookingStore,
    M: Mailer,
    T: TextMessages,
    R: Reminders,
    L: SentLog + AppliedFacts,
{
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

#[cfg(test)]
mod tests;
