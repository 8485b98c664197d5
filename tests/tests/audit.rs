//! The audit log on the local stack (issue 19): the DynamoDB store under concurrent writers, and
//! a booking's life through the real backbone (the bookings stream -> the outbox publisher ->
//! LocalStack's bus -> the audit queue -> the consumer's inbox -> the vendor's log in the audit
//! table). The backbone test reads the shared bookings stream with a publisher of its own, so
//! `.config/nextest.toml` runs this binary one test at a time with the backbone tests.
use api_tests::{
    Account, Api, bookings_to_consumer, merged, resource_body, today_in, zone_at_noon,
};
use chrono::{Duration, NaiveDate};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::audit::{AuditLog, DynamoAudit};
use shared::domain::ids::{BookingId, VendorId};
use shared::events::EventId;
use std::collections::{BTreeSet, HashMap};

/// How long the facts may take to reach the log before the test gives up (about a second each;
/// a bound on a stuck test, not an assertion on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(90);

async fn audit_log() -> DynamoAudit {
    let sdk = shared::aws::sdk_config().await;
    DynamoAudit::from_env(&sdk).expect("AUDIT_TABLE is set: run via tests/run.sh")
}

/// Every perfect node (level 1 and up) stored for the vendor, read straight from the table: the
/// `nNN` attributes of its leaf items.
async fn stored_nodes(vendor: VendorId) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue;
    let sdk = shared::aws::sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = std::env::var("AUDIT_TABLE").expect("AUDIT_TABLE is set");
    let is_node = |name: &str| {
        name.len() == 3 && name.starts_with('n') && name[1..].bytes().all(|b| b.is_ascii_digit())
    };
    let mut count = 0;
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :leaf)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("LOG#{vendor}")))
            .expression_attribute_values(":leaf", AttributeValue::S("L#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("Query the audit table");
        for item in page.items.unwrap_or_default() {
            count += item.keys().filter(|name| is_node(name)).count();
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return count;
        }
    }
}

/// An inclusion proof for `index` against `size`, from the stored nodes.
async fn inclusion(log: &DynamoAudit, vendor: VendorId, index: u64, size: u64) -> Vec<tlog::Hash> {
    let plan = tlog::InclusionPlan::new(index, size).expect("a leaf of the tree");
    let ids = plan.nodes();
    let hashes = log.nodes(vendor, &ids).await.expect("the proof's nodes");
    let found: HashMap<_, _> = ids.into_iter().zip(hashes).collect();
    plan.build(|id| found.get(&id).copied())
        .expect("every node of the plan")
}

#[tokio::test]
async fn fifty_concurrent_appends_to_one_log_take_sizes_one_to_fifty_once_each_and_never_fork() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();
    const TASKS: u64 = 5;
    const EACH: u64 = 10;

    // Each writer with a store of its own, as separate Lambdas are: nothing but the table's
    // conditions keeps them apart.
    let writers = (0..TASKS).map(|task| {
        tokio::spawn(async move {
            let log = audit_log().await;
            let mut appended = Vec::new();
            for n in 0..EACH {
                let booking = BookingId::generate();
                let leaf = format!("task {task} fact {n} of {booking}").into_bytes();
                let at = log
                    .append(vendor, booking, EventId::for_booking(booking, 1), &leaf)
                    .await
                    .expect("the append lands, retrying a moved head");
                appended.push((at, leaf));
            }
            appended
        })
    });
    let appended: Vec<_> = join_all(writers)
        .await
        .into_iter()
        .flat_map(|task| task.expect("the writer finished"))
        .collect();

    assert_one_tree_of_each_append_once(&log, vendor, &appended).await;
}

/// Concurrent appends of one process to one log: they go in groups (one transaction each),
/// and each caller still gets its own index.
#[tokio::test]
async fn fifty_concurrent_appends_in_one_process_go_in_groups_and_each_takes_its_own_size() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();

    let appends = (0..50).map(|n| {
        let log = log.clone();
        async move {
            let booking = BookingId::generate();
            let leaf = format!("fact {n} of {booking}").into_bytes();
            let at = log
                .append(vendor, booking, EventId::for_booking(booking, 1), &leaf)
                .await
                .expect("the append lands in its group");
            (at, leaf)
        }
    });
    let appended = join_all(appends).await;

    assert_one_tree_of_each_append_once(&log, vendor, &appended).await;
}

