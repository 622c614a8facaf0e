//! Server-sent events: the HTTP form of the agent's two streams and of the
//! host's event hub (`GET /events`, whose frames and keep-alive comments
//! follow docs/rfc/live-documents.md instead).
//!
//! The agent hands out a [`TurnStream`] (a turn's frames with their
//! sequence numbers) and a status watch; this module alone knows the wire
//! (docs/rfc/stream.md): `id: <turn_id>:<seq>` and `data:` lines, nothing
//! else (no comments, no named events, no keep-alives), so the `ai`
//! package's parser accepts every frame; the response headers; and the
//! `Last-Event-ID` a client resumes from.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;

use crate::agent::status::SessionStatus;
use crate::agent::{Cursor, TurnStream};

/// Marks a response as the AI SDK's UI message stream.
pub const STREAM_HEADER: &str = "x-vercel-ai-ui-message-stream";

/// The cursor a client's `Last-Event-ID` (`<turn_id>:<seq>`) names, if it
/// names one.
pub fn last_event_id(headers: &HeaderMap) -> Option<Cursor> {
    let value = headers.get("last-event-id")?.to_str().ok()?;
    let (turn, seq) = value.rsplit_once(':')?;
    Some(Cursor {
        turn_id: turn.to_owned(),
        seq: seq.parse().ok()?,
    })
}

fn frame(out: &mut Vec<u8>, turn_id: &str, seq: u64, data: &str) {
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(turn_id.as_bytes());
    out.push(b':');
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// A turn's frames as the UI message stream response: each batch the
/// agent hands out is written as one body chunk.
pub fn turn(frames: TurnStream) -> Response {
    let turn_id = frames.turn_id().to_owned();
    let body = frames.map(move |batch| {
        let mut out = Vec::with_capacity(batch.iter().map(|f| f.1.len() + 64).sum());
        for (seq, data) in &batch {
            frame(&mut out, &turn_id, *seq, data);
        }
        Ok::<_, Infallible>(Bytes::from(out))
    });
    let mut response = event_stream(Body::from_stream(body));
    response
        .headers_mut()
        .insert(STREAM_HEADER, HeaderValue::from_static("v1"));
    response
}

/// A 200 `text/event-stream` response around `body`: not cached, not
/// buffered by a proxy.
fn event_stream(body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

// One event of the status stream (its schema is in the OpenAPI spec).
#[derive(Serialize, ToSchema)]
pub struct StatusEvent {
    pub status: SessionStatus,
}

/// A session's status as `data: {"status": …}` events: the current one
/// first, then every change.
pub fn status(rx: watch::Receiver<SessionStatus>) -> Response {
    let events = stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let status = *rx.borrow_and_update();
        let data = serde_json::to_string(&StatusEvent { status }).unwrap_or_default();
        Some((
            Ok::<_, Infallible>(Bytes::from(format!("data: {data}\n\n"))),
            (rx, false),
        ))
    });
    event_stream(Body::from_stream(events))
}

/// How often an idle event stream gets a comment line, so proxies and
/// clients do not take a quiet host for a dead connection.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// The host's event stream (`GET /events`): the replay first, then live
/// frames, each `id: <run>-<seq>` and one `data:` line, with a `: keep-alive`
/// comment when idle. A subscriber that fell behind its queue is ended (its
/// client reconnects with its last id).
pub fn host_events(subscription: crate::events::Subscription) -> Response {
    use std::collections::VecDeque;
    use tokio::sync::broadcast::error::RecvError;
    let replay: VecDeque<_> = subscription.replay.into();
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let state = (replay, subscription.live, keep_alive);
    let body = stream::unfold(state, |(mut replay, mut live, mut keep_alive)| async move {
        let frame = match replay.pop_front() {
            Some(frame) => frame,
            None => tokio::select! {
                received = live.recv() => match received {
                    Ok(frame) => frame,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::debug!(missed, "event subscriber too slow; ending its stream");
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = keep_alive.tick() => {
                    let comment = Bytes::from_static(b": keep-alive\n\n");
                    return Some((Ok::<_, Infallible>(comment), (replay, live, keep_alive)));
                }
            },
        };
        keep_alive.reset();
        let text = format!("id: {}\ndata: {}\n\n", frame.id, frame.data);
        Some((Ok(Bytes::from(text)), (replay, live, keep_alive)))
    });
    event_stream(Body::from_stream(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_names_a_turn_and_a_sequence_number() {
        let mut headers = HeaderMap::new();
        assert_eq!(last_event_id(&headers), None);
        headers.insert("last-event-id", HeaderValue::from_static("turn_ab:c:12"));
        assert_eq!(
            last_event_id(&headers),
            Some(Cursor {
                turn_id: "turn_ab:c".into(),
                seq: 12
            })
        );
        for bad in ["turn_ab", "turn_ab:", "turn_ab:-1", "turn_ab:x"] {
            headers.insert("last-event-id", HeaderValue::from_static(bad));
            assert_eq!(last_event_id(&headers), None, "{bad}");
        }
    }
}
