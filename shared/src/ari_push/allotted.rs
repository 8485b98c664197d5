//! `AllotmentChanged`: a channel's allotment or its release, or the units protected for our app,
//! changed on a type's night. The outbox publisher reads it from the inventory table's stream
//! (`CHAN#<vendor>#<type>` / `<night>#<channel>` or `<night>#app`), so the push marks that night
//! like a booking's fact. A change of `sold` alone tells nothing: its booking has a fact of its own.
use super::Cell;
use crate::channels::ChannelId;
use crate::channels::events::CHANNELS_SOURCE;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::events::{EventEntry, SchemaVersion};
use crate::store::StreamImage;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_dynamo::Item;

pub const ALLOTMENT_CHANGED: &str = "AllotmentChanged";
/// Each with a schema and a sample in `events/`.
pub const DETAIL_TYPES: [&str; 1] = [ALLOTMENT_CHANGED];

const CHAN_PREFIX: &str = "CHAN#";
const APP: &str = "app";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllotmentFact {
    pub schema_version: SchemaVersion,
    /// `allotment:<vendor>:<type>:<night>:<channel id or app>:<stream sequence number>`: a
    /// record delivered again is the same fact, and each change its own.
    pub event_id: String,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub night: NaiveDate,
    /// The channel whose allotment changed; `None` when the protection did.
    pub channel_id: Option<ChannelId>,
    /// The channel's allotment now (`None`: none, or the protection changed).
    pub allot: Option<i64>,
    /// Whether the allotment has gone back to the general pool.
    pub released: bool,
    /// The units protected for our app now (`None` for a channel's change).
    pub protect: Option<i64>,
    /// Units the change gave back to the general pool, which the waitlist is offered: an
    /// allotment's unsold units when released or removed, or what it was lowered by. A
    /// protection frees nothing for our app, whose holds never read it.
    #[serde(default)]
    pub returned: u32,
    pub occurred_at: DateTime<Utc>,
}

/// What a channel night or protection item says for the push (its `sold` left out).
#[derive(Debug, PartialEq, Eq)]
struct Terms {
    allot: Option<i64>,
    release_on: Option<String>,
    released: bool,
    protect: Option<i64>,
}

impl Terms {
    /// `None` for no item and for one that holds only what a channel sold.
    fn of(item: &Item) -> Option<Self> {
        let image = StreamImage(item);
        let terms = Self {
            allot: image.number("allot"),
            release_on: image.text("release_on").map(str::to_owned),
            released: image.has("rel"),
            protect: image.number("protect"),
        };
        (terms != Self::NONE).then_some(terms)
    }

    const NONE: Self = Self {
        allot: None,
        release_on: None,
        released: false,
        protect: None,
    };
}

/// What a channel item takes from the type's counter (`store::allotments`): its whole
/// allotment while unreleased, else what the channel sold.
fn pool_taken(item: &Item) -> i64 {
    let image = StreamImage(item);
    match image.number("allot") {
        Some(allot) if !image.has("rel") => allot,
        _ => image.number("sold").unwrap_or(0),
    }
}

impl AllotmentFact {
    /// The fact of a change of an inventory item, if it is a channel night or protection item
    /// whose terms changed; `None` for every other item and for a change of `sold` alone.
    pub fn change(
        partition: &str,
        sort_key: &str,
        old: &Item,
        new: &Item,
        sequence_number: &str,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        let (vendor, resource) = partition.strip_prefix(CHAN_PREFIX)?.split_once('#')?;
        let (bucket, who) = sort_key.rsplit_once('#')?;
        let Ok(Bucket::Night(night)) = Bucket::parse_key(bucket) else {
            return None;
        };
        let channel_id = match who {
            APP => None,
            id => Some(ChannelId::parse(id).ok()?),
        };
        let (before, after) = (Terms::of(old), Terms::of(new));
        if before == after {
            return None;
        }
        let after = after.unwrap_or(Terms::NONE);
        let returned = (pool_taken(old) - pool_taken(new)).max(0);
        Some(Self {
            schema_version: SchemaVersion,
            event_id: format!("allotment:{vendor}:{resource}:{night}:{who}:{sequence_number}"),
            vendor_id: VendorId::parse(vendor).ok()?,
            resource_id: ResourceId::parse(resource).ok()?,
            night,
            channel_id,
            allot: after.allot,
            released: after.released,
            protect: after.protect,
            returned: u32::try_from(returned).unwrap_or(u32::MAX),
            occurred_at: at,
        })
    }

    pub fn cell(&self) -> Cell {
        Cell {
            vendor: self.vendor_id,
            resource: self.resource_id,
            date: self.night,
        }
    }

    pub fn entry(&self) -> serde_json::Result<EventEntry> {
        Ok(EventEntry {
            source: CHANNELS_SOURCE,
            detail_type: ALLOTMENT_CHANGED,
            detail: serde_json::to_string(self)?,
            time: self.occurred_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_dynamo::AttributeValue;

    fn item(pairs: &[(&str, &str)]) -> Item {
        let mut item = Item::default();
        for (name, value) in pairs {
            let value = if *name == "release_on" {
                AttributeValue::S((*value).into())
            } else {
                AttributeValue::N((*value).into())
            };
            item.insert((*name).into(), value);
        }
        item
    }

    fn keys() -> (String, String, ChannelId) {
        let channel = ChannelId::generate();
        (
            format!("CHAN#{}#{}", VendorId::generate(), ResourceId::generate()),
            format!("N#2026-12-20#{channel}"),
            channel,
        )
    }

    #[test]
    fn an_allotment_set_or_released_is_a_fact_and_a_sale_alone_is_none() {
        let (pk, sk, channel) = keys();
        let at = Utc::now();
        let set = item(&[("sold", "0"), ("allot", "3"), ("release_on", "2026-12-17")]);
        let fact = AllotmentFact::change(&pk, &sk, &Item::default(), &set, "7", at).unwrap();
        assert_eq!(fact.channel_id, Some(channel));
        assert_eq!(fact.allot, Some(3));
        assert_eq!(fact.night.to_string(), "2026-12-20");
        assert!(fact.event_id.ends_with(&format!("{channel}:7")));

        let sold = item(&[("sold", "1"), ("allot", "3"), ("release_on", "2026-12-17")]);
        assert_eq!(AllotmentFact::change(&pk, &sk, &set, &sold, "8", at), None);
        let first_sale = item(&[("sold", "1")]);
        assert_eq!(
            AllotmentFact::change(&pk, &sk, &Item::default(), &first_sale, "8", at),
            None,
            "a channel's first sale without an allotment"
        );

        let mut released = sold.clone();
        released.insert("rel".into(), AttributeValue::N("1".into()));
        let fact = AllotmentFact::change(&pk, &sk, &sold, &released, "9", at).unwrap();
        assert!(fact.released);
    }

    #[test]
    fn a_protection_is_a_fact_of_the_app_and_other_items_are_none() {
        let (pk, sk, _) = keys();
        let app = sk.rsplit_once('#').unwrap().0.to_owned() + "#app";
        let fact = AllotmentFact::change(
            &pk,
            &app,
            &item(&[("protect", "1")]),
            &item(&[("protect", "2")]),
            "1",
            Utc::now(),
        )
        .unwrap();
        assert_eq!((fact.channel_id, fact.protect), (None, Some(2)));
        let waiting = format!("WAITLIST#{}", VendorId::generate());
        let any = item(&[("allot", "1")]);
        assert_eq!(
            AllotmentFact::change(&waiting, &sk, &Item::default(), &any, "1", Utc::now()),
            None
        );
    }
}
