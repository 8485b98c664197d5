//! Dirty marks in the inventory table, and the delayed flush on SQS:
//! - `ARIDIRTY#<vendor>` / `CELL#<type>#<night>`: a dirty cell, `v` bumped by each mark;
//! - `ARIDIRTY#<vendor>` / `FLUSH`: the vendor's flush is pending (created by the first mark
//!   since the last flush, which alone schedules one).
use super::marks::{Cell, DirtyMarks, FlushQueue, Pending};
use crate::config::{self, ConfigError};
use crate::domain::ids::{ResourceId, VendorId};
use crate::store::attr::{Item, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use chrono::NaiveDate;

const FLUSH_SK: &str = "FLUSH";
/// The coalescing window: the flush message's SQS delivery delay.
pub const DEFAULT_FLUSH_DELAY_SECONDS: u32 = 10;

fn pk(vendor: VendorId) -> String {
    format!("ARIDIRTY#{vendor}")
}

fn cell_sk(cell: &Cell) -> String {
    format!("CELL#{}#{}", cell.resource, cell.date)
}

#[derive(Debug, Clone)]
pub struct DynamoMarks {
    client: Client,
    table: String,
}

impl DynamoMarks {
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: Client::new(sdk),
            table: config::required("INVENTORY_TABLE")?,
        })
    }
}

fn parse_cell(vendor: VendorId, item: &Item) -> Option<Pending> {
    let sk = item.get("sk")?.as_s().ok()?;
    let (resource, date) = sk.strip_prefix("CELL#")?.split_once('#')?;
    Some(Pending {
        cell: Cell {
            vendor,
            resource: ResourceId::parse(resource).ok()?,
            date: date.parse::<NaiveDate>().ok()?,
        },
        version: item.get("v")?.as_n().ok()?.parse().ok()?,
    })
}

impl DirtyMarks for DynamoMarks {
    async fn mark(&self, vendor: VendorId, cells: &[Cell]) -> anyhow::Result<bool> {
        for cell in cells {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(pk(vendor)))
                .key("sk", s(cell_sk(cell)))
                .update_expression("ADD v :one")
                .expression_attribute_values(":one", n(1))
                .send()
                .await
                .context("UpdateItem ARI mark")?;
        }
        let flagged = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(pk(vendor)))
            .item("sk", s(FLUSH_SK))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match flagged {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(e).context("PutItem ARI flush flag"),
        }
    }

    async fn take_pending(&self, vendor: VendorId) -> anyhow::Result<Vec<Pending>> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk(vendor)))
            .key("sk", s(FLUSH_SK))
            .send()
            .await
            .context("DeleteItem ARI flush flag")?;
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :cell)")
                .expression_attribute_values(":pk", s(pk(vendor)))
                .expression_attribute_values(":cell", s("CELL#"))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .context("Query ARI marks")?;
            out.extend(
                page.items()
                    .iter()
                    .filter_map(|item| parse_cell(vendor, item)),
            );
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(out),
            }
        }
    }

    async fn clear(&self, vendor: VendorId, sent: &[Pending]) -> anyhow::Result<()> {
        for p in sent {
            let deleted = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(pk(vendor)))
                .key("sk", s(cell_sk(&p.cell)))
                .condition_expression("v = :v")
                .expression_attribute_values(":v", n(p.version))
                .send()
                .await;
            match deleted {
                Ok(_) => {}
                // Marked again since: the flush that mark scheduled sends it.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(e).context("DeleteItem ARI mark"),
            }
        }
        Ok(())
    }
}

/// The flush message: `{"ari_flush": "<vendor id>"}`, delivered after the delay.
#[derive(Debug, Clone)]
pub struct SqsFlushQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    delay_seconds: u32,
}

impl SqsFlushQueue {
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: config::required("ARI_FLUSH_QUEUE_URL")?,
            delay_seconds: config::optional(
                "ARI_FLUSH_DELAY_SECONDS",
                DEFAULT_FLUSH_DELAY_SECONDS,
            )?,
        })
    }
}

impl FlushQueue for SqsFlushQueue {
    async fn schedule(&self, vendor: VendorId) -> anyhow::Result<()> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(serde_json::json!({ "ari_flush": vendor }).to_string())
            .delay_seconds(i32::try_from(self.delay_seconds.min(900)).unwrap_or(0))
            .send()
            .await
            .context("SendMessage ARI flush")?;
        Ok(())
    }
}
