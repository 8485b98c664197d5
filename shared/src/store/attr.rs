//! DynamoDB attribute values built and read one way for every table adapter. A reader names
//! what the item is (`what`) so a missing or unreadable attribute says where it was missing.
use anyhow::Context;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::str::FromStr;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn b(bytes: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

/// The number `name`, which the item must have.
pub(crate) fn number<T>(item: &Item, what: &str, name: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    optional_number(item, what, name)?.with_context(|| format!("{what} has no {name}"))
}

/// The number `name` if the item has it; an attribute of another type is an error.
pub(crate) fn optional_number<T>(item: &Item, what: &str, name: &str) -> anyhow::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let Some(value) = item.get(name) else {
        return Ok(None);
    };
    let raw = value
        .as_n()
        .ok()
        .with_context(|| format!("{what}'s {name} is not a number"))?;
    raw.parse()
        .map(Some)
        .with_context(|| format!("{what}'s {name}"))
}

/// The string `name`, which the item must have.
pub(crate) fn text<'a>(item: &'a Item, what: &str, name: &str) -> anyhow::Result<&'a str> {
    optional_text(item, name).with_context(|| format!("{what} has no {name}"))
}

/// The string `name` if the item has one.
pub(crate) fn optional_text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The bytes `name`, which the item must have.
pub(crate) fn bytes<'a>(item: &'a Item, what: &str, name: &str) -> anyhow::Result<&'a [u8]> {
    item.get(name)
        .and_then(|v| v.as_b().ok())
        .map(Blob::as_ref)
        .with_context(|| format!("{what} has no {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        HashMap::from([
            ("count".to_owned(), n(42)),
            ("name".to_owned(), s("DOC#1")),
            ("hash".to_owned(), b([1u8, 2, 3])),
            ("odd".to_owned(), n("x")),
        ])
    }

    #[test]
    fn reads_what_was_written() {
        let item = item();
        assert_eq!(number::<u64>(&item, "an item", "count").unwrap(), 42);
        assert_eq!(text(&item, "an item", "name").unwrap(), "DOC#1");
        assert_eq!(bytes(&item, "an item", "hash").unwrap(), &[1, 2, 3]);
        assert_eq!(
            optional_number::<u64>(&item, "an item", "absent").unwrap(),
            None
        );
        assert_eq!(optional_text(&item, "absent"), None);
    }

    #[test]
    fn a_missing_or_mistyped_attribute_names_the_item_and_the_attribute() {
        let item = item();
        let missing = number::<u64>(&item, "the feed head", "position").unwrap_err();
        assert_eq!(missing.to_string(), "the feed head has no position");
        let mistyped = optional_number::<u64>(&item, "an item", "name").unwrap_err();
        assert_eq!(mistyped.to_string(), "an item's name is not a number");
        let unparsable = number::<u64>(&item, "an item", "odd").unwrap_err();
        assert_eq!(unparsable.to_string(), "an item's odd");
        assert!(text(&item, "an item", "count").is_err());
        assert!(bytes(&item, "an item", "name").is_err());
    }
}
