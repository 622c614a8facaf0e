//! The provider registry: which OpenAI-compatible endpoint a turn uses.
//!
//! Resolution order without an explicit choice: OpenRouter (needs a key),
//! then Vercel AI Gateway (needs a key), then the custom endpoint (needs a
//! base URL; the key is optional, e.g. a local Ollama), else unavailable.
//! Settings (base URL overrides, default models) live in `providers.json`.
//! Fails with [`ProvidersError`]; the routes map it to HTTP.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use agent_provider::Provider;
use agent_provider::{ClientConfig, Endpoint};
use agent_secrets::{SecretError, SecretStore};
use agent_storage::{load_json, save_json, FileMode, StorageError};
use serde::{Deserialize, Serialize};

pub const OPENROUTER_URL: &str = "https://openrouter.ai/api/v1";
pub const AI_GATEWAY_URL: &str = "https://ai-gateway.vercel.sh/v1";
const DEFAULT_MODEL: &str = "openai/gpt-4o-mini";

/// Why resolving or configuring a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvidersError {
    /// No provider can serve a turn (the message says which is missing
    /// what).
    #[error("{0}")]
    Down(String),
    /// A key could not be read (its `Display` never contains a key).
    #[error("the secret store could not be read")]
    SecretStore(#[source] SecretError),
    #[error("timeouts must be between 10 ms and 10 minutes")]
    InvalidTimeout,
    #[error("max_retries is at most 10")]
    InvalidRetries,
    #[error("{0}")]
    InvalidBaseUrl(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ProviderSettings {
    /// Overrides the provider's base URL (required for `custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Model used when a turn names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model: Option<String>,
    /// Time allowed until the provider's first chunk (default 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_chunk_timeout_ms: Option<u64>,
    /// Time allowed between chunks once streaming (default 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// Retries on 429/5xx before the first token (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

/// A change to one provider's settings (`PATCH`): a field left out keeps
/// its stored value, `null` puts it back to the default, a value replaces
/// it. (`PUT` replaces them all: a form that sends only what it shows
/// would reset the rest.)
#[derive(Clone, Debug, Default, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ProviderSettingsPatch {
    /// Overrides the provider's base URL (required for `custom`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub base_url: Option<Option<String>>,
    /// Model used when a turn names none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub default_model: Option<Option<String>>,
    /// Time allowed until the provider's first chunk (default 60 s).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub first_chunk_timeout_ms: Option<Option<u64>>,
    /// Time allowed between chunks once streaming (default 60 s).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub idle_timeout_ms: Option<Option<u64>>,
    /// Retries on 429/5xx before the first token (default 3).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub max_retries: Option<Option<u32>>,
}

/// A field that is present: `null` is `Some(None)` (absent stays `None`,
/// by `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl ProviderSettingsPatch {
    fn apply(self, mut to: ProviderSettings) -> ProviderSettings {
        fn set<T>(field: &mut Option<T>, change: Option<Option<T>>) {
            if let Some(value) = change {
                *field = value;
            }
        }
        set(&mut to.base_url, self.base_url);
        set(&mut to.default_model, self.default_model);
        set(&mut to.first_chunk_timeout_ms, self.first_chunk_timeout_ms);
        set(&mut to.idle_timeout_ms, self.idle_timeout_ms);
        set(&mut to.max_retries, self.max_retries);
        to
    }
}

impl ProviderSettings {
    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        if let Some(ms) = self.first_chunk_timeout_ms {
            config.first_chunk_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = self.idle_timeout_ms {
            config.idle_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = self.max_retries {
            config.max_retries = n;
        }
        config
    }
}

#[derive(Default, Serialize, Deserialize)]
struct SettingsFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderSettings>,
}

/// One provider's availability, for the renderer's settings page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProviderStatus {
    pub provider: &'static str,
    pub available: bool,
    pub base_url: String,
    pub default_model: String,
    pub has_key: bool,
}

/// What a turn needs to call a provider.
pub struct Resolved {
    pub provider: Provider,
    pub endpoint: Endpoint,
    pub default_model: String,
    pub client_config: ClientConfig,
}

pub struct Providers {
    path: PathBuf,
    settings: Mutex<SettingsFile>,
    secrets: Arc<SecretStore>,
}

impl Providers {
    pub fn load(path: PathBuf, secrets: Arc<SecretStore>) -> agent_storage::Result<Self> {
        let settings = load_json(&path)?;
        Ok(Self {
            path,
            settings: Mutex::new(settings),
            secrets,
        })
    }

    fn settings(&self, provider: Provider) -> ProviderSettings {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .providers
            .get(provider.id())
            .cloned()
            .unwrap_or_default()
    }

    fn base_url(provider: Provider, settings: &ProviderSettings) -> Option<String> {
        settings.base_url.clone().or(match provider {
            Provider::OpenRouter => Some(OPENROUTER_URL.to_owned()),
            Provider::AiGateway => Some(AI_GATEWAY_URL.to_owned()),
            Provider::Custom => None,
        })
    }

