//! Model lists: a provider's OpenAI-compatible `GET {base_url}/models`,
//! cached per provider with a TTL; "test connection" (one small request
//! with the current settings); and the probe for local OpenAI-compatible
//! servers, which asks only 127.0.0.1 on the common ports.
//!
//! Speaks the domain: plain values and [`ModelsError`]; the routes shape
//! the JSON and map the errors (routes/errors.rs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use agent_provider::{
    is_missing_models_route, ChatMessage, ChatRequest, Client, ModelInfo, Provider, ProviderError,
};

use crate::agent::providers::{Providers, ProvidersError};
use crate::blocking::{run_blocking, Blocked};
use crate::clock::now_ms;

/// How long a fetched list is served without asking the provider again.
pub const MODELS_TTL: Duration = Duration::from_secs(5 * 60);
/// The whole `GET /models` (connect, answer, body).
const LIST_LIMIT: Duration = Duration::from_secs(15);
/// Each local probe (connect and answer).
pub const PROBE_LIMIT: Duration = Duration::from_millis(300);

/// The local servers probed by default: name and loopback port.
pub const LOCAL_SERVERS: [(&str, u16); 4] = [
    ("ollama", 11434),
    ("llama.cpp", 8080),
    ("lm-studio", 1234),
    ("vllm", 8000),
];

