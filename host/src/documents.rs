//! Documents: files the user opened, addressed by a `doc_id` that stays the
//! same for the same file through any path or symlink and across restarts.
//!
//! Returns plain values and [`DocumentError`]; what those mean in HTTP is
//! the routes' business (routes/errors.rs).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use agent_containment::ContainmentError;
use agent_storage::{document_path, register_document, StorageError};

use crate::blocking::{run_blocking, Blocked};
use crate::clock::now_ms;
use crate::database::Database;
use crate::files::{self, FileError, TextFile};
use crate::ids;

/// Why a document operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The id is malformed or names no registered document.
    #[error("no document with this id")]
    Unknown,
    #[error("path contains a NUL byte")]
    NulByte,
    #[error("document paths must be absolute")]
    NotAbsolute,
    /// The registered file is no longer on disk.
    #[error("the file no longer exists")]
    Gone,
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

/// A registered document.
pub struct DocumentRef {
    pub doc_id: String,
    pub path: PathBuf,
}

pub struct Documents {
    db: Arc<Database>,
    /// Credentials and the host's own data are never opened as documents.
    protected: Arc<Vec<PathBuf>>,
    /// Serialises version-checked writes so check-then-rename is atomic with
    /// respect to other API writes.
    write_lock: Arc<Mutex<()>>,
}

impl Documents {
    pub fn new(db: Arc<Database>, protected: Vec<PathBuf>) -> Self {
        Self {
            db,
            protected: Arc::new(protected),
            write_lock: Arc::new(Mutex::new(())),
        }
    }

    /// Registers an existing regular file and returns its stable id.
    pub async fn register(&self, path: String) -> Result<DocumentRef, DocumentError> {
        let db = self.db.clone();
        let protected = self.protected.clone();
        run_blocking(move || {
            let canonical = canonical_file(Path::new(&path))?;
            if agent_containment::is_protected(&canonical, &protected) {
                return Err(FileError::Path(ContainmentError::Protected).into());
            }
            let doc_id = ids::document_id(&canonical);
            register_document(&db.lock(), &doc_id, &canonical, now_ms())?;
            Ok(DocumentRef {
                doc_id,
                path: canonical,
            })
        })
        .await
    }

    /// The path behind `doc_id`, or [`DocumentError::Unknown`].
    pub async fn resolve(&self, doc_id: String) -> Result<DocumentRef, DocumentError> {
        let db = self.db.clone();
        run_blocking(move || resolve_blocking(&db, doc_id)).await
    }

    pub async fn read(&self, doc_id: String) -> Result<(DocumentRef, TextFile), DocumentError> {
        let db = self.db.clone();
        let protected = self.protected.clone();
        run_blocking(move || {
            let doc = resolve_blocking(&db, doc_id)?;
            // Checked again at every read, on what the path names now: a
            // registered file swapped for a symlink to a key is refused,
            // and the read goes through the handle that was checked.
            let pinned = pin(&doc.path, &protected)?;
            let text = files::read_text(&pinned.path())?;
            Ok((doc, text))
        })
        .await
    }

    /// Writes the document if it is still at `expected_mtime`;
    /// [`FileError::Changed`] or [`FileError::Removed`] otherwise.
    pub async fn write(
        &self,
        doc_id: String,
        content: String,
        expected_mtime: String,
    ) -> Result<(DocumentRef, String), DocumentError> {
        let db = self.db.clone();
        let write_lock = self.write_lock.clone();
        let protected = self.protected.clone();
        run_blocking(move || {
            let doc = resolve_blocking(&db, doc_id)?;
            // A rename replaces a symlink rather than writing through it,
            // but a Save must not follow a swapped path into a protected
            // location's place either: refuse as the read does.
            match agent_containment::pin_unprotected(&doc.path, &protected) {
                // Removed on disk: the version check below answers 409.
                Ok(_) | Err(ContainmentError::NotFound) => {}
                Err(other) => return Err(FileError::Path(other).into()),
            }
            let _guard = write_lock.lock().unwrap_or_else(|p| p.into_inner());
            let mtime = files::write_text_if_unchanged(&doc.path, &content, Some(&expected_mtime))?;
            Ok((doc, mtime))
        })
        .await
    }
}

/// The document's file as it is now, refused when it resolves into a
/// protected location.
fn pin(path: &Path, protected: &[PathBuf]) -> Result<agent_containment::Pinned, DocumentError> {
    agent_containment::pin_unprotected(path, protected).map_err(|e| match e {
        ContainmentError::NotFound => DocumentError::Gone,
        other => FileError::Path(other).into(),
    })
}

fn resolve_blocking(db: &Database, doc_id: String) -> Result<DocumentRef, DocumentError> {
    if !ids::is_well_formed(&doc_id, "doc_") {
        return Err(DocumentError::Unknown);
    }
    let path = document_path(&db.lock(), &doc_id)?.ok_or(DocumentError::Unknown)?;
    Ok(DocumentRef { doc_id, path })
}

fn canonical_file(path: &Path) -> Result<PathBuf, DocumentError> {
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(DocumentError::NulByte);
    }
    if !path.is_absolute() {
        return Err(DocumentError::NotAbsolute);
    }
    let canonical = std::fs::canonicalize(path).map_err(FileError::from)?;
    if !canonical.is_file() {
        return Err(FileError::NotAFile.into());
    }
    Ok(canonical)
}
