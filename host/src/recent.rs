//! Recent files: the documents the user opened lately, pinned ones kept.

use std::sync::{Arc, Mutex};

use agent_security::ApiError;
use agent_storage::{RecentEntry, RecentFiles};

use crate::blocking::{run_blocking, storage_failure};
use crate::clock::now_ms;
use crate::documents::DocumentRef;

pub struct Recent {
    files: Arc<Mutex<RecentFiles>>,
}

impl Recent {
    pub fn new(files: RecentFiles) -> Self {
        Self {
            files: Arc::new(Mutex::new(files)),
        }
    }

    pub async fn list(&self) -> Result<Vec<RecentEntry>, ApiError> {
        self.with(|files| Ok(files.list())).await
    }

    pub async fn touch(&self, doc: DocumentRef) -> Result<RecentEntry, ApiError> {
        self.with(move |files| {
            files
                .touch(&doc.doc_id, &doc.path, now_ms())
                .map_err(storage_failure)
        })
        .await
    }

    pub async fn pin(&self, doc_id: String, pinned: bool) -> Result<RecentEntry, ApiError> {
        self.with(move |files| {
            files
                .pin(&doc_id, pinned)
                .map_err(storage_failure)?
                .ok_or_else(not_recent)
        })
        .await
    }

    pub async fn forget(&self, doc_id: String) -> Result<(), ApiError> {
        self.with(move |files| {
            if files.forget(&doc_id).map_err(storage_failure)? {
                Ok(())
            } else {
                Err(not_recent())
            }
        })
        .await
    }

    async fn with<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut RecentFiles) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let files = self.files.clone();
        run_blocking(move || f(&mut files.lock().unwrap_or_else(|p| p.into_inner()))).await
    }
}

fn not_recent() -> ApiError {
    ApiError::not_found("not_recent", "this document is not in the recent list")
}
