//! Feeds the audit log: every booking fact becomes one leaf of its vendor's transparency log
//! (`shared::audit`), committing to the guest with the booking's secret and holding no personal
//! data. The shared inbox applies each booking's facts once and in version order, and the log's
//! fact guard answers a fact already appended with its index, so a fact applied again after a
//! crash is not appended twice.
use shared::audit::{AuditError, AuditLog, DynamoAudit, leaf};
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "audit",
    order: Order::InOrder,
};

/// The consumer's effect: the log it appends to.
#[derive(Debug, Clone)]
pub struct AuditWriter<L = DynamoAudit> {
    pub log: L,
}

impl AuditWriter {
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            log: DynamoAudit::from_env(sdk)?,
        })
    }
}

impl<L: AuditLog> Effect for AuditWriter<L> {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        // Vendor, room type and unit facts are not booking facts.
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let detail = fact.booking();
        let secret = self
            .log
            .commitment_secret(detail.booking_id)
            .await
            .map_err(anyhow::Error::new)?;
        let bytes = leaf::leaf_bytes(fact, &secret);
        let appended = self
            .log
            .append(
                detail.vendor_id,
                detail.booking_id,
                detail.header.event_id,
                &bytes,
            )
            .await
            .map_err(|e| match e {
                AuditError::Contended => anyhow::Error::new(e)
                    .context("the vendor's audit log stayed contended; the fact comes back"),
                other => anyhow::Error::new(other),
            })?;
        tracing::info!(
            booking_id = %detail.booking_id,
            vendor_id = %detail.vendor_id,
            version = detail.header.version,
            index = appended.index,
            size = appended.head.size,
            "in the audit log"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::audit::MemoryAudit;
    use shared::domain::ids::{BookingId, VendorId};

    fn sample(detail_type: &str) -> (Event, ReceivedEvent) {
        let path = format!(
            "{}/../../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let received: ReceivedEvent =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        (received.event().unwrap(), received)
    }

    fn id_of<T>(received: &ReceivedEvent, field: &str, parse: fn(&str) -> Option<T>) -> T {
        parse(received.detail[field].as_str().unwrap()).unwrap()
    }

    #[tokio::test]
    async fn booking_facts_are_appended_once_each_and_other_facts_are_not() {
        let writer = AuditWriter {
            log: MemoryAudit::default(),
        };
        let (held, held_received) = sample("BookingHeld");
        let (confirmed, confirmed_received) = sample("BookingConfirmed");
        for (event, received) in [
            sample("VendorOnboarded"),
            sample("ResourceChanged"),
            sample("UnitChanged"),
            (held.clone(), held_received.clone()),
            (held, held_received.clone()),
            (confirmed.clone(), confirmed_received.clone()),
            (confirmed, confirmed_received.clone()),
        ] {
            writer.apply(&event, &received).await.unwrap();
        }

        let booking = id_of(&held_received, "booking_id", |s| BookingId::parse(s).ok());
        let vendor = id_of(&held_received, "vendor_id", |s| VendorId::parse(s).ok());
        let leaves = writer.log.booking_leaves(booking).await.unwrap();
        assert_eq!(leaves, [(vendor, 0), (vendor, 1)]);
        assert_eq!(writer.log.head(vendor).await.unwrap().unwrap().size, 2);
        let secret = writer.log.commitment_secret(booking).await.unwrap();
        let mut types = Vec::new();
        for (vendor, index) in leaves {
            let bytes = writer.log.leaf(vendor, index).await.unwrap().unwrap();
            let leaf = tlog::Leaf::from_bytes(&bytes).unwrap();
            let guest = held_received.detail["guest_id"].as_str().unwrap();
            assert!(secret.matches(guest, &leaf.guest_commitment));
            assert!(!String::from_utf8(bytes).unwrap().contains(guest));
            types.push(leaf.detail_type);
        }
        assert_eq!(types, ["BookingHeld", "BookingConfirmed"]);
    }
}