    /// Blocking (keyring). Picks the provider for a turn, or
    /// [`ProvidersError::Down`] before any stream opens.
    pub fn resolve(&self, explicit: Option<Provider>) -> Result<Resolved, ProvidersError> {
        let candidates: Vec<Provider> = match explicit {
            Some(p) => vec![p],
            None => Provider::ALL.to_vec(),
        };
        for provider in candidates {
            let settings = self.settings(provider);
            let Some(base_url) = Self::base_url(provider, &settings) else {
                continue;
            };
            let key = self
                .secrets
                .get(provider)
                .map_err(ProvidersError::SecretStore)?;
            if key.is_none() && provider != Provider::Custom {
                continue;
            }
            let mut endpoint = Endpoint::new(base_url);
            if let Some(key) = key {
                endpoint = endpoint.with_api_key(key);
            }
            if provider == Provider::OpenRouter {
                endpoint = endpoint
                    .with_header("HTTP-Referer", "https://agent-host.local")
                    .with_header("X-Title", "agent-host");
            }
            return Ok(Resolved {
                provider,
                endpoint,
                client_config: settings.client_config(),
                default_model: settings
                    .default_model
                    .unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
            });
        }
        let message = match explicit {
            Some(p) => format!("provider {} is not configured (no key or base URL)", p.id()),
            None => "no provider is configured: add an OpenRouter or AI Gateway key, \
                     or a custom OpenAI-compatible base URL"
                .to_owned(),
        };
        Err(ProvidersError::Down(message))
    }

    /// Blocking (keyring).
    pub fn status(&self) -> Vec<ProviderStatus> {
        Provider::ALL
            .iter()
            .map(|&provider| {
                let settings = self.settings(provider);
                let base_url = Self::base_url(provider, &settings);
                let has_key = matches!(self.secrets.has(provider), Ok(Some(_)));
                ProviderStatus {
                    provider: provider.id(),
                    available: base_url.is_some() && (has_key || provider == Provider::Custom),
                    base_url: base_url.unwrap_or_default(),
                    default_model: settings
                        .default_model
                        .unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
                    has_key,
                }
            })
            .collect()
    }

    /// Blocking. Validates and persists one provider's settings (all of
    /// them: what `settings` leaves out is back to its default).
    pub fn configure(
        &self,
        provider: Provider,
        settings: ProviderSettings,
    ) -> Result<(), ProvidersError> {
        validate(&settings)?;
        let mut file = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        self.store(&mut file, provider, settings)
    }

    /// Blocking. Changes the fields `patch` names, keeps the others, and
    /// validates and persists the result.
    pub fn update(
        &self,
        provider: Provider,
        patch: ProviderSettingsPatch,
    ) -> Result<(), ProvidersError> {
        let mut file = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        let current = file
            .providers
            .get(provider.id())
            .cloned()
            .unwrap_or_default();
        let settings = patch.apply(current);
        validate(&settings)?;
        self.store(&mut file, provider, settings)
    }

    fn store(
        &self,
        file: &mut SettingsFile,
        provider: Provider,
        settings: ProviderSettings,
    ) -> Result<(), ProvidersError> {
        let previous = file.providers.insert(provider.id().to_owned(), settings);
        if let Err(e) = save_json(&self.path, &*file, FileMode::Private) {
            // Keep memory and disk in agreement.
            match previous {
                Some(p) => file.providers.insert(provider.id().to_owned(), p),
                None => file.providers.remove(provider.id()),
            };
            return Err(e.into());
        }
        Ok(())
    }
}

fn validate(settings: &ProviderSettings) -> Result<(), ProvidersError> {
    for ms in [settings.first_chunk_timeout_ms, settings.idle_timeout_ms]
        .into_iter()
        .flatten()
    {
        if !(10..=600_000).contains(&ms) {
            return Err(ProvidersError::InvalidTimeout);
        }
    }
    if settings.max_retries.is_some_and(|n| n > 10) {
        return Err(ProvidersError::InvalidRetries);
    }
    if let Some(url) = &settings.base_url {
        let parsed = url::Url::parse(url)
            .map_err(|_| ProvidersError::InvalidBaseUrl("base_url is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ProvidersError::InvalidBaseUrl(
                "base_url must be an http(s) URL",
            ));
        }
        // The key travels with every request: plain http only where it
        // cannot leave the machine.
        if parsed.scheme() == "http" && !is_loopback(&parsed) {
            return Err(ProvidersError::InvalidBaseUrl(
                "plain http is allowed only for loopback endpoints; use https",
            ));
        }
    }
    Ok(())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let ok = |u: &str| is_loopback(&url::Url::parse(u).unwrap());
        assert!(ok("http://127.0.0.1:8080/v1"));
        assert!(ok("http://localhost:11434/v1"));
        assert!(ok("http://[::1]/v1"));
        assert!(!ok("http://example.invalid/v1"));
        assert!(!ok("http://192.168.1.5:11434/v1"));
        assert!(!ok("http://127.0.0.1.example.com/v1"));
    }
}
