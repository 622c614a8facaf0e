//! Server-sent events for the UI message stream: `id:` + `data:` frames,
//! nothing else (no comments, no named events), so the `ai` package's
//! parser accepts every frame.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, Stream, StreamExt};

use super::run::Run;

pub const STREAM_HEADER: &str = "x-vercel-ai-ui-message-stream";

/// Parses `Last-Event-ID` (`<turn_id>:<seq>`).
pub fn parse_event_id(value: &str) -> Option<(&str, u64)> {
    let (turn, seq) = value.rsplit_once(':')?;
    Some((turn, seq.parse().ok()?))
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

/// Frames of a live run after `after`, following it until it closes.
pub fn live(run: Arc<Run>, after: u64) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    let progress = run.watch_progress();
    stream::unfold(
        (run, after, progress, false),
        |(run, cursor, mut progress, finished)| async move {
            if finished {
                return None;
            }
            loop {
                let (frames, closed) = run.frames_after(cursor);
                if !frames.is_empty() {
                    let mut out = Vec::with_capacity(frames.len() * 64);
                    let last = frames.last().map(|f| f.0).unwrap_or(cursor);
                    for (seq, data) in &frames {
                        frame(&mut out, &run.turn_id, *seq, data);
                    }
                    // Closed and everything written: end after this batch.
                    let done = closed && run.frames_after(last).0.is_empty();
                    return Some((Ok(Bytes::from(out)), (run, last, progress, done)));
                }
                if closed {
                    return None;
                }
                // Changed or sender gone (the run is dropped only after close).
                if progress.changed().await.is_err() {
                    return None;
                }
            }
        },
    )
}

/// Frames loaded from the chunk log of a finished turn.
pub fn stored(
    turn_id: String,
    frames: Vec<(u64, String)>,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    stream::iter(frames.into_iter().map(move |(seq, data)| {
        let mut out = Vec::with_capacity(data.len() + 32);
        frame(&mut out, &turn_id, seq, &data);
        Ok(Bytes::from(out))
    }))
}

/// Wraps a frame stream into the protocol's response.
pub fn response<S>(frames: S) -> Response
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
{
    let mut response = Response::new(Body::from_stream(frames.boxed()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(STREAM_HEADER, HeaderValue::from_static("v1"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
