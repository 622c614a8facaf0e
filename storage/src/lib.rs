//! The AgentHost's user data: where each file lives and how it is written.
//!
//! This crate owns the user-data directory (created 0700): the
//! `host.lock` that keeps one host per directory, `sessions.db` (SQLite,
//! WAL) with its migrations, the JSON stores `recent.json` and
//! `workspaces.json`, and `auth.json`, the file fallback for API keys;
//! and the checkpoints of files the agent changed ([`changes`]).
//!
//! Invariants:
//! - **Every write is atomic** ([`write_atomic`]): temp file in the same
//!   directory, fsync, rename, fsync the directory. A crash leaves the old
//!   or the new version, never a mix. The host uses it for the user's
//!   documents too.
//! - **`auth.json` is 0600**: written with [`FileMode::Private`], and
//!   reading is refused while group/other bits are set. No error message
//!   ever contains file contents.
//! - **A database newer than the code is refused** before anything is
//!   written to it ([`StorageError::SchemaTooNew`]).
//! - A corrupt store is an error, never silently reset to empty.
//!
//! ```no_run
//! use agent_storage::{open_database, write_atomic, FileMode, UserData, UserDataLock};
//!
//! let user_data = UserData::prepare("/home/me/.local/share/agent-host".as_ref()).unwrap();
//! let _lock = UserDataLock::acquire(&user_data).unwrap();
//! let conn = open_database(&user_data.database_path()).unwrap();
//! write_atomic("/home/me/notes/plan.md".as_ref(), b"# Plan\n", FileMode::Preserve).unwrap();
//! # let _ = conn;
//! ```

pub mod atomic;
pub mod auth_file;
pub mod changes;
pub mod db;
pub mod documents;
pub mod error;
pub mod json_store;
pub mod layout;
pub mod lock;
mod ordering;
pub mod recent;
pub mod sessions;
pub mod workspaces;

pub use atomic::{write_atomic, FileMode};
pub use auth_file::AuthFile;
pub use db::{open_database, Checkpointer, SCHEMA_VERSION};
pub use documents::{document_path, register_document};
pub use error::{Result, StorageError};
pub use json_store::{load_json, save_json};
pub use layout::UserData;
pub use lock::UserDataLock;
pub use recent::{RecentEntry, RecentFiles, RECENT_CAP};
pub use workspaces::{WorkspaceEntry, WorkspaceRegistry};
