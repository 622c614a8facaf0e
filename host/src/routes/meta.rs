//! `/health`, `/handshake`, `/openapi.json`: what a client asks before
//! anything else. None of them blocks, so none pays the `run_blocking`
//! time limit.

use std::sync::Arc;

use agent_security::ApiError;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::api::{ErrorResponse, HandshakeRequest, HandshakeResponse, Health};
use crate::extract::ApiJson;
use crate::handshake::PROTOCOL;
use crate::state::{AppState, CAPABILITIES, VERSION};

/// Liveness and identity; the supervisor's health check.
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, body = Health), (status = 401, body = ErrorResponse)))]
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: VERSION,
        protocol: PROTOCOL,
        uptime_ms: u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Protocol negotiation: a client states its protocol and learns the
/// host's capabilities.
#[utoipa::path(post, path = "/handshake", tag = "meta", request_body = HandshakeRequest,
    responses((status = 200, body = HandshakeResponse),
              (status = 409, description = "`protocol_mismatch`", body = ErrorResponse)))]
pub async fn handshake(
    ApiJson(request): ApiJson<HandshakeRequest>,
) -> Result<Json<HandshakeResponse>, ApiError> {
    if request.protocol != PROTOCOL {
        return Err(ApiError::conflict(
            "protocol_mismatch",
            format!("this host speaks protocol {PROTOCOL}"),
        ));
    }
    if let Some(client) = request.client.as_deref() {
        tracing::debug!(client = %client.chars().take(64).collect::<String>(), "client handshake");
    }
    Ok(Json(HandshakeResponse {
        protocol: PROTOCOL,
        version: VERSION,
        capabilities: CAPABILITIES.to_vec(),
    }))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
}
