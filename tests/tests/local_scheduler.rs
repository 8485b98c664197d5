//! The local gateway's stand-in for EventBridge Scheduler against LocalStack: schedules made in
//! the reminders' group with LocalStack's Scheduler, fired by one round of the stand-in into SQS
//! queues of their own. Each test watches only the schedule names it made (a unique prefix), so
//! tests run in parallel and never fire anyone else's reminders. A gateway started by
//! `localstack/serve.sh` at the same time fires these schedules too.
use api_tests::{Api, resource_body};
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Duration, Utc};
use local_gateway::schedules::{Round, StandIn, Watch};
use local_gateway::{Backbone, Deps, consumers};
use notifier::outlets::{ReminderDue, ReminderKind, SchedulerReminders};
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::domain::ids::BookingId;
use shared::store::{BookingStore, DynamoStore};
use std::sync::Arc;

/// Schedules named `<prefix>-…` in the reminders' group, and a stand-in that fires only those.
struct Scene {
    scheduler: aws_sdk_scheduler::Client,
    sqs: aws_sdk_sqs::Client,
    group: String,
    prefix: String,
    stand_in: StandIn,
    queues: Vec<String>,
}

impl Scene {
    async fn new() -> Self {
        api_tests::require_env();
        let sdk = shared::aws::sdk_config().await;
        let group = std::env::var("REMINDER_SCHEDULE_GROUP")
            .expect("REMINDER_SCHEDULE_GROUP is set: eval \"$(localstack/local.sh env)\"");
        let prefix = format!("standin-{}", uuid::Uuid::new_v4().simple());
        Self::watching(&sdk, group, prefix)
    }

    fn watching(sdk: &shared::aws::SdkConfig, group: String, prefix: String) -> Self {
        let watch = Watch {
            group: group.clone(),
            name_prefix: Some(prefix.clone()),
        };
        Self {
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            stand_in: StandIn::new(sdk, vec![watch], std::time::Duration::from_secs(5)),
            group,
            prefix,
            queues: Vec::new(),
        }
    }

    fn name(&self, tag: &str) -> String {
        format!("{}-{tag}", self.prefix)
    }

    /// A fresh queue named after this scene; its (URL, ARN).
    async fn queue(&mut self, tag: &str) -> (String, String) {
        let url = self
            .sqs
            .create_queue()
            .queue_name(self.name(tag))
            .send()
            .await
            .expect("SQS CreateQueue")
            .queue_url
            .expect("a queue URL");
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("SQS GetQueueAttributes")
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("a queue ARN");
        self.queues.push(url.clone());
        (url, arn)
    }

    /// A schedule like the notifier's reminder: `at` in UTC, the input for an SQS target.
    async fn schedule(
        &self,
        tag: &str,
        expression: &str,
        target_arn: &str,
        input: &str,
        after: ActionAfterCompletion,
    ) {
        self.schedule_with(tag, expression, target_arn, input, after, None)
            .await;
    }

    async fn schedule_with(
        &self,
        tag: &str,
        expression: &str,
        target_arn: &str,
        input: &str,
        after: ActionAfterCompletion,
        retry: Option<RetryPolicy>,
    ) {
        let role = std::env::var("REMINDER_ROLE_ARN").expect("REMINDER_ROLE_ARN is set");
        let target = Target::builder()
            .arn(target_arn)
            .role_arn(role)
            .input(input)
            .set_retry_policy(retry)
            .build()
            .expect("a target");
        self.scheduler
            .create_schedule()
            .group_name(&self.group)
            .name(self.name(tag))
            .schedule_expression(expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .expect("a window"),
            )
            .action_after_completion(after)
            .target(target)
            .send()
            .await
            .expect("Scheduler CreateSchedule");
    }

    async fn get(&self, tag: &str) -> Option<GetScheduleOutput> {
        self.get_named(&self.name(tag)).await
    }

