//! Per-session status for the status stream: what a renderer shows next to
//! a session without subscribing to its turn.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

use crate::events::{Events, HostEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatus {
    Idle,
    Busy,
    WaitingForApproval,
    Error,
}

/// A session's status channel that also tells the event hub
/// (`turn.status`) whenever the status changes.
#[derive(Clone)]
pub struct StatusSender {
    pub(super) tx: watch::Sender<SessionStatus>,
    pub(super) events: Arc<Events>,
    pub(super) session_id: String,
}

impl StatusSender {
    pub fn send_replace(&self, status: SessionStatus) {
        if self.tx.send_replace(status) != status {
            self.events.publish(HostEvent::TurnStatus {
                session_id: self.session_id.clone(),
                status,
            });
        }
    }
}
