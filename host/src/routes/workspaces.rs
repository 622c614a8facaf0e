//! `/workspaces`: open, list, pin, forget, and contained file access,
//! thin over `Workspaces`; containment and its refusals happen there.

use std::sync::Arc;

use agent_security::ApiError;
use agent_storage::WorkspaceEntry;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::api::{
    DirEntry, DirListing, EntryKind, ErrorResponse, FileContent, OpenPathRequest, PinRequest,
    Workspace, WorkspaceList, WorkspacePathQuery, WriteFileRequest, WriteResult,
};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::workspaces;

/// Known workspaces: pinned first, then most recently opened.
#[utoipa::path(get, path = "/workspaces", operation_id = "list_workspaces", tag = "workspaces",
    responses((status = 200, body = WorkspaceList)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<WorkspaceList>, ApiError> {
    let entries = state.workspaces.list().await?;
    Ok(Json(WorkspaceList {
        workspaces: entries.into_iter().map(to_api).collect(),
    }))
}

/// Opens a directory as a workspace; the id is stable for its real path.
#[utoipa::path(post, path = "/workspaces", tag = "workspaces", request_body = OpenPathRequest,
    responses((status = 200, body = Workspace),
              (status = 400, description = "`invalid_path`, `not_a_directory`", body = ErrorResponse),
              (status = 403, description = "`workspace_not_allowed`: a system directory, the home directory (or above it), or a directory holding or inside a protected location", body = ErrorResponse),
              (status = 404, description = "`not_found`", body = ErrorResponse)))]
pub async fn open(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<OpenPathRequest>,
) -> Result<Json<Workspace>, ApiError> {
    Ok(Json(to_api(state.workspaces.open(request.path).await?)))
}

/// Pins or unpins a workspace.
#[utoipa::path(put, path = "/workspaces/{id}/pin", operation_id = "pin_workspace", tag = "workspaces",
    params(("id" = String, Path)), request_body = PinRequest,
    responses((status = 200, body = Workspace),
              (status = 404, description = "`unknown_workspace`", body = ErrorResponse)))]
pub async fn pin(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<Workspace>, ApiError> {
    Ok(Json(to_api(
        state.workspaces.pin(id, request.pinned).await?,
    )))
}

/// Forgets a workspace (the directory is untouched).
#[utoipa::path(delete, path = "/workspaces/{id}", operation_id = "forget_workspace", tag = "workspaces",
    params(("id" = String, Path)),
    responses((status = 204),
              (status = 404, description = "`unknown_workspace`", body = ErrorResponse)))]
pub async fn forget(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.workspaces.forget(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a directory inside the workspace.
#[utoipa::path(get, path = "/workspaces/{id}/tree", tag = "workspaces",
    params(("id" = String, Path), WorkspacePathQuery),
    responses((status = 200, body = DirListing),
              (status = 400, description = "`not_a_directory`", body = ErrorResponse),
              (status = 403, description = "`path_not_allowed`: outside the workspace; `workspace_not_allowed`", body = ErrorResponse),
              (status = 404, description = "`unknown_workspace`, `not_found`", body = ErrorResponse)))]
pub async fn tree(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WorkspacePathQuery>,
) -> Result<Json<DirListing>, ApiError> {
    let listing = state.workspaces.read_dir(id, query.path.clone()).await?;
    Ok(Json(DirListing {
        path: query.path,
        truncated: listing.truncated,
        entries: listing
            .entries
            .into_iter()
            .map(|e| DirEntry {
                name: e.name,
                kind: match e.kind {
                    workspaces::EntryKind::File => EntryKind::File,
                    workspaces::EntryKind::Dir => EntryKind::Dir,
                    workspaces::EntryKind::Symlink => EntryKind::Symlink,
                    workspaces::EntryKind::Other => EntryKind::Other,
                },
                size: e.size,
                mtime: e.mtime,
            })
            .collect(),
    }))
}

/// Reads a UTF-8 text file inside the workspace.
#[utoipa::path(get, path = "/workspaces/{id}/file", tag = "workspaces",
    params(("id" = String, Path), WorkspacePathQuery),
    responses((status = 200, body = FileContent),
              (status = 400, description = "`not_a_file`", body = ErrorResponse),
              (status = 403, description = "`path_not_allowed`", body = ErrorResponse),
              (status = 404, description = "`unknown_workspace`, `not_found`", body = ErrorResponse),
              (status = 413, description = "`file_too_large`", body = ErrorResponse),
              (status = 415, description = "`not_utf8`", body = ErrorResponse)))]
pub async fn read_file(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WorkspacePathQuery>,
) -> Result<Json<FileContent>, ApiError> {
    let text = state.workspaces.read_file(id, query.path.clone()).await?;
    Ok(Json(FileContent {
        path: query.path,
        content: text.content,
        mtime: text.mtime,
    }))
}

/// Writes a text file inside the workspace atomically.
#[utoipa::path(put, path = "/workspaces/{id}/file", tag = "workspaces",
    params(("id" = String, Path)), request_body = WriteFileRequest,
    responses((status = 200, body = WriteResult),
              (status = 400, description = "`not_a_file`", body = ErrorResponse),
              (status = 403, description = "`path_not_allowed`", body = ErrorResponse),
              (status = 404, description = "`unknown_workspace`", body = ErrorResponse),
              (status = 409, description = "`conflict`", body = ErrorResponse)))]
pub async fn write_file(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<WriteFileRequest>,
) -> Result<Json<WriteResult>, ApiError> {
    let mtime = state
        .workspaces
        .write_file(id, request.path, request.content, request.expected_mtime)
        .await?;
    Ok(Json(WriteResult { mtime }))
}

fn to_api(entry: WorkspaceEntry) -> Workspace {
    Workspace {
        id: entry.id,
        path: entry.path.to_string_lossy().into_owned(),
        name: entry.name,
        pinned: entry.pinned,
        last_opened_ms: entry.last_opened_ms,
    }
}
