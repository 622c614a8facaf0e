//! Documents: files the user opened, addressed by a `doc_id` that stays the
//! same for the same file through any path or symlink and across restarts.
//!
//! Returns plain values and [`DocumentError`]; what those mean in HTTP is
//! the routes' business (routes/errors.rs).
//!
//! Every document registered or read in this run is watched on disk
//! (`agent-watch`); a change is published on the event hub as
//! `document.changed` with its source: `window` for a Save, `agent` for an
//! agent's write (told through [`Documents::agent_wrote`]), `external` for
//! anything else. The version the host itself wrote is remembered, so the
//! watcher's echo of the host's own write is not reported again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use agent_containment::ContainmentError;
use agent_storage::{document_path, register_document, StorageError};

use crate::blocking::{run_blocking, Blocked};
use crate::clock::now_ms;
use crate::database::Database;
use crate::events::{ChangeSource, Events, HostEvent};
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
    live: Arc<Live>,
}

/// The watched documents, what is known of each, and the watcher.
struct Live {
    events: Arc<Events>,
    docs: Mutex<HashMap<PathBuf, LiveDoc>>,
    watcher: std::sync::OnceLock<agent_watch::Watcher>,
}

struct LiveDoc {
    doc_id: String,
    /// The version last read, written or reported: a watcher event that
    /// finds this version on disk is the echo of something already told.
    version: Option<String>,
}

impl Documents {
    pub fn new(db: Arc<Database>, protected: Vec<PathBuf>, events: Arc<Events>) -> Self {
        let live = Arc::new(Live {
            events,
            docs: Mutex::new(HashMap::new()),
            watcher: std::sync::OnceLock::new(),
        });
        // The watcher's thread holds the hub weakly: dropping the documents
        // (an in-process test's host) ends it.
        let weak: Weak<Live> = Arc::downgrade(&live);
        let watcher =
            agent_watch::Watcher::new(agent_watch::WatchOptions::default(), move |event| {
                if let Some(live) = weak.upgrade() {
                    live.on_disk(event);
                }
            });
        let _ = live.watcher.set(watcher);
        Self {
            db,
            protected: Arc::new(protected),
            write_lock: Arc::new(Mutex::new(())),
            live,
        }
    }

    /// Tells the windows that the agent wrote `path` (a no-op unless it is a
    /// watched document).
    pub fn agent_wrote(&self, path: &Path) {
        self.live.wrote(path, None, ChangeSource::Agent);
    }

    /// Registers an existing regular file and returns its stable id.
    pub async fn register(&self, path: String) -> Result<DocumentRef, DocumentError> {
        let db = self.db.clone();
        let protected = self.protected.clone();
        run_blocking(move || {
            let canonical = canonical_file(Path::new(&path))?;
            refuse_protected(&canonical, &protected)?;
            record(&db, canonical)
        })
        .await
        .inspect(|doc| self.live.watch(doc, None))
    }

    /// Creates a new document at `path` with `content` (a window's Save
    /// As): in an existing directory, never over an existing file
    /// ([`FileError::Changed`]), never in a protected location; then
    /// registers it.
    pub async fn create(
        &self,
        path: String,
        content: String,
    ) -> Result<DocumentRef, DocumentError> {
        let db = self.db.clone();
        let protected = self.protected.clone();
        let write_lock = self.write_lock.clone();
        run_blocking(move || {
            let path = client_path(Path::new(&path))?;
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                return Err(DocumentError::NotAbsolute);
            };
            let parent = std::fs::canonicalize(parent).map_err(FileError::from)?;
            if !parent.is_dir() {
                return Err(FileError::NotADirectory.into());
            }
            let target = parent.join(name);
            refuse_protected(&target, &protected)?;
            {
                let _guard = write_lock.lock().unwrap_or_else(|p| p.into_inner());
                files::write_text_if_unchanged(&target, &content, files::Expected::Absent)?;
            }
            record(&db, target)
        })
        .await
        .inspect(|doc| self.live.watch(doc, None))
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
        .inspect(|(doc, text)| self.live.watch(doc, Some(&text.mtime)))
    }

    /// Writes the document if it is still at `expected_mtime` (`None`: if
    /// it is still removed, writing it again); [`FileError::Changed`] or
    /// [`FileError::Removed`] otherwise.
    pub async fn write(
        &self,
        doc_id: String,
        content: String,
        expected_mtime: Option<String>,
    ) -> Result<(DocumentRef, String), DocumentError> {
        self.write_from(doc_id, content, expected_mtime, ChangeSource::Window)
            .await
    }

    /// [`Documents::write`] on behalf of `source` (a window's Save, or the
    /// agent's `edit_document`), which the change event names.
    pub async fn write_from(
        &self,
        doc_id: String,
        content: String,
        expected_mtime: Option<String>,
        source: ChangeSource,
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
            let expected = match &expected_mtime {
                Some(version) => files::Expected::Version(version),
                None => files::Expected::Absent,
            };
            let mtime = files::write_text_if_unchanged(&doc.path, &content, expected)?;
            Ok((doc, mtime))
        })
        .await
        .inspect(|(doc, mtime)| {
            self.live.watch(doc, None);
            self.live.wrote(&doc.path, Some(mtime), source);
        })
    }
}

