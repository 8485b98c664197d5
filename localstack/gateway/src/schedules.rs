//! The local stand-in for EventBridge Scheduler running one-time schedules: LocalStack stores
//! schedules but never runs them, so this sends each due `at(...)` schedule's input to its SQS
//! target and then deletes the schedule if it asks for that, as the real scheduler does; unless
//! it was updated since it fired (a reminder moved), when the new version is left to fire.
//! Daily `cron(MM HH * * ? *)` schedules (the night audit's) fire once per occurrence, at their
//! local time in their zone, from the first occurrence after they were made or last updated.
use anyhow::{Context, anyhow};
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use shared::aws::SdkConfig;
use shared::config;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The schedules of one group that a stand-in fires (only those named with the prefix, if set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub group: String,
    pub name_prefix: Option<String>,
}

/// What one round did with the schedules it saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Their input was sent to their target.
    pub fired: usize,
    /// Not due yet.
    pub waiting: usize,
    /// Due but not delivered, or a group that could not be listed: tried again next round.
    pub failed: usize,
    /// Recurring, disabled, already run, given up (too old to deliver), or with a target this
    /// stand-in cannot deliver to.
    pub ignored: usize,
}

/// A target's retry policy's default: how long AWS keeps trying to deliver a schedule's run.
const DEFAULT_MAX_EVENT_AGE_SECONDS: i32 = 86_400;

enum Outcome {
    Fired(Ran),
    /// A daily schedule's occurrence was delivered; it stays for the next.
    FiredDaily,
    /// Too old to deliver: completed without firing.
    GivenUp(Ran),
    Waiting,
    Ignored,
}

/// A schedule a round ran (or gave up on), still to be completed as AWS does once a one-time
/// schedule has run: deleted, or kept without running again.
#[derive(Debug, Clone)]
pub struct Ran {
    group: String,
    name: String,
    version: String,
    delete: bool,
    revision: Revision,
}

/// What a schedule says, as far as running it goes: an update to any of it makes another run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Revision {
    modified: Option<(i64, u32)>,
    expression: Option<String>,
    timezone: Option<String>,
    target: Option<String>,
    input: Option<String>,
}

impl Revision {
    fn of(schedule: &GetScheduleOutput) -> Self {
        Self {
            modified: schedule
                .last_modification_date()
                .map(|t| (t.secs(), t.subsec_nanos())),
            expression: schedule.schedule_expression().map(str::to_owned),
            timezone: schedule.schedule_expression_timezone().map(str::to_owned),
            target: schedule.target().map(|t| t.arn().to_owned()),
            input: schedule.target().and_then(|t| t.input()).map(str::to_owned),
        }
    }
}

/// What becomes of a schedule that ran and asks to be deleted, given what it says now.
#[derive(Debug, PartialEq, Eq)]
enum AfterRun {
    Delete,
    /// Deleted meanwhile.
    Gone,
    /// Updated since it ran: a run of its own is due, at its new time.
    Changed,
}