    async fn get_named(&self, name: &str) -> Option<GetScheduleOutput> {
        match self
            .scheduler
            .get_schedule()
            .group_name(&self.group)
            .name(name)
            .send()
            .await
        {
            Ok(schedule) => Some(schedule),
            Err(err) => match err.into_service_error() {
                GetScheduleError::ResourceNotFoundException(_) => None,
                other => panic!("GetSchedule failed: {other:?}"),
            },
        }
    }

    async fn round(&self) -> Round {
        self.stand_in.run_once(Utc::now()).await
    }

    /// Every message the queue holds now (received, so hidden for its visibility timeout).
    async fn messages(&self, queue_url: &str) -> Vec<String> {
        let mut bodies = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("SQS ReceiveMessage")
                .messages
                .unwrap_or_default();
            if received.is_empty() {
                return bodies;
            }
            bodies.extend(received.into_iter().filter_map(|m| m.body));
        }
    }

    /// Deletes what this scene made, so no running gateway keeps trying its schedules.
    async fn clean_up(self) {
        let listed = self
            .scheduler
            .list_schedules()
            .group_name(&self.group)
            .name_prefix(&self.prefix)
            .send()
            .await
            .expect("Scheduler ListSchedules");
        for schedule in listed.schedules() {
            if let Some(name) = schedule.name() {
                let _ = self
                    .scheduler
                    .delete_schedule()
                    .group_name(&self.group)
                    .name(name)
                    .send()
                    .await;
            }
        }
        for url in &self.queues {
            let _ = self.sqs.delete_queue().queue_url(url).send().await;
        }
    }
}

fn at(time: DateTime<Utc>) -> String {
    format!("at({})", time.format("%Y-%m-%dT%H:%M:%S"))
}

fn reminder_input(tag: &str) -> String {
    json!({"kind": "booking_reminder", "test": tag, "note": "ünïcode \"quoted\""}).to_string()
}

#[tokio::test]
async fn a_due_schedule_puts_exactly_its_input_on_its_queue_once_and_is_deleted() {
    let mut scene = Scene::new().await;
    let (url, arn) = scene.queue("due").await;
    let input = reminder_input("due");
    scene
        .schedule(
            "due",
            &at(Utc::now() - Duration::seconds(5)),
            &arn,
            &input,
            ActionAfterCompletion::Delete,
        )
        .await;

    let round = scene.round().await;

    assert_eq!(round.fired, 1, "{round:?}");
    assert_eq!(scene.messages(&url).await, vec![input]);
    assert!(scene.get("due").await.is_none(), "the schedule is deleted");
    assert_eq!(
        scene.round().await,
        Round::default(),
        "nothing is left to fire"
    );
    scene.clean_up().await;
}

#[tokio::test]
async fn a_schedule_updated_between_its_firing_and_its_deletion_stays_and_fires_again_as_updated() {
    let mut scene = Scene::new().await;
    let (url, arn) = scene.queue("moved").await;
    let (first, second) = (reminder_input("first"), reminder_input("second"));
    scene
        .schedule(
            "moved",
            &at(Utc::now() - Duration::seconds(5)),
            &arn,
            &first,
            ActionAfterCompletion::Delete,
        )
        .await;
    let (fired, ran) = scene.stand_in.fire_due(Utc::now()).await;
    // The notifier moves the reminder (a new time, a new input) before the stand-in deletes it.
    let moved_to = at(Utc::now() - Duration::seconds(1));
    scene
        .scheduler
        .update_schedule()
        .group_name(&scene.group)
        .name(scene.name("moved"))
        .schedule_expression(&moved_to)
        .schedule_expression_timezone("UTC")
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .expect("a window"),
        )
        .action_after_completion(ActionAfterCompletion::Delete)
        .target(
            Target::builder()
                .arn(&arn)
                .role_arn(std::env::var("REMINDER_ROLE_ARN").expect("REMINDER_ROLE_ARN is set"))
                .input(&second)
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("Scheduler UpdateSchedule");

    for done in ran {
        scene.stand_in.complete(done).await;
    }
    let kept = scene.get("moved").await;
    let next = scene.round().await;

    assert_eq!(fired.fired, 1, "{fired:?}");
    let kept = kept.expect("the updated schedule stays");
    assert_eq!(kept.schedule_expression(), Some(moved_to.as_str()));
    assert_eq!(next.fired, 1, "{next:?}");
    assert_eq!(scene.messages(&url).await, vec![first, second]);
    assert!(
        scene.get("moved").await.is_none(),
        "deleted once run as updated"
    );
    scene.clean_up().await;
}

