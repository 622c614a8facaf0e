//! What every handler can reach: the collaborators, nothing else.

use std::sync::Arc;
use std::time::Instant;

use crate::agent::Agent;

use crate::documents::Documents;
use crate::events::Events;
use crate::models::Models;
use crate::recent::Recent;
use crate::secrets::Secrets;
use crate::workspaces::Workspaces;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Advertised by `POST /handshake`; grows as issues land.
pub const CAPABILITIES: [&str; 7] = [
    "documents",
    "recent",
    "workspaces",
    "secrets",
    "sessions",
    "agent-stream-v1",
    "tools",
];

pub struct AppState {
    pub started: Instant,
    pub documents: Arc<Documents>,
    /// `GET /events`: what changed, for every window.
    pub events: Arc<Events>,
    pub recent: Recent,
    pub workspaces: Arc<Workspaces>,
    pub agent: Arc<Agent>,
    /// Model lists, connection tests, local servers.
    pub models: Arc<Models>,
    pub secrets: Secrets,
    /// The OpenAPI document, rendered once at start.
    pub openapi: String,
}
