//! `/secrets`: provider keys in and presence out, never a key back. The
//! key is wrapped in `Zeroizing` as soon as it leaves the request body.

use std::sync::Arc;

use agent_provider::Provider;
use agent_secrets::SecretBackend;
use agent_security::ApiError;
use axum::extract::{Path, State};
use axum::Json;
use zeroize::Zeroizing;

use crate::api::{ErrorResponse, SecretList, SecretPresence, SecretStoreKind, SetSecretRequest};
use crate::extract::ApiJson;
use crate::secrets::Presence;
use crate::state::AppState;

/// Which providers have a key, and where it is kept. Never the key.
#[utoipa::path(get, path = "/secrets", operation_id = "list_secrets", tag = "secrets", responses((status = 200, body = SecretList)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<SecretList>, ApiError> {
    let mut providers = Vec::with_capacity(Provider::ALL.len());
    for provider in Provider::ALL {
        providers.push(to_api(state.secrets.presence(provider).await?));
    }
    Ok(Json(SecretList { providers }))
}

/// Whether one provider has a key.
#[utoipa::path(get, path = "/secrets/{provider}", tag = "secrets",
    params(("provider" = String, Path, description = "`openrouter`, `ai-gateway` or `custom`")),
    responses((status = 200, body = SecretPresence),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse)))]
pub async fn presence(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
) -> Result<Json<SecretPresence>, ApiError> {
    Ok(Json(to_api(
        state.secrets.presence(parse(&provider)?).await?,
    )))
}

/// Stores a provider key: the OS keyring when a Secret Service answers,
/// else `auth.json` (0600). Write-only.
#[utoipa::path(put, path = "/secrets/{provider}", tag = "secrets",
    params(("provider" = String, Path)), request_body = SetSecretRequest,
    responses((status = 200, body = SecretPresence),
              (status = 400, description = "`invalid_key`", body = ErrorResponse),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse),
              (status = 503, description = "`secret_store_unavailable`", body = ErrorResponse)))]
pub async fn set(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    ApiJson(request): ApiJson<SetSecretRequest>,
) -> Result<Json<SecretPresence>, ApiError> {
    let provider = parse(&provider)?;
    let key = Zeroizing::new(request.key);
    Ok(Json(to_api(state.secrets.set(provider, key).await?)))
}

/// Deletes a provider key from every store.
#[utoipa::path(delete, path = "/secrets/{provider}", operation_id = "delete_secret", tag = "secrets",
    params(("provider" = String, Path)),
    responses((status = 200, body = SecretPresence),
              (status = 404, description = "`unknown_provider`", body = ErrorResponse)))]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
) -> Result<Json<SecretPresence>, ApiError> {
    let provider = parse(&provider)?;
    state.secrets.delete(provider).await?;
    Ok(Json(to_api(Presence {
        provider,
        store: None,
    })))
}

fn parse(provider: &str) -> Result<Provider, ApiError> {
    Provider::parse(provider).ok_or_else(|| {
        ApiError::not_found(
            "unknown_provider",
            "unknown provider; expected openrouter, ai-gateway or custom",
        )
    })
}

fn to_api(presence: Presence) -> SecretPresence {
    SecretPresence {
        provider: presence.provider.id(),
        present: presence.store.is_some(),
        store: presence.store.map(|s| match s {
            SecretBackend::Keyring => SecretStoreKind::Keyring,
            SecretBackend::File => SecretStoreKind::File,
        }),
    }
}
