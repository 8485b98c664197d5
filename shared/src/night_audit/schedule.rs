//! Each vendor's night audit runs from an EventBridge Scheduler schedule `night-audit-<vendor>`
//! (group `night-audit`): `cron(MM HH * * ? *)` at the vendor's `night_audit_at` in its own time
//! zone, putting `{"vendor_id": ...}` on the night-audit queue. Put on onboarding and whenever
//! the zone or the time changes.
use super::AuditRequest;
use crate::aws::SdkConfig;
use crate::config::{self, ConfigError};
use crate::domain::vendor::Vendor;
use anyhow::Context;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use chrono::Timelike;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

/// The variable naming the schedule group (its target and role: `NIGHT_AUDIT_TARGET_ARN`,
/// `NIGHT_AUDIT_ROLE_ARN`).
pub const SCHEDULE_GROUP_VARIABLE: &str = "NIGHT_AUDIT_SCHEDULE_GROUP";

/// One vendor's schedule as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSchedule {
    pub name: String,
    pub expression: String,
    pub time_zone: String,
    pub input: String,
}

impl AuditSchedule {
    pub fn of(vendor: &Vendor) -> anyhow::Result<Self> {
        let at = vendor.night_audit_at.time();
        let request = AuditRequest {
            vendor_id: vendor.id,
            day: None,
        };
        Ok(Self {
            name: format!("night-audit-{}", vendor.id),
            expression: format!("cron({} {} * * ? *)", at.minute(), at.hour()),
            time_zone: vendor.time_zone.tz().name().to_owned(),
            input: serde_json::to_string(&request).context("writing the audit request")?,
        })
    }

    /// Whether a vendor's edit moves its schedule.
    pub fn moves(before: &Vendor, after: &Vendor) -> bool {
        before.time_zone != after.time_zone || before.night_audit_at != after.night_audit_at
    }
}

pub trait NightAuditSchedules: Send + Sync {
    /// Creates the vendor's schedule, or updates it to the vendor's zone and time.
    fn put(&self, vendor: &Vendor) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct SchedulerSchedules {
    client: aws_sdk_scheduler::Client,
    group: String,
    target_arn: String,
    role_arn: String,
}

impl SchedulerSchedules {
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_scheduler::Client::new(sdk),
            group: config::required("NIGHT_AUDIT_SCHEDULE_GROUP")?,
            target_arn: config::required("NIGHT_AUDIT_TARGET_ARN")?,
            role_arn: config::required("NIGHT_AUDIT_ROLE_ARN")?,
        })
    }
}

impl NightAuditSchedules for SchedulerSchedules {
    async fn put(&self, vendor: &Vendor) -> anyhow::Result<()> {
        let schedule = AuditSchedule::of(vendor)?;
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(&schedule.input)
            .build()
            .context("building the audit's target")?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .context("building the audit's time window")?;
        let created = self
            .client
            .create_schedule()
            .group_name(&self.group)
            .name(&schedule.name)
            .schedule_expression(&schedule.expression)
            .schedule_expression_timezone(&schedule.time_zone)
            .flexible_time_window(window.clone())
            .target(target.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                CreateScheduleError::ConflictException(_) => {
                    self.client
                        .update_schedule()
                        .group_name(&self.group)
                        .name(&schedule.name)
                        .schedule_expression(&schedule.expression)
                        .schedule_expression_timezone(&schedule.time_zone)
                        .flexible_time_window(window)
                        .target(target)
                        .send()
                        .await
                        .map_err(|e| anyhow::Error::new(e.into_service_error()))
                        .context("Scheduler UpdateSchedule")?;
                    Ok(())
                }
                other => Err(anyhow::Error::new(other).context("Scheduler CreateSchedule")),
            },
        }
    }
}

/// Schedules in memory, by name, for handlers' tests.
#[derive(Debug, Default)]
pub struct MemorySchedules {
    schedules: Mutex<HashMap<String, AuditSchedule>>,
}

impl MemorySchedules {
    pub fn get(&self, name: &str) -> Option<AuditSchedule> {
        self.schedules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

impl NightAuditSchedules for MemorySchedules {
    async fn put(&self, vendor: &Vendor) -> anyhow::Result<()> {
        let schedule = AuditSchedule::of(vendor)?;
        self.schedules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(schedule.name.clone(), schedule);
        Ok(())
    }
}
