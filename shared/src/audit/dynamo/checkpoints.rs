//! Checkpoints and the markers that find work for the signer and the witness. A grown marker
//! is not cleared when a checkpoint is stored: it expires (see `MARKER_WINDOW_SECONDS`).
use super::append::Cancelled;
use super::{
    DynamoAudit, HEAD, Item, checkpoint_sk, key, leaf_sk, log_pk, n, s, text, unexpected,
    witness_pk,
};
use crate::audit::{AuditError, grown_shard};
use crate::domain::ids::VendorId;
use anyhow::Context;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

impl DynamoAudit {
    /// Up to `limit` markers of the `shards` partitions `pk` names, with their vendor (`sk`).
    pub(super) async fn markers(
        &self,
        pk: fn(u8) -> String,
        shards: u8,
        limit: usize,
        what: &str,
    ) -> Result<Vec<(VendorId, Item)>, AuditError> {
        let mut markers = Vec::new();
        for shard in 0..shards {
            let mut start = None;
            loop {
                if markers.len() >= limit {
                    return Ok(markers);
                }
                let page = i32::try_from(limit - markers.len()).unwrap_or(i32::MAX);
                let output = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(pk(shard)))
                    .consistent_read(true)
                    .limit(page)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .with_context(|| format!("Query audit {what} markers"))?;
                for item in output.items.unwrap_or_default() {
                    let vendor = VendorId::parse(text(&item, "sk")?).map_err(|_| {
                        unexpected(anyhow::anyhow!("a {what} marker's vendor is not an id"))
                    })?;
                    markers.push((vendor, item));
                }
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        markers.truncate(limit);
        Ok(markers)
    }

    /// Deletes the vendor's marker in partition `pk` if its `attribute` is at most `value` or
    /// missing (a marker written for something newer stays). Whether it went.
    pub(super) async fn clear_marker(
        &self,
        pk: String,
        vendor: VendorId,
        attribute: &str,
        value: u64,
    ) -> Result<bool, AuditError> {
        let cleared = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, vendor.to_string())))
            .condition_expression("attribute_not_exists(#attribute) OR #attribute <= :value")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_values(":value", n(value))
            .send()
            .await;
        match cleared {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(unexpected(
                anyhow::Error::new(e).context("DeleteItem audit marker"),
            )),
        }
    }

    pub(super) async fn store(
        &self,
        vendor: VendorId,
        size: u64,
        note: &str,
        signed_at: DateTime<Utc>,
    ) -> Result<bool, AuditError> {
        let pk = log_pk(vendor);
        let signed = s(signed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let head = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(HEAD))
            .update_expression("SET cp_size = :size, cp_note = :note, cp_signed_at = :at")
            .condition_expression("attribute_not_exists(cp_size) OR cp_size < :size")
            .expression_attribute_values(":size", n(size))
            .expression_attribute_values(":note", s(note))
            .expression_attribute_values(":at", signed.clone())
            .build()
            .context("building the checkpoint's head update")?;
        // The tree is at least `size` leaves: its leaf `size - 1` is there.
        let last = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone(), leaf_sk(size.saturating_sub(1)))))
            .condition_expression("attribute_exists(pk)")
            .build()
            .context("building the checkpoint's tree-size check")?;
        let mut item = key(pk, checkpoint_sk(size));
        item.insert("note".to_owned(), s(note));
        item.insert("signed_at".to_owned(), signed);
        // Unconditional: a stored checkpoint is always the latest, so its size replaces any.
        let mut marker = key(witness_pk(grown_shard(vendor)), vendor.to_string());
        marker.insert("size".to_owned(), n(size));
        let marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker))
            .build()
            .context("building the witness marker")?;
        let items = vec![
            TransactWriteItem::builder().update(head).build(),
            TransactWriteItem::builder().condition_check(last).build(),
            self.put(item)?,
            TransactWriteItem::builder().put(marker).build(),
        ];
        for attempt in 1..=crate::audit::APPEND_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(true),
                Err(err) => err.into_service_error(),
            };
            match Cancelled::of(&err) {
                Some(cancelled) if cancelled.failed(1) => {
                    let head = self
                        .latest_range(vendor)
                        .await?
                        .map_or(0, |range| range.size());
                    return Err(AuditError::BeyondHead { size, head });
                }
                // One as large is stored already.
                Some(cancelled) if cancelled.failed(0) || cancelled.failed(2) => return Ok(false),
                Some(_) => crate::store::jittered_pause(attempt).await,
                None => {
                    return Err(unexpected(
                        anyhow::Error::new(err).context("TransactWriteItems audit checkpoint"),
                    ));
                }
            }
        }
        Err(AuditError::Contended)
    }
}
