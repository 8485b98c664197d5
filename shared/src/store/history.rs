//! A guest's or vendor's bookings as one list over two sources sorted the same way (live
//! bookings, archived ones; both by `<arrival UTC>#<booking id>`), paged with a cursor that is a
//! position in that order rather than either source's own key.
//!
//! Each source reads the window after the cursor with DynamoDB's `Limit`, which applies before
//! the status filter, so a source with more to read has examined exactly up to its last
//! evaluated key. A page holds only what every such source has examined, merged; it may come
//! back short (even empty, with a cursor) when the filter drops what was read.
use super::archive::{POSITION_TIME, parse_list_position};
use super::bookings::{BookingOwner, BookingPage, BookingQuery, ListError};
use crate::domain::booking::BookingStatus;
use std::future::Future;

/// A run of one source's list, in sort order: sort keys from `lower` to `upper`, both inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) lower: String,
    pub(crate) upper: String,
    pub(crate) statuses: Vec<BookingStatus>,
    pub(crate) limit: i32,
}

/// What a source read of a window: the items that passed the filter, with their sort keys, and
/// how far it got when it stopped before the end of the window (`None`: it read all of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourcePage<T> {
    pub(crate) items: Vec<(String, T)>,
    pub(crate) examined_to: Option<String>,
}

/// One side of the list.
pub(crate) trait SortedSource: Send + Sync {
    type Item: Send;
    fn read(
        &self,
        window: &Window,
    ) -> impl Future<Output = anyhow::Result<SourcePage<Self::Item>>> + Send;
}

/// The sort key bounds of a date range: the bare instants sort before any booking arriving at
/// them (`<instant>#<id>`), so `to` is exclusive in effect.
pub(super) fn range(query: &BookingQuery) -> (String, String) {
    let bound = |at: Option<chrono::DateTime<chrono::Utc>>, default: &str| {
        at.map(|at| at.format(POSITION_TIME).to_string())
            .unwrap_or_else(|| default.to_owned())
    };
    (bound(query.from, "0"), bound(query.to, "~"))
}

/// A position as an opaque, URL-safe token that names the list it belongs to.
fn encode_cursor(list: &str, after: &str) -> Option<String> {
    use base64::Engine;
    let json = serde_json::to_vec(&Cursor {
        list: list.to_owned(),
        after: after.to_owned(),
    })
    .ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    list: String,
    after: String,
}

/// The position a cursor stands for, if it is well formed, from this very list (a cursor of
/// someone else's list must not open a window onto it), a position as the lists write them,
/// and inside the range asked for now: at or after `from`, strictly before `to`, so the window
/// after it is never empty (DynamoDB refuses a BETWEEN whose lower bound is above its upper).
fn decode_cursor(cursor: &str, list: &str, (from, to): (&str, &str)) -> Option<String> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let cursor: Cursor = serde_json::from_slice(&json).ok()?;
    let after = cursor.after.as_str();
    (cursor.list == list && parse_list_position(after).is_some() && after >= from && after < to)
        .then_some(cursor.after)
}

/// The list's key: whose list a cursor was given out for.
pub(super) fn list_key(owner: BookingOwner) -> String {
    match owner {
        BookingOwner::Guest(id) => format!("GUEST#{id}"),
        BookingOwner::Vendor(id) => format!("VENDOR#{id}"),
    }
}

