//! Recent files: the documents the user opened lately, pinned ones kept.
//! Fails with [`RecentError`]; the routes map it to HTTP.

use std::sync::{Arc, Mutex};

use agent_storage::{RecentEntry, RecentFiles, StorageError};

use crate::blocking::{run_blocking, Blocked};
use crate::clock::now_ms;
use crate::documents::DocumentRef;
use crate::events::{Events, HostEvent};

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
    /// Told `recent.changed` after every change.
    events: Arc<Events>,
}

impl Recent {
    pub fn new(files: RecentFiles, events: Arc<Events>) -> Self {
        Self {
            files: Arc::new(Mutex::new(files)),
            events,
        }
    }

    fn changed<T>(&self, result: Result<T, RecentError>) -> Result<T, RecentError> {
        if result.is_ok() {
            self.events.publish(HostEvent::RecentChanged);
        }
        result
    }

    pub async fn list(&self) -> Result<Vec<RecentEntry>, RecentError> {
        self.with(|files| Ok(files.list())).await
    }

    pub async fn touch(&self, doc: DocumentRef) -> Result<RecentEntry, RecentError> {
        let result = self
            .with(move |files| Ok(files.touch(&doc.doc_id, &doc.path, now_ms())?))
            .await;
        self.changed(result)
    }

    pub async fn pin(&self, doc_id: String, pinned: bool) -> Result<RecentEntry, RecentError> {
        let result = self
            .with(move |files| files.pin(&doc_id, pinned)?.ok_or(RecentError::NotRecent))
            .await;
        self.changed(result)
    }

    pub async fn forget(&self, doc_id: String) -> Result<(), RecentError> {
        let result = self
            .with(move |files| {
                if files.forget(&doc_id)? {
                    Ok(())
                } else {
                    Err(RecentError::NotRecent)
                }
            })
            .await;
        self.changed(result)
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