/// Several processes (stores sharing nothing), each with many appends in flight: groups of
/// different stores race for the head, and the loser's group goes again from the new head.
#[tokio::test]
async fn fifty_concurrent_appends_from_five_stores_in_groups_never_fork() {
    api_tests::require_env();
    let vendor = VendorId::generate();
    let writers = (0..5).map(|task| {
        tokio::spawn(async move {
            let log = audit_log().await;
            let appends = (0..10).map(|n| {
                let log = log.clone();
                async move {
                    let booking = BookingId::generate();
                    let leaf = format!("store {task} fact {n} of {booking}").into_bytes();
                    let at = log
                        .append(vendor, booking, EventId::for_booking(booking, 1), &leaf)
                        .await
                        .expect("the group lands, retrying a moved head");
                    (at, leaf)
                }
            });
            join_all(appends).await
        })
    });
    let appended: Vec<_> = join_all(writers)
        .await
        .into_iter()
        .flat_map(|task| task.expect("the writer finished"))
        .collect();

    let log = audit_log().await;
    assert_one_tree_of_each_append_once(&log, vendor, &appended).await;
}

/// A group with a fact already in the log (and the same fact twice): that fact answers its old
/// index, the others of the group are appended after it, each once.
#[tokio::test]
async fn a_group_with_an_already_logged_fact_answers_its_old_index_and_appends_the_others() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();
    let logged = BookingId::generate();
    let fact = EventId::for_booking(logged, 1);
    let first = log.append(vendor, logged, fact, b"logged").await.unwrap();
    assert_eq!(first.index, 0);

    // A store that shares nothing with the first: its group starts from the head it reads.
    let other = log.clone_without_heads();
    let fresh: Vec<BookingId> = (0..4).map(|_| BookingId::generate()).collect();
    let appends = [
        (
            fresh[0],
            EventId::for_booking(fresh[0], 1),
            b"fresh 0".to_vec(),
        ),
        (logged, fact, b"logged".to_vec()),
        (
            fresh[1],
            EventId::for_booking(fresh[1], 1),
            b"fresh 1".to_vec(),
        ),
        (logged, fact, b"logged".to_vec()),
        (
            fresh[2],
            EventId::for_booking(fresh[2], 1),
            b"fresh 2".to_vec(),
        ),
        (
            fresh[3],
            EventId::for_booking(fresh[3], 1),
            b"fresh 3".to_vec(),
        ),
    ]
    .map(|(booking, fact, leaf)| {
        let other = other.clone();
        async move { other.append(vendor, booking, fact, &leaf).await }
    });
    let answers: Vec<_> = join_all(appends)
        .await
        .into_iter()
        .map(|answer| answer.expect("every append is answered"))
        .collect();

    assert_eq!(
        (answers[1].index, answers[3].index),
        (0, 0),
        "the old index"
    );
    let mut fresh_indexes: Vec<u64> = [0, 2, 4, 5].iter().map(|&i| answers[i].index).collect();
    fresh_indexes.sort_unstable();
    assert_eq!(
        fresh_indexes,
        [1, 2, 3, 4],
        "the others after it, each once"
    );
    let head = log.head(vendor).await.unwrap().expect("a head");
    assert_eq!(head.size, 5, "the logged fact is not appended again");
    assert_eq!(log.booking_leaves(logged).await.unwrap(), [(vendor, 0)]);
    for (i, booking) in fresh.iter().enumerate() {
        let at = answers[[0, 2, 4, 5][i]].index;
        assert_eq!(log.booking_leaves(*booking).await.unwrap(), [(vendor, at)]);
        let leaf = log.leaf(vendor, at).await.unwrap().expect("the leaf");
        assert_eq!(leaf, format!("fresh {i}").into_bytes());
    }
    assert_eq!(
        log.leaf(vendor, 0).await.unwrap().as_deref(),
        Some(&b"logged"[..])
    );
}

