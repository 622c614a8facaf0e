//! Workspaces: directories the user opened, with contained file access.
//!
//! Every client path goes through [`ContainedRoot`], so `..`, absolute paths
//! outside, symlinks pointing out and NUL bytes never reach the filesystem.
//! Returns plain values and [`WorkspaceError`]; the routes map it to HTTP.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use agent_containment::{ContainedRoot, WorkspaceRefusal};
use agent_storage::{StorageError, WorkspaceEntry, WorkspaceRegistry};

use crate::blocking::{run_blocking, Blocked};
use crate::clock::{mtime_token, now_ms};
use crate::events::{Events, HostEvent};
use crate::files::{self, FileError, TextFile};
use crate::ids;

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No workspace is recorded under this id.
    #[error("no workspace with this id")]
    Unknown,
    #[error("path contains a NUL byte")]
    NulByte,
    #[error("workspace paths must be absolute")]
    NotAbsolute,
    /// A policy's read-only path is malformed.
    #[error("read-only paths must be absolute (or start with ~/), without '..'")]
    InvalidReadOnlyPath,
    /// The directory may not be a workspace (now, or any longer).
    #[error("{0}")]
    NotAllowed(WorkspaceRefusal),
    /// A policy's read-only path may not be shown to the sandbox.
    #[error("{0}")]
    ReadOnlyPathNotAllowed(WorkspaceRefusal),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

/// Directory listings stop here; the response says it was truncated.
pub const MAX_DIR_ENTRIES: usize = 10_000;

pub struct Workspaces {
    registry: Arc<Mutex<WorkspaceRegistry>>,
    write_lock: Arc<Mutex<()>>,
    /// Off limits inside any workspace (see `agent_containment::protected_paths`).
    protected: Arc<Vec<PathBuf>>,
    /// The user's home: never a workspace itself (nor anything above it).
    home: Arc<Option<PathBuf>>,
    /// Told `workspace.changed` after every change of the list.
    events: Arc<Events>,
}

/// One entry of a directory listing.
pub struct DirEntry {
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mtime: String,
}

#[derive(Clone, Copy)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

pub struct Listing {
    pub entries: Vec<DirEntry>,
    pub truncated: bool,
}

impl Workspaces {
    pub fn new(registry: WorkspaceRegistry, protected: Vec<PathBuf>, events: Arc<Events>) -> Self {
        Self {
            events,
            registry: Arc::new(Mutex::new(registry)),
            write_lock: Arc::new(Mutex::new(())),
            protected: Arc::new(protected),
            home: Arc::new(std::env::var_os("HOME").map(PathBuf::from)),
        }
    }

    /// The workspace's root with the protected locations applied: what
    /// routes and tools resolve client paths against.
    pub fn contained(&self, path: &Path) -> Result<ContainedRoot, WorkspaceError> {
        contain(path, &self.home, &self.protected)
    }

    /// The policy's extra read-only paths as the sandbox will mount them
    /// (`~/` expanded, canonical where they exist), or the refusal of the
    /// first that may not be shown.
    pub fn read_only_paths(&self, paths: &[String]) -> Result<Vec<PathBuf>, WorkspaceError> {
        paths
            .iter()
            .map(|given| {
                let home = self.home.as_deref();
                let path = match (given.as_str(), given.strip_prefix("~/"), home) {
                    ("~", _, Some(home)) => home.to_path_buf(),
                    (_, Some(rest), Some(home)) => home.join(rest),
                    _ => PathBuf::from(given),
                };
                if !path.is_absolute()
                    || given.contains('\0')
                    || path
                        .components()
                        .any(|c| c == std::path::Component::ParentDir)
                {
                    return Err(WorkspaceError::InvalidReadOnlyPath);
                }
                let path = path.canonicalize().unwrap_or(path);
                agent_containment::check_read_only_path(
                    &path,
                    self.home.as_deref(),
                    &self.protected,
                )
                .map_err(WorkspaceError::ReadOnlyPathNotAllowed)?;
                Ok(path)
            })
            .collect()
    }

    /// Opens (or re-opens) a directory; the id is stable for its real path.
    pub async fn open(&self, path: String) -> Result<WorkspaceEntry, WorkspaceError> {
        let registry = self.registry.clone();
        let home = self.home.clone();
        let protected = self.protected.clone();
        run_blocking(move || {
            let path = Path::new(&path);
            if path.as_os_str().as_encoded_bytes().contains(&0) {
                return Err(WorkspaceError::NulByte);
            }
            if !path.is_absolute() {
                return Err(WorkspaceError::NotAbsolute);
            }
            let canonical = std::fs::canonicalize(path).map_err(FileError::from)?;
            if !canonical.is_dir() {
                return Err(FileError::NotADirectory.into());
            }
            contain(&canonical, &home, &protected)?;
            let id = ids::workspace_id(&canonical);
            Ok(lock(&registry).record_open(&id, &canonical, now_ms())?)
        })
        .await
        .inspect(|_| self.events.publish(HostEvent::WorkspaceChanged))
    }

    pub async fn list(&self) -> Result<Vec<WorkspaceEntry>, WorkspaceError> {
        let registry = self.registry.clone();
        run_blocking(move || Ok(lock(&registry).list())).await
    }

