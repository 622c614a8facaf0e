//! `connection.json`: how a CLI attaches to a running host.
//!
//! The host publishes its port and a **separate** CLI credential (never
//! the spawn password) in the user-data directory, mode 0600, written
//! atomically, and removes the file when it stops. A file left by a host
//! that died is stale: the host holding the lock removes it at start, and
//! clients check the pid and the credential before trusting it.

use std::path::{Path, PathBuf};

use agent_storage::{write_atomic, FileMode};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub const FILE_NAME: &str = "connection.json";
/// The origin and root the CLI's `Referer` uses; admitted only when the
/// host publishes a connection file.
pub const CLI_ORIGIN: &str = "http://agent-cli.localhost";
pub const CLI_ROOT: &str = "/cli";

#[derive(Serialize, Deserialize)]
pub struct ConnectionInfo {
    pub version: u32,
    pub port: u16,
    pub pid: u32,
    /// Basic Auth password for user `agent`, valid only for this host's life.
    pub credential: String,
    pub referer: String,
    pub host_version: String,
}

impl std::fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInfo")
            .field("port", &self.port)
            .field("pid", &self.pid)
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// The default user-data directory of every parent (shell, CLI, `launch`):
/// `$XDG_DATA_HOME/agent-host`, or `~/.local/share/agent-host`. A relative
/// `XDG_DATA_HOME` is ignored, as the XDG base-directory spec requires.
pub fn default_user_data() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(PathBuf::from(dir).join("agent-host"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share/agent-host"))
}

pub fn path(user_data: &Path) -> PathBuf {
    user_data.join(FILE_NAME)
}

/// Writes the file (0600, atomically).
pub fn publish(
    user_data: &Path,
    port: u16,
    credential: &Zeroizing<String>,
) -> agent_storage::Result<()> {
    let info = ConnectionInfo {
        version: 1,
        port,
        pid: std::process::id(),
        credential: credential.to_string(),
        referer: format!("{CLI_ORIGIN}{CLI_ROOT}/"),
        host_version: crate::VERSION.to_owned(),
    };
    let text = Zeroizing::new(serde_json::to_vec_pretty(&info).unwrap_or_default());
    write_atomic(&path(user_data), &text, FileMode::Private)
}

/// Removes the file if it is there (stale at start, ours at stop).
pub fn remove(user_data: &Path) {
    match std::fs::remove_file(path(user_data)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove connection.json"),
    }
}

/// Reads a connection file, refusing one that others can read.
pub fn read(user_data: &Path) -> std::io::Result<Option<ConnectionInfo>> {
    use std::os::unix::fs::PermissionsExt;
    let file = match std::fs::File::open(path(user_data)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "connection.json has mode {:o}; it must be 600",
                mode & 0o777
            ),
        ));
    }
    serde_json::from_reader(file).map(Some).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "connection.json is not valid",
        )
    })
}
