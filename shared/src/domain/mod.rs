//! Business types and rules. No AWS and no HTTP in here: constructors validate, so a value of
//! these types is always a legal one.
pub mod account;
pub mod booking;
pub mod calendar;
pub mod deposit;
pub mod desk;
pub mod geo;
pub mod idempotency;
pub mod ids;
pub mod inventory;
pub mod invoice;
pub mod money;
pub mod party;
pub mod payment;
pub mod pricing;
pub mod resource;
pub mod review;
pub mod tax;
pub mod terms;
pub mod text;
pub mod unit;
pub mod validation;
pub mod vendor;
pub mod window;

pub use validation::{FieldError, FieldErrors, Invalid, Location};
