use super::*;
use crate::domain::booking::BookingAction;
use crate::events::fixtures::{hold, moved, room_type, vendor};
use crate::events::{booking_event, rating_event, resource_event, vendor_event};
use chrono::TimeZone;

fn at(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap() + Duration::days(days)
}

fn change(version: u64) -> Change {
    let booking = crate::domain::ids::BookingId::generate();
    Change {
        kind: ChangeKind::Booking,
        aggregate_id: booking.to_string(),
        version,
        detail_type: "BookingHeld".into(),
        event_id: EventId::for_booking(booking, version),
        occurred_at: at(0),
        detail: serde_json::json!({}),
    }
}

fn unit_change() -> Change {
    Change {
        kind: ChangeKind::Unit,
        ..change(1)
    }
}

async fn recorded(feed: &Feed<MemoryFeed>, vendor: VendorId, n: usize, day: i64) {
    for _ in 0..n {
        feed.record(vendor, change(1), at(day)).await.unwrap();
    }
}

fn positions(changes: &Changes) -> Vec<u64> {
    changes.changes.iter().map(|e| e.position.get()).collect()
}

async fn read(
    feed: &Feed<MemoryFeed>,
    vendor: VendorId,
    after: u64,
    limit: usize,
    day: i64,
) -> Result<Changes, FeedError> {
    feed.changes(
        vendor,
        Position::new(after),
        limit,
        Audience::Everything,
        at(day),
    )
    .await
}

#[test]
fn a_cursor_is_its_position_zero_padded_and_reads_back_to_it() {
    for value in [0, 1, 42, u64::MAX] {
        let position = Position::new(value);
        let cursor = position.cursor();
        assert_eq!(cursor.len(), 20);
        assert_eq!(Position::from_cursor(&cursor), Some(position));
    }
    assert!(Position::new(9).cursor() < Position::new(10).cursor());
    assert_eq!(Position::from_cursor("7"), Some(Position::new(7)));
    for bad in [
        "",
        "-1",
        "1.5",
        "abc",
        " 1",
        "184467440737095516160",
        "99999999999999999999",
    ] {
        assert_eq!(Position::from_cursor(bad), None, "{bad:?}");
    }
}

#[tokio::test]
async fn each_fact_takes_the_next_position_and_a_repeat_takes_none() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    let first = change(1);

    let taken = [
        feed.record(vendor, first.clone(), at(0)).await.unwrap(),
        feed.record(vendor, change(1), at(0)).await.unwrap(),
        feed.record(vendor, first, at(0)).await.unwrap(),
        feed.record(VendorId::generate(), change(1), at(0))
            .await
            .unwrap(),
    ];

    assert_eq!(
        taken,
        [
            Some(Position::new(1)),
            Some(Position::new(2)),
            None,
            Some(Position::new(1))
        ]
    );
    assert_eq!(feed.log.head(vendor).await.unwrap(), Position::new(2));
}

/// A log whose head another writer takes just before our first append.
struct Raced {
    log: MemoryFeed,
    raced: std::sync::atomic::AtomicBool,
}

impl ChangeLog for Raced {
    async fn head(&self, vendor: VendorId) -> anyhow::Result<Position> {
        self.log.head(vendor).await
    }

    async fn append(
        &self,
        vendor: VendorId,
        expected: Position,
        entry: &FeedEntry,
    ) -> anyhow::Result<Appended> {
        if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let rival = FeedEntry {
                change: change(1),
                ..entry.clone()
            };
            assert_eq!(
                self.log.append(vendor, expected, &rival).await?,
                Appended::Appended
            );
        }
        self.log.append(vendor, expected, entry).await
    }

    async fn read(&self, vendor: VendorId, after: Position, limit: usize) -> anyhow::Result<Slice> {
        self.log.read(vendor, after, limit).await
    }
}

#[tokio::test]
async fn a_writer_that_loses_the_position_takes_the_next_one() {
    let feed = Feed::new(Raced {
        log: MemoryFeed::default(),
        raced: false.into(),
    });
    let vendor = VendorId::generate();
    let mine = change(1);

    let taken = feed.record(vendor, mine.clone(), at(0)).await.unwrap();

    assert_eq!(taken, Some(Position::new(2)));
    let all = feed
        .changes(vendor, Position::START, 10, Audience::Everything, at(0))
        .await
        .unwrap();
    assert_eq!(positions(&all), [1, 2]);
    assert_eq!(all.changes[1].change, mine);
}

#[test]
fn appending_needs_the_expected_head_and_its_next_position() {
    let log = MemoryFeed::default();
    let vendor = VendorId::generate();
    let entry = |p: u64| FeedEntry {
        position: Position::new(p),
        change: change(1),
        recorded_at: at(0),
    };
    futures::executor::block_on(async {
        assert_eq!(
            log.append(vendor, Position::new(0), &entry(2))
                .await
                .unwrap(),
            Appended::HeadMoved
        );
        assert_eq!(
            log.append(vendor, Position::new(0), &entry(1))
                .await
                .unwrap(),
            Appended::Appended
        );
        assert_eq!(
            log.append(vendor, Position::new(0), &entry(1))
                .await
                .unwrap(),
            Appended::HeadMoved
        );
        assert_eq!(log.head(vendor).await.unwrap(), Position::new(1));
    });
}

#[tokio::test]
async fn a_reader_gets_what_came_after_its_cursor_in_order_and_the_cursor_to_pass_next() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    recorded(&feed, vendor, 5, 0).await;

    let first = read(&feed, vendor, 0, 2, 0).await.unwrap();
    let second = read(&feed, vendor, first.next.get(), 10, 0).await.unwrap();
    let nothing_new = read(&feed, vendor, second.next.get(), 10, 0).await.unwrap();

    assert_eq!((positions(&first), first.next.get()), (vec![1, 2], 2));
    assert_eq!((positions(&second), second.next.get()), (vec![3, 4, 5], 5));
    assert_eq!(
        (positions(&nothing_new), nothing_new.next.get()),
        (vec![], 5)
    );
}

