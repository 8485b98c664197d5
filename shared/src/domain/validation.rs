//! Collecting every field's error at once, so a client learns all that is wrong in one reply.
use serde::Serialize;
use std::fmt;

/// Why one value was rejected; the caller knows which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One rejected field, named by a JSON pointer into the request body (RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value if it is valid, records the error under `pointer` otherwise.
    pub fn check<T>(&mut self, pointer: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Invalid(detail)) => {
                self.push(pointer, detail);
                None
            }
        }
    }

    /// Like `check` for a field that may be absent.
    pub fn check_opt<T, U>(
        &mut self,
        pointer: &str,
        value: Option<U>,
        parse: impl FnOnce(U) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match value {
            None => Some(None),
            Some(raw) => self.check(pointer, parse(raw)).map(Some),
        }
    }

    /// A field that must be present (create) and valid.
    pub fn require<T, U>(
        &mut self,
        pointer: &str,
        value: Option<U>,
        parse: impl FnOnce(U) -> Result<T, Invalid>,
    ) -> Option<T> {
        match value {
            None => {
                self.push(pointer, "is required");
                None
            }
            Some(raw) => self.check(pointer, parse(raw)),
        }
    }

    pub fn push(&mut self, pointer: &str, detail: impl Into<String>) {
        self.0.push(FieldError {
            pointer: pointer.to_owned(),
            detail: detail.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `Err(self)` when anything was recorded.
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}