#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// Not configured (`provider_down`), or the key store failed.
    #[error(transparent)]
    Providers(#[from] ProvidersError),
    /// The provider failed and there is no earlier list to fall back on.
    #[error(transparent)]
    Provider(ProviderError),
    /// The HTTP client could not be set up (a fault).
    #[error("building the provider client failed: {0}")]
    Client(#[source] ProviderError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

/// A provider's model list.
#[derive(Clone, Debug)]
pub struct ModelList {
    pub models: Vec<ModelInfo>,
    pub fetched_at_ms: i64,
    /// The provider failed just now: this is the last list it gave, and
    /// `error` says why it is not fresher.
    pub stale: Option<ProviderError>,
}

/// The outcome of a connection test.
pub enum TestOutcome {
    Ok { latency_ms: u64 },
    Failed { code: &'static str, message: String },
}

/// One local server that answered.
pub struct LocalServer {
    pub server: String,
    pub base_url: String,
    pub models: Vec<ModelInfo>,
}

struct Cached {
    /// The base URL the list came from: a changed setting is a miss.
    base_url: String,
    at: Instant,
    list: Vec<ModelInfo>,
    fetched_at_ms: i64,
}

pub struct Models {
    providers: Arc<Providers>,
    /// Built on first use (TLS set-up is not for start-up).
    client: OnceLock<Client>,
    cache: Mutex<HashMap<Provider, Cached>>,
    ttl: Duration,
    local: Vec<(String, u16)>,
    probe: OnceLock<agent_provider::LocalProbe>,
}

impl Models {
    pub fn new(providers: Arc<Providers>, local: Vec<(String, u16)>) -> Self {
        Self {
            providers,
            client: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
            ttl: MODELS_TTL,
            local,
            probe: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&Client, ModelsError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client =
            Client::new(agent_provider::ClientConfig::default()).map_err(ModelsError::Client)?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The default local servers.
    pub fn default_local() -> Vec<(String, u16)> {
        LOCAL_SERVERS
            .iter()
            .map(|(name, port)| ((*name).to_owned(), *port))
            .collect()
    }

    /// The provider's models: from the cache when younger than the TTL
    /// (unless `refresh`), else fetched. When fetching fails and a list was
    /// fetched before, that list with `stale` set; else the failure.
    pub async fn list(&self, provider: Provider, refresh: bool) -> Result<ModelList, ModelsError> {
        let providers = self.providers.clone();
        let resolved =
            run_blocking(move || Ok::<_, ModelsError>(providers.resolve(Some(provider))?)).await?;
        let base_url = resolved.endpoint.base_url.clone();
        if !refresh {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = cache
                .get(&provider)
                .filter(|c| c.base_url == base_url && c.at.elapsed() < self.ttl)
            {
                return Ok(ModelList {
                    models: hit.list.clone(),
                    fetched_at_ms: hit.fetched_at_ms,
                    stale: None,
                });
            }
        }
        match self
            .client()?
            .list_models(&resolved.endpoint, LIST_LIMIT)
            .await
        {
            Ok(list) => Ok(self.store(provider, base_url, list)),
            Err(error) => {
                tracing::warn!(provider = provider.id(), code = error.code(), error = %error, "listing models failed");
                let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                match cache.get(&provider).filter(|c| c.base_url == base_url) {
                    Some(last) => Ok(ModelList {
                        models: last.list.clone(),
                        fetched_at_ms: last.fetched_at_ms,
                        stale: Some(error),
                    }),
                    None => Err(ModelsError::Provider(error)),
                }
            }
        }
    }

    fn store(&self, provider: Provider, base_url: String, list: Vec<ModelInfo>) -> ModelList {
        let fetched_at_ms = now_ms();
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
            provider,
            Cached {
                base_url,
                at: Instant::now(),
                list: list.clone(),
                fetched_at_ms,
            },
        );
        ModelList {
            models: list,
            fetched_at_ms,
            stale: None,
        }
    }

    /// One small request with the provider's current settings: its model
    /// list, or (a server without `/models`) a chat request for the default
    /// model whose first event is enough. Never retried.
    pub async fn test(&self, provider: Provider) -> Result<TestOutcome, ModelsError> {
        let providers = self.providers.clone();
        let resolved =
            match run_blocking(move || Ok::<_, ModelsError>(providers.resolve(Some(provider))?))
                .await
            {
                Ok(resolved) => resolved,
                Err(ModelsError::Providers(e @ ProvidersError::Down(_))) => {
                    return Ok(TestOutcome::Failed {
                        code: "provider_down",
                        message: e.to_string(),
                    })
                }
                Err(e) => return Err(e),
            };
        let started = Instant::now();
        let base_url = resolved.endpoint.base_url.clone();
        let limit = resolved.client_config.first_chunk_timeout.min(LIST_LIMIT);
        let result = match self.client()?.list_models(&resolved.endpoint, limit).await {
            Ok(list) => {
                self.store(provider, base_url, list);
                Ok(())
            }
            Err(e) if is_missing_models_route(&e) => {
                let mut config = resolved.client_config.clone();
                config.max_retries = 0;
                let client = self
                    .client()?
                    .with_config(config)
                    .map_err(ModelsError::Client)?;
                let request = ChatRequest {
                    model: resolved.default_model.clone(),
                    messages: vec![ChatMessage::User {
                        content: "Reply with one word.".to_owned(),
                    }],
                    tools: vec![],
                };
                // The first event is proof enough; dropping the stream
                // closes the connection.
                client.stream(&resolved.endpoint, &request).await.map(drop)
            }
            Err(e) => Err(e),
        };
        Ok(match result {
            Ok(()) => TestOutcome::Ok {
                latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            },
            Err(error) => {
                tracing::info!(
                    provider = provider.id(),
                    code = error.code(),
                    "connection test failed"
                );
                TestOutcome::Failed {
                    code: error.code(),
                    message: error.to_string(),
                }
            }
        })
    }

    /// Asks `http://127.0.0.1:<port>/v1/models` of each local server at
    /// once, each within [`PROBE_LIMIT`], no redirects; the ones that
    /// answered with a list, in the probe order.
    pub async fn local(&self) -> Result<Vec<LocalServer>, ModelsError> {
        let probe = match self.probe.get() {
            Some(probe) => probe,
            None => {
                let built =
                    agent_provider::LocalProbe::new(PROBE_LIMIT).map_err(ModelsError::Client)?;
                self.probe.get_or_init(|| built)
            }
        };
        let probes = self.local.iter().map(|(name, port)| {
            let base_url = format!("http://127.0.0.1:{port}/v1");
            let probe = probe.clone();
            async move {
                let found = probe.models(&base_url, PROBE_LIMIT).await;
                found.ok().map(|models| LocalServer {
                    server: name.clone(),
                    base_url,
                    models,
                })
            }
        });
        Ok(futures_util::future::join_all(probes)
            .await
            .into_iter()
            .flatten()
            .collect())
    }
}
