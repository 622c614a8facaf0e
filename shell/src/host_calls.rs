//! The few host requests the shell makes itself, as the renderer's origin
//! would (same perimeter, same referer root): resolving a file to its
//! `doc_id` so each document gets exactly one window, and reading the
//! recent files for the menu. They wait for a ready host, so a file named
//! on the command line can be opened before the host has started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_client::{Client, ClientError};
use tokio::sync::watch;

use crate::supervisor::HostState;

/// How long a call waits for the host to become ready (start-up or a
/// restart in progress) before it reports an error.
const READY_WAIT: Duration = Duration::from_secs(30);
/// Attempts on a transport error: the host may have died between the
/// state change and the request, and the supervisor restarts it.
const ATTEMPTS: u32 = 3;

/// A document the host knows: what the shell keys windows by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedDocument {
    pub doc_id: String,
    /// The canonical path.
    pub path: PathBuf,
    pub name: String,
}

/// Talks to whichever host is current.
#[derive(Clone)]
pub struct HostCalls {
    states: watch::Receiver<HostState>,
    /// The renderer's start URL: a referer the perimeter accepts.
    referer: String,
}

impl HostCalls {
    pub fn new(states: watch::Receiver<HostState>, referer: String) -> Self {
        Self { states, referer }
    }

    /// Registers `path` with the host (which also marks it recent) and
    /// returns its stable id.
    pub async fn open_document(&self, path: &Path) -> Result<OpenedDocument, String> {
        let body = serde_json::json!({ "path": path.to_string_lossy() });
        let value = self
            .call(|client| {
                let body = body.clone();
                async move { client.post("/documents", &body).await }
            })
            .await?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("the host's answer has no {name}"))
        };
        Ok(OpenedDocument {
            doc_id: field("doc_id")?,
            path: PathBuf::from(field("path")?),
            name: field("name")?,
        })
    }

    /// The recent files, pinned first, then most recent first.
    pub async fn recent_files(&self) -> Result<Vec<PathBuf>, String> {
        let value = self
            .call(|client| async move { client.get("/recent").await })
            .await?;
        Ok(value
            .get("entries")
            .and_then(|e| e.as_array())
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e.get("path")?.as_str().map(PathBuf::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn call<F, Fut>(&self, request: F) -> Result<serde_json::Value, String>
    where
        F: Fn(Client) -> Fut,
        Fut: std::future::Future<Output = Result<serde_json::Value, ClientError>>,
    {
        let mut last_error = String::from("the host is not ready");
        for _ in 0..ATTEMPTS {
            let client = self.ready_client().await?;
            match request(client).await {
                Ok(value) => return Ok(value),
                Err(ClientError::Api { message, .. }) => return Err(message),
                Err(error @ ClientError::Transport(_)) => last_error = error.to_string(),
            }
            // Give the supervisor a moment to notice and publish the restart.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(last_error)
    }

    async fn ready_client(&self) -> Result<Client, String> {
        let mut states = self.states.clone();
        let wait =
            states.wait_for(|s| matches!(s, HostState::Ready { .. } | HostState::Failed { .. }));
        let state = match tokio::time::timeout(READY_WAIT, wait).await {
            Ok(Ok(state)) => state.clone(),
            Ok(Err(_)) => return Err("the supervisor stopped".into()),
            Err(_) => return Err("the host did not become ready in time".into()),
        };
        match state {
            HostState::Ready {
                port, connection, ..
            } => Client::new(port, connection.password(), &self.referer).map_err(|e| e.to_string()),
            HostState::Failed { reason, .. } => Err(format!("the host could not start: {reason}")),
            _ => Err("the host is not ready".into()),
        }
    }
}
