//! `GET /events`: the host-wide event stream (docs/rfc/live-documents.md).
//! Subscribes to the hub with the client's `Last-Event-ID`; `sse.rs`
//! frames it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use serde::Serialize;
use utoipa::ToSchema;

use super::sse;
use crate::state::AppState;

/// One server-sent event of `GET /events` as a client's SSE parser gives
/// it: `data` is one `HostEvent` as JSON.
#[derive(Serialize, ToSchema)]
pub struct HostEventFrame {
    /// `<run>-<seq>`; send the last one seen as `Last-Event-ID`.
    pub id: String,
    /// A `HostEvent` (its `type` names it).
    #[schema(content_media_type = "application/json")]
    pub data: String,
    /// Always the default, `message`.
    pub event: Option<String>,
}

/// What changed in the host: documents on disk, sessions, turn status,
/// recent files, workspaces. Each frame is `id: <run>-<seq>` and one
/// `data:` line with a `HostEvent`; reconnect with `Last-Event-ID` to get
/// what was missed (or a `resync` event when that is no longer held).
#[utoipa::path(get, path = "/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last id seen, to resume after it")),
    responses((status = 200, description = "Event stream: one `HostEvent` per frame",
        content_type = "text/event-stream", body = HostEventFrame)))]
pub async fn events(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    sse::host_events(state.events.subscribe(last))
}