#[tokio::test]
async fn a_schedule_due_later_is_left_alone_and_its_queue_stays_empty() {
    let mut scene = Scene::new().await;
    let (url, arn) = scene.queue("later").await;
    let expression = at(Utc::now() + Duration::hours(1));
    scene
        .schedule(
            "later",
            &expression,
            &arn,
            &reminder_input("later"),
            ActionAfterCompletion::Delete,
        )
        .await;

    let round = scene.round().await;

    assert_eq!((round.fired, round.waiting), (0, 1), "{round:?}");
    assert!(scene.messages(&url).await.is_empty());
    let kept = scene
        .get("later")
        .await
        .expect("the schedule is still there");
    assert_eq!(kept.schedule_expression(), Some(expression.as_str()));
    scene.clean_up().await;
}

#[tokio::test]
async fn a_schedule_whose_queue_does_not_exist_stays_and_fires_once_the_queue_is_there() {
    let mut scene = Scene::new().await;
    let region = std::env::var("AWS_REGION").expect("AWS_REGION is set");
    let missing_arn = format!("arn:aws:sqs:{region}:000000000000:{}", scene.name("late"));
    let input = reminder_input("late");
    scene
        .schedule(
            "late",
            &at(Utc::now() - Duration::seconds(1)),
            &missing_arn,
            &input,
            ActionAfterCompletion::Delete,
        )
        .await;

    let failed = scene.round().await;
    assert_eq!((failed.fired, failed.failed), (0, 1), "{failed:?}");
    assert!(scene.get("late").await.is_some(), "kept for the next round");

    let (url, arn) = scene.queue("late").await;
    assert_eq!(arn, missing_arn);
    let delivered = scene.round().await;

    assert_eq!(delivered.fired, 1, "{delivered:?}");
    assert_eq!(scene.messages(&url).await, vec![input]);
    assert!(scene.get("late").await.is_none());
    scene.clean_up().await;
}

#[tokio::test]
async fn a_schedule_kept_after_completion_fires_once() {
    let mut scene = Scene::new().await;
    let (url, arn) = scene.queue("kept").await;
    let input = reminder_input("kept");
    scene
        .schedule(
            "kept",
            &at(Utc::now() - Duration::seconds(5)),
            &arn,
            &input,
            ActionAfterCompletion::None,
        )
        .await;

    let first = scene.round().await;
    let second = scene.round().await;

    assert_eq!((first.fired, second.fired), (1, 0));
    assert_eq!(scene.messages(&url).await, vec![input]);
    assert!(scene.get("kept").await.is_some(), "NONE keeps the schedule");
    scene.clean_up().await;
}

#[tokio::test]
async fn recurring_schedules_and_runs_older_than_their_maximum_event_age_do_not_fire() {
    let mut scene = Scene::new().await;
    let (url, arn) = scene.queue("rest").await;
    scene
        .schedule(
            "rate",
            "rate(1 minute)",
            &arn,
            &reminder_input("rate"),
            ActionAfterCompletion::None,
        )
        .await;
    let one_minute = RetryPolicy::builder()
        .maximum_event_age_in_seconds(60)
        .maximum_retry_attempts(3)
        .build();
    scene
        .schedule_with(
            "stale",
            &at(Utc::now() - Duration::hours(2)),
            &arn,
            &reminder_input("stale"),
            ActionAfterCompletion::Delete,
            Some(one_minute),
        )
        .await;

    let round = scene.round().await;

    assert_eq!((round.fired, round.ignored), (0, 2), "{round:?}");
    assert!(scene.messages(&url).await.is_empty());
    assert!(scene.get("rate").await.is_some());
    assert!(scene.get("stale").await.is_none(), "given up and deleted");
    scene.clean_up().await;
}

