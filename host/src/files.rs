//! Reading and writing the user's text files (documents and workspace files)
//! with the limits and version checks both collaborators share.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use agent_security::ApiError;
use agent_storage::{write_atomic, FileMode};
use axum::http::StatusCode;

use crate::clock::mtime_token;

/// Largest text file the API reads or writes: an editor buffer, not a dataset.
pub const MAX_TEXT_BYTES: u64 = 10 * 1024 * 1024;

/// A text file's content and version token.
pub struct TextFile {
    pub content: String,
    pub mtime: String,
}

/// Reads a UTF-8 text file of at most [`MAX_TEXT_BYTES`].
pub fn read_text(path: &Path) -> Result<TextFile, ApiError> {
    // O_NONBLOCK: a FIFO in the path's place must not hang the thread.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_error(&e))?;
    let meta = file.metadata().map_err(|e| io_error(&e))?;
    if !meta.is_file() {
        return Err(ApiError::bad_request(
            "not_a_file",
            "path is not a regular file",
        ));
    }
    if meta.len() > MAX_TEXT_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e))?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(too_large());
    }
    let content = String::from_utf8(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_utf8",
            "file is not valid UTF-8 text",
        )
    })?;
    Ok(TextFile {
        content,
        mtime: mtime_token(&meta),
    })
}

/// The current version token of `path`, or `None` when it does not exist.
pub fn current_mtime(path: &Path) -> Result<Option<String>, ApiError> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(mtime_token(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(&e)),
    }
}

/// Writes `content` atomically when the file is still at `expected` (or when
/// no expectation is given), keeping the file's mode; returns the new token.
///
/// The caller serialises writers, so the check and the rename cannot
/// interleave with another API write.
pub fn write_text_if_unchanged(
    path: &Path,
    content: &str,
    expected: Option<&str>,
) -> Result<String, ApiError> {
    if content.len() as u64 > MAX_TEXT_BYTES {
        return Err(too_large());
    }
    if let Some(expected) = expected {
        let current = current_mtime(path)?;
        if current.as_deref() != Some(expected) {
            let message = match current {
                Some(_) => "the file changed on disk since it was read; reload it first",
                None => "the file was removed on disk since it was read",
            };
            return Err(ApiError::conflict("conflict", message));
        }
    }
    write_atomic(path, content.as_bytes(), FileMode::Preserve).map_err(|e| {
        tracing::warn!(error = %e, "atomic write failed");
        if e.is_storage_full() {
            // The atomic write left the file as it was.
            return ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "the disk is full; free some space and save again",
            );
        }
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "write_failed",
            "could not write the file",
        )
    })?;
    current_mtime(path)?.ok_or_else(ApiError::internal)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "files larger than {} MiB are not opened as text",
            MAX_TEXT_BYTES / 1024 / 1024
        ),
    )
}

/// The HTTP form of a containment refusal. Messages never echo the
/// client's path.
pub fn path_error(e: &agent_containment::ContainmentError) -> ApiError {
    use agent_containment::ContainmentError as E;
    match e {
        E::NulByte | E::ParentTraversal | E::Escapes | E::RootItself | E::Protected => {
            ApiError::forbidden("path_not_allowed", e.to_string())
        }
        E::NotFound => ApiError::not_found("not_found", e.to_string()),
        E::InvalidRoot => ApiError::not_found("workspace_missing", e.to_string()),
        E::Io(_) => ApiError::internal(),
    }
}

/// Maps an I/O error on a user file to an API error without leaking more than
/// the error kind.
pub fn io_error(e: &std::io::Error) -> ApiError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::not_found("not_found", "no such file"),
        std::io::ErrorKind::PermissionDenied => {
            ApiError::forbidden("permission_denied", "the operating system denied access")
        }
        _ => {
            tracing::warn!(error = %e, "file I/O failed");
            ApiError::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use agent_containment::ContainmentError;
    use axum::http::StatusCode;

    use super::path_error;

    #[test]
    fn containment_refusals_keep_their_codes_and_never_echo_details() {
        for (error, status, code) in [
            (
                ContainmentError::Escapes,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::Protected,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::NulByte,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::NotFound,
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                ContainmentError::InvalidRoot,
                StatusCode::NOT_FOUND,
                "workspace_missing",
            ),
        ] {
            let api = path_error(&error);
            assert_eq!((api.status, api.code), (status, code), "{error:?}");
        }
        let api = path_error(&ContainmentError::Io(std::io::Error::other(
            "boom /secret/path",
        )));
        assert_eq!(api.code, "internal");
        assert!(!api.message.contains("secret"));
    }
}
