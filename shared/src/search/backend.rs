//! The search backend a deployment uses, chosen at cold start by `SEARCH_BACKEND`: `dynamodb`
//! (the default) or `opensearch`. An enum rather than a trait object, since `SearchIndex`
//! returns `impl Future` and so cannot be one.
use super::{
    Area, Batch, Candidate, DynamoSearchIndex, Filters, Listing, OpenSearchIndex, Order, Resume,
    SearchIndex,
};
use crate::config::{self, ConfigError};
use crate::domain::ids::VendorId;

#[derive(Debug, Clone)]
pub enum AnyIndex {
    Dynamo(DynamoSearchIndex),
    /// Boxed: its HTTP transport is several times the size of a DynamoDB client handle.
    OpenSearch(Box<OpenSearchIndex>),
}

/// The backends `SEARCH_BACKEND` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    DynamoDb,
    OpenSearch,
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_lowercase().as_str() {
            "dynamodb" => Ok(Self::DynamoDb),
            "opensearch" => Ok(Self::OpenSearch),
            _ => Err(format!(
                "`{raw}` is no search backend: use `dynamodb` or `opensearch`"
            )),
        }
    }
}

impl AnyIndex {
    /// `SEARCH_BACKEND` picks the backend, which then reads its own variables (`SEARCH_TABLE`,
    /// or `OPENSEARCH_URL` and friends).
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        match config::optional("SEARCH_BACKEND", Backend::DynamoDb)? {
            Backend::DynamoDb => Ok(Self::Dynamo(DynamoSearchIndex::from_env(sdk)?)),
            Backend::OpenSearch => Ok(Self::OpenSearch(Box::new(OpenSearchIndex::from_env(sdk)?))),
        }
    }

    /// Gets the backend ready for writes: creates the OpenSearch index with its mapping if it
    /// is missing (the DynamoDB table is provisioned with the stack).
    pub async fn ensure_ready(&self) -> anyhow::Result<()> {
        match self {
            Self::Dynamo(_) => Ok(()),
            Self::OpenSearch(index) => index.ensure_index().await,
        }
    }

    /// Writes listings of vendors the index does not have yet, in bulk (seeding).
    pub async fn put_new(&self, listings: &[Listing]) -> anyhow::Result<()> {
        match self {
            Self::Dynamo(index) => index.put_new(listings).await,
            Self::OpenSearch(index) => index.put_new(listings).await,
        }
    }
}

impl SearchIndex for AnyIndex {
    async fn upsert(&self, listing: &Listing) -> anyhow::Result<()> {
        match self {
            Self::Dynamo(index) => index.upsert(listing).await,
            Self::OpenSearch(index) => index.upsert(listing).await,
        }
    }

    async fn mark(
        &self,
        vendor: VendorId,
        sold_out: &[String],
        free: &[String],
    ) -> anyhow::Result<()> {
        match self {
            Self::Dynamo(index) => index.mark(vendor, sold_out, free).await,
            Self::OpenSearch(index) => index.mark(vendor, sold_out, free).await,
        }
    }

    async fn candidates(&self, area: &Area, filters: &Filters) -> anyhow::Result<Vec<Candidate>> {
        match self {
            Self::Dynamo(index) => index.candidates(area, filters).await,
            Self::OpenSearch(index) => index.candidates(area, filters).await,
        }
    }

    async fn read(
        &self,
        area: &Area,
        filters: &Filters,
        order: &Order,
        from: Option<Resume>,
    ) -> anyhow::Result<Batch> {
        match self {
            Self::Dynamo(index) => index.read(area, filters, order, from).await,
            Self::OpenSearch(index) => index.read(area, filters, order, from).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_dynamodb_or_opensearch_and_nothing_else() {
        assert_eq!("dynamodb".parse::<Backend>(), Ok(Backend::DynamoDb));
        assert_eq!("OpenSearch".parse::<Backend>(), Ok(Backend::OpenSearch));
        let wrong = "elastic".parse::<Backend>().unwrap_err();
        assert!(wrong.contains("`elastic`"), "{wrong}");
        assert!(
            wrong.contains("dynamodb") && wrong.contains("opensearch"),
            "{wrong}"
        );
    }
}