fn after_run(ran: &Revision, now: Option<&Revision>) -> AfterRun {
    match now {
        None => AfterRun::Gone,
        Some(now) if now == ran => AfterRun::Delete,
        Some(_) => AfterRun::Changed,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum When {
    At(DateTime<Utc>),
    Daily(crate::cron::Daily),
    Recurring,
}

pub struct StandIn {
    scheduler: aws_sdk_scheduler::Client,
    sqs: aws_sdk_sqs::Client,
    watches: Vec<Watch>,
    poll: Duration,
    /// Schedules that ran but stay (`ActionAfterCompletion` NONE), by version: in AWS a
    /// one-time schedule runs once, so they must not fire every round.
    ran: Mutex<HashSet<String>>,
    /// What was logged already (an ignored schedule's version, a failing delivery), so it is
    /// logged once rather than every round.
    noted: Mutex<HashSet<String>>,
    /// The business clock's offsets seen, to read when a schedule was made in business time.
    offsets: Mutex<crate::cron::Offsets>,
    /// Each daily schedule's last occurrence fired, by group and name.
    daily_fired: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl StandIn {
    pub fn new(sdk: &SdkConfig, watches: Vec<Watch>, poll: Duration) -> Self {
        Self {
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            watches,
            poll,
            ran: Mutex::default(),
            noted: Mutex::default(),
            offsets: Mutex::default(),
            daily_fired: Mutex::default(),
        }
    }

    /// Watches the reminders' group (`REMINDER_SCHEDULE_GROUP`) every
    /// `LOCAL_SCHEDULER_POLL_SECONDS` (5).
    pub async fn from_env() -> anyhow::Result<Self> {
        let group = config::required("REMINDER_SCHEDULE_GROUP")?;
        let seconds: u64 = config::optional("LOCAL_SCHEDULER_POLL_SECONDS", 5)?;
        anyhow::ensure!(
            seconds > 0,
            "LOCAL_SCHEDULER_POLL_SECONDS must be at least 1"
        );
        let sdk = shared::aws::sdk_config().await;
        let mut watches = vec![Watch {
            group,
            name_prefix: None,
        }];
        // The night audit's daily schedules, once the stack has their group.
        match config::optional(shared::night_audit::SCHEDULE_GROUP_VARIABLE, String::new())? {
            audits if audits.is_empty() => tracing::warn!(
                "{} is not set: the night audit's schedules do not run locally",
                shared::night_audit::SCHEDULE_GROUP_VARIABLE
            ),
            audits => watches.push(Watch {
                group: audits,
                name_prefix: None,
            }),
        }
        Ok(Self::new(&sdk, watches, Duration::from_secs(seconds)))
    }

    /// Runs a round every poll period, the first at once, until the task is dropped.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut moves = crate::clock::moves();
        loop {
            // A moved clock may have made schedules due: look at once rather than next tick.
            tokio::select! {
                _ = ticks.tick() => {}
                Ok(()) = moves.changed() => {}
            }
            let round = self.run_once(shared::clock::now()).await;
            if round.fired + round.failed > 0 {
                tracing::info!(
                    fired = round.fired,
                    failed = round.failed,
                    waiting = round.waiting,
                    "scheduler stand-in round"
                );
            }
        }
    }

    /// Fires every watched schedule due at `now`, then completes each. Failures are logged and
    /// counted, and leave the schedule for the next round, so delivery is at least once, as in
    /// AWS.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Round {
        let (round, ran) = self.fire_due(now).await;
        for ran in ran {
            self.complete(ran).await;
        }
        round
    }

    /// The first half of a round: fires what is due, and says what to complete (`complete`).
    /// Apart so a test can change a schedule in between, as a notifier might.
    pub async fn fire_due(&self, now: DateTime<Utc>) -> (Round, Vec<Ran>) {
        self.offsets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .note(Utc::now(), shared::clock::offset());
        let mut round = Round::default();
        let mut ran = Vec::new();
        for watch in &self.watches {
            let names = match self.names(watch).await {
                Ok(names) => names,
                Err(err) => {
                    tracing::error!(group = %watch.group, error = %format!("{err:#}"), "listing schedules failed; trying next round");
                    round.failed += 1;
                    continue;
                }
            };
            for name in names {
                match self.visit(&watch.group, &name, now).await {
                    Ok(Outcome::Fired(done)) => {
                        self.forget(&failure(&watch.group, &name));
                        round.fired += 1;
                        ran.push(done);
                    }
                    Ok(Outcome::FiredDaily) => {
                        self.forget(&failure(&watch.group, &name));
                        round.fired += 1;
                    }
                    Ok(Outcome::GivenUp(done)) => {
                        round.ignored += 1;
                        ran.push(done);
                    }
                    Ok(Outcome::Waiting) => round.waiting += 1,
                    Ok(Outcome::Ignored) => round.ignored += 1,
                    Err(err) => {
                        // Once per schedule, not every few seconds until it is delivered.
                        if self.first_note(&failure(&watch.group, &name)) {
                            tracing::error!(group = %watch.group, schedule = %name, error = %format!("{err:#}"), "schedule not delivered; it stays for the next round");
                        } else {
                            tracing::debug!(group = %watch.group, schedule = %name, error = %format!("{err:#}"), "schedule still not delivered");
                        }
                        round.failed += 1;
                    }
                }
            }
        }
        (round, ran)
    }

    async fn names(&self, watch: &Watch) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        let mut next = None;
        loop {
            let page = self
                .scheduler
                .list_schedules()
                .group_name(&watch.group)
                .set_name_prefix(watch.name_prefix.clone())
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| anyhow::Error::new(e.into_service_error()))
                .context("Scheduler ListSchedules")?;
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|s| s.name().map(str::to_owned)),
            );
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(names);
            }
        }
    }

    async fn visit(&self, group: &str, name: &str, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
        let Some(schedule) = self.schedule(group, name).await? else {
            // Deleted since it was listed.
            return Ok(Outcome::Ignored);
        };
        let version = version(group, name, &schedule);
        // LocalStack drops `State` on UpdateSchedule, where AWS keeps it ENABLED.
        if schedule.state() == Some(&ScheduleState::Disabled) || self.has_run(&version) {
            return Ok(Outcome::Ignored);
        }
        let expression = schedule.schedule_expression().unwrap_or_default();
        let mut daily = None;
        let due = match when(expression, schedule.schedule_expression_timezone()) {
            Ok(When::At(due)) => due,
            Ok(When::Daily(every)) => {
                let key = format!("{group}/{name}");
                let made = schedule
                    .last_modification_date()
                    .or(schedule.creation_date())
                    .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                    .map(|real| {
                        self.offsets
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .business(real)
                    });
                let last = self
                    .daily_fired
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&key)
                    .copied();
                match every.latest(now) {
                    Some(due) if made.is_none_or(|m| due > m) && last.is_none_or(|l| due > l) => {
                        daily = Some((key, due));
                        due
                    }
                    _ => return Ok(Outcome::Waiting),
                }
            }
            Ok(When::Recurring) => {
                if self.first_note(&version) {
                    tracing::debug!(%group, schedule = %name, "recurring schedule ignored: only one-time schedules fire locally");
                }
                return Ok(Outcome::Ignored);
            }
            Err(err) => {
                if self.first_note(&version) {
                    tracing::warn!(%group, schedule = %name, error = %format!("{err:#}"), "schedule ignored: its expression is not understood");
                }
                return Ok(Outcome::Ignored);
            }
        };
        if due > now {
            return Ok(Outcome::Waiting);
        }
        let target = schedule.target();
        let max_age = target
            .and_then(|t| t.retry_policy())
            .and_then(|p| p.maximum_event_age_in_seconds())
            .unwrap_or(DEFAULT_MAX_EVENT_AGE_SECONDS);
        // Aged in real time: a schedule a moved clock made due has had no chance to run yet.
        if now - shared::clock::offset() - due > chrono::Duration::seconds(i64::from(max_age)) {
            tracing::warn!(%group, schedule = %name, "schedule given up: not delivered within its retry policy's maximum event age");
            return Ok(Outcome::GivenUp(ran(group, name, &schedule, version)));
        }
        let deliverable = target.and_then(|t| Some((t, queue_of(t.arn())?, t.input()?)));
        let Some((target, (account, queue), input)) = deliverable else {
            if self.first_note(&version) {
                tracing::warn!(%group, schedule = %name, "schedule ignored: only SQS targets with an input fire locally");
            }
            return Ok(Outcome::Ignored);
        };
        let queue_url = self
            .sqs
            .get_queue_url()
            .queue_name(queue)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("SQS GetQueueUrl")?
            .queue_url
            .ok_or_else(|| anyhow!("SQS GetQueueUrl answered without a URL"))?;
        self.sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(input)
            .set_message_group_id(
                target
                    .sqs_parameters()
                    .and_then(|p| p.message_group_id())
                    .map(str::to_owned),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("SQS SendMessage")?;
        tracing::info!(%group, schedule = %name, %queue, "schedule fired");
        if let Some((key, due)) = daily {
            self.daily_fired
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, due);
            return Ok(Outcome::FiredDaily);
        }
        Ok(Outcome::Fired(ran(group, name, &schedule, version)))
    }

    /// What AWS does once a one-time schedule ran: deletes it, or keeps it without running it
    /// again. One updated since it ran is a new run of its own (a moved reminder), so it stays.
    pub async fn complete(&self, ran: Ran) {
        let Ran {
            group,
            name,
            version,
            delete,
            revision,
        } = ran;
        if !delete {
            self.ran
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(version);
            return;
        }
        // DeleteSchedule takes no condition: this re-read narrows the window to one round trip.
        let deleted = match self.schedule(&group, &name).await {
            Ok(now) => match after_run(&revision, now.as_ref().map(Revision::of).as_ref()) {
                AfterRun::Delete => self.delete(&group, &name).await,
                AfterRun::Gone => Ok(()),
                AfterRun::Changed => {
                    tracing::info!(%group, schedule = %name, "schedule updated since it ran; it stays for its new run");
                    Ok(())
                }
            },
            Err(err) => Err(err),
        };
        if let Err(err) = deleted {
            // It fires again next round: at least once.
            tracing::warn!(%group, schedule = %name, error = %format!("{err:#}"), "schedule ran but was not deleted");
        }
    }

    async fn schedule(&self, group: &str, name: &str) -> anyhow::Result<Option<GetScheduleOutput>> {
        match self
            .scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(schedule) => Ok(Some(schedule)),
            Err(err) => match err.into_service_error() {
                GetScheduleError::ResourceNotFoundException(_) => Ok(None),
                other => Err(anyhow::Error::new(other).context("Scheduler GetSchedule")),
            },
        }
    }

    async fn delete(&self, group: &str, name: &str) -> anyhow::Result<()> {
        match self
            .scheduler
            .delete_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                DeleteScheduleError::ResourceNotFoundException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("Scheduler DeleteSchedule")),
            },
        }
    }

    fn has_run(&self, version: &str) -> bool {
        self.ran
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(version)
    }

    fn forget(&self, note: &str) {
        self.noted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(note);
    }

    /// True the first time something is noted.
    fn first_note(&self, version: &str) -> bool {
        self.noted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version.to_owned())
    }
}

