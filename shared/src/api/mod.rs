//! Request bodies used by more than one endpoint, and their conversion into domain values.
pub mod availability;
pub mod bookings;
pub mod guest;
pub mod resource;
pub mod units;
pub mod vendor;