    pub async fn pin(&self, id: String, pinned: bool) -> Result<WorkspaceEntry, WorkspaceError> {
        let registry = self.registry.clone();
        run_blocking(move || {
            lock(&registry)
                .pin(&id, pinned)?
                .ok_or(WorkspaceError::Unknown)
        })
        .await
        .inspect(|_| self.events.publish(HostEvent::WorkspaceChanged))
    }

    pub async fn forget(&self, id: String) -> Result<(), WorkspaceError> {
        let registry = self.registry.clone();
        run_blocking(move || {
            if lock(&registry).forget(&id)? {
                Ok(())
            } else {
                Err(WorkspaceError::Unknown)
            }
        })
        .await
        .inspect(|_| self.events.publish(HostEvent::WorkspaceChanged))
    }

    /// Lists a directory inside the workspace, sorted by name.
    pub async fn read_dir(&self, id: String, path: String) -> Result<Listing, WorkspaceError> {
        let root = self.root(id).await?;
        run_blocking(move || {
            // Pinned: the directory that passed the checks is the one listed.
            let dir = root.pin_existing(&path).map_err(FileError::from)?;
            let read = std::fs::read_dir(dir.path()).map_err(|e| match e.raw_os_error() {
                Some(libc::ENOTDIR) => FileError::NotADirectory,
                _ => e.into(),
            })?;
            let mut entries = Vec::new();
            let mut truncated = false;
            for entry in read {
                let entry = entry.map_err(FileError::from)?;
                if entries.len() == MAX_DIR_ENTRIES {
                    truncated = true;
                    break;
                }
                let Ok(meta) = entry.path().symlink_metadata() else {
                    continue; // Removed while listing.
                };
                let kind = if meta.is_symlink() {
                    EntryKind::Symlink
                } else if meta.is_dir() {
                    EntryKind::Dir
                } else if meta.is_file() {
                    EntryKind::File
                } else {
                    EntryKind::Other
                };
                entries.push(DirEntry {
                    name: entry.file_name().to_string_lossy().into_owned(),
                    kind,
                    size: meta.len(),
                    mtime: mtime_token(&meta),
                });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Listing { entries, truncated })
        })
        .await
    }

    pub async fn read_file(&self, id: String, path: String) -> Result<TextFile, WorkspaceError> {
        let root = self.root(id).await?;
        run_blocking(move || {
            // Pinned: the inode that passed the checks is the one read.
            let file = root.pin_existing(&path).map_err(FileError::from)?;
            Ok(files::read_text(&file.path())?)
        })
        .await
    }

    /// Writes a file inside the workspace; with `expected_mtime` the write
    /// only happens if the file is still at that version.
    pub async fn write_file(
        &self,
        id: String,
        path: String,
        content: String,
        expected_mtime: Option<String>,
    ) -> Result<String, WorkspaceError> {
        let root = self.root(id).await?;
        let write_lock = self.write_lock.clone();
        run_blocking(move || {
            // Pinned: the write lands in the directory that passed the checks,
            // through an in-workspace symlink as the agent's tools do.
            let file = root.pin_write_target(&path).map_err(FileError::from)?;
            if file.path().is_dir() {
                return Err(FileError::IsADirectory.into());
            }
            let _guard = write_lock.lock().unwrap_or_else(|p| p.into_inner());
            Ok(files::write_text_if_unchanged(
                &file.path(),
                &content,
                match expected_mtime.as_deref() {
                    Some(version) => files::Expected::Version(version),
                    None => files::Expected::Any,
                },
            )?)
        })
        .await
    }

    /// The directory behind a workspace id, or [`WorkspaceError::Unknown`].
    pub async fn path_of(&self, id: String) -> Result<std::path::PathBuf, WorkspaceError> {
        let registry = self.registry.clone();
        run_blocking(move || {
            lock(&registry)
                .get(&id)
                .map(|entry| entry.path)
                .ok_or(WorkspaceError::Unknown)
        })
        .await
    }

    async fn root(&self, id: String) -> Result<ContainedRoot, WorkspaceError> {
        let registry = self.registry.clone();
        let protected = self.protected.clone();
        let home = self.home.clone();
        run_blocking(move || {
            let entry = lock(&registry).get(&id).ok_or(WorkspaceError::Unknown)?;
            contain(&entry.path, &home, &protected)
        })
        .await
    }
}

/// The workspace's contained root, checked again on every use: a workspace
/// recorded before a rule existed, or one that has since come to hold a
/// protected location, is refused like a new one.
fn contain(
    path: &Path,
    home: &Option<PathBuf>,
    protected: &[PathBuf],
) -> Result<ContainedRoot, WorkspaceError> {
    let root = ContainedRoot::new(path)
        .map_err(FileError::from)?
        .with_protected(protected.iter().cloned());
    root.check_workspace(home.as_deref())
        .map_err(WorkspaceError::NotAllowed)?;
    Ok(root)
}

fn lock(registry: &Mutex<WorkspaceRegistry>) -> std::sync::MutexGuard<'_, WorkspaceRegistry> {
    registry.lock().unwrap_or_else(|p| p.into_inner())
}
