//! A session's per-turn changes and their undo: the agent's side of
//! `crate::changes`. It decides which files a session may restore and how:
//! a workspace session's through its `ContainedRoot` (pinned, so a
//! directory swapped for a symlink since cannot send a restore outside the
//! workspace), a document session's document through the protected check
//! every document write makes. Nothing else is ever written.

use std::io::Read;
use std::path::{Path, PathBuf};

use agent_containment::{ContainedRoot, ContainmentError};
use agent_storage::sessions;
use agent_storage::{write_atomic, FileMode};

use super::{get_in, Agent, AgentError};
use crate::blocking::run_blocking;
use crate::changes::{self, ChangesError, Current, FileAccess, Reverted, TurnChanges};
use crate::files::MAX_TEXT_BYTES;

impl Agent {
    /// What turn (or revert) `set_id` of the session changed, as diffs.
    pub async fn changes(
        &self,
        session_id: String,
        set_id: String,
    ) -> Result<TurnChanges, AgentError> {
        let db = self.db.clone();
        run_blocking(move || {
            let conn = db.lock();
            get_in(&conn, &session_id)?;
            let turn_exists =
                sessions::get_turn(&conn, &set_id)?.is_some_and(|t| t.session_id == session_id);
            Ok(changes::turn_changes(
                &conn,
                &session_id,
                &set_id,
                turn_exists,
            )?)
        })
        .await
    }

    /// Puts back every file turn (or revert) `set_id` changed; see
    /// `changes::revert`.
    pub async fn revert(
        &self,
        session_id: String,
        set_id: String,
        force: bool,
    ) -> Result<Reverted, AgentError> {
        let session = self.get_session(session_id.clone()).await?;
        let root = match &session.workspace_id {
            Some(ws) => {
                let path = self.workspaces.path_of(ws.clone()).await?;
                Some(self.workspaces.contained(&path)?)
            }
            None => None,
        };
        let document = match &session.doc_id {
            Some(doc_id) => Some(self.documents.resolve(doc_id.clone()).await?.path),
            None => None,
        };
        let files = SessionFiles {
            root,
            document,
            protected: agent_containment::protected_paths(&self.user_data),
        };
        let db = self.db.clone();
        let documents = self.documents.clone();
        let reverted = run_blocking(move || {
            {
                let conn = db.lock();
                let turn_exists =
                    sessions::get_turn(&conn, &set_id)?.is_some_and(|t| t.session_id == session_id);
                let known = agent_storage::changes::change_set(&conn, &set_id)?
                    .is_some_and(|s| s.session_id == session_id);
                if turn_exists && !known {
                    // A turn that wrote nothing: nothing to put back.
                    return Ok(Reverted {
                        revert_id: String::new(),
                        restored: Vec::new(),
                        skipped: Vec::new(),
                    });
                }
            }
            let on_write = |path: &Path| documents.agent_wrote(path);
            Ok::<_, AgentError>(changes::revert(
                &db,
                &session_id,
                &set_id,
                force,
                &files,
                &on_write,
            )?)
        })
        .await?;
        Ok(reverted)
    }
}

impl From<ChangesError> for AgentError {
    fn from(e: ChangesError) -> Self {
        AgentError::Changes(e)
    }
}

/// The files one session may read and restore.
struct SessionFiles {
    root: Option<ContainedRoot>,
    document: Option<PathBuf>,
    protected: Vec<PathBuf>,
}

impl SessionFiles {
    fn is_document(&self, path: &Path) -> bool {
        self.document.as_deref() == Some(path)
    }
}

impl FileAccess for SessionFiles {
    fn read(&self, path: &Path) -> Current {
        let pinned = if self.is_document(path) {
            agent_containment::pin_unprotected(path, &self.protected)
        } else if let Some(root) = &self.root {
            root.pin_existing(&path.to_string_lossy())
        } else {
            return Current::Unreadable;
        };
        match pinned {
            Err(ContainmentError::NotFound) => Current::Absent,
            Err(_) => Current::Unreadable,
            Ok(pinned) => match read_capped(&pinned.path()) {
                Some(bytes) => Current::Bytes(bytes),
                None => Current::Unreadable,
            },
        }
    }

    fn restore(&self, path: &Path, content: Option<&[u8]>) -> Result<(), String> {
        // `_pinned` keeps the checked parent directory open while its
        // `/proc/self/fd/<fd>/<name>` path is in use.
        let (target, _pinned) = if self.is_document(path) {
            // As a Save: the rename replaces the name (never writes through
            // a symlink), refused when the name now leads somewhere
            // protected.
            match agent_containment::pin_unprotected(path, &self.protected) {
                Ok(_) | Err(ContainmentError::NotFound) => (path.to_path_buf(), None),
                Err(e) => return Err(format!("refused: {e}")),
            }
        } else if let Some(root) = &self.root {
            // The parent directory pinned inside the workspace; the path
            // names the final component in that open directory.
            let pinned = root
                .pin_for_write(&path.to_string_lossy())
                .map_err(|e| format!("refused: {e}"))?;
            (pinned.path(), Some(pinned))
        } else {
            return Err("outside this session's workspace and document".into());
        };
        match content {
            Some(bytes) => write_atomic(&target, bytes, FileMode::Preserve)
                .map_err(|e| format!("could not write it: {e}")),
            None => match std::fs::remove_file(&target) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!("could not remove it: {e}")),
            },
        }
    }
}

/// The file's bytes within the read limit; `None` past it or on failure.
fn read_capped(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_TEXT_BYTES).then_some(bytes)
}
