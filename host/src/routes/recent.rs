//! `/recent`: the recent-documents list, thin over `Recent` (touch
//! resolves the id through `Documents` first, so only registered
//! documents enter the list).

use std::sync::Arc;

use agent_security::ApiError;
use agent_storage::RecentEntry;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::api::{ErrorResponse, PinRequest, RecentFile, RecentList, TouchRecentRequest};
use crate::extract::ApiJson;
use crate::state::AppState;

/// Recent documents: pinned first, then most recent first.
#[utoipa::path(get, path = "/recent", operation_id = "list_recent", tag = "recent", responses((status = 200, body = RecentList)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<RecentList>, ApiError> {
    let entries = state.recent.list().await?;
    Ok(Json(RecentList {
        entries: entries.into_iter().map(to_api).collect(),
    }))
}

/// Marks a registered document as just opened.
#[utoipa::path(post, path = "/recent", tag = "recent", request_body = TouchRecentRequest,
    responses((status = 200, body = RecentFile),
              (status = 404, description = "`unknown_document`", body = ErrorResponse)))]
pub async fn touch(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<TouchRecentRequest>,
) -> Result<Json<RecentFile>, ApiError> {
    let doc = state.documents.resolve(request.doc_id).await?;
    Ok(Json(to_api(state.recent.touch(doc).await?)))
}

/// Pins or unpins a recent document; pinned entries are never evicted.
#[utoipa::path(put, path = "/recent/{doc_id}/pin", operation_id = "pin_recent", tag = "recent",
    params(("doc_id" = String, Path)), request_body = PinRequest,
    responses((status = 200, body = RecentFile),
              (status = 404, description = "`not_recent`", body = ErrorResponse)))]
pub async fn pin(
    State(state): State<Arc<AppState>>,
    Path(doc_id): Path<String>,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<RecentFile>, ApiError> {
    Ok(Json(to_api(
        state.recent.pin(doc_id, request.pinned).await?,
    )))
}

/// Removes a document from the recent list (the file is untouched).
#[utoipa::path(delete, path = "/recent/{doc_id}", operation_id = "forget_recent", tag = "recent",
    params(("doc_id" = String, Path)),
    responses((status = 204), (status = 404, description = "`not_recent`", body = ErrorResponse)))]
pub async fn forget(
    State(state): State<Arc<AppState>>,
    Path(doc_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.recent.forget(doc_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn to_api(entry: RecentEntry) -> RecentFile {
    RecentFile {
        doc_id: entry.doc_id,
        path: entry.path.to_string_lossy().into_owned(),
        pinned: entry.pinned,
        last_opened_ms: entry.last_opened_ms,
    }
}
