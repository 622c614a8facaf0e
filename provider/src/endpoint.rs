//! Where a request goes and with which credentials.

use std::fmt;

use zeroize::Zeroizing;

/// OpenRouter's OpenAI-compatible base URL.
pub const OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// Vercel AI Gateway's OpenAI-compatible base URL.
pub const VERCEL_AI_GATEWAY_BASE_URL: &str = "https://ai-gateway.vercel.sh/v1";

/// One OpenAI-compatible endpoint: `POST {base_url}/chat/completions`.
///
/// The key is zeroized on drop and never printed: `Debug` shows only
/// whether one is set, because endpoints end up in `tracing` fields and
/// panic messages.
#[derive(Clone)]
pub struct Endpoint {
    /// Up to and including the version segment, e.g. `https://openrouter.ai/api/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>` when set; local servers
    /// (Ollama, llama.cpp) usually need none.
    pub api_key: Option<Zeroizing<String>>,
    /// Extra headers, e.g. OpenRouter's `HTTP-Referer` and `X-Title`.
    pub extra_headers: Vec<(String, String)>,
}

impl Endpoint {
    /// An endpoint without a key or extra headers.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            extra_headers: Vec::new(),
        }
    }

    /// OpenRouter with the given key.
    pub fn openrouter(api_key: Zeroizing<String>) -> Self {
        Self::new(OPENROUTER_BASE_URL).with_api_key(api_key)
    }

    /// Vercel AI Gateway with the given key.
    pub fn vercel_ai_gateway(api_key: Zeroizing<String>) -> Self {
        Self::new(VERCEL_AI_GATEWAY_BASE_URL).with_api_key(api_key)
    }

    /// Sets the key sent as a bearer token.
    #[must_use]
    pub fn with_api_key(mut self, api_key: Zeroizing<String>) -> Self {
        self.api_key = Some(api_key);
        self
    }

    /// Adds one extra header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }

    /// The key as a plain `&str`, for scrubbing provider messages.
    pub(crate) fn key(&self) -> Option<&str> {
        self.api_key.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values can be credentials too (`x-api-key`), so only the
        // names are shown.
        let header_names: Vec<&str> = self.extra_headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("extra_headers", &header_names)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_key_and_header_values() {
        let endpoint = Endpoint::openrouter(Zeroizing::new("sk-or-secret".into()))
            .with_header("x-api-key", "also-secret");
        let shown = format!("{endpoint:?} {endpoint:#?}");
        assert!(!shown.contains("sk-or-secret"));
        assert!(!shown.contains("also-secret"));
        assert!(shown.contains("[redacted]"));
        assert!(shown.contains("x-api-key"));
    }
}
