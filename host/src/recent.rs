//! Recent files: the documents the user opened lately, pinned ones kept.
//! Fails with [`RecentError`]; the routes map it to HTTP.

use std::sync::{Arc, Mutex};

use agent_storage::{RecentEntry, RecentFiles, StorageError};

use crate::blocking::{run_blocking, Blocked};
use crate::clock::now_ms;
use crate::documents::DocumentRef;

/// Why a recent-list operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RecentError {
    /// The document is not in the list.
    #[error("this document is not in the recent list")]
    NotRecent,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

pub struct Recent {
    files: Arc<Mutex<RecentFiles>>,
}

impl Recent {
    pub fn new(files: RecentFiles) -> Self {
        Self {
            files: Arc::new(Mutex::new(files)),
        }
    }

    pub async fn list(&self) -> Result<Vec<RecentEntry>, RecentError> {
        self.with(|files| Ok(files.list())).await
    }

    pub async fn touch(&self, doc: DocumentRef) -> Result<RecentEntry, RecentError> {
        self.with(move |files| Ok(files.touch(&doc.doc_id, &doc.path, now_ms())?))
            .await
    }

    pub async fn pin(&self, doc_id: String, pinned: bool) -> Result<RecentEntry, RecentError> {
        self.with(move |files| files.pin(&doc_id, pinned)?.ok_or(RecentError::NotRecent))
            .await
    }

    pub async fn forget(&self, doc_id: String) -> Result<(), RecentError> {
        self.with(move |files| {
            if files.forget(&doc_id)? {
                Ok(())
            } else {
                Err(RecentError::NotRecent)
            }
        })
        .await
    }

    async fn with<T, F>(&self, f: F) -> Result<T, RecentError>
    where
        F: FnOnce(&mut RecentFiles) -> Result<T, RecentError> + Send + 'static,
        T: Send + 'static,
    {
        let files = self.files.clone();
        run_blocking(move || f(&mut files.lock().unwrap_or_else(|p| p.into_inner()))).await
    }
}