impl Live {
    /// Watches `doc` from now on (once); `version`: what was just read.
    fn watch(&self, doc: &DocumentRef, version: Option<&String>) {
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = docs.get_mut(&doc.path) {
            if version.is_some() {
                known.version = version.cloned();
            }
            return;
        }
        let version = match version {
            Some(version) => Some(version.clone()),
            None => files::current_mtime(&doc.path).ok().flatten(),
        };
        docs.insert(
            doc.path.clone(),
            LiveDoc {
                doc_id: doc.doc_id.clone(),
                version,
            },
        );
        drop(docs);
        if let Some(watcher) = self.watcher.get() {
            watcher.watch(&doc.path);
        }
    }

    /// The host wrote `path` (now at `version`, or as found on disk).
    fn wrote(&self, path: &Path, version: Option<&String>, source: ChangeSource) {
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        let Some(doc) = docs.get_mut(path) else {
            return;
        };
        let Some(version) = version
            .cloned()
            .or_else(|| files::current_mtime(path).ok().flatten())
        else {
            return;
        };
        doc.version = Some(version.clone());
        let doc_id = doc.doc_id.clone();
        drop(docs);
        self.events.publish(HostEvent::DocumentChanged {
            doc_id,
            version,
            source,
        });
    }

    /// What the watcher saw, published unless it is the echo of a version
    /// already told.
    fn on_disk(&self, event: agent_watch::FileEvent) {
        use agent_watch::FileEvent;
        let path = match &event {
            FileEvent::Changed(path) | FileEvent::Removed(path) => path,
            FileEvent::Moved { from, .. } => from,
        };
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        let Some(doc) = docs.get_mut(path) else {
            return;
        };
        let doc_id = doc.doc_id.clone();
        let published = match event {
            FileEvent::Changed(path) => {
                let Some(version) = files::current_mtime(&path).ok().flatten() else {
                    return;
                };
                if doc.version.as_ref() == Some(&version) {
                    return;
                }
                doc.version = Some(version.clone());
                HostEvent::DocumentChanged {
                    doc_id,
                    version,
                    source: ChangeSource::External,
                }
            }
            FileEvent::Removed(_) => {
                doc.version = None;
                HostEvent::DocumentRemoved { doc_id }
            }
            FileEvent::Moved { to, .. } => {
                doc.version = None;
                HostEvent::DocumentMoved {
                    doc_id,
                    path: to.to_string_lossy().into_owned(),
                }
            }
        };
        drop(docs);
        self.events.publish(published);
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

/// Credentials and the host's own data are never documents.
fn refuse_protected(path: &Path, protected: &[PathBuf]) -> Result<(), DocumentError> {
    if agent_containment::is_protected(path, protected) {
        return Err(FileError::Path(ContainmentError::Protected).into());
    }
    Ok(())
}

/// Records `path` (canonical, checked) as a document: its stable id.
fn record(db: &Database, path: PathBuf) -> Result<DocumentRef, DocumentError> {
    let doc_id = ids::document_id(&path);
    register_document(&db.lock(), &doc_id, &path, now_ms())?;
    Ok(DocumentRef { doc_id, path })
}

/// A client's path, refused unless absolute and free of NUL bytes.
fn client_path(path: &Path) -> Result<&Path, DocumentError> {
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(DocumentError::NulByte);
    }
    if !path.is_absolute() {
        return Err(DocumentError::NotAbsolute);
    }
    Ok(path)
}

fn canonical_file(path: &Path) -> Result<PathBuf, DocumentError> {
    let canonical = std::fs::canonicalize(client_path(path)?).map_err(FileError::from)?;
    if !canonical.is_file() {
        return Err(FileError::NotAFile.into());
    }
    Ok(canonical)
}
