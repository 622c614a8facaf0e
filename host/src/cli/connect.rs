//! How a CLI command reaches a host.
//!
//! 1. The user-data directory: `--user-data`, else the same default as
//!    `agent-host launch`.
//! 2. A running host that listens on `host.sock` in that directory (as the
//!    shell's and `agent-host launch`'s do) is used when it answers
//!    `GET /health` there: the CLI then shares the window's sessions and
//!    keys. The kernel vouches for both ends (see `local_socket`); there
//!    is no credential to read.
//! 3. Otherwise a private host is started through the shell's own
//!    spawn-and-handshake code ([`agent_client::launch`]) and stopped when the
//!    command ends. Its password lives only in this process's memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_client::{launch, paths, Client, LaunchError, LaunchOptions, LaunchedHost};
use agent_host::connection::{CLI_ORIGIN, CLI_ROOT};

use super::{exit, Failure};

/// How long an attached host gets to answer `/health`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a private host gets to drain after its stdin closes (it
/// promises 1 s).
const PRIVATE_STOP_TIMEOUT: Duration = Duration::from_secs(3);

pub use agent_client::paths::default_user_data;

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

/// The running host, if its socket is there and it answers.
async fn attach(user_data: &Path) -> Option<Client> {
    let socket = paths::socket(user_data);
    if socket.symlink_metadata().is_err() {
        return None;
    }
    let client = Client::unix(&socket);
    match tokio::time::timeout(HEALTH_TIMEOUT, client.get("/health")).await {
        Ok(Ok(_)) => Some(client),
        Ok(Err(e)) => {
            eprintln!("agent-host: ignoring a stale host socket ({e})");
            None
        }
        Err(_) => {
            eprintln!("agent-host: ignoring a host socket that does not answer");
            None
        }
    }
}

fn start_private(user_data: &Path) -> Result<LaunchedHost, Failure> {
    let program = std::env::current_exe()
        .map_err(|e| Failure::new(exit::FAILED, format!("cannot find my own executable: {e}")))?;
    let mut options = LaunchOptions::new(program, user_data);
    options.allowed_origins = vec![CLI_ORIGIN.to_owned()];
    options.referer_roots = vec![CLI_ROOT.to_owned()];
    match launch(&options) {
        Ok(host) => Ok(host),
        Err(LaunchError::ExitedEarly) if held_by_another_host(user_data) => Err(Failure::new(
            exit::FAILED,
            format!(
                "another host holds {} but does not listen on its socket; \
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
