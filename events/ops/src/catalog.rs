//! The queues an operator can name, read from `localstack/resources.json` (the same definition
//! provisioning and the CDK app use), with their physical names and URL variables.
use serde::Deserialize;

const RESOURCES: &str = include_str!("../../../localstack/resources.json");

/// Whether a queue is fed by an EventBridge rule or only by our own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    Consumer,
    Plain,
}

impl QueueKind {
    pub fn label(self) -> &'static str {
        match self {
            QueueKind::Consumer => "consumer",
            QueueKind::Plain => "queue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// The name in resources.json and on the command line (`notifier`).
    pub name: String,
    pub kind: QueueKind,
    /// The variable that hands the code the queue's URL (`NOTIFIER_QUEUE_URL`).
    pub env_var: String,
    /// `<prefix>-<name>`, looked up when the variable is not set.
    pub physical_name: String,
}

impl QueueSpec {
    /// The URL from the environment, when the variable is set and not empty.
    pub fn url_from_env(&self) -> Option<String> {
        std::env::var(&self.env_var)
            .ok()
            .filter(|url| !url.trim().is_empty())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown queue `{name}`; valid names: {}", valid.join(", "))]
pub struct UnknownQueue {
    pub name: String,
    pub valid: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    prefix: String,
    queues: Vec<QueueSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resources {
    default_prefix: String,
    #[serde(default)]
    consumers: Vec<Entry>,
    #[serde(default)]
    queues: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: String,
    env_var: Option<String>,
}

impl Catalog {
    /// The bundled resources.json, with the prefix from `RESOURCE_PREFIX` when set.
    pub fn bundled() -> anyhow::Result<Self> {
        let prefix = std::env::var("RESOURCE_PREFIX").ok();
        Self::from_json(RESOURCES, prefix.as_deref())
    }

    /// Consumers first, then plain queues, each in resources.json order. An empty `prefix`
    /// counts as none, as in provisioning.
    pub fn from_json(resources: &str, prefix: Option<&str>) -> anyhow::Result<Self> {
        let parsed: Resources = serde_json::from_str(resources)
            .map_err(|err| anyhow::anyhow!("resources.json does not parse: {err}"))?;
        let prefix = prefix
            .filter(|p| !p.is_empty())
            .unwrap_or(&parsed.default_prefix)
            .to_owned();
        let consumers = parsed
            .consumers
            .into_iter()
            .map(|e| (e, QueueKind::Consumer));
        let plain = parsed.queues.into_iter().map(|e| (e, QueueKind::Plain));
        let queues = consumers
            .chain(plain)
            .map(|(entry, kind)| QueueSpec {
                env_var: entry
                    .env_var
                    .unwrap_or_else(|| default_env_var(&entry.name)),
                physical_name: format!("{prefix}-{}", entry.name),
                name: entry.name,
                kind,
            })
            .collect();
        Ok(Self { prefix, queues })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn queues(&self) -> &[QueueSpec] {
        &self.queues
    }

    pub fn names(&self) -> Vec<String> {
        self.queues.iter().map(|q| q.name.clone()).collect()
    }

    pub fn find(&self, name: &str) -> Result<&QueueSpec, UnknownQueue> {
        self.queues
            .iter()
            .find(|q| q.name == name)
            .ok_or_else(|| UnknownQueue {
                name: name.to_owned(),
                valid: self.names(),
            })
    }
}

/// provision.py's rule for an entry without `envVar`: `hold-expiry` -> `HOLD_EXPIRY_QUEUE_URL`.
fn default_env_var(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}_QUEUE_URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_definition_names_every_consumer_and_plain_queue() {
        let catalog = Catalog::from_json(RESOURCES, None).unwrap();
        let names = catalog.names();
        for expected in [
            "search-indexer",
            "notifier",
            "payment-refund",
            "archiver",
            "hold-expiry",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        let notifier = catalog.find("notifier").unwrap();
        assert_eq!(notifier.kind, QueueKind::Consumer);
        assert_eq!(notifier.env_var, "NOTIFIER_QUEUE_URL");
        assert_eq!(notifier.physical_name, "reservations-notifier");
        assert_eq!(catalog.find("hold-expiry").unwrap().kind, QueueKind::Plain);
    }

    #[test]
    fn the_prefix_names_the_physical_queues_and_an_empty_one_is_ignored() {
        let custom = Catalog::from_json(RESOURCES, Some("ci-42")).unwrap();
        assert_eq!(
            custom.find("archiver").unwrap().physical_name,
            "ci-42-archiver"
        );
        let empty = Catalog::from_json(RESOURCES, Some("")).unwrap();
        assert_eq!(empty.prefix(), "reservations");
    }

    #[test]
    fn an_entry_without_env_var_gets_the_provisioning_default() {
        let json = r#"{"defaultPrefix": "p", "queues": [{"name": "late-fees"}]}"#;
        let catalog = Catalog::from_json(json, None).unwrap();
        assert_eq!(
            catalog.find("late-fees").unwrap().env_var,
            "LATE_FEES_QUEUE_URL"
        );
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let catalog = Catalog::from_json(RESOURCES, None).unwrap();
        let err = catalog.find("notifer").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`notifer`"), "{message}");
        assert!(
            message.ends_with(&format!("valid names: {}", catalog.names().join(", "))),
            "{message}"
        );
    }
}
