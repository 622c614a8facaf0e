//! `recent.json`: recently opened documents.
//!
//! At most [`RECENT_CAP`] unpinned entries; pinned entries are never
//! evicted. Every change is written before it is visible in memory, so a
//! failed write leaves both the file and the in-memory list unchanged.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::FileMode;
use crate::error::Result;
use crate::json_store::{check_format_version, load_json, require_utf8, save_json};
use crate::ordering::{evict_unpinned, sort_for_display, Listed};

/// Maximum number of unpinned entries kept.
pub const RECENT_CAP: usize = 20;

const FORMAT_VERSION: u32 = 1;

/// One recently opened document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RecentEntry {
    pub doc_id: String,
    pub path: PathBuf,
    pub pinned: bool,
    pub last_opened_ms: i64,
}

impl Listed for RecentEntry {
    fn key(&self) -> &str {
        &self.doc_id
    }
    fn pinned(&self) -> bool {
        self.pinned
    }
    fn last_opened_ms(&self) -> i64 {
        self.last_opened_ms
    }
}

/// On-disk shape: `{"version":1,"entries":[...]}`.
#[derive(Serialize, Deserialize)]
struct RecentDoc {
    version: u32,
    entries: Vec<RecentEntry>,
}

impl Default for RecentDoc {
    fn default() -> Self {
        RecentDoc {
            version: FORMAT_VERSION,
            entries: Vec::new(),
        }
    }
}

/// The recent-documents list, backed by `recent.json`.
#[derive(Debug)]
pub struct RecentFiles {
    path: PathBuf,
    entries: Vec<RecentEntry>,
}

impl RecentFiles {
    /// Loads `path`; missing means empty, unreadable is an error.
    pub fn load(path: PathBuf) -> Result<RecentFiles> {
        let doc: RecentDoc = load_json(&path)?;
        check_format_version(&path, doc.version, FORMAT_VERSION)?;
        Ok(RecentFiles {
            path,
            entries: doc.entries,
        })
    }

    /// Pinned first, then most recently opened.
    pub fn list(&self) -> Vec<RecentEntry> {
        let mut out = self.entries.clone();
        sort_for_display(&mut out);
        out
    }

    /// Records an open of `doc_id` at `path`: inserts it or refreshes its
    /// path and time (the pinned flag is kept), then evicts the oldest
    /// unpinned entries beyond the cap.
    pub fn touch(&mut self, doc_id: &str, path: &Path, now_ms: i64) -> Result<RecentEntry> {
        require_utf8(path)?;
        let mut next = self.entries.clone();
        let entry = match next.iter_mut().find(|e| e.doc_id == doc_id) {
            Some(e) => {
                e.path = path.to_path_buf();
                e.last_opened_ms = now_ms;
                e.clone()
            }
            None => {
                let e = RecentEntry {
                    doc_id: doc_id.to_owned(),
                    path: path.to_path_buf(),
                    pinned: false,
                    last_opened_ms: now_ms,
                };
                next.push(e.clone());
                e
            }
        };
        evict_unpinned(&mut next, RECENT_CAP, doc_id);
        self.commit(next)?;
        Ok(entry)
    }

    /// Sets the pinned flag; `None` (and no write) for an unknown id.
    /// Unpinning can push the unpinned count over the cap, so the cap is
    /// enforced here too (never evicting the entry just unpinned).
    pub fn pin(&mut self, doc_id: &str, pinned: bool) -> Result<Option<RecentEntry>> {
        let mut next = self.entries.clone();
        let Some(e) = next.iter_mut().find(|e| e.doc_id == doc_id) else {
            return Ok(None);
        };
        e.pinned = pinned;
        let entry = e.clone();
        evict_unpinned(&mut next, RECENT_CAP, doc_id);
        self.commit(next)?;
        Ok(Some(entry))
    }

    /// Removes `doc_id`; `false` (and no write) if it was not listed.
    pub fn forget(&mut self, doc_id: &str) -> Result<bool> {
        let mut next = self.entries.clone();
        let before = next.len();
        next.retain(|e| e.doc_id != doc_id);
        if next.len() == before {
            return Ok(false);
        }
        self.commit(next)?;
        Ok(true)
    }

    /// Persists `next`, then makes it the in-memory state.
    fn commit(&mut self, mut next: Vec<RecentEntry>) -> Result<()> {
        sort_for_display(&mut next);
        let doc = RecentDoc {
            version: FORMAT_VERSION,
            entries: next,
        };
        save_json(&self.path, &doc, FileMode::Private)?;
        self.entries = doc.entries;
        Ok(())
    }
}