/// Each append got its own size, 1..=n with no gap; the stored leaves in index order are
/// exactly what each writer was told; a plain Merkle tree of them has the head's root (one
/// tree, no fork); proofs from the stored nodes verify; and every perfect node is stored once.
async fn assert_one_tree_of_each_append_once(
    log: &DynamoAudit,
    vendor: VendorId,
    appended: &[(shared::audit::Appended, Vec<u8>)],
) {
    let total = appended.len() as u64;
    let sizes: BTreeSet<u64> = appended.iter().map(|(at, _)| at.head.size).collect();
    assert_eq!(sizes, (1..=total).collect(), "each size once, no gap");
    assert!(appended.iter().all(|(at, _)| at.head.size == at.index + 1));
    let head = log.head(vendor).await.unwrap().expect("a head");
    assert_eq!(head.size, total);
    let told: HashMap<u64, &Vec<u8>> = appended.iter().map(|(at, l)| (at.index, l)).collect();
    let mut tree = tlog::MemoryTree::new();
    for index in 0..total {
        let leaf = log.leaf(vendor, index).await.unwrap().expect("no gap");
        assert_eq!(
            Some(&&leaf),
            told.get(&index).as_ref().map(|l| *l),
            "leaf {index}"
        );
        tree.push(&leaf).unwrap();
        // Each head a writer was told is a root of the same tree at its size.
        let (at, _) = appended
            .iter()
            .find(|(at, _)| at.index == index)
            .expect("each index told once");
        assert_eq!(tree.root(), at.head.root, "the head told with leaf {index}");
    }
    assert_eq!(tree.root(), head.root);
    for index in [0, 17, total - 1] {
        let leaf = log.leaf(vendor, index).await.unwrap().expect("a leaf");
        let proof = inclusion(log, vendor, index, head.size).await;
        tlog::verify_inclusion(
            &tlog::leaf_hash(&leaf),
            index,
            head.size,
            &proof,
            &head.root,
        )
        .expect("the leaf is included");
    }
    // Items written: per transaction the head and the marker; per leaf the leaf (carrying the
    // perfect nodes it completes: n - popcount(n) in all) and its fact guard.
    let nodes = stored_nodes(vendor).await;
    assert_eq!(nodes as u64, total - u64::from(total.count_ones()));
}

#[tokio::test]
async fn a_writer_whose_last_head_is_stale_appends_after_the_other_writers_leaf() {
    api_tests::require_env();
    let (first, second) = (audit_log().await, audit_log().await);
    let vendor = VendorId::generate();
    let mut leaves = Vec::new();
    let mut append = async |log: &DynamoAudit, leaf: &[u8]| {
        let booking = BookingId::generate();
        leaves.push(leaf.to_vec());
        log.append(vendor, booking, EventId::for_booking(booking, 1), leaf)
            .await
            .expect("the append lands")
            .index
    };

    // The first writer remembers the head of size 1; the second moves it on behind its back.
    let indexes = [
        append(&first, b"one").await,
        append(&second, b"two").await,
        append(&first, b"three").await,
    ];

    assert_eq!(indexes, [0, 1, 2]);
    let mut tree = tlog::MemoryTree::new();
    for leaf in &leaves {
        tree.push(leaf).unwrap();
    }
    let head = second.head(vendor).await.unwrap().expect("a head");
    assert_eq!((head.size, head.root), (3, tree.root()));
    assert_eq!(
        second.leaf(vendor, 2).await.unwrap().as_deref(),
        Some(&b"three"[..])
    );
}

#[tokio::test]
async fn a_fact_appended_twice_keeps_its_first_index_and_the_log_does_not_grow() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();
    let booking = BookingId::generate();
    let fact = EventId::for_booking(booking, 1);
    let first = log.append(vendor, booking, fact, b"held").await.unwrap();
    let other = BookingId::generate();
    log.append(vendor, other, EventId::for_booking(other, 1), b"other")
        .await
        .unwrap();

    let again = log.append(vendor, booking, fact, b"held").await.unwrap();

    assert_eq!((first.index, again.index), (0, 0));
    assert_eq!(again.head.size, 2);
    assert_eq!(log.booking_leaves(booking).await.unwrap(), [(vendor, 0)]);
    assert_eq!(
        log.commitment_secret(booking).await.unwrap().to_base64(),
        log.commitment_secret(booking).await.unwrap().to_base64(),
        "a booking's secret is made once"
    );
}

