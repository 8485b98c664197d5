//! A stream record as the JSON Lambda sends for it (DynamoDB JSON images, epoch seconds,
//! binaries in base64), parsed back as a function parses it.
use aws_lambda_events::dynamodb::Event;
use aws_sdk_dynamodbstreams::primitives::DateTime;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The event Lambda sends for these records: built as the JSON it sends, then parsed as a
/// function parses it.
pub(super) fn lambda_event(
    records: &[Record],
    stream_arn: &str,
    region: &str,
) -> anyhow::Result<Event> {
    let records = records
        .iter()
        .map(|record| lambda_record(record, stream_arn, region))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(serde_json::from_value(json!({ "Records": records }))?)
}

fn lambda_record(record: &Record, stream_arn: &str, region: &str) -> anyhow::Result<Value> {
    let change = record
        .dynamodb()
        .ok_or_else(|| anyhow::anyhow!("stream record without its change"))?;
    let mut dynamodb = Map::new();
    if let Some(created) = change.approximate_creation_date_time() {
        dynamodb.insert("ApproximateCreationDateTime".into(), epoch_seconds(created));
    }
    for (name, image) in [
        ("Keys", change.keys()),
        ("NewImage", change.new_image()),
        ("OldImage", change.old_image()),
    ] {
        if let Some(image) = image {
            dynamodb.insert(name.into(), item_json(image)?);
        }
    }
    if let Some(sequence_number) = change.sequence_number() {
        dynamodb.insert("SequenceNumber".into(), sequence_number.into());
    }
    if let Some(size) = change.size_bytes() {
        dynamodb.insert("SizeBytes".into(), size.into());
    }
    if let Some(view) = change.stream_view_type() {
        dynamodb.insert("StreamViewType".into(), view.as_str().into());
    }

    let mut out = Map::new();
    out.insert(
        "eventID".into(),
        record.event_id().unwrap_or_default().into(),
    );
    out.insert(
        "eventName".into(),
        record
            .event_name()
            .map(|name| name.as_str())
            .unwrap_or_default()
            .into(),
    );
    out.insert(
        "eventVersion".into(),
        record.event_version().unwrap_or("1.1").into(),
    );
    out.insert(
        "eventSource".into(),
        record.event_source().unwrap_or("aws:dynamodb").into(),
    );
    out.insert("awsRegion".into(), region.into());
    out.insert("dynamodb".into(), Value::Object(dynamodb));
    out.insert("eventSourceARN".into(), stream_arn.into());
    if let Some(identity) = record.user_identity() {
        out.insert(
            "userIdentity".into(),
            json!({
                "type": identity.r#type().unwrap_or_default(),
                "principalId": identity.principal_id().unwrap_or_default(),
            }),
        );
    }
    Ok(Value::Object(out))
}

/// Whole seconds as an integer, as Lambda sends them; a fraction only if there is one.
fn epoch_seconds(at: &DateTime) -> Value {
    if at.subsec_nanos() == 0 {
        at.secs().into()
    } else {
        at.as_secs_f64().into()
    }
}

fn item_json(item: &HashMap<String, AttributeValue>) -> anyhow::Result<Value> {
    item.iter()
        .map(|(name, value)| Ok((name.clone(), attribute_json(value)?)))
        .collect::<anyhow::Result<Map<_, _>>>()
        .map(Value::Object)
}

/// An attribute in DynamoDB JSON (`{"S": "x"}`), binaries in base64 as on the wire.
fn attribute_json(value: &AttributeValue) -> anyhow::Result<Value> {
    Ok(match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(flag) => json!({ "NULL": flag }),
        AttributeValue::B(blob) => json!({ "B": BASE64.encode(blob.as_ref()) }),
        AttributeValue::Ss(set) => json!({ "SS": set }),
        AttributeValue::Ns(set) => json!({ "NS": set }),
        AttributeValue::Bs(set) => {
            let encoded: Vec<String> = set.iter().map(|b| BASE64.encode(b.as_ref())).collect();
            json!({ "BS": encoded })
        }
        AttributeValue::L(list) => {
            let values = list
                .iter()
                .map(attribute_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            json!({ "L": values })
        }
        AttributeValue::M(map) => json!({ "M": item_json(map)? }),
        other => anyhow::bail!("attribute of a type this SDK does not know: {other:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::primitives::Blob;
    use aws_sdk_dynamodbstreams::types::{Identity, OperationType, StreamRecord, StreamViewType};

    fn modify_record() -> Record {
        let change = StreamRecord::builder()
            .approximate_creation_date_time(DateTime::from_secs(1_480_642_020))
            .keys("pk", AttributeValue::S("booking#1".into()))
            .new_image("pk", AttributeValue::S("booking#1".into()))
            .new_image("nights", AttributeValue::N("3".into()))
            .new_image("blob", AttributeValue::B(Blob::new(vec![0, 1, 42, 65])))
            .new_image(
                "nested",
                AttributeValue::M(HashMap::from([(
                    "tags".to_owned(),
                    AttributeValue::L(vec![
                        AttributeValue::Ss(vec!["a".into()]),
                        AttributeValue::Null(true),
                        AttributeValue::Bool(false),
                    ]),
                )])),
            )
            .old_image("pk", AttributeValue::S("booking#1".into()))
            .old_image("nights", AttributeValue::N("2".into()))
            .sequence_number("000000000000000000042")
            .size_bytes(54)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        Record::builder()
            .event_id("e1")
            .event_name(OperationType::Modify)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("ddblocal")
            .dynamodb(change)
            .user_identity(
                Identity::builder()
                    .r#type("Service")
                    .principal_id("dynamodb.amazonaws.com")
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_record_becomes_the_json_lambda_sends() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000";
        let json = lambda_record(&modify_record(), arn, "us-east-1").unwrap();
        assert_eq!(
            json,
            json!({
                "eventID": "e1",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": arn,
                "userIdentity": { "type": "Service", "principalId": "dynamodb.amazonaws.com" },
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_480_642_020,
                    "Keys": { "pk": { "S": "booking#1" } },
                    "NewImage": {
                        "pk": { "S": "booking#1" },
                        "nights": { "N": "3" },
                        "blob": { "B": "AAEqQQ==" },
                        "nested": { "M": { "tags": { "L": [
                            { "SS": ["a"] }, { "NULL": true }, { "BOOL": false }
                        ] } } }
                    },
                    "OldImage": { "pk": { "S": "booking#1" }, "nights": { "N": "2" } },
                    "SequenceNumber": "000000000000000000042",
                    "SizeBytes": 54,
                    "StreamViewType": "NEW_AND_OLD_IMAGES"
                }
            })
        );
    }

    #[test]
    fn the_event_parses_as_a_function_parses_it() {
        let event = lambda_event(&[modify_record()], "arn", "us-east-1").unwrap();
        let record = &event.records[0];
        assert_eq!(record.event_name, "MODIFY");
        assert_eq!(record.event_source_arn.as_deref(), Some("arn"));
        assert_eq!(
            record.change.approximate_creation_date_time.timestamp(),
            1_480_642_020
        );
        let new_image = serde_json::to_value(&record.change.new_image).unwrap();
        assert_eq!(new_image["nights"], json!({ "N": "3" }));
        assert_eq!(new_image["blob"], json!({ "B": "AAEqQQ==" }));
        assert_eq!(record.change.old_image.len(), 2);
        assert_eq!(
            record.user_identity.as_ref().map(|u| u.type_.as_str()),
            Some("Service")
        );
    }
}
