//! Group commit: the appends of this process to one vendor's log that arrive while a
//! transaction for that log is in flight wait, and the next transaction carries them together
//! (one head update, one marker; each leaf, carrying its nodes, with its own fact guard).
use crate::audit::{Appended, AuditError};
use crate::domain::ids::BookingId;
use crate::events::EventId;
use std::collections::VecDeque;
use tokio::sync::oneshot;

/// Leaves in one transaction at most: enough to keep up with many concurrent callers, few
/// enough that one refused condition costs little.
pub(super) const GROUP_LEAVES: usize = 12;
/// DynamoDB's limit of items in one TransactWriteItems.
pub(super) const TRANSACTION_ITEMS: usize = 100;
/// The head update and the grown marker: once per transaction.
const SHARED_ITEMS: usize = 2;

/// An append waiting for its group's transaction, and where its answer goes.
pub(super) struct Waiting {
    pub booking: BookingId,
    pub fact: EventId,
    pub leaf: Vec<u8>,
    pub reply: oneshot::Sender<Result<Appended, AuditError>>,
}

/// The items a leaf writes: the leaf (with the perfect nodes it completes) and its fact guard.
const LEAF_ITEMS: usize = 2;

/// Takes the next group from the front of `queue`, in arrival order: up to `GROUP_LEAVES`,
/// skipping a fact already in the group (one transaction cannot write a guard twice; the
/// repeat waits for the next group, where its guard answers its index).
pub(super) fn take_group<T>(queue: &mut VecDeque<T>, fact: impl Fn(&T) -> EventId) -> Vec<T> {
    let mut group: Vec<T> = Vec::new();
    let mut later = VecDeque::new();
    while group.len() < GROUP_LEAVES {
        let Some(next) = queue.pop_front() else {
            break;
        };
        if group.iter().any(|taken| fact(taken) == fact(&next)) {
            later.push_back(next);
        } else {
            group.push(next);
        }
    }
    while let Some(back) = later.pop_back() {
        queue.push_front(back);
    }
    group
}

// Every group fits one transaction.
const _: () = assert!(SHARED_ITEMS + GROUP_LEAVES * LEAF_ITEMS <= TRANSACTION_ITEMS);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: usize) -> Vec<EventId> {
        (0..n)
            .map(|_| EventId::for_booking(BookingId::generate(), 1))
            .collect()
    }

    #[test]
    fn a_group_takes_at_most_twelve_in_arrival_order_and_leaves_the_rest_queued() {
        let all = facts(30);
        let mut queue: VecDeque<EventId> = all.iter().copied().collect();

        let first = take_group(&mut queue, |f| *f);
        let second = take_group(&mut queue, |f| *f);
        let third = take_group(&mut queue, |f| *f);

        assert_eq!(first, all[..12]);
        assert_eq!(second, all[12..24]);
        assert_eq!(third, all[24..]);
        assert!(queue.is_empty());
        assert!(take_group(&mut queue, |f: &EventId| *f).is_empty());
    }

    #[test]
    fn a_fact_twice_in_the_queue_goes_once_per_group_and_the_repeat_keeps_its_place() {
        let all = facts(4);
        let mut queue: VecDeque<EventId> = [all[0], all[1], all[0], all[2], all[0], all[3]]
            .into_iter()
            .collect();

        let first = take_group(&mut queue, |f| *f);
        let second = take_group(&mut queue, |f| *f);
        let third = take_group(&mut queue, |f| *f);

        assert_eq!(first, [all[0], all[1], all[2], all[3]]);
        assert_eq!(second, [all[0]]);
        assert_eq!(third, [all[0]]);
        assert!(queue.is_empty());
    }
}
