//! Request bodies used by more than one endpoint, and their conversion into domain values.
pub mod bookings;
pub mod resource;
pub mod vendor;
