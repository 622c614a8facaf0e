//! [`AgentHost`]: wires the collaborators and owns start-up and shutdown order.
//!
//! Start-up: user-data directory → exclusive lock → database and migrations
//! → JSON stores → secret store → listener → perimeter → router. Shutdown
//! runs the other way: stop accepting, drain (bounded), checkpoint and close
//! the database, release the lock. Nothing slow (the keyring probe, network)
//! happens before the ready line: start-up must stay in the tens of ms.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_secrets::SecretStore;
use agent_security::{Credentials, PerimeterConfig, RefererPolicy};
use agent_storage::sessions;
use agent_storage::{
    open_database, AuthFile, RecentFiles, StorageError, UserData, UserDataLock, WorkspaceRegistry,
};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::agent::policy::Policies;
use crate::agent::providers::Providers;
use crate::agent::Agent;
use crate::connection;
use crate::database::Database;
use crate::documents::Documents;
use crate::handshake::Handshake;
use crate::lifeline::{stopped, StopReason};
use crate::local_socket::LocalSocket;
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

        let user_data = UserData::prepare(&user_data)?;
        // The real path names the keyring entries and the protected subtree,
        // so `/d`, `/d/` and a symlinked spelling all mean one directory.
        let user_data = match std::fs::canonicalize(user_data.root()) {
            Ok(real) if real != user_data.root() => UserData::prepare(&real)?,
            _ => user_data,
        };
        let protected = agent_containment::protected_paths(user_data.root());
        let lock = UserDataLock::acquire(&user_data).map_err(|e| match e {
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
        let db = Arc::new(Database::new(open_database(&user_data.database_path())?));
        let recent = RecentFiles::load(user_data.recent_path())?;
        let workspaces = WorkspaceRegistry::load(user_data.workspaces_path())?;
        let secrets = Secrets::new(SecretStore::new(
            AuthFile::new(user_data.auth_path()),
            &user_data.root().to_string_lossy(),
        ));
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
        let workspaces = Arc::new(Workspaces::new(workspaces, protected.clone()));
        let agent = Arc::new(Agent::new(
            db.clone(),
            workspaces.clone(),
            providers,
            policies,
            user_data.root().to_path_buf(),
        ));

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

        let state = Arc::new(AppState {
            started,
            documents: Documents::new(db.clone(), protected),
            recent: Recent::new(recent),
            workspaces,
            agent,
            secrets,
            openapi: routes::openapi_json(),
        });
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
            // Stops accepting with the port; ends (removing the socket file)
            // once its connections drain or the runtime shuts down.
            tokio::spawn(local.serve(app, async move {
                local_stop.await;
            }));
        }
        let app = crate::http::app(state, perimeter);
        let graceful_stop = stopped(stop.clone());
        let server = crate::server::serve(listener, app, async move {
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
