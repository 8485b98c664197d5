//! The manager's listing: every channel item and protection of a type, night by night.
use super::items::{APP, chan_pk, night_state, protect_of};
use super::{AllotmentNight, ChannelNightView};
use crate::channels::ChannelId;
use crate::channels::allotment::Nights;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::store::dynamo::{DynamoStore, s};

impl DynamoStore {
    pub(super) async fn list_allotments(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        nights: Nights,
    ) -> anyhow::Result<Vec<AllotmentNight>> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(chan_pk(vendor, resource)))
            .expression_attribute_values(":from", s(Bucket::Night(nights.from).key()))
            .expression_attribute_values(":to", s(format!("{}#~", Bucket::Night(nights.to).key())))
            .consistent_read(true);
        let items = self.query_items(query).await?;
        let mut by_night: Vec<AllotmentNight> = nights
            .iter()
            .map(|date| AllotmentNight {
                date,
                protect: 0,
                channels: Vec::new(),
            })
            .collect();
        for item in items {
            let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            let Some((bucket, who)) = sk.rsplit_once('#') else {
                continue;
            };
            let Ok(Bucket::Night(date)) = Bucket::parse_key(bucket) else {
                continue;
            };
            let Some(slot) = by_night.iter_mut().find(|n| n.date == date) else {
                continue;
            };
            if who == APP {
                slot.protect = protect_of(&item);
            } else if let Ok(channel_id) = ChannelId::parse(who) {
                let night = night_state(&item);
                slot.channels.push(ChannelNightView {
                    channel_id,
                    sold: night.sold,
                    allot: night.allot,
                    release_on: night.release_on,
                    released: night.released,
                });
            }
        }
        Ok(by_night)
    }
}