/// One page of the list over `first` and `second`; on a sort key both hold (a booking caught
/// between the two while it moves, as the indexes catch up), `first`'s item is kept.
pub(crate) async fn merged_page<T, A, B>(
    owner: BookingOwner,
    query: &BookingQuery,
    first: &A,
    second: &B,
) -> Result<BookingPage<T>, ListError>
where
    T: Send,
    A: SortedSource<Item = T>,
    B: SortedSource<Item = T>,
{
    let list = list_key(owner);
    let (from, to) = range(query);
    let lower = match &query.cursor {
        None => from,
        // Every sort key has the same length, so none lies between a key and the key with a
        // character added: this is the first key after the cursor's.
        Some(cursor) => format!(
            "{} ",
            decode_cursor(cursor, &list, (&from, &to)).ok_or(ListError::BadCursor)?
        ),
    };
    let window = Window {
        lower,
        upper: to,
        statuses: query.statuses.clone(),
        limit: query.limit,
    };
    let (a, b) = futures::try_join!(first.read(&window), second.read(&window))?;
    let (items, after) = merge(vec![a, b], usize::try_from(query.limit).unwrap_or(1).max(1));
    Ok(BookingPage {
        items: items.into_iter().map(|(_, item)| item).collect(),
        next_cursor: after.and_then(|after| encode_cursor(&list, &after)),
    })
}

