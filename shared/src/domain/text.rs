//! Bounded, trimmed, printable text: the building block of names, descriptions and addresses.
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Trimmed text of `min..=max` characters with no control characters.
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 {
            Invalid::new("must not be empty")
        } else {
            Invalid::new(format!("must be at least {min} characters"))
        });
    }
    if len > max {
        return Err(Invalid::new(format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::new("must not contain control characters"));
    }
    Ok(value.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                bounded(raw, $min, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// A person's display name.
    PersonName, 1, 100
);
bounded_text!(
    /// A vendor's, room type's or table type's name.
    Title, 1, 120
);
bounded_text!(
    /// Free text shown to guests.
    Description, 0, 2000
);
bounded_text!(
    /// One line of a postal address.
    AddressLine, 1, 200
);

impl Description {
    pub fn empty() -> Self {
        Self(String::new())
    }
}

/// A list of short lowercase tags (facilities, cuisines), de-duplicated and sorted.
pub fn tags(raw: &[String], max_items: usize) -> Result<Vec<String>, Invalid> {
    if raw.len() > max_items {
        return Err(Invalid::new(format!(
            "must have at most {max_items} entries"
        )));
    }
    let mut tags = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        let valid = (1..=40).contains(&tag.chars().count())
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ');
        if !valid {
            return Err(Invalid::new(
                "entries must be 1 to 40 letters, digits, spaces, '-' or '_'",
            ));
        }
        tags.push(tag);
    }
    tags.sort();
    tags.dedup();
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_is_trimmed_and_limited() {
        assert_eq!(PersonName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn tags_are_normalised_and_deduplicated() {
        let raw = vec!["Pool".into(), "pool".into(), " Free WiFi ".into()];
        assert_eq!(tags(&raw, 10).unwrap(), vec!["free wifi", "pool"]);
        assert!(tags(&["a/b".into()], 10).is_err());
        assert!(tags(&["a".into(), "b".into()], 1).is_err());
    }
}
