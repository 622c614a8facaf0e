//! The origin and root the CLI's private host admits, and the clean-up of
//! the `connection.json` that hosts before the local socket (see
//! `local_socket`) published with a credential in it. Where parents find a
//! host is `agent_client::paths`.

use std::path::Path;

/// The file older hosts published; removed at start, never written.
pub const LEGACY_FILE_NAME: &str = "connection.json";
/// The origin and root the CLI's `Referer` uses with a private host.
pub const CLI_ORIGIN: &str = "http://agent-cli.localhost";
pub const CLI_ROOT: &str = "/cli";

/// Removes an older host's `connection.json` (it held a credential).
pub fn remove_legacy(user_data: &Path) {
    match std::fs::remove_file(user_data.join(LEGACY_FILE_NAME)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove connection.json"),
    }
}
