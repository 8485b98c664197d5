//! The outbox publisher, run by an event source mapping on the bookings and vendors tables'
//! streams (batch failures reported per record, so a failed record and those after it are
//! delivered again while the ones before it stay done). See `shared::outbox` for why nothing
//! committed is lost and nothing uncommitted is published.
use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use shared::outbox::{self, EventBus};
use shared::store::StreamTables;
use shared::timer::HoldTimer;

pub async fn handler(
    tables: &StreamTables,
    bus: &impl EventBus,
    timer: &impl HoldTimer,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    Ok(outbox::publish(tables, bus, timer, event.payload, shared::clock::now()).await)
}