#[tokio::test]
async fn a_vendor_stays_grown_until_a_checkpoint_of_its_whole_tree_is_stored() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();
    for n in 0..3u8 {
        let booking = BookingId::generate();
        log.append(vendor, booking, EventId::for_booking(booking, 1), &[n])
            .await
            .unwrap();
    }
    let grown_size = |grown: Vec<(VendorId, shared::audit::TreeHead)>| {
        grown
            .into_iter()
            .find(|(v, _)| *v == vendor)
            .map(|(_, head)| head.size)
    };
    let now = chrono::Utc::now();

    assert_eq!(grown_size(log.grown(10_000).await.unwrap()), Some(3));
    assert!(log.store_checkpoint(vendor, 2, "two", now).await.unwrap());
    assert_eq!(grown_size(log.grown(10_000).await.unwrap()), Some(3));
    assert!(
        !log.store_checkpoint(vendor, 2, "two again", now)
            .await
            .unwrap()
    );
    assert!(log.store_checkpoint(vendor, 3, "three", now).await.unwrap());
    assert_eq!(grown_size(log.grown(10_000).await.unwrap()), None);
    assert!(matches!(
        log.store_checkpoint(vendor, 4, "four", now).await,
        Err(shared::audit::AuditError::BeyondHead { size: 4, head: 3 })
    ));
    let latest = log.checkpoint(vendor, None).await.unwrap().expect("stored");
    assert_eq!((latest.size, latest.note.as_str()), (3, "three"));
    assert_eq!(
        log.checkpoint(vendor, Some(2))
            .await
            .unwrap()
            .map(|c| c.note),
        Some("two".to_owned())
    );
}

