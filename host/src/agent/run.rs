//! One running turn as the clients see it: an append-only log of frames
//! that any number of subscribers read at their own pace, plus the controls
//! (abort, approvals) the HTTP routes reach.
//!
//! Subscribers never miss or duplicate a frame: each keeps its own cursor
//! into the log and waits on a `watch` of the log length, so a client that
//! reconnects with `Last-Event-ID` resumes exactly after the frame it saw.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, watch};

/// A frame: its sequence number (1-based) and its `data:` payload.
pub type Frame = (u64, Arc<str>);

pub struct Run {
    pub turn_id: String,
    frames: Mutex<Vec<Arc<str>>>,
    /// Number of frames, and whether the log is closed (`[DONE]` written).
    progress: watch::Sender<(u64, bool)>,
    abort: watch::Sender<bool>,
    approvals: Mutex<HashMap<String, oneshot::Sender<bool>>>,
}

impl Run {
    pub fn new(turn_id: String) -> Arc<Run> {
        Arc::new(Run {
            turn_id,
            frames: Mutex::new(Vec::new()),
            progress: watch::channel((0, false)).0,
            abort: watch::channel(false).0,
            approvals: Mutex::new(HashMap::new()),
        })
    }

    /// Appends a frame and wakes the subscribers; returns its sequence number.
    pub fn push(&self, data: Arc<str>) -> u64 {
        let mut frames = self.frames.lock().unwrap_or_else(|p| p.into_inner());
        frames.push(data);
        let seq = frames.len() as u64;
        self.progress.send_replace((seq, false));
        seq
    }

    /// Marks the log complete; subscribers end after the last frame.
    pub fn close(&self) {
        let len = self.frames.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        self.progress.send_replace((len, true));
    }

    /// Frames with `seq > after`, and whether the log is closed.
    pub fn frames_after(&self, after: u64) -> (Vec<Frame>, bool) {
        let closed = self.progress.borrow().1;
        let frames = self.frames.lock().unwrap_or_else(|p| p.into_inner());
        let start = (after as usize).min(frames.len());
        let out = frames[start..]
            .iter()
            .enumerate()
            .map(|(i, f)| ((start + i + 1) as u64, f.clone()))
            .collect();
        (out, closed)
    }

    pub fn watch_progress(&self) -> watch::Receiver<(u64, bool)> {
        self.progress.subscribe()
    }

    pub fn abort(&self) {
        self.abort.send_replace(true);
        // Pending approvals resolve as denials so the loop can wind down.
        let pending: Vec<_> = self
            .approvals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for (_, tx) in pending {
            let _ = tx.send(false);
        }
    }

    pub fn is_aborted(&self) -> bool {
        *self.abort.borrow()
    }

    pub fn watch_abort(&self) -> watch::Receiver<bool> {
        self.abort.subscribe()
    }

    /// Registers an approval the client must answer.
    pub fn expect_approval(&self, approval_id: &str) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        self.approvals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(approval_id.to_owned(), tx);
        rx
    }

    /// Delivers the client's answer; false when no such approval is pending.
    pub fn answer_approval(&self, approval_id: &str, approved: bool) -> bool {
        let tx = self
            .approvals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(approval_id);
        match tx {
            Some(tx) => tx.send(approved).is_ok(),
            None => false,
        }
    }
}
