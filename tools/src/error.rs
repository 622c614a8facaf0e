//! The one error type every tool returns.
//!
//! The agent loop hands each error back to the model as a tool result, so
//! messages are written for the model: short, actionable, and never echoing
//! a path outside the workspace, a secret or raw file contents.

use agent_containment::ContainmentError;

/// Why a tool call did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The arguments are not valid JSON for the tool, or a value is out of range.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The path escapes the workspace (`..`, absolute, symlink, NUL byte).
    #[error("path not allowed: {0}")]
    PathNotAllowed(String),
    /// The file, directory, tool or string to replace does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An edit matched more than once and `replace_all` was not set.
    #[error("ambiguous: {0}")]
    Ambiguous(String),
    /// A file or payload is over the tool's size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A policy refused the call (no sandbox, forbidden address, binary file, ...).
    #[error("refused: {0}")]
    Refused(String),
    /// The operation ran and failed (I/O error, HTTP error, ...).
    #[error("failed: {0}")]
    Failed(String),
    /// The operation ran out of time.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl ToolError {
    /// A stable, machine-readable code for the agent loop and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidArguments(_) => "invalid_arguments",
            Self::PathNotAllowed(_) => "path_not_allowed",
            Self::NotFound(_) => "not_found",
            Self::Ambiguous(_) => "ambiguous",
            Self::TooLarge(_) => "too_large",
            Self::Refused(_) => "refused",
            Self::Failed(_) => "failed",
            Self::Timeout(_) => "timeout",
        }
    }
}

impl From<ContainmentError> for ToolError {
    fn from(err: ContainmentError) -> Self {
        match err {
            ContainmentError::NulByte
            | ContainmentError::ParentTraversal
            | ContainmentError::Escapes
            | ContainmentError::RootItself
            | ContainmentError::Protected => Self::PathNotAllowed(err.to_string()),
            ContainmentError::NotFound => Self::NotFound(err.to_string()),
            ContainmentError::InvalidRoot => Self::Failed(err.to_string()),
            // `io::Error`s from canonicalize carry no path, so the text is safe.
            ContainmentError::Io(e) => Self::Failed(format!("i/o error: {e}")),
        }
    }
}

/// Maps an I/O error on a path that is already contained.
pub(crate) fn io_error(err: &std::io::Error) -> ToolError {
    match err.kind() {
        std::io::ErrorKind::NotFound => ToolError::NotFound("no such file or directory".into()),
        std::io::ErrorKind::PermissionDenied => ToolError::Failed("permission denied".into()),
        _ => ToolError::Failed(format!("i/o error: {err}")),
    }
}
