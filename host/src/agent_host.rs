//! [`AgentHost`]: wires the collaborators and owns start-up and shutdown order.
//!
//! Start-up: user-data directory → exclusive lock → database and migrations
//! → JSON stores → secret store → listener → perimeter → router. Shutdown
//! runs the other way: stop accepting, drain (bounded), checkpoint and close
//! the database, release the lock. Nothing slow (the keyring probe, network)
//! happens before the ready line: start-up must stay in the tens of ms.
//!
//! [`InProcessHost`] builds the same collaborators the same way, without a
//! handshake, a listener or the perimeter, so that tests can drive the
//! routes in-process against a real `sessions.db`.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_secrets::{SecretBackend, SecretStore};
use agent_security::{Credentials, PerimeterConfig, RefererPolicy};
use agent_storage::sessions;
use agent_storage::{
    AuthFile, RecentFiles, StorageError, UserData, UserDataLock, WorkspaceRegistry,
};
use axum::extract::Request;
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

use crate::agent::policy::Policies;
use crate::agent::providers::Providers;
use crate::agent::Agent;
use crate::connection;
use crate::database::Database;
use crate::documents::Documents;
use crate::events::Events;
use crate::handshake::Handshake;
use crate::lifeline::{stopped, StopReason};
use crate::local_socket::LocalSocket;
use crate::models::Models;
use crate::recent::Recent;
use crate::routes;
use crate::secrets::Secrets;
use crate::state::AppState;
use crate::workspaces::Workspaces;

