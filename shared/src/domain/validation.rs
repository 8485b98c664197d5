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

/// Where a rejected value was sent, as RFC 9457 names it: a JSON pointer into the request body
/// (RFC 6901; `""` is the body as a whole), a query parameter, or a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Pointer(String),
    Parameter(String),
    Header(String),
}

/// One rejected value: where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    #[serde(flatten)]
    pub location: Location,
    pub detail: String,
}

/// The errors of one request. The names given to `check`, `require` and `push` are JSON pointers
/// into the body, or, in a collector made by `FieldErrors::query()`, query parameter names.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
    of_query: bool,
}

impl FieldErrors {
    /// A collector for a query string: every name it is given is a query parameter's.
    pub fn query() -> Self {
        Self {
            errors: Vec::new(),
            of_query: true,
        }
    }

    /// One error about the query parameter `name` (its bare name, e.g. `party_size`).
    pub fn param(name: &str, detail: impl Into<String>) -> Self {
        let mut errors = Self::query();
        errors.push(name, detail);
        errors
    }

    /// The same errors, said of the query parameters of the same names: for a rule shared by
    /// bodies and query strings (`/check_out` in a body is `check_out` in a query string).
    pub fn into_parameters(self) -> Self {
        let errors = self
            .errors
            .into_iter()
            .map(|error| match error.location {
                Location::Pointer(pointer) if !pointer.is_empty() => FieldError {
                    location: Location::Parameter(
                        pointer
                            .trim_start_matches('/')
                            .replace("~1", "/")
                            .replace("~0", "~"),
                    ),
                    detail: error.detail,
                },
                _ => error,
            })
            .collect();
        Self {
            errors,
            of_query: true,
        }
    }

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

    /// Records an error under `name`: a JSON pointer, or a parameter name in a `query()` collector.
    pub fn push(&mut self, name: &str, detail: impl Into<String>) {
        let location = if self.of_query {
            Location::Parameter(name.to_owned())
        } else {
            Location::Pointer(name.to_owned())
        };
        self.errors.push(FieldError {
            location,
            detail: detail.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Err(self)` when anything was recorded.
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        let of_query = matches!(error.location, Location::Parameter(_));
        Self {
            errors: vec![error],
            of_query,
        }
    }
}
