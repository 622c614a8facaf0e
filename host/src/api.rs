//! The wire types of the HTTP API (docs/rfc/http-api.md). They carry
//! `utoipa` schemas, so the OpenAPI document is generated from the same
//! definitions the handlers use.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error: the one shape the perimeter and the routes share, with its
/// schema from `agent-security` (feature `openapi`).
pub use agent_security::{ErrorBody as ErrorResponse, ErrorDetail};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the host answers.
    pub status: &'static str,
    pub version: &'static str,
    pub protocol: u64,
    pub uptime_ms: u64,
}

#[derive(Deserialize, ToSchema)]
pub struct HandshakeRequest {
    /// The protocol version the client speaks.
    pub protocol: u64,
    /// Free-form client name, for logs.
    #[serde(default)]
    pub client: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HandshakeResponse {
    pub protocol: u64,
    pub version: &'static str,
    /// What this host can do; clients feature-detect on it.
    pub capabilities: Vec<&'static str>,
}

#[derive(Deserialize, ToSchema)]
pub struct OpenPathRequest {
    /// Absolute path on the host's filesystem.
    pub path: String,
}

/// `POST /documents`: open a file, or create one (Save As).
#[derive(Deserialize, ToSchema)]
pub struct OpenDocumentRequest {
    /// Absolute path on the host's filesystem.
    pub path: String,
    /// Create the file with this text (a window's Save As). Its directory
    /// must exist; an existing file is never replaced (409 `conflict`).
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentInfo {
    /// Stable id: the same file through any path or symlink, across restarts.
    pub doc_id: String,
    /// Canonical path.
    pub path: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentContent {
    pub doc_id: String,
    pub path: String,
    pub content: String,
    /// Version token (opaque: modification time, inode and size).
    pub mtime: String,
}

#[derive(Deserialize, ToSchema)]
pub struct WriteDocumentRequest {
    pub content: String,
    /// The `mtime` the client last read; a mismatch answers 409 `conflict`.
    /// Ignored with `recreate`.
    #[serde(default)]
    pub expected_mtime: String,
    /// The file was removed on disk and the window still has its text:
    /// write it again at the same path. 409 `conflict` when a file is there
    /// again by now.
    #[serde(default)]
    pub recreate: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WriteResult {
    /// The new version token.
    pub mtime: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecentFile {
    pub doc_id: String,
    pub path: String,
    pub pinned: bool,
    pub last_opened_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RecentList {
    /// Pinned first, then most recent first.
    pub entries: Vec<RecentFile>,
}

#[derive(Deserialize, ToSchema)]
pub struct TouchRecentRequest {
    pub doc_id: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PinRequest {
    pub pinned: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Workspace {
    /// Stable id for the directory's real path.
    pub id: String,
    pub path: String,
    pub name: String,
    pub pinned: bool,
    pub last_opened_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceList {
    pub workspaces: Vec<Workspace>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkspacePathQuery {
    /// Path relative to the workspace root (or absolute inside it); empty
    /// means the root.
    #[serde(default)]
    pub path: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

#[derive(Serialize, ToSchema)]
pub struct DirEntry {
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mtime: String,
}

#[derive(Serialize, ToSchema)]
pub struct DirListing {
    pub path: String,
    pub entries: Vec<DirEntry>,
    /// True when the directory has more entries than the listing limit.
    pub truncated: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FileContent {
    pub path: String,
    pub content: String,
    pub mtime: String,
}

#[derive(Deserialize, ToSchema)]
pub struct WriteFileRequest {
    pub path: String,
    pub content: String,
    /// When present, the write only happens if the file is still at this
    /// version (409 `conflict` otherwise). Absent: create or overwrite.
    #[serde(default)]
    pub expected_mtime: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretStoreKind {
    /// The OS keyring (Secret Service).
    Keyring,
    /// `auth.json` in the user-data directory, mode 0600.
    File,
}

#[derive(Serialize, ToSchema)]
pub struct SecretPresence {
    /// `openrouter`, `ai-gateway` or `custom`.
    pub provider: &'static str,
    pub present: bool,
    /// Where the key is stored; absent when there is no key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<SecretStoreKind>,
}

#[derive(Serialize, ToSchema)]
pub struct SecretList {
    pub providers: Vec<SecretPresence>,
}

#[derive(Deserialize, ToSchema)]
pub struct SetSecretRequest {
    /// The API key. Write-only: no route ever returns it.
    pub key: String,
}
