//! The one error type of the crate, with stable codes for the host's JSON
//! errors.
//!
//! Every message that came from a provider is truncated (a misbehaving
//! gateway can send megabytes of HTML) and scrubbed of the API key (some
//! providers echo the key they refused).

use std::time::Duration;

/// Longest provider-supplied message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Everything that can go wrong between `Client::stream` and the last event.
///
/// No variant ever carries the API key: provider messages pass through
/// [`scrub`] before they land here, and transport errors are rendered
/// without their URL.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// The provider could not be reached (DNS, refused, TLS, reset before
    /// an answer), or the endpoint itself is unusable (bad URL or header).
    #[error("could not reach the provider: {0}")]
    Connect(String),
    /// A non-2xx answer other than 429.
    #[error("the provider answered {status}: {message}")]
    Status { status: u16, message: String },
    /// 429, still refused after every retry.
    #[error("the provider is rate limiting: {message}")]
    RateLimited { message: String },
    /// Nothing arrived between sending the request and the first data line.
    #[error("no answer from the provider within {0:?}")]
    FirstChunkTimeout(Duration),
    /// The stream started but then went quiet for too long.
    #[error("the provider stream was idle for {0:?}")]
    IdleTimeout(Duration),
    /// An error object arrived inside the stream.
    #[error("the provider reported an error: {message}")]
    Api {
        message: String,
        code: Option<String>,
    },
    /// The stream did not follow the wire format (bad JSON, bad framing).
    #[error("malformed provider stream: {0}")]
    Protocol(String),
    /// The body ended or was reset before `[DONE]` and without a
    /// `finish_reason`.
    #[error("the provider stream ended early: {0}")]
    Interrupted(String),
}

impl ProviderError {
    /// The stable code the host puts into `{"error":{"code"}}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Connect(_) => "provider_connect",
            // The key was refused (missing, wrong, revoked or without access).
            Self::Status {
                status: 401 | 403, ..
            } => "provider_auth",
            Self::Status { .. } => "provider_status",
            Self::RateLimited { .. } => "provider_rate_limited",
            Self::FirstChunkTimeout(_) | Self::IdleTimeout(_) => "provider_timeout",
            Self::Api { .. } => "provider_error",
            Self::Protocol(_) => "provider_protocol",
            Self::Interrupted(_) => "provider_interrupted",
        }
    }

    /// Whether another attempt may help, provided nothing was yielded yet:
    /// 429, 5xx, connect failures and bodies cut before any data.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::RateLimited { .. } | Self::Interrupted(_) => true,
            Self::Status { status, .. } => *status >= 500,
            Self::FirstChunkTimeout(_)
            | Self::IdleTimeout(_)
            | Self::Api { .. }
            | Self::Protocol(_) => false,
        }
    }
}

/// Truncates a provider message to [`MAX_MESSAGE_CHARS`] and replaces every
/// occurrence of the key (if any) with `[redacted]`.
pub(crate) fn scrub(message: &str, key: Option<&str>) -> String {
    let redacted = match key {
        Some(key) if !key.is_empty() && message.contains(key) => message.replace(key, "[redacted]"),
        _ => message.to_owned(),
    };
    truncate(redacted.trim())
}

/// Keeps the first [`MAX_MESSAGE_CHARS`] characters (not bytes, so a
/// multi-byte character is never split).
pub(crate) fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => message[..cut].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        let long = "é".repeat(MAX_MESSAGE_CHARS + 10);
        assert_eq!(truncate(&long).chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn scrub_removes_the_key() {
        let out = scrub(
            "Incorrect API key provided: sk-secret-123.",
            Some("sk-secret-123"),
        );
        assert_eq!(out, "Incorrect API key provided: [redacted].");
        assert_eq!(scrub("no key here", None), "no key here");
        assert_eq!(scrub("x", Some("")), "x");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            ProviderError::IdleTimeout(Duration::ZERO).code(),
            "provider_timeout"
        );
        assert_eq!(
            ProviderError::FirstChunkTimeout(Duration::ZERO).code(),
            "provider_timeout"
        );
        assert_eq!(
            ProviderError::Protocol(String::new()).code(),
            "provider_protocol"
        );
    }
}
