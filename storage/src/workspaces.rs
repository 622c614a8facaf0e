//! `workspaces.json`: the workspace registry (no cap).
//!
//! As with recent documents, a change is written before it becomes
//! visible in memory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::FileMode;
use crate::error::Result;
use crate::json_store::{check_format_version, load_json, require_utf8, save_json};
use crate::ordering::{sort_for_display, Listed};

const FORMAT_VERSION: u32 = 1;

/// One known workspace directory.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WorkspaceEntry {
    pub id: String,
    pub path: PathBuf,
    pub name: String,
    pub pinned: bool,
    pub last_opened_ms: i64,
}

impl Listed for WorkspaceEntry {
    fn key(&self) -> &str {
        &self.id
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
    fn last_opened_ms(&self) -> i64 {
        self.last_opened_ms
    }
}

/// On-disk shape: `{"version":1,"workspaces":[...]}`.
#[derive(Serialize, Deserialize)]
struct WorkspacesDoc {
    version: u32,
    workspaces: Vec<WorkspaceEntry>,
}

impl Default for WorkspacesDoc {
    fn default() -> Self {
        WorkspacesDoc {
            version: FORMAT_VERSION,
            workspaces: Vec::new(),
        }
    }
}

/// The workspace registry, backed by `workspaces.json`.
#[derive(Debug)]
pub struct WorkspaceRegistry {
    path: PathBuf,
    entries: Vec<WorkspaceEntry>,
}

impl WorkspaceRegistry {
    /// Loads `path`; missing means empty, unreadable is an error.
    pub fn load(path: PathBuf) -> Result<WorkspaceRegistry> {
        let doc: WorkspacesDoc = load_json(&path)?;
        check_format_version(&path, doc.version, FORMAT_VERSION)?;
        Ok(WorkspaceRegistry {
            path,
            entries: doc.workspaces,
        })
    }

    /// Pinned first, then most recently opened.
    pub fn list(&self) -> Vec<WorkspaceEntry> {
        let mut out = self.entries.clone();
        sort_for_display(&mut out);
        out
    }

    /// The workspace with `id`, if registered.
    pub fn get(&self, id: &str) -> Option<WorkspaceEntry> {
        self.entries.iter().find(|e| e.id == id).cloned()
    }

    /// Records an open: inserts or refreshes path, name and time; the
    /// pinned flag is kept. The name is the last path component (the whole
    /// path for `/`).
    pub fn record_open(&mut self, id: &str, path: &Path, now_ms: i64) -> Result<WorkspaceEntry> {
        require_utf8(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        let mut next = self.entries.clone();
        let entry = match next.iter_mut().find(|e| e.id == id) {
            Some(e) => {
                e.path = path.to_path_buf();
                e.name = name;
                e.last_opened_ms = now_ms;
                e.clone()
            }
            None => {
                let e = WorkspaceEntry {
                    id: id.to_owned(),
                    path: path.to_path_buf(),
                    name,
                    pinned: false,
                    last_opened_ms: now_ms,
                };
                next.push(e.clone());
                e
            }
        };
        self.commit(next)?;
        Ok(entry)
    }

    /// Sets the pinned flag; `None` (and no write) for an unknown id.
    pub fn pin(&mut self, id: &str, pinned: bool) -> Result<Option<WorkspaceEntry>> {
        let mut next = self.entries.clone();
        let Some(e) = next.iter_mut().find(|e| e.id == id) else {
            return Ok(None);
        };
        e.pinned = pinned;
        let entry = e.clone();
        self.commit(next)?;
        Ok(Some(entry))
    }

    /// Removes `id`; `false` (and no write) if it was not registered.
    pub fn forget(&mut self, id: &str) -> Result<bool> {
        let mut next = self.entries.clone();
        let before = next.len();
        next.retain(|e| e.id != id);
        if next.len() == before {
            return Ok(false);
        }
        self.commit(next)?;
        Ok(true)
    }

    /// Persists `next`, then makes it the in-memory state.
    fn commit(&mut self, mut next: Vec<WorkspaceEntry>) -> Result<()> {
        sort_for_display(&mut next);
        let doc = WorkspacesDoc {
            version: FORMAT_VERSION,
            workspaces: next,
        };
        save_json(&self.path, &doc, FileMode::Private)?;
        self.entries = doc.workspaces;
        Ok(())
    }
}
