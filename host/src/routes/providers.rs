//! `/providers` and `/workspaces/{id}/policy`: the agent's settings. The
//! agent validates and keeps them; these handlers only parse the provider
//! name from the path and shape the JSON.

use std::sync::Arc;

use agent_provider::Provider;
use agent_security::ApiError;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::agent::policy::ToolPolicy;
use crate::agent::providers::{ProviderSettings, ProviderStatus};
use crate::api::ErrorResponse;
use crate::extract::ApiJson;
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
    let provider = Provider::parse(&provider).ok_or_else(|| {
        ApiError::not_found(
            "unknown_provider",
            "expected openrouter, ai-gateway or custom",
        )
    })?;
    let providers = state.agent.configure_provider(provider, settings).await?;
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