#[tokio::test]
async fn a_stored_checkpoint_marks_its_vendor_for_the_witness_until_one_no_older_is_witnessed() {
    api_tests::require_env();
    let log = audit_log().await;
    let vendor = VendorId::generate();
    for n in 0..3u8 {
        let booking = BookingId::generate();
        log.append(vendor, booking, EventId::for_booking(booking, 1), &[n])
            .await
            .unwrap();
    }
    // Every vendor's markers, as the witness reads them (by Query of the 16 partitions).
    let marked = || async {
        log.unwitnessed(usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .find_map(|(v, size)| (v == vendor).then_some(size))
    };
    let now = chrono::Utc::now();
    assert_eq!(marked().await, None, "nothing signed yet");

    assert!(log.store_checkpoint(vendor, 2, "two", now).await.unwrap());
    assert_eq!(marked().await, Some(2));
    // A checkpoint stored while the witness checked size 2 keeps the vendor marked.
    assert!(log.store_checkpoint(vendor, 3, "three", now).await.unwrap());
    log.witnessed(vendor, 2).await.unwrap();
    assert_eq!(marked().await, Some(3));
    log.witnessed(vendor, 3).await.unwrap();
    assert_eq!(marked().await, None);
    // A refused checkpoint marks nothing.
    assert!(
        !log.store_checkpoint(vendor, 3, "three again", now)
            .await
            .unwrap()
    );
    assert_eq!(marked().await, None);
}

fn stay(room_type: &str, check_in: NaiveDate, nights: i64) -> Value {
    json!({
        "resource_id": room_type,
        "party_size": 2,
        "check_in": check_in,
        "check_out": check_in + Duration::days(nights),
    })
}

async fn register_room(api: &Api, manager: &Account, room_type: &str, number: &str) -> String {
    let reply = api
        .post(
            &format!("/vendor/{}/unit", manager.vendor()),
            manager.token(),
            &json!({"resource_id": room_type, "number": number, "floor": 7}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    reply.body["id"].as_str().expect("a unit id").to_owned()
}

#[tokio::test]
async fn a_bookings_life_becomes_its_leaves_in_order_each_included_in_the_head_and_none_personal() {
    api_tests::require_env();
    let api = Api::start().await;
    let _backbone = bookings_to_consumer(&api, "audit", "AUDIT_QUEUE_URL").await;
    let log = audit_log().await;
    let zone = zone_at_noon();
    let manager = api.vendor_with("hotel", json!({ "time_zone": zone })).await;
    let desk = api.staff_as(&manager, "desk").await;
    let guest = api.guest().await;
    let double = api
        .resource(
            &manager,
            &merged(
                resource_body("Double", 2, 5, 10_000),
                &json!({"deposit": {"kind": "none"}}),
            ),
        )
        .await;
    let rooms = [
        register_room(&api, &manager, &double, "701").await,
        register_room(&api, &manager, &double, "702").await,
    ];

    // Held at the desk for the guest's account, paid at the desk, checked in, moved, checked out.
    let held = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{}", manager.vendor()),
            desk.token(),
            Some(&merged(
                stay(&double, today_in(zone), 2),
                &json!({"channel": "walk_in", "guest_id": guest.id}),
            )),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let booking = held.body["id"].as_str().expect("a booking id").to_owned();
    let total = held.body["quote"]["total"].clone();
    let paid = api
        .send_with(
            Method::POST,
            &format!("/booking/{booking}/payments"),
            desk.token(),
            Some(
                &json!({"amount_minor": total["amount_minor"], "currency": total["currency"],
                         "method": "card_terminal", "confirm": true}),
            ),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:#?}");
    let arrived = api
        .post(
            &format!("/booking/{booking}/check-in"),
            desk.token(),
            &json!({"method": "desk", "id_checked": true, "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let first_room = arrived.body["booking"]["unit"]["number"]
        .as_str()
        .expect("checked in to a room")
        .to_owned();
    let other_unit = if first_room == "701" {
        &rooms[1]
    } else {
        &rooms[0]
    };
    let moved = api
        .put(
            &format!("/booking/{booking}/unit"),
            desk.token(),
            &json!({ "unit_id": other_unit }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    let left = api
        .post(
            &format!("/booking/{booking}/check-out"),
            desk.token(),
            &json!({}),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{left:#?}");

    let booking_id = BookingId::parse(&booking).expect("a booking id");
    let started = tokio::time::Instant::now();
    let leaves = loop {
        let leaves = log
            .booking_leaves(booking_id)
            .await
            .expect("the booking index");
        if leaves.len() >= 5 {
            break leaves;
        }
        assert!(
            started.elapsed() < WAIT,
            "the log did not get the booking's 5 facts in {WAIT:?}: {leaves:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };

    let vendor = VendorId::parse(manager.vendor()).expect("a vendor id");
    assert!(leaves.iter().all(|(v, _)| *v == vendor), "{leaves:?}");
    let indexes: Vec<u64> = leaves.iter().map(|(_, i)| *i).collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]), "{indexes:?}");
    let head = log.head(vendor).await.unwrap().expect("a head");
    let secret = log.commitment_secret(booking_id).await.unwrap();
    let personal = [
        guest.id.as_str(),
        guest.email.as_str(),
        "Test Guest",
        desk.id.as_str(),
        desk.email.as_str(),
        "Sam Staff",
        manager.id.as_str(),
    ];
    let mut facts = Vec::new();
    for &(_, index) in &leaves {
        let bytes = log.leaf(vendor, index).await.unwrap().expect("the leaf");
        let raw = String::from_utf8_lossy(&bytes).to_lowercase();
        for value in personal {
            assert!(
                !raw.contains(&value.to_lowercase()),
                "leaf {index} contains {value:?}: {raw}"
            );
        }
        let proof = inclusion(&log, vendor, index, head.size).await;
        tlog::verify_inclusion(
            &tlog::leaf_hash(&bytes),
            index,
            head.size,
            &proof,
            &head.root,
        )
        .unwrap_or_else(|e| panic!("leaf {index} is not included: {e}"));
        let leaf = tlog::Leaf::from_bytes(&bytes).expect("a canonical leaf");
        assert!(
            secret.matches(&guest.id, &leaf.guest_commitment),
            "the commitment is to the guest's account"
        );
        assert_eq!(leaf.channel, "walk_in");
        facts.push((leaf.version, leaf.detail_type, leaf.status, leaf.actor));
    }
    let staff = tlog::leaf::ActorKind::Staff;
    let expected: Vec<(u64, String, String, tlog::leaf::ActorKind)> = [
        (1, "BookingHeld", "HELD"),
        (2, "BookingConfirmed", "CONFIRMED"),
        (3, "BookingCheckedIn", "CHECKED_IN"),
        (4, "BookingUpdated", "CHECKED_IN"),
        (5, "BookingCompleted", "COMPLETED"),
    ]
    .into_iter()
    .map(|(v, t, s)| (v, t.to_owned(), s.to_owned(), staff))
    .collect();
    assert_eq!(
        facts, expected,
        "every fact once, in version order, each the desk's doing"
    );
}
