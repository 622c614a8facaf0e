//! One error type for the whole benchmark: a human-readable message.
//!
//! Every failure ends up printed to a person reading the report, so the only
//! thing worth carrying is a message with enough context to act on.

use std::fmt;

/// A benchmark failure, already phrased for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Builds an error from any message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The message, without any prefix.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Adds "what we were doing" to a lower-level error.
pub trait Context<T> {
    /// Wraps the error as `"{what}: {error}"`.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error(format!("{what}: {e}")))
    }
}
