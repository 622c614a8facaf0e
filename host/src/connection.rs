//! Where a host's parents find it: the default user-data directory, the
//! origin and root the CLI's private host admits, and the clean-up of the
//! `connection.json` that hosts before the local socket (see
//! `local_socket`) published with a credential in it.

use std::path::{Path, PathBuf};

/// The file older hosts published; removed at start, never written.
pub const LEGACY_FILE_NAME: &str = "connection.json";
/// The origin and root the CLI's `Referer` uses with a private host.
pub const CLI_ORIGIN: &str = "http://agent-cli.localhost";
pub const CLI_ROOT: &str = "/cli";

/// The default user-data directory of every parent (shell, CLI, `launch`):
/// `$XDG_DATA_HOME/agent-host`, or `~/.local/share/agent-host`. A relative
/// `XDG_DATA_HOME` is ignored, as the XDG base-directory spec requires.
pub fn default_user_data() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(PathBuf::from(dir).join("agent-host"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share/agent-host"))
}

/// Removes an older host's `connection.json` (it held a credential).
pub fn remove_legacy(user_data: &Path) {
    match std::fs::remove_file(user_data.join(LEGACY_FILE_NAME)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove connection.json"),
    }
}
