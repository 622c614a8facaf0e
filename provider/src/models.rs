//! `GET {base_url}/models`: the OpenAI-compatible model list
//! (`{"object":"list","data":[{"id","object":"model",…}]}`), with
//! OpenRouter's extra fields (`name`, `context_length`, `pricing`) kept
//! when present.
//!
//! Failures are the same [`ProviderError`]s as a chat request's, so a
//! provider that is down or refuses its key has one code everywhere.

use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::time::{timeout_at, Instant};

use crate::chunk::describe_error;
use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::error::{scrub, truncate, ProviderError};
use crate::request::{auth_headers, models_url};
use crate::transport::describe;

/// Largest model list read (OpenRouter's is about 1 MB).
const MAX_MODELS_BODY: usize = 16 * 1024 * 1024;
/// Most models kept from one list.
const MAX_MODELS: usize = 10_000;

/// One model of a provider's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    /// A display name (OpenRouter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tokens of context (OpenRouter `context_length`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// Prices per token as the provider writes them (OpenRouter: decimal
    /// strings in US dollars, e.g. `{"prompt":"0.000001"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<ModelPricing>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPricing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<String>,
}

/// Whether the server has no model list at all (404/405 on `/models`),
/// as opposed to a list request that failed.
pub fn is_missing_models_route(error: &ProviderError) -> bool {
    matches!(
        error,
        ProviderError::Status {
            status: 404 | 405,
            ..
        }
    )
}

impl Client {
    /// `GET {base_url}/models` with the endpoint's key and headers, within
    /// `limit` (connect and body included). Never retried: a picker asks
    /// again.
    pub async fn list_models(
        &self,
        endpoint: &Endpoint,
        limit: Duration,
    ) -> Result<Vec<ModelInfo>, ProviderError> {
        let url = models_url(&endpoint.base_url)?;
        let headers = auth_headers(endpoint)?;
        fetch_models(self.plain_http(), url, headers, limit, endpoint.key()).await
    }
}

/// The probe for local OpenAI-compatible servers: `GET {base_url}/models`
/// with no key, no proxy and no redirects followed (a redirect is a
/// failed probe, never a hop to another host). Cheap to clone.
#[derive(Clone, Debug)]
pub struct LocalProbe {
    http: reqwest::Client,
}

impl LocalProbe {
    pub fn new(connect_timeout: Duration) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(connect_timeout)
            .user_agent(concat!("agent-host/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                ProviderError::Connect(format!("could not set up HTTP: {}", describe(&err)))
            })?;
        Ok(Self { http })
    }

    /// The server's models, within `limit` overall.
    pub async fn models(
        &self,
        base_url: &str,
        limit: Duration,
    ) -> Result<Vec<ModelInfo>, ProviderError> {
        let url = models_url(base_url)?;
        fetch_models(
            &self.http,
            url,
            reqwest::header::HeaderMap::new(),
            limit,
            None,
        )
        .await
    }
}

async fn fetch_models(
    http: &reqwest::Client,
    url: url::Url,
    headers: reqwest::header::HeaderMap,
    limit: Duration,
    key: Option<&str>,
) -> Result<Vec<ModelInfo>, ProviderError> {
    let deadline = Instant::now() + limit;
    let send = http.get(url).headers(headers).send();
    let response = match timeout_at(deadline, send).await {
        Err(_) => return Err(ProviderError::FirstChunkTimeout(limit)),
        Ok(Err(err)) => return Err(ProviderError::Connect(describe(&err))),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    let body = read_body(response, deadline, limit).await?;
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .filter(|e| !e.is_null())
                    .and_then(|e| describe_error(e).0)
            })
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned());
        let message = scrub(&message, key);
        return Err(if status == StatusCode::TOO_MANY_REQUESTS {
            ProviderError::RateLimited { message }
        } else {
            ProviderError::Status {
                status: status.as_u16(),
                message,
            }
        });
    }
    parse_models(&body, key)
}

async fn read_body(
    mut response: reqwest::Response,
    deadline: Instant,
    limit: Duration,
) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    loop {
        match timeout_at(deadline, response.chunk()).await {
            Err(_) => return Err(ProviderError::FirstChunkTimeout(limit)),
            Ok(Err(err)) => return Err(ProviderError::Interrupted(describe(&err))),
            Ok(Ok(None)) => return Ok(body),
            Ok(Ok(Some(bytes))) => {
                if body.len() + bytes.len() > MAX_MODELS_BODY {
                    return Err(ProviderError::Protocol(
                        "the model list is too large".into(),
                    ));
                }
                body.extend_from_slice(&bytes);
            }
        }
    }
}

#[derive(Deserialize)]
struct ListBody {
    #[serde(default)]
    data: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// The `data` array of a list; entries without a string `id` are skipped.
pub(crate) fn parse_models(
    body: &[u8],
    key: Option<&str>,
) -> Result<Vec<ModelInfo>, ProviderError> {
    let list: ListBody = serde_json::from_slice(body).map_err(|_| {
        ProviderError::Protocol("the model list is not an OpenAI-compatible list".into())
    })?;
    if let Some(error) = list.error.filter(|e| !e.is_null()) {
        let (message, code) = describe_error(&error);
        return Err(ProviderError::Api {
            message: scrub(message.as_deref().unwrap_or("unknown error"), key),
            code: code.map(|c| scrub(&c, key)),
        });
    }
    let data = list
        .data
        .ok_or_else(|| ProviderError::Protocol("the model list has no `data` array".into()))?;
    Ok(data
        .iter()
        .filter_map(model_from)
        .take(MAX_MODELS)
        .collect())
}

fn model_from(value: &serde_json::Value) -> Option<ModelInfo> {
    let id = value.get("id")?.as_str()?.trim();
    if id.is_empty() {
        return None;
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(truncate(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let pricing = value
        .get("pricing")
        .filter(|p| p.is_object())
        .map(|p| ModelPricing {
            prompt: p.get("prompt").and_then(text),
            completion: p.get("completion").and_then(text),
        });
    Some(ModelInfo {
        id: truncate(id),
        name: value.get("name").and_then(|n| n.as_str()).map(truncate),
        context_length: value.get("context_length").and_then(|c| c.as_u64()),
        pricing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openai_and_openrouter_lists() {
        let body = br#"{"object":"list","data":[
            {"id":"gpt-4o","object":"model","owned_by":"openai"},
            {"id":"anthropic/claude","name":"Claude","context_length":200000,
             "pricing":{"prompt":"0.000003","completion":0.000015}},
            {"object":"model"},
            {"id":""}
        ]}"#;
        let models = parse_models(body, None).unwrap();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0].id, "gpt-4o");
        assert_eq!(models[0].name, None);
        assert_eq!(models[1].name.as_deref(), Some("Claude"));
        assert_eq!(models[1].context_length, Some(200_000));
        let pricing = models[1].pricing.clone().unwrap();
        assert_eq!(pricing.prompt.as_deref(), Some("0.000003"));
        assert_eq!(pricing.completion.as_deref(), Some("0.000015"));
    }

    #[test]
    fn refuses_what_is_not_a_list_and_scrubs_errors() {
        assert_eq!(
            parse_models(b"<html>", None).unwrap_err().code(),
            "provider_protocol"
        );
        assert_eq!(
            parse_models(b"{}", None).unwrap_err().code(),
            "provider_protocol"
        );
        let error =
            parse_models(br#"{"error":{"message":"bad key sk-1"}}"#, Some("sk-1")).unwrap_err();
        assert!(!error.to_string().contains("sk-1"));
    }
}