fn ran(group: &str, name: &str, schedule: &GetScheduleOutput, version: String) -> Ran {
    Ran {
        group: group.to_owned(),
        name: name.to_owned(),
        version,
        delete: schedule.action_after_completion() == Some(&ActionAfterCompletion::Delete),
        revision: Revision::of(schedule),
    }
}

/// The note that a schedule's delivery failed, kept until it is delivered.
fn failure(group: &str, name: &str) -> String {
    format!("failed {group}/{name}")
}

/// A schedule as last written: an update makes it a new one, as in AWS.
fn version(group: &str, name: &str, schedule: &GetScheduleOutput) -> String {
    let modified = schedule
        .last_modification_date()
        .map(|t| format!("{}.{:09}", t.secs(), t.subsec_nanos()))
        .unwrap_or_default();
    let expression = schedule.schedule_expression().unwrap_or_default();
    format!("{group}/{name}/{modified}/{expression}")
}

/// When a schedule expression is due: `at(yyyy-mm-ddThh:mm:ss)` in the schedule's time zone
/// (UTC when none is given).
fn when(expression: &str, timezone: Option<&str>) -> anyhow::Result<When> {
    if expression.starts_with("cron(") {
        let zone: chrono_tz::Tz = timezone
            .unwrap_or("UTC")
            .parse()
            .map_err(|_| anyhow!("unknown time zone {timezone:?}"))?;
        return Ok(crate::cron::Daily::parse(expression, zone).map_or(When::Recurring, When::Daily));
    }
    if expression.starts_with("rate(") {
        return Ok(When::Recurring);
    }
    let local = expression
        .strip_prefix("at(")
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| anyhow!("not an at(), rate() or cron() expression"))?;
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .context("at() takes yyyy-mm-ddThh:mm:ss")?;
    let zone: chrono_tz::Tz = timezone
        .unwrap_or("UTC")
        .parse()
        .map_err(|_| anyhow!("unknown time zone {timezone:?}"))?;
    // A local time the clocks skip is no instant at all; one they repeat counts from its first.
    zone.from_local_datetime(&local)
        .earliest()
        .map(|at| When::At(at.with_timezone(&Utc)))
        .ok_or_else(|| anyhow!("{local} does not occur in {zone}"))
}

