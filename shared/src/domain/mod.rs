//! Business types and rules. No AWS and no HTTP in here: constructors validate, so a value of
//! these types is always a legal one.
pub mod account;
pub mod ids;
pub mod money;
pub mod resource;
pub mod text;
pub mod validation;
pub mod vendor;

pub use validation::{FieldError, FieldErrors, Invalid};