/// Every mail subject LocalStack's SES recorded for `address`.
async fn subjects(address: &str) -> Vec<String> {
    api_tests::mailbox(address)
        .await
        .into_iter()
        .map(|mail| mail.subject)
        .collect()
}

#[tokio::test]
async fn a_reminder_the_stand_in_fires_reaches_the_gateways_notifier_which_mails_the_guest() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let mut table = resource_body("Table for two", 2, 3, 4_500);
    table.as_object_mut().expect("an object").remove("deposit");
    table["seating"] = json!({"slot_minutes": 30, "seating_minutes": 90});
    let table = api.resource(&manager, &table).await;
    let guest = api.guest().await;
    let booked = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{}", manager.vendor()),
            guest.token(),
            Some(&json!({
                "resource_id": table,
                "party_size": 2,
                "date": (Utc::now().date_naive() + Duration::days(10)).to_string(),
                "time": "19:30",
            })),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:#?}");
    assert_eq!(booked.body["status"], "CONFIRMED");
    let id = BookingId::parse(booked.body["id"].as_str().expect("an id")).expect("a booking id");
    let sdk = shared::aws::sdk_config().await;
    let booking = DynamoStore::from_env(&sdk)
        .expect("the table names are set")
        .booking(id)
        .await
        .expect("DynamoDB answers")
        .expect("the booking exists");
    // The reminder's own name and input, but on a queue of this test's, which the gateway's
    // notifier consumes here as its event source mapping would.
    let group = std::env::var("REMINDER_SCHEDULE_GROUP").expect("REMINDER_SCHEDULE_GROUP is set");
    let mut scene = Scene::watching(&sdk, group, SchedulerReminders::name(id));
    let input = serde_json::to_string(&ReminderDue {
        kind: ReminderKind::BookingReminder,
        booking_id: id,
        version: booking.version,
        arrival_at: booking.arrival_at,
    })
    .expect("a reminder");
    let (url, arn) = scene.queue("queue").await;
    scene
        .scheduler
        .create_schedule()
        .group_name(&scene.group)
        .name(SchedulerReminders::name(id))
        .schedule_expression(at(Utc::now()))
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .expect("a window"),
        )
        .action_after_completion(ActionAfterCompletion::Delete)
        .target(
            Target::builder()
                .arn(arn)
                .role_arn(std::env::var("REMINDER_ROLE_ARN").expect("REMINDER_ROLE_ARN is set"))
                .input(input)
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("Scheduler CreateSchedule");
    let deps = Arc::new(Deps::from_env(&api.base).await.expect("the gateway's deps"));
    let notifier = consumers(deps)
        .remove(notifier::CONSUMER.name)
        .expect("the notifier is a consumer");
    let mut backbone = Backbone::default();
    backbone.queue("notifier", &url, notifier).await;

    assert_eq!(scene.round().await.fired, 1);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let reminders = loop {
        let reminders: Vec<String> = subjects(&guest.email)
            .await
            .into_iter()
            .filter(|s| s.starts_with("Reminder"))
            .collect();
        if !reminders.is_empty() || tokio::time::Instant::now() > deadline {
            break reminders;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert!(
        scene
            .get_named(&SchedulerReminders::name(id))
            .await
            .is_none(),
        "the reminder's schedule is gone"
    );
    drop(backbone);
    scene.clean_up().await;
}
