//! Out-of-order blocks: through the counters, so they never oversell.
use super::*;

#[tokio::test]
async fn an_out_of_order_block_takes_one_unit_until_it_is_lifted_exactly_once() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "4", 3).await;
    let from = front.today() + Duration::days(12);
    let to = from + Duration::days(2);

    let block = front.block(&front.housekeeper, &rooms[1], from, to).await;

    assert_eq!(block.status, StatusCode::CREATED, "{block:#?}");
    assert_eq!(block.body["unit_id"], rooms[1].as_str(), "{block:#?}");
    assert_eq!(block.body["resource_id"], double.as_str(), "{block:#?}");
    assert_eq!(block.body["from"], json!(from), "{block:#?}");
    assert_eq!(block.body["to"], json!(to), "{block:#?}");
    assert_eq!(block.body["reason"], "leak", "{block:#?}");
    assert_eq!(front.free_on(&double, from).await, 2);
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 2);
    assert_eq!(front.free_on(&double, to).await, 3);
    let listed = front.units_on(&front.desk, from).await;
    assert_eq!(listed["402"]["status"], "out_of_order", "{listed:#?}");
    assert_eq!(listed["401"]["status"], "clean", "{listed:#?}");
    // The listing names the block, so the housekeeping view can end it without the feed.
    assert_eq!(listed["402"]["block_id"], block.body["id"], "{listed:#?}");
    assert!(listed["401"].get("block_id").is_none(), "{listed:#?}");
    // A guest is not put in a room that is out of order.
    let booking = id_of(&front.book(&double, from, 1).await);
    let into_block = front
        .assign(&front.desk, &booking, &json!({"unit_id": rooms[1]}))
        .await;
    into_block.assert_problem(409);

    let block_id = id_of(&block.body);
    let lifted = front.unblock(&front.manager, &rooms[1], &block_id).await;
    assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{lifted:#?}");
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 3);
    assert_eq!(
        front.free_on(&double, from).await,
        2,
        "the booking holds one"
    );
    let twice = front.unblock(&front.manager, &rooms[1], &block_id).await;
    twice.assert_problem(404);
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 3);
}

#[tokio::test]
async fn a_block_on_a_sold_out_type_or_an_occupied_room_is_409_naming_the_bookings() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "5", 2).await;
    let night = front.today() + Duration::days(15);
    let first = id_of(&front.book(&double, night, 2).await);
    let second = id_of(&front.book(&double, night + Duration::days(1), 1).await);
    assert_eq!(front.free_on(&double, night + Duration::days(1)).await, 0);

    let sold_out = front
        .block(&front.manager, &rooms[1], night, night + Duration::days(2))
        .await;

    assert_type(&sold_out, 409, "sold-out");
    let named = ids(&sold_out.body["bookings"]);
    assert!(
        !named.is_empty() && named.is_subset(&BTreeSet::from([first.clone(), second.clone()])),
        "the bookings that would have to move: {sold_out:#?}"
    );
    let nights = if sold_out.body["nights"].is_null() {
        &sold_out.body["buckets"]
    } else {
        &sold_out.body["nights"]
    };
    assert!(
        dates_in(nights).contains(&(night + Duration::days(1)))
            || nights
                .to_string()
                .contains(&(night + Duration::days(1)).to_string()),
        "the sold-out night is named: {sold_out:#?}"
    );
    assert_eq!(front.free_on(&double, night).await, 1, "nothing was taken");

    // A room a guest is put in is occupied, whatever the type has left.
    let put = front
        .assign(&front.desk, &first, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");
    let occupied = front
        .block(&front.desk, &rooms[0], night, night + Duration::days(1))
        .await;
    assert_type(&occupied, 409, "unit-occupied");
    assert_eq!(ids(&occupied.body["bookings"]), BTreeSet::from([first]));
    assert_eq!(front.free_on(&double, night).await, 1);
}

/// The type has one room left for the night; six holds and three blocks (of three different
/// rooms, none with a guest in it) race for it. Exactly one wins: the night never sells more
/// than its rooms, and every loser is told it is sold out.
#[tokio::test]
async fn blocks_racing_holds_for_the_last_room_never_oversell() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "6", 4).await;
    let night = front.today() + Duration::days(25);
    for _ in 0..3 {
        front.book(&double, night, 1).await;
    }
    assert_eq!(front.free_on(&double, night).await, 1);
    let guests = join_all((0..6).map(|_| front.api.guest())).await;

    let body = stay(&double, night, 1);
    let holds = join_all(guests.iter().map(|g| front.hold(g, &body)));
    let blocks = join_all(
        rooms[1..]
            .iter()
            .map(|room| front.block(&front.manager, room, night, night + Duration::days(1))),
    );
    let (holds, blocks) = tokio::join!(holds, blocks);

    let held = holds
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let blocked = blocks
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        held + blocked,
        1,
        "one room, {held} holds and {blocked} blocks: {holds:#?} {blocks:#?}"
    );
    for reply in holds
        .iter()
        .chain(&blocks)
        .filter(|r| r.status != StatusCode::CREATED)
    {
        assert_type(reply, 409, "sold-out");
    }
    assert_eq!(front.free_on(&double, night).await, 0);
    assert_eq!(front.resource(&double).await["units"], 4);
    // A block that lost took nothing: lifting the winner (if a block) gives exactly one back.
    if let Some(won) = blocks.iter().position(|r| r.status == StatusCode::CREATED) {
        let lifted = front
            .unblock(&front.manager, &rooms[1 + won], &id_of(&blocks[won].body))
            .await;
        assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{lifted:#?}");
        assert_eq!(front.free_on(&double, night).await, 1);
    }
}
