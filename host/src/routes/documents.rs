//! `/documents`: register a file, read it, save it against its version.
//! Thin over `Documents` (and `Recent`, which registering touches); its
//! errors become HTTP in `errors.rs`.

use std::sync::Arc;

use agent_security::ApiError;
use axum::extract::{Path, State};
use axum::Json;

use crate::api::{
    DocumentContent, DocumentInfo, ErrorResponse, OpenDocumentRequest, WriteDocumentRequest,
    WriteResult,
};
use crate::extract::ApiJson;
use crate::state::AppState;

/// Registers a file (opening it) and returns its stable `doc_id`; also
/// records it in the recent files.
/// With `content`, creates the file first (Save As), never over an
/// existing one.
#[utoipa::path(post, path = "/documents", tag = "documents", request_body = OpenDocumentRequest,
    responses((status = 200, body = DocumentInfo),
              (status = 400, description = "`invalid_path`, `not_a_file`, `not_a_directory`", body = ErrorResponse),
              (status = 403, description = "`path_not_allowed`: a protected location", body = ErrorResponse),
              (status = 404, description = "`not_found`", body = ErrorResponse),
              (status = 409, description = "`conflict`: creating, and a file is there", body = ErrorResponse),
              (status = 413, description = "`file_too_large`", body = ErrorResponse)))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<OpenDocumentRequest>,
) -> Result<Json<DocumentInfo>, ApiError> {
    let doc = match request.content {
        Some(content) => state.documents.create(request.path, content).await?,
        None => state.documents.register(request.path).await?,
    };
    let info = DocumentInfo {
        doc_id: doc.doc_id.clone(),
        name: file_name(&doc.path),
        path: doc.path.to_string_lossy().into_owned(),
    };
    state.recent.touch(doc).await?;
    Ok(Json(info))
}

/// Reads a document's text and version.
#[utoipa::path(get, path = "/documents/{doc_id}", tag = "documents",
    params(("doc_id" = String, Path)),
    responses((status = 200, body = DocumentContent),
              (status = 403, description = "`path_not_allowed`: the file now resolves into a protected location", body = ErrorResponse),
              (status = 404, description = "`unknown_document`, `not_found`", body = ErrorResponse),
              (status = 413, description = "`file_too_large`", body = ErrorResponse),
              (status = 415, description = "`not_utf8`", body = ErrorResponse)))]
pub async fn read(
    State(state): State<Arc<AppState>>,
    Path(doc_id): Path<String>,
) -> Result<Json<DocumentContent>, ApiError> {
    let (doc, text) = state.documents.read(doc_id).await?;
    Ok(Json(DocumentContent {
        doc_id: doc.doc_id,
        path: doc.path.to_string_lossy().into_owned(),
        content: text.content,
        mtime: text.mtime,
    }))
}

/// Saves a document atomically if it has not changed on disk since the
/// client read it.
#[utoipa::path(put, path = "/documents/{doc_id}", tag = "documents",
    params(("doc_id" = String, Path)), request_body = WriteDocumentRequest,
    responses((status = 200, body = WriteResult),
              (status = 403, description = "`path_not_allowed`: the file now resolves into a protected location", body = ErrorResponse),
              (status = 404, description = "`unknown_document`", body = ErrorResponse),
              (status = 409, description = "`conflict`: changed or removed on disk", body = ErrorResponse)))]
pub async fn write(
    State(state): State<Arc<AppState>>,
    Path(doc_id): Path<String>,
    ApiJson(request): ApiJson<WriteDocumentRequest>,
) -> Result<Json<WriteResult>, ApiError> {
    let (_, mtime) = state
        .documents
        .write(
            doc_id,
            request.content,
            (!request.recreate).then_some(request.expected_mtime),
        )
        .await?;
    Ok(Json(WriteResult { mtime }))
}

pub fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
