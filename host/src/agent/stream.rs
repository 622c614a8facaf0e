//! What a client reads of a turn: its frames in order, each with its
//! sequence number, from a live [`Run`] (followed until it closes) or from
//! the stored chunk log of a finished turn. No transport here: the routes
//! write a [`TurnStream`] as server-sent events (routes/sse.rs), and any
//! other reader (a test, a future transport) reads the same frames.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use super::deltas::merge_deltas;
use super::run::{Frame, Run};

/// A place in a turn's frames: just after frame `seq` of turn `turn_id`
/// (what a client last saw; on the wire, its `Last-Event-ID`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub turn_id: String,
    pub seq: u64,
}

/// The frames of one turn after a cursor. Each item is a batch: every frame
/// that was ready when the reader asked (all of them for a stored turn),
/// with consecutive deltas of one block merged (deltas.rs), so a transport
/// can write a batch at once. The stream ends after
/// the turn's last frame (`[DONE]`), or with the log of a turn the host
/// lost; dropping it never affects the turn.
pub struct TurnStream {
    turn_id: String,
    frames: BoxStream<'static, Vec<Frame>>,
}

impl TurnStream {
    /// The turn these frames belong to (with a frame's `seq`, its id).
    pub fn turn_id(&self) -> &str {
        &self.turn_id
    }

    /// Frames of a live run after `after`, following it until it closes.
    pub(super) fn live(run: Arc<Run>, after: u64) -> TurnStream {
        let turn_id = run.turn_id.clone();
        let progress = run.watch_progress();
        let frames = stream::unfold(
            (run, after, progress, false),
            |(run, cursor, mut progress, finished)| async move {
                if finished {
                    return None;
                }
                loop {
                    let (frames, closed) = run.frames_after(cursor);
                    if let Some(&(last, _)) = frames.last() {
                        // Closed and everything handed out: end after this batch.
                        let done = closed && run.frames_after(last).0.is_empty();
                        return Some((merge_deltas(frames), (run, last, progress, done)));
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
        );
        TurnStream {
            turn_id,
            frames: frames.boxed(),
        }
    }

    /// Frames loaded from the chunk log of a finished turn: one batch.
    pub(super) fn stored(turn_id: String, frames: Vec<(u64, String)>) -> TurnStream {
        let batch: Vec<Frame> = frames
            .into_iter()
            .map(|(seq, data)| (seq, Arc::from(data)))
            .collect();
        let frames = stream::iter((!batch.is_empty()).then(|| merge_deltas(batch)));
        TurnStream {
            turn_id,
            frames: frames.boxed(),
        }
    }
}

impl Stream for TurnStream {
    type Item = Vec<Frame>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<Frame>>> {
        self.frames.poll_next_unpin(cx)
    }
}
