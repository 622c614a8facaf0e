//! How a CLI command reaches a host.
//!
//! 1. The user-data directory: `--user-data`, else the same default as
//!    `agent-host launch`.
//! 2. A running host that published `connection.json` is used when its pid
//!    is alive and it answers `GET /health` with the published credential:
//!    the CLI then shares the window's sessions and keys.
//! 3. Otherwise a private host is started through the shell's own
//!    spawn-and-handshake code ([`launcher::launch`]) and stopped when the
//!    command ends. Its password lives only in this process's memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_host::connection::{self, ConnectionInfo, CLI_ORIGIN, CLI_ROOT};
use agent_host::launcher::{self, LaunchError, LaunchOptions, LaunchedHost};

use super::client::Client;
use super::{exit, Failure};

/// How long an attached host gets to answer `/health`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a private host gets to drain after its stdin closes (it
/// promises 1 s).
const PRIVATE_STOP_TIMEOUT: Duration = Duration::from_secs(3);

pub use agent_host::connection::default_user_data;

/// A usable host: the client, and the private host (if any) that must
/// outlive it.
pub struct Connection {
    pub client: Client,
    /// Held only to be dropped after the client: stops the host.
    _private: Option<PrivateHost>,
}

/// Finds or starts a host for `user_data` (see the module docs).
pub async fn connect(user_data: Option<PathBuf>) -> Result<Connection, Failure> {
    let user_data = resolve(user_data)?;
    if let Some(client) = attach(&user_data).await {
        return Ok(Connection {
            client,
            _private: None,
        });
    }
    // Deliberately blocking, on this (the main) thread: the host's
    // PR_SET_PDEATHSIG fires when the *thread* that spawned it exits, and a
    // blocking-pool thread retires after 10 s idle, which would kill the
    // host mid-turn. Nothing else runs on this runtime meanwhile.
    let launched = start_private(&user_data)?;
    let referer = format!("{CLI_ORIGIN}{CLI_ROOT}/");
    let client =
        Client::new(launched.ready.port, &launched.password, &referer).map_err(Failure::from)?;
    Ok(Connection {
        client,
        _private: Some(PrivateHost(Some(launched))),
    })
}

/// An absolute user-data path (the handshake requires one).
fn resolve(user_data: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let dir = user_data.or_else(default_user_data).ok_or_else(|| {
        Failure::usage("no --user-data given and no home directory to default to")
    })?;
    std::path::absolute(&dir)
        .map_err(|e| Failure::usage(format!("bad --user-data {}: {e}", dir.display())))
}

/// The published host, if the file is there, its pid alive and it answers.
async fn attach(user_data: &Path) -> Option<Client> {
    let info = match connection::read(user_data) {
        Ok(Some(info)) => info,
        Ok(None) => return None,
        Err(e) => {
            eprintln!("agent-host: ignoring the connection file: {e}");
            return None;
        }
    };
    if !pid_alive(info.pid) {
        eprintln!(
            "agent-host: ignoring a stale connection file (host pid {} is gone)",
            info.pid
        );
        return None;
    }
    let client = client_for(&info)?;
    if client.healthy(HEALTH_TIMEOUT).await {
        Some(client)
    } else {
        eprintln!(
            "agent-host: ignoring a stale connection file (host pid {} does not answer)",
            info.pid
        );
        None
    }
}

fn client_for(info: &ConnectionInfo) -> Option<Client> {
    match Client::new(info.port, &info.credential, &info.referer) {
        Ok(client) => Some(client),
        Err(e) => {
            eprintln!("agent-host: ignoring the connection file: {e}");
            None
        }
    }
}

/// Alive and not a zombie: a host killed without being reaped keeps its
/// `/proc` entry, and its pid says nothing about its port.
pub fn pid_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may
        // itself contain ") ".
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

fn start_private(user_data: &Path) -> Result<LaunchedHost, Failure> {
    let program = std::env::current_exe()
        .map_err(|e| Failure::new(exit::FAILED, format!("cannot find my own executable: {e}")))?;
    let mut options = LaunchOptions::new(program, user_data);
    options.allowed_origins = vec![CLI_ORIGIN.to_owned()];
    options.referer_roots = vec![CLI_ROOT.to_owned()];
    match launcher::launch(&options) {
        Ok(host) => Ok(host),
        Err(LaunchError::ExitedEarly) if held_by_another_host(user_data) => Err(Failure::new(
            exit::FAILED,
            format!(
                "another host holds {} but left no usable connection file; \
                 stop it, or start it with `agent-host launch` so the CLI can attach",
                user_data.display()
            ),
        )),
        Err(e) => Err(Failure::new(
            exit::FAILED,
            format!("could not start a host for {}: {e}", user_data.display()),
        )),
    }
}

/// Whether some process holds `host.lock` right now. The launcher does not
/// report the child's exit code (3 = locked), so this asks the lock itself;
/// opening read-only never creates the file.
fn held_by_another_host(user_data: &Path) -> bool {
    let Ok(file) = std::fs::File::open(user_data.join("host.lock")) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// Stops the private host when the command ends: closing its stdin is the
/// lifeline's "parent gone", and waiting for the exit releases `host.lock`
/// before the next command (which may want to start its own host) runs.
struct PrivateHost(Option<LaunchedHost>);

impl Drop for PrivateHost {
    fn drop(&mut self) {
        let Some(host) = self.0.take() else { return };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(host.stop());
        });
        // A host that hangs is not worth hanging for: PR_SET_PDEATHSIG
        // stops it when we exit.
        let _ = rx.recv_timeout(PRIVATE_STOP_TIMEOUT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pid_is_alive_and_unused_ones_are_not() {
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(0));
        assert!(!pid_alive(u32::MAX));
    }
}
