//! `/providers` and `/workspaces/{id}/policy`: the agent's settings. The
//! agent validates and keeps them; these handlers only parse the provider
//! name from the path and shape the JSON.

use std::sync::Arc;

use agent_provider::{ModelInfo, Provider};
use agent_security::{ApiError, ErrorDetail};
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::errors::provider_failure;
use crate::agent::policy::ToolPolicy;
use crate::agent::providers::{ProviderSettings, ProviderSettingsPatch, ProviderStatus};
use crate::api::ErrorResponse;
use crate::extract::{ApiJson, ApiQuery};
use crate::models::TestOutcome;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    /// In resolution order.
    pub providers: Vec<ProviderStatus>,
}

/// Which providers can serve a turn (keys are never shown).
#[utoipa::path(get, path = "/providers", operation_id = "list_providers", tag = "providers", responses((status = 200, body = ProviderList)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<ProviderList>, ApiError> {
    let providers = state.agent.provider_status().await?;
    Ok(Json(ProviderList { providers }))
}

/// Sets a provider's base URL, default model and timeouts.
#[utoipa::path(put, path = "/providers/{provider}", tag = "providers",
    params(("provider" = String, Path)), request_body = ProviderSettings,
    responses((status = 200, body = ProviderList),
              (status = 400, description = "`invalid_base_url`, `invalid_timeout`, `invalid_retries`", body = ErrorResponse),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse)))]
pub async fn configure(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    ApiJson(settings): ApiJson<ProviderSettings>,
) -> Result<Json<ProviderList>, ApiError> {
    let provider = parse_provider(&provider)?;
    let providers = state.agent.configure_provider(provider, settings).await?;
    Ok(Json(ProviderList { providers }))
}

/// Changes the provider's settings that the body names: a field left out
/// keeps its value, `null` puts it back to the default.
#[utoipa::path(patch, path = "/providers/{provider}", operation_id = "update_provider", tag = "providers",
    params(("provider" = String, Path)), request_body = ProviderSettingsPatch,
    responses((status = 200, body = ProviderList),
              (status = 400, description = "`invalid_base_url`, `invalid_timeout`, `invalid_retries`", body = ErrorResponse),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse)))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    ApiJson(patch): ApiJson<ProviderSettingsPatch>,
) -> Result<Json<ProviderList>, ApiError> {
    let provider = parse_provider(&provider)?;
    let providers = state.agent.update_provider(provider, patch).await?;
    Ok(Json(ProviderList { providers }))
}

/// The workspace's tool permissions.
#[utoipa::path(get, path = "/workspaces/{id}/policy", tag = "workspaces",
    params(("id" = String, Path)),
    responses((status = 200, body = ToolPolicy),
              (status = 404, description = "`unknown_workspace`", body = ErrorResponse)))]
pub async fn get_policy(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ToolPolicy>, ApiError> {
    Ok(Json(state.agent.policy(id).await?))
}

/// Replaces the workspace's tool permissions.
#[utoipa::path(put, path = "/workspaces/{id}/policy", tag = "workspaces",
    params(("id" = String, Path)), request_body = ToolPolicy,
    responses((status = 200, body = ToolPolicy),
              (status = 400, description = "`invalid_path`: a read-only path that is not absolute", body = ErrorResponse),
              (status = 403, description = "`read_only_path_not_allowed`: a read-only path that is or holds the home directory or a protected location", body = ErrorResponse),
              (status = 404, description = "`unknown_workspace`", body = ErrorResponse)))]
pub async fn set_policy(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(policy): ApiJson<ToolPolicy>,
) -> Result<Json<ToolPolicy>, ApiError> {
    Ok(Json(state.agent.set_policy(id, policy).await?))
}

/// One model of a provider's or a local server's list.
#[derive(Serialize, ToSchema)]
pub struct Model {
    pub id: String,
    /// A display name, when the provider gives one (OpenRouter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tokens of context, when the provider says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
    /// Prices per token as the provider writes them (OpenRouter: decimal
    /// strings, US dollars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<ModelPricing>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelPricing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<String>,
}

