//! The local stand-in for EventBridge Scheduler running one-time schedules: LocalStack stores
//! schedules but never runs them, so this sends each due `at(...)` schedule's input to its SQS
//! target and then deletes the schedule if it asks for that, as the real scheduler does.
use anyhow::{Context, anyhow};
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use shared::aws::SdkConfig;
use shared::config;
use std::collections::HashSet;
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
    Fired,
    Waiting,
    Ignored,
}

#[derive(Debug, PartialEq, Eq)]
enum When {
    At(DateTime<Utc>),
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
        let watch = Watch {
            group,
            name_prefix: None,
        };
        Ok(Self::new(&sdk, vec![watch], Duration::from_secs(seconds)))
    }

    /// Runs a round every poll period, the first at once, until the task is dropped.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let round = self.run_once(Utc::now()).await;
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

    /// Fires every watched schedule due at `now`. Failures are logged and counted, and leave
    /// the schedule for the next round, so delivery is at least once, as in AWS.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Round {
        let mut round = Round::default();
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
                    Ok(Outcome::Fired) => {
                        self.forget(&failure(&watch.group, &name));
                        round.fired += 1;
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
        round
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
        let due = match when(expression, schedule.schedule_expression_timezone()) {
            Ok(When::At(due)) => due,
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
        if now - due > chrono::Duration::seconds(i64::from(max_age)) {
            tracing::warn!(%group, schedule = %name, "schedule given up: not delivered within its retry policy's maximum event age");
            self.complete(group, name, &schedule, version).await;
            return Ok(Outcome::Ignored);
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
        self.complete(group, name, &schedule, version).await;
        Ok(Outcome::Fired)
    }

    /// What AWS does once a one-time schedule ran: deletes it, or keeps it without running it again.
    async fn complete(
        &self,
        group: &str,
        name: &str,
        schedule: &GetScheduleOutput,
        version: String,
    ) {
        if schedule.action_after_completion() == Some(&ActionAfterCompletion::Delete) {
            if let Err(err) = self.delete(group, name).await {
                // It fires again next round: at least once.
                tracing::warn!(%group, schedule = %name, error = %format!("{err:#}"), "schedule ran but was not deleted");
            }
        } else {
            self.ran
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(version);
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
    if expression.starts_with("rate(") || expression.starts_with("cron(") {
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
        assert_eq!(when("cron(0 8 * * ? *)", None).ok(), Some(When::Recurring));
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