/// `arn:aws:sqs:<region>:<account>:<queue>` -> (account, queue).
fn queue_of(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("arn"), Some(_), Some("sqs"), Some(_), Some(account), Some(queue))
            if !account.is_empty() && !queue.is_empty() =>
        {
            Some((account, queue))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 time")
    }

    #[test]
    fn an_at_expression_is_due_at_its_time_in_the_schedules_zone() {
        assert_eq!(
            when("at(2027-12-24T18:30:00)", Some("UTC")).ok(),
            Some(When::At(utc("2027-12-24T18:30:00Z")))
        );
        assert_eq!(
            when("at(2027-12-24T18:30:00)", None).ok(),
            Some(When::At(utc("2027-12-24T18:30:00Z")))
        );
        assert_eq!(
            when("at(2027-07-01T09:00:00)", Some("Europe/Berlin")).ok(),
            Some(When::At(utc("2027-07-01T07:00:00Z")))
        );
    }

    #[test]
    fn recurring_expressions_are_told_apart_and_others_rejected() {
        assert_eq!(when("rate(5 minutes)", None).ok(), Some(When::Recurring));
        assert_eq!(
            when("cron(0 8 ? * MON *)", None).ok(),
            Some(When::Recurring)
        );
        assert!(matches!(
            when("cron(0 8 * * ? *)", Some("Asia/Tokyo")),
            Ok(When::Daily(crate::cron::Daily {
                zone: chrono_tz::Asia::Tokyo,
                ..
            }))
        ));
        assert!(when("at(2027-12-24 18:30)", None).is_err());
        assert!(when("at(2027-12-24T18:30:00)", Some("Mars/Olympus")).is_err());
        assert!(when("every day", None).is_err());
    }

    #[test]
    fn a_time_skipped_by_the_clocks_is_rejected_and_a_repeated_one_counts_from_its_first() {
        assert!(when("at(2027-03-28T02:30:00)", Some("Europe/Berlin")).is_err());
        assert_eq!(
            when("at(2027-10-31T02:30:00)", Some("Europe/Berlin")).ok(),
            Some(When::At(utc("2027-10-31T00:30:00Z")))
        );
    }

    fn revision(expression: &str, input: &str) -> Revision {
        Revision {
            modified: Some((1_800_000_000, 0)),
            expression: Some(expression.to_owned()),
            timezone: Some("UTC".to_owned()),
            target: Some("arn:aws:sqs:us-east-1:000000000000:reminders".to_owned()),
            input: Some(input.to_owned()),
        }
    }

    #[test]
    fn a_schedule_that_ran_is_deleted_only_if_it_is_still_what_ran() {
        let ran = revision("at(2027-12-24T18:30:00)", r#"{"version":3}"#);
        let moved = revision("at(2027-12-25T18:30:00)", r#"{"version":4}"#);
        let same_time_new_input = revision("at(2027-12-24T18:30:00)", r#"{"version":4}"#);
        let touched = Revision {
            modified: Some((1_800_000_001, 0)),
            ..ran.clone()
        };

        assert_eq!(after_run(&ran, Some(&ran.clone())), AfterRun::Delete);
        assert_eq!(after_run(&ran, None), AfterRun::Gone);
        assert_eq!(after_run(&ran, Some(&moved)), AfterRun::Changed);
        assert_eq!(
            after_run(&ran, Some(&same_time_new_input)),
            AfterRun::Changed
        );
        assert_eq!(after_run(&ran, Some(&touched)), AfterRun::Changed);
    }

    #[test]
    fn only_sqs_arns_name_a_queue() {
        assert_eq!(
            queue_of("arn:aws:sqs:us-east-1:000000000000:reservations-notifier"),
            Some(("000000000000", "reservations-notifier"))
        );
        assert_eq!(
            queue_of("arn:aws:lambda:us-east-1:000000000000:function:notifier"),
            None
        );
        assert_eq!(queue_of("arn:aws:sqs:us-east-1:000000000000:"), None);
        assert_eq!(queue_of("reservations-notifier"), None);
    }
}
