//! Parsing the model's raw argument text.

use serde::de::DeserializeOwned;

use crate::ToolError;

/// Parses `arguments` into `T`. Empty text means `{}`, because models often
/// send nothing for a tool whose parameters are all optional. Unknown fields
/// are refused by each argument type (`deny_unknown_fields`), so a typo is
/// reported instead of silently ignored.
pub(crate) fn parse<T: DeserializeOwned>(arguments: &str) -> Result<T, ToolError> {
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(text).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

/// Applies a default and an upper bound to an optional count.
pub(crate) fn bounded(
    value: Option<u64>,
    default: u64,
    cap: u64,
    name: &str,
) -> Result<u64, ToolError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ToolError::InvalidArguments(format!(
            "{name} must be at least 1"
        ))),
        Some(v) => Ok(v.min(cap)),
    }
}