/// In-flight requests get this long after a stop before the host exits
/// anyway: a host must be gone within 1 s of losing its parent.
pub const DRAIN_TIMEOUT: Duration = Duration::from_millis(600);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("another agent-host is already running for {0}")]
    Locked(String),
    #[error("user-data storage: {0}")]
    Storage(#[from] StorageError),
    #[error("invalid perimeter configuration: {0}")]
    Perimeter(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(std::io::Error),
    #[error("cannot listen on the local socket in the user-data directory: {0}")]
    LocalSocket(std::io::Error),
}

/// The host behind its loopback port (and, when asked, `host.sock`).
pub struct AgentHost {
    // Field order is drop order: the lock is released last.
    listener: TcpListener,
    /// `host.sock`, when the parent asked to publish the host to CLIs.
    local: Option<LocalSocket>,
    port: u16,
    state: Arc<AppState>,
    perimeter: Arc<PerimeterConfig>,
    db: Arc<Database>,
    user_data: UserData,
    _lock: UserDataLock,
}

impl AgentHost {
    /// Brings every collaborator up and binds the listener. The handshake's
    /// password is hashed into the perimeter's credentials and then dropped
    /// (zeroised).
    pub async fn start(handshake: Handshake) -> Result<AgentHost, StartError> {
        let started = Instant::now();
        let Handshake {
            password,
            user_data,
            allowed_origins,
            referer_roots,
            extra_referers,
            publish_connection,
        } = handshake;
        let credentials = Credentials::from_password(&password);
        drop(password);

        let opened = Opened::open(&user_data)?;
        let secrets = SecretStore::new(
            AuthFile::new(opened.user_data.auth_path()),
            &opened.user_data.root().to_string_lossy(),
        );
        let (state, db) = opened.collaborators(secrets, started, Models::default_local())?;
        let Opened {
            user_data, lock, ..
        } = opened;

        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(StartError::Bind)?;
        let port = listener.local_addr().map_err(StartError::Bind)?.port();

        let referer = RefererPolicy::new(&allowed_origins, &referer_roots, &extra_referers)
            .map_err(|e| StartError::Perimeter(e.to_string()))?;
        let perimeter = Arc::new(PerimeterConfig {
            port,
            allowed_origins,
            referer,
            credentials,
        });

        let local = if publish_connection {
            Some(LocalSocket::bind(user_data.root()).map_err(StartError::LocalSocket)?)
        } else {
            None
        };

        // Room for the connections the accept loop's cap allows; here, past
        // every refusal, so that a refusal stays the one line on stderr.
        crate::server::raise_fd_limit();
        tracing::info!(
            port,
            user_data = %user_data.root().display(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "agent host started"
        );
        Ok(AgentHost {
            listener,
            local,
            port,
            state,
            perimeter,
            db,
            user_data,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a stop reason arrives, drains for at most
    /// [`DRAIN_TIMEOUT`], then shuts the collaborators down in order.
    pub async fn serve(self, stop: watch::Receiver<Option<StopReason>>) -> StopReason {
        let AgentHost {
            listener,
            local,
            port: _,
            state,
            perimeter,
            db,
            user_data,
            _lock,
        } = self;
        let agent = state.agent.clone();
        if let Some(local) = local {
            let app = crate::http::local_app(state.clone());
            let local_stop = stopped(stop.clone());
            // Stops accepting (and removes the socket file) with the port;
            // ends once its connections drain or the runtime shuts down.
            tokio::spawn(local.serve(app, async move {
                local_stop.await;
            }));
        }
        let app = crate::http::app(state, perimeter);
        let graceful_stop = stopped(stop.clone());
        let cap = crate::server::connection_cap();
        let server = crate::server::serve(listener, cap, app, async move {
            graceful_stop.await;
        });
        let mut server = std::pin::pin!(server);
        let reason = tokio::select! {
            () = &mut server => {
                // The server also ends by itself once a stop reason arrives
                // (graceful shutdown); only an end without one is a failure.
                if let Some(reason) = *stop.borrow() {
                    tracing::info!(?reason, "stopped: all connections drained");
                    agent.abort_all();
                    db.checkpoint();
                    return reason;
                }
                tracing::error!("HTTP server ended without a stop request");
                db.checkpoint();
                return StopReason::ServerFailed;
            }
            reason = stopped(stop.clone()) => reason,
        };
        tracing::info!(?reason, "stopping: aborting turns, draining requests");
        agent.abort_all();
        if tokio::time::timeout(DRAIN_TIMEOUT, &mut server)
            .await
            .is_err()
        {
            tracing::warn!("drain timed out; closing remaining connections");
        }
        db.checkpoint();
        crate::local_socket::remove(&crate::local_socket::path(user_data.root()));
        tracing::info!("agent host stopped");
        reason
    }
}

/// A user-data directory prepared and locked for one host.
struct Opened {
    user_data: UserData,
    /// The locations refused everywhere (`agent_containment::protected_paths`).
    protected: Vec<PathBuf>,
    lock: UserDataLock,
}

impl Opened {
    /// Prepares the directory (0700, files 0600) under its real path and
    /// takes its lock.
    fn open(user_data: &Path) -> Result<Opened, StartError> {
        let user_data = UserData::prepare(user_data)?;
        // The real path names the keyring entries and the protected subtree,
        // so `/d`, `/d/` and a symlinked spelling all mean one directory.
        let user_data = match std::fs::canonicalize(user_data.root()) {
            Ok(real) if real != user_data.root() => UserData::prepare(&real)?,
            _ => user_data,
        };
        let protected = agent_containment::protected_paths(user_data.root());
        let lock = acquire_lock(&user_data).map_err(|e| match e {
            StorageError::Locked { .. } => {
                StartError::Locked(user_data.root().display().to_string())
            }
            other => StartError::Storage(other),
        })?;
        // We hold the lock: a socket there is a dead host's (replaced by
        // `bind`, or removed now), and so is an older host's connection
        // file, which held a credential.
        connection::remove_legacy(user_data.root());
        crate::local_socket::remove(&crate::local_socket::path(user_data.root()));
        Ok(Opened {
            user_data,
            protected,
            lock,
        })
    }

    /// Every collaborator over the directory: the database (migrated, and
    /// turns an earlier crash left running marked interrupted), the JSON
    /// stores, the provider registry and the agent.
    fn collaborators(
        &self,
        secrets: SecretStore,
        started: Instant,
        local_servers: Vec<(String, u16)>,
    ) -> Result<(Arc<AppState>, Arc<Database>), StartError> {
        let user_data = &self.user_data;
        let db = Arc::new(Database::open(&user_data.database_path())?);
        let recent = RecentFiles::load(user_data.recent_path())?;
        let workspaces = WorkspaceRegistry::load(user_data.workspaces_path())?;
        let secrets = Secrets::new(secrets);
        let interrupted = sessions::mark_interrupted(&db.lock(), crate::clock::now_ms())?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "turns left running by an earlier crash marked interrupted"
            );
        }
        let providers = Arc::new(Providers::load(
            user_data.root().join("providers.json"),
            secrets.store(),
        )?);
        let policies = Arc::new(Policies::load(user_data.root().join("policies.json"))?);
        let events = Arc::new(Events::new());
        let workspaces = Arc::new(Workspaces::new(
            workspaces,
            self.protected.clone(),
            events.clone(),
        ));
        let documents = Arc::new(Documents::new(
            db.clone(),
            self.protected.clone(),
            events.clone(),
        ));
        let models = Arc::new(Models::new(providers.clone(), local_servers));
        let agent = Arc::new(Agent::new(
            db.clone(),
            workspaces.clone(),
            documents.clone(),
            providers,
            policies,
            user_data.root().to_path_buf(),
            events.clone(),
        ));
        let state = Arc::new(AppState {
            started,
            documents,
            recent: Recent::new(recent, events.clone()),
            events,
            workspaces,
            agent,
            models,
            secrets,
            openapi: routes::openapi_json(),
        });
        Ok((state, db))
    }
}

/// The host's routes in this process, over a user-data directory: the
/// collaborators [`AgentHost::start`] builds, built the same way (the real
/// `sessions.db` and JSON stores, migrations, crash recovery), behind the
/// stack the host's Unix socket serves (JSON errors, body limit, no
/// perimeter: the caller is this process), with no handshake and no
/// listener. For tests that send requests with `tower::ServiceExt::oneshot`.
///
/// Provider keys go to `auth.json` in the directory, never to the
/// desktop's keyring. The directory's lock is held, and turns keep
/// running, until this is dropped.
pub struct InProcessHost {
    state: Arc<AppState>,
    _lock: UserDataLock,
}

impl InProcessHost {
    /// Opens (creating it if needed) and locks `user_data`, and builds the
    /// collaborators over it.
    pub fn open(user_data: &Path) -> Result<InProcessHost, StartError> {
        Self::open_with_local_servers(user_data, Models::default_local())
    }

    /// As [`InProcessHost::open`], with `GET /local-models` probing these
    /// `(server name, 127.0.0.1 port)` pairs instead of the common local
    /// servers' ports (tests bind a scripted server on a free port).
    pub fn open_with_local_servers(
        user_data: &Path,
        local_servers: Vec<(String, u16)>,
    ) -> Result<InProcessHost, StartError> {
        let opened = Opened::open(user_data)?;
        let secrets = SecretStore::with_backend(
            AuthFile::new(opened.user_data.auth_path()),
            &opened.user_data.root().to_string_lossy(),
            Some(SecretBackend::File),
        );
        let (state, _db) = opened.collaborators(secrets, Instant::now(), local_servers)?;
        Ok(InProcessHost {
            state,
            _lock: opened.lock,
        })
    }

    /// The routes as one service; clone it freely, every clone serves the
    /// same collaborators.
    pub fn service(
        &self,
    ) -> impl Service<Request, Response = Response, Error = Infallible, Future = impl Send>
           + Clone
           + Send
           + Sync
           + 'static {
        crate::http::local_app(self.state.clone())
    }
}

impl Drop for InProcessHost {
    /// As a host's shutdown does: running turns are aborted.
    fn drop(&mut self) {
        self.state.agent.abort_all();
    }
}

/// Takes `host.lock`, waiting up to [`LOCK_PATIENCE`] for a host that is
/// going away. Seen in the crash test: a start right after a SIGKILLed host
/// was reaped is sometimes refused although no process holds the lock a
/// moment later (likely a child the dead host was spawning, between fork
/// and exec, with a copy of the descriptor). A user restarting the app
/// after a crash would meet the same; a live host holds the lock for good
/// and is still refused, after the wait.
fn acquire_lock(user_data: &UserData) -> Result<UserDataLock, StorageError> {
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match UserDataLock::acquire(user_data) {
            Err(StorageError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// How long a starting host waits for the lock of one going away.
const LOCK_PATIENCE: Duration = Duration::from_millis(1500);
