//! Everything about one call that does not change between attempts: URL,
//! headers, body. Built once so that a bad endpoint fails before any
//! network traffic, and retries resend identical bytes.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use zeroize::Zeroizing;

use crate::endpoint::Endpoint;
use crate::error::ProviderError;
use crate::message::{ChatRequest, WireRequest};

/// `{base_url}/{path}`, refused unless http(s). The URL is never echoed:
/// it may carry a token in its query.
pub(crate) fn endpoint_url(base_url: &str, path: &str) -> Result<url::Url, ProviderError> {
    let joined = format!("{}/{path}", base_url.trim_end_matches('/'));
    url::Url::parse(&joined)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| ProviderError::Connect("the endpoint base URL is not an http(s) URL".into()))
}

/// `{base_url}/models`.
pub(crate) fn models_url(base_url: &str) -> Result<url::Url, ProviderError> {
    endpoint_url(base_url, "models")
}

/// The bearer key (sensitive) and the endpoint's extra headers (sensitive
/// too: they are often credentials), inserted last so an endpoint can
/// override the defaults.
pub(crate) fn auth_headers(endpoint: &Endpoint) -> Result<HeaderMap, ProviderError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = endpoint.key().filter(|key| !key.is_empty()) {
        let bearer = Zeroizing::new(format!("Bearer {key}"));
        let mut value = HeaderValue::from_str(&bearer).map_err(|_| {
            ProviderError::Connect("the API key is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    for (name, value) in &endpoint.extra_headers {
        let invalid =
            || ProviderError::Connect("an extra header has an invalid name or value".into());
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let mut value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(headers)
}

pub(crate) struct Prepared {
    pub(crate) url: url::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Kept only to scrub it out of provider messages.
    pub(crate) key: Option<Zeroizing<String>>,
}

impl Prepared {
    pub(crate) fn new(endpoint: &Endpoint, request: &ChatRequest) -> Result<Self, ProviderError> {
        let url = endpoint_url(&endpoint.base_url, "chat/completions")?;
        let mut headers = auth_headers(endpoint)?;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        // The endpoint's own headers win over the defaults.
        for (name, value) in &endpoint.extra_headers {
            if let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                value.set_sensitive(true);
                headers.insert(name, value);
            }
        }

        let body = serde_json::to_vec(&WireRequest::new(request)).map_err(|err| {
            ProviderError::Protocol(format!("could not encode the request: {err}"))
        })?;
        Ok(Self {
            url,
            headers,
            body: Bytes::from(body),
            key: endpoint.api_key.clone(),
        })
    }

    pub(crate) fn key(&self) -> Option<&str> {
        self.key.as_deref().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ChatMessage;

    fn request() -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![ChatMessage::User {
                content: "hi".into(),
            }],
            tools: vec![],
        }
    }

    #[test]
    fn joins_the_path_and_sets_a_sensitive_bearer() {
        let endpoint = Endpoint::new("https://openrouter.ai/api/v1/")
            .with_api_key(Zeroizing::new("sk-1".into()))
            .with_header("X-Title", "Agent");
        let prepared = Prepared::new(&endpoint, &request()).unwrap();
        assert_eq!(
            prepared.url.as_str(),
            "https://openrouter.ai/api/v1/chat/completions"
        );
        let auth = &prepared.headers[AUTHORIZATION];
        assert_eq!(auth, "Bearer sk-1");
        assert!(auth.is_sensitive());
        assert_eq!(prepared.headers["x-title"], "Agent");
    }

    #[test]
    fn bad_endpoints_fail_without_echoing_anything() {
        for base in ["ftp://host/v1", "not a url", ""] {
            let err = Prepared::new(&Endpoint::new(base), &request())
                .err()
                .unwrap();
            assert_eq!(err.code(), "provider_connect");
        }
        let endpoint = Endpoint::new("http://h/v1").with_header("bad name", "secret\nvalue");
        let err = Prepared::new(&endpoint, &request()).err().unwrap();
        assert!(!err.to_string().contains("secret"));
    }
}
