//! Per-session status for the status stream: what a renderer shows next to
//! a session without subscribing to its turn.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStatus {
    Idle,
    Busy,
    WaitingForApproval,
    Error,
}
