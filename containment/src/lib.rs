//! `agent-containment`: where a client path or a tool's path may lead.
//!
//! - [`ContainedRoot`] resolves paths inside a workspace root: `..`, NUL
//!   bytes, absolute paths outside and symlinks out are refused before any
//!   I/O; [`Pinned`] handles keep the checked inode for the I/O itself, so
//!   a path swapped for a symlink after the check leads nowhere.
//! - Protected locations ([`protected_paths`]: the host's user-data
//!   directory and the user's credential folders) are refused inside every
//!   root, compared by name and by device and inode.
//! - [`ContainedRoot::check_workspace`] and [`check_read_only_path`]
//!   decide what may be a workspace, or be shown read-only to the sandbox.
//!
//! Errors are plain ([`ContainmentError`], [`WorkspaceRefusal`]); the host
//! maps them to HTTP, the tools to messages for the model.
//!
//! ```no_run
//! use agent_containment::{protected_paths, ContainedRoot};
//! let root = ContainedRoot::new("/home/me/project".as_ref())
//!     .unwrap()
//!     .with_protected(protected_paths("/home/me/.local/share/agent-host".as_ref()));
//! let file = root.pin_existing("src/main.rs").unwrap();
//! let text = std::fs::read_to_string(file.path()).unwrap();
//! # let _ = text;
//! ```

mod contained;

pub use contained::{
    check_read_only_path, is_protected, pin_unprotected, protected_paths, ContainedRoot,
    ContainmentError, Pinned, WorkspaceRefusal, HOME_SECRETS,
};
