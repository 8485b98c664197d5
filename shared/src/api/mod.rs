//! Request bodies used by more than one endpoint, and their conversion into domain values.
pub mod vendor;
pub mod resource;