/// Merges the sources' reads into at most `limit` items in sort order, and where the next page
/// starts after (`None` when every source is exhausted and every item fit).
pub(crate) fn merge<T>(
    pages: Vec<SourcePage<T>>,
    limit: usize,
) -> (Vec<(String, T)>, Option<String>) {
    // Beyond the least far any unfinished source got, another item of that source may still come.
    let examined = pages.iter().filter_map(|p| p.examined_to.clone()).min();
    let mut items: Vec<(String, T)> = pages.into_iter().flat_map(|p| p.items).collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.dedup_by(|later, earlier| later.0 == earlier.0);
    if let Some(examined) = &examined {
        items.retain(|(key, _)| key <= examined);
    }
    if items.len() > limit {
        items.truncate(limit);
        let last = items.last().map(|(key, _)| key.clone());
        return (items, last);
    }
    (items, examined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use serde_json::json;

    /// A source as DynamoDB serves a sorted index: `limit` entries examined from the window's
    /// start, then the status filter.
    struct InMemory(Vec<(String, BookingStatus)>);

    impl SortedSource for InMemory {
        type Item = String;

        async fn read(&self, window: &Window) -> anyhow::Result<SourcePage<String>> {
            let mut sorted = self.0.clone();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let in_window: Vec<_> = sorted
                .into_iter()
                .filter(|(key, _)| *key >= window.lower && *key <= window.upper)
                .collect();
            let limit = usize::try_from(window.limit).unwrap_or(0);
            let examined: Vec<_> = in_window.iter().take(limit).cloned().collect();
            let examined_to = (in_window.len() >= limit && limit > 0)
                .then(|| examined.last().map(|(key, _)| key.clone()))
                .flatten();
            Ok(SourcePage {
                items: examined
                    .into_iter()
                    .filter(|(_, status)| {
                        window.statuses.is_empty() || window.statuses.contains(status)
                    })
                    .map(|(key, _)| (key.clone(), key))
                    .collect(),
                examined_to,
            })
        }
    }

    /// A position as the lists write it; the booking id spells `tag` (up to 6 bytes) in hex.
    fn key(day: u32, tag: &str) -> String {
        let hex: String = tag.bytes().map(|b| format!("{b:02x}")).collect();
        format!("2027-01-{day:02}T15:00:00Z#00000000-0000-7000-8000-{hex:0>12}")
    }

    fn query(limit: i32, statuses: &[BookingStatus], cursor: Option<String>) -> BookingQuery {
        BookingQuery {
            from: None,
            to: None,
            statuses: statuses.to_vec(),
            limit,
            cursor,
        }
    }

    /// Every item of the list, page by page; panics if a walk does not end.
    async fn walk(
        owner: BookingOwner,
        live: &InMemory,
        archived: &InMemory,
        limit: i32,
        statuses: &[BookingStatus],
    ) -> Vec<String> {
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..200 {
            let page = merged_page(owner, &query(limit, statuses, cursor), live, archived)
                .await
                .unwrap();
            assert!(page.items.len() <= usize::try_from(limit).unwrap());
            seen.extend(page.items);
            match page.next_cursor {
                None => return seen,
                next => cursor = next,
            }
        }
        panic!("the walk did not end")
    }

    use BookingStatus::*;

    fn interleaved() -> (InMemory, InMemory, Vec<String>) {
        let statuses = [Confirmed, Cancelled, Held, Completed, NoShow, Expired];
        let (mut live, mut archived, mut all) = (Vec::new(), Vec::new(), Vec::new());
        for day in 1..=24u32 {
            let entry = (key(day, &format!("b{day:02}")), statuses[day as usize % 6]);
            all.push(entry.clone());
            // Runs of each side, and single items in between.
            if day % 5 == 0 || (8..=13).contains(&day) {
                archived.push(entry);
            } else {
                live.push(entry);
            }
        }
        let expected = all.iter().map(|(key, _)| key.clone()).collect();
        (InMemory(live), InMemory(archived), expected)
    }

    #[tokio::test]
    async fn every_limit_walks_both_sources_once_each_in_sort_order() {
        let (live, archived, expected) = interleaved();
        let owner = BookingOwner::Guest(UserId::generate());

        for limit in [1, 2, 3, 5, 7, 24, 100] {
            let seen = walk(owner, &live, &archived, limit, &[]).await;

            assert_eq!(seen, expected, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn a_status_filter_applies_to_both_sources_and_still_walks_every_match_once() {
        let (live, archived, _) = interleaved();
        let owner = BookingOwner::Guest(UserId::generate());
        let wanted = [Cancelled, NoShow];
        let mut expected: Vec<String> = live
            .0
            .iter()
            .chain(&archived.0)
            .filter(|(_, status)| wanted.contains(status))
            .map(|(key, _)| key.clone())
            .collect();
        expected.sort();

        for limit in [1, 2, 4, 100] {
            let seen = walk(owner, &live, &archived, limit, &wanted).await;

            assert_eq!(seen, expected, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn a_booking_on_both_sides_while_it_moves_is_listed_once() {
        let shared = (key(3, "moving"), Completed);
        let live = InMemory(vec![(key(1, "a"), Held), shared.clone()]);
        let archived = InMemory(vec![shared, (key(5, "z"), Cancelled)]);
        let owner = BookingOwner::Guest(UserId::generate());

        for limit in [1, 2, 10] {
            let seen = walk(owner, &live, &archived, limit, &[]).await;

            assert_eq!(
                seen,
                [key(1, "a"), key(3, "moving"), key(5, "z")],
                "limit {limit}"
            );
        }
    }

    #[tokio::test]
    async fn one_empty_side_leaves_the_other_paged_as_before() {
        let live = InMemory((1..=5).map(|d| (key(d, "x"), Confirmed)).collect());
        let empty = InMemory(Vec::new());
        let owner = BookingOwner::Guest(UserId::generate());

        let first = merged_page(owner, &query(2, &[], None), &live, &empty)
            .await
            .unwrap();
        let both_empty = merged_page(owner, &query(2, &[], None), &empty, &empty)
            .await
            .unwrap();

        assert_eq!(first.items, [key(1, "x"), key(2, "x")]);
        assert!(first.next_cursor.is_some());
        assert!(both_empty.items.is_empty());
        assert_eq!(both_empty.next_cursor, None);
        assert_eq!(walk(owner, &empty, &live, 2, &[]).await.len(), 5);
    }

    #[tokio::test]
    async fn a_cursor_of_another_list_or_outside_the_range_is_refused() {
        let live = InMemory((1..=4).map(|d| (key(d, "x"), Confirmed)).collect());
        let empty = InMemory(Vec::new());
        let (mine, theirs) = (
            BookingOwner::Guest(UserId::generate()),
            BookingOwner::Guest(UserId::generate()),
        );
        let page = merged_page(theirs, &query(1, &[], None), &live, &empty)
            .await
            .unwrap();
        let cursor = page.next_cursor.unwrap();
        let mut later = query(1, &[], Some(cursor.clone()));
        later.from = Some("2027-01-03T00:00:00Z".parse().unwrap());

        let foreign = merged_page(mine, &query(1, &[], Some(cursor.clone())), &live, &empty).await;
        let outside = merged_page(theirs, &later, &live, &empty).await;
        let made_up = merged_page(
            mine,
            &query(1, &[], Some("eyJhIjoiYiJ9".into())),
            &live,
            &empty,
        )
        .await;

        assert!(matches!(foreign, Err(ListError::BadCursor)));
        assert!(matches!(outside, Err(ListError::BadCursor)));
        assert!(matches!(made_up, Err(ListError::BadCursor)));
    }

    fn crafted(list: &str, after: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"list": list, "after": after}).to_string())
    }

    #[tokio::test]
    async fn a_crafted_cursor_at_the_end_of_the_range_or_not_a_position_is_refused() {
        let live = InMemory((1..=4).map(|d| (key(d, "x"), Confirmed)).collect());
        let empty = InMemory(Vec::new());
        let owner = BookingOwner::Guest(UserId::generate());
        let list = list_key(owner);
        let to = "2027-01-03T00:00:00Z";
        let in_range = |cursor: String| {
            let mut query = query(2, &[], Some(cursor));
            query.to = Some(to.parse().unwrap());
            query
        };
        let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

        for (cursor, ranged) in [
            (crafted(&list, "~"), false),
            (crafted(&list, "~"), true),
            (crafted(&list, to), true),
            (crafted(&list, &format!("{to}#{id}")), true),
            (crafted(&list, "2027-01-01T15:00:00Z"), false),
            (crafted(&list, "2027-01-01T15:00:00Z#"), false),
            (crafted(&list, "2027-01-01T15:00:00Z#not-an-id"), false),
            (crafted(&list, &format!("2027-01-01T15:00:00#{id}")), false),
            (crafted(&list, &format!("2027-1-01T15:00:00Z#{id}")), false),
            (
                crafted(
                    &list,
                    &format!("2027-01-01T15:00:00Z#{}", id.to_uppercase()),
                ),
                false,
            ),
            (crafted(&list, &format!("2027-02-30T15:00:00Z#{id}")), false),
            (
                crafted(&list, &format!("2027-01-01T15:00:00Z#{id}#{id}")),
                false,
            ),
        ] {
            let query = if ranged {
                in_range(cursor.clone())
            } else {
                query(2, &[], Some(cursor.clone()))
            };

            let page = merged_page(owner, &query, &live, &empty).await;

            assert!(
                matches!(page, Err(ListError::BadCursor)),
                "{cursor} (to: {ranged}): {:?}",
                page.map(|p| p.items)
            );
        }
    }

    #[tokio::test]
    async fn a_well_formed_cursor_just_before_the_end_of_the_range_reads_an_empty_last_page() {
        let live = InMemory((1..=4).map(|d| (key(d, "x"), Confirmed)).collect());
        let empty = InMemory(Vec::new());
        let owner = BookingOwner::Guest(UserId::generate());
        let mut query = query(2, &[], Some(crafted(&list_key(owner), &key(2, "x"))));
        query.to = Some("2027-01-03T00:00:00Z".parse().unwrap());

        let page = merged_page(owner, &query, &live, &empty).await.unwrap();

        assert!(page.items.is_empty());
        assert_eq!(page.next_cursor, None);
    }

    #[test]
    fn a_page_stops_where_the_least_advanced_unfinished_source_stopped() {
        let pages = vec![
            SourcePage {
                items: vec![("a1".to_owned(), 1), ("a5".to_owned(), 5)],
                examined_to: Some("a5".to_owned()),
            },
            SourcePage {
                items: vec![("a2".to_owned(), 2)],
                examined_to: Some("a3".to_owned()),
            },
        ];

        let (items, after) = merge(pages, 10);

        assert_eq!(items, [("a1".to_owned(), 1), ("a2".to_owned(), 2)]);
        assert_eq!(after.as_deref(), Some("a3"));
    }
}