#[tokio::test]
async fn an_empty_feed_answers_nothing_from_the_start_and_refuses_any_later_cursor() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();

    let empty = read(&feed, vendor, 0, 10, 0).await.unwrap();
    let later = read(&feed, vendor, 1, 10, 0).await;

    assert_eq!((empty.changes.len(), empty.next), (0, Position::START));
    assert!(matches!(later, Err(FeedError::UnknownCursor)), "{later:?}");
}

#[tokio::test]
async fn a_cursor_past_the_last_position_is_not_of_this_feed() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    recorded(&feed, vendor, 3, 0).await;

    let past = read(&feed, vendor, 4, 10, 0).await;

    assert!(matches!(past, Err(FeedError::UnknownCursor)), "{past:?}");
}

#[tokio::test]
async fn a_cursor_whose_following_entries_expired_is_gone_with_the_head_to_follow_after_reloading()
{
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    recorded(&feed, vendor, 3, 0).await;
    recorded(&feed, vendor, 2, 5).await;
    let day = RETENTION_DAYS + 1;

    // Expired but not deleted yet (TTL runs late), then deleted.
    let before_ttl = read(&feed, vendor, 1, 10, day).await;
    feed.log.delete_expired(at(day));
    let after_ttl = read(&feed, vendor, 1, 10, day).await;
    let at_the_edge = read(&feed, vendor, 3, 10, day).await.unwrap();

    for gone in [before_ttl, after_ttl] {
        assert!(
            matches!(gone, Err(FeedError::Gone { head }) if head == Position::new(5)),
            "{gone:?}"
        );
    }
    assert_eq!(positions(&at_the_edge), [4, 5]);
}

#[tokio::test]
async fn without_a_cursor_a_reader_starts_at_the_oldest_entry_still_kept() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    recorded(&feed, vendor, 4, 0).await;
    recorded(&feed, vendor, 2, 5).await;
    let day = RETENTION_DAYS + 1;

    // Two expired entries per page before TTL deletes them: the read goes on past them.
    let before_ttl = read(&feed, vendor, 0, 2, day).await.unwrap();
    feed.log.delete_expired(at(day));
    let after_ttl = read(&feed, vendor, 0, 2, day).await.unwrap();
    let everything_expired = read(&feed, vendor, 0, 2, day + 10).await.unwrap();

    assert_eq!(
        (positions(&before_ttl), before_ttl.next.get()),
        (vec![5, 6], 6)
    );
    assert_eq!(
        (positions(&after_ttl), after_ttl.next.get()),
        (vec![5, 6], 6)
    );
    assert_eq!(everything_expired.changes.len(), 0);
}

#[tokio::test]
async fn housekeeping_sees_units_only_and_still_moves_past_the_rest() {
    let feed = Feed::new(MemoryFeed::default());
    let vendor = VendorId::generate();
    recorded(&feed, vendor, 2, 0).await;
    feed.record(vendor, unit_change(), at(0)).await.unwrap();
    recorded(&feed, vendor, 1, 0).await;

    let units = feed
        .changes(vendor, Position::START, 10, Audience::UnitsOnly, at(0))
        .await
        .unwrap();

    assert_eq!((positions(&units), units.next.get()), (vec![3], 4));
}

#[test]
fn booking_and_resource_facts_are_in_the_feed_and_the_profile_and_rating_are_not() {
    let held = hold();
    let confirmed = moved(&held, BookingAction::Confirm);
    let booking = crate::events::Event::from(booking_event(Some(&held), Some(&confirmed)).unwrap());
    let resource = crate::events::Event::from(resource_event(None, Some(&room_type())).unwrap());
    let profile = crate::events::Event::from(vendor_event(None, Some(&vendor())).unwrap());
    let rating = crate::events::Event::from(
        rating_event(None, Some(&crate::events::fixtures::rating(5, 1, 0))).unwrap(),
    );

    let (vendor_id, entry) = Change::of(&booking).unwrap().unwrap();
    let (resource_vendor, resource_entry) = Change::of(&resource).unwrap().unwrap();

    assert_eq!(vendor_id, confirmed.vendor_id);
    assert_eq!(entry.kind, ChangeKind::Booking);
    assert_eq!(entry.aggregate_id, confirmed.id.to_string());
    assert_eq!(entry.version, confirmed.version);
    assert_eq!(entry.detail_type, "BookingConfirmed");
    assert_eq!(entry.occurred_at, confirmed.updated_at);
    assert_eq!(entry.detail, booking.detail().unwrap());
    assert_eq!(resource_vendor, room_type().vendor_id);
    assert_eq!(resource_entry.kind, ChangeKind::Resource);
    assert_eq!(Change::of(&profile).unwrap(), None);
    assert_eq!(Change::of(&rating).unwrap(), None);
}

#[test]
fn an_entry_reads_as_clients_see_it() {
    let entry = FeedEntry {
        position: Position::new(7),
        change: change(3),
        recorded_at: at(0),
    };

    let json = serde_json::to_value(&entry).unwrap();

    assert_eq!(json["position"], "00000000000000000007");
    assert_eq!(json["kind"], "booking");
    assert_eq!(json["version"], 3);
    assert_eq!(json["detail_type"], "BookingHeld");
    assert_eq!(serde_json::from_value::<FeedEntry>(json).unwrap(), entry);
}