impl From<ModelInfo> for Model {
    fn from(m: ModelInfo) -> Self {
        Model {
            id: m.id,
            name: m.name,
            context_length: m.context_length,
            pricing: m.pricing.map(|p| ModelPricing {
                prompt: p.prompt,
                completion: p.completion,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModelListBody {
    pub models: Vec<Model>,
    /// When this list was fetched from the provider (ms since the epoch).
    pub fetched_at_ms: i64,
    /// True when the provider failed just now and this is the last list
    /// it gave; `error` says why.
    pub stale: bool,
    /// Only with `stale`: the provider's failure (its stable code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelsQuery {
    /// Ask the provider even when the cached list is fresh.
    #[serde(default)]
    pub refresh: bool,
}

fn parse_provider(provider: &str) -> Result<Provider, ApiError> {
    Provider::parse(provider).ok_or_else(|| {
        ApiError::not_found(
            "unknown_provider",
            "expected openrouter, ai-gateway or custom",
        )
    })
}

/// The provider's models (`GET {base_url}/models`), cached 5 minutes.
#[utoipa::path(get, path = "/providers/{provider}/models", tag = "providers",
    params(("provider" = String, Path), ModelsQuery),
    responses((status = 200, description = "The list; `stale: true` with `error` when the provider failed and this is the last list it gave", body = ModelListBody),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse),
              (status = 409, description = "`provider_down`: the provider is not configured (no key, or no base URL)", body = ErrorResponse),
              (status = 502, description = "the provider failed and no list was fetched before: `provider_connect`, `provider_auth`, `provider_status`, `provider_rate_limited`, `provider_protocol`, `provider_error`, `provider_interrupted`", body = ErrorResponse),
              (status = 504, description = "`provider_timeout`", body = ErrorResponse)))]
pub async fn models(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    ApiQuery(query): ApiQuery<ModelsQuery>,
) -> Result<Json<ModelListBody>, ApiError> {
    let provider = parse_provider(&provider)?;
    let list = state.models.list(provider, query.refresh).await?;
    let error = list.stale.as_ref().map(|e| {
        let api = provider_failure(e);
        ErrorDetail {
            code: api.code.to_owned(),
            message: api.message,
        }
    });
    Ok(Json(ModelListBody {
        models: list.models.into_iter().map(Model::from).collect(),
        fetched_at_ms: list.fetched_at_ms,
        stale: error.is_some(),
        error,
    }))
}

/// The result of a connection test.
#[derive(Serialize, ToSchema)]
pub struct ConnectionTest {
    pub ok: bool,
    /// With `ok`: how long the request took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Without `ok`: `provider_down` (not configured) or a provider code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Makes one small request with the provider's current settings (its
/// model list, or a chat request when it has no `/models`).
#[utoipa::path(post, path = "/providers/{provider}/test", tag = "providers",
    params(("provider" = String, Path)),
    responses((status = 200, description = "`{ok: true, latency_ms}` or `{ok: false, code, message}`", body = ConnectionTest),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse)))]
pub async fn test(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
) -> Result<Json<ConnectionTest>, ApiError> {
    let provider = parse_provider(&provider)?;
    Ok(Json(match state.models.test(provider).await? {
        TestOutcome::Ok { latency_ms } => ConnectionTest {
            ok: true,
            latency_ms: Some(latency_ms),
            code: None,
            message: None,
        },
        TestOutcome::Failed { code, message } => ConnectionTest {
            ok: false,
            latency_ms: None,
            code: Some(code.to_owned()),
            message: Some(message),
        },
    }))
}

/// A local OpenAI-compatible server that answered.
#[derive(Serialize, ToSchema)]
pub struct LocalServerBody {
    /// `ollama`, `llama.cpp`, `lm-studio` or `vllm` (by port).
    pub server: String,
    /// `http://127.0.0.1:<port>/v1`, ready for `PUT /providers/custom`.
    pub base_url: String,
    pub models: Vec<Model>,
}

#[derive(Serialize, ToSchema)]
pub struct LocalServers {
    pub servers: Vec<LocalServerBody>,
}

/// Local OpenAI-compatible servers: asks only 127.0.0.1 on the common
/// ports (Ollama 11434, llama.cpp 8080, LM Studio 1234, vLLM 8000) for
/// `/v1/models`, concurrently, 300 ms each, no redirects.
#[utoipa::path(get, path = "/local-models", tag = "providers",
    responses((status = 200, body = LocalServers)))]
pub async fn local_models(
    State(state): State<Arc<AppState>>,
) -> Result<Json<LocalServers>, ApiError> {
    let servers = state.models.local().await?;
    Ok(Json(LocalServers {
        servers: servers
            .into_iter()
            .map(|s| LocalServerBody {
                server: s.server,
                base_url: s.base_url,
                models: s.models.into_iter().map(Model::from).collect(),
            })
            .collect(),
    }))
}
