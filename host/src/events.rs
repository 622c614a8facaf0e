//! The host's event hub behind `GET /events` (docs/rfc/events.md): one
//! stream of what changed (documents on disk, sessions, turns, recent
//! files, workspaces) so a window refetches what it shows instead of
//! polling.
//!
//! Why it is built this way:
//! - **Ids carry the host's run**: `<run>-<seq>`, with `run` random per
//!   host start. A client's `Last-Event-ID` from another run (the host was
//!   restarted) cannot be mistaken for a position in this one.
//! - **Bounded replay**: the last [`REPLAY`] events stay in memory. A
//!   reconnect whose `Last-Event-ID` is still among them gets what it
//!   missed; any other gets one `resync` event first and refetches.
//! - **Nobody waits for a slow reader**: each subscriber has a bounded
//!   queue (tokio's broadcast channel, [`QUEUE`] events). Publishing never
//!   blocks; a subscriber that falls behind is ended, and its client
//!   reconnects with its last id (replay or resync).
//! - **No gap, no duplicate** between the replay and the live queue:
//!   publishing and subscribing take the same lock, so a subscriber's
//!   replay ends exactly where its queue begins.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// Events kept for replay after a reconnect.
pub const REPLAY: usize = 1024;
/// Events queued for one subscriber before it is dropped as too slow.
pub const QUEUE: usize = 256;

/// Who changed a document on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSource {
    /// An agent tool (`edit_document`, `write_file`, …) or a revert.
    Agent,
    /// A window's Save (`PUT /documents/{doc_id}`).
    Window,
    /// Anything else: another editor, a shell command, a sync tool.
    External,
}

/// One event. The JSON `type` names it; the other fields depend on it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type")]
pub enum HostEvent {
    /// The client's `Last-Event-ID` is outside the replay window (or from
    /// an earlier host run): refetch everything shown.
    #[serde(rename = "resync")]
    Resync,
    /// The document's content changed; `version` is its new version token.
    #[serde(rename = "document.changed")]
    DocumentChanged {
        doc_id: String,
        version: String,
        source: ChangeSource,
    },
    /// The document's file no longer exists.
    #[serde(rename = "document.removed")]
    DocumentRemoved { doc_id: String },
    /// The document's file was renamed to `path`. The document keeps its
    /// old path (and id); opening `path` is the user's choice.
    #[serde(rename = "document.moved")]
    DocumentMoved { doc_id: String, path: String },
    #[serde(rename = "session.created")]
    SessionCreated { session_id: String },
    #[serde(rename = "session.updated")]
    SessionUpdated { session_id: String },
    #[serde(rename = "session.deleted")]
    SessionDeleted { session_id: String },
    /// A session's status (`idle`, `busy`, `waiting-for-approval`, `error`).
    #[serde(rename = "turn.status")]
    TurnStatus {
        session_id: String,
        status: crate::agent::status::SessionStatus,
    },
    #[serde(rename = "recent.changed")]
    RecentChanged,
    #[serde(rename = "workspace.changed")]
    WorkspaceChanged,
}

/// An event as sent: its id and its JSON.
#[derive(Clone, Debug)]
pub struct Frame {
    pub id: String,
    pub data: String,
}

/// What a new subscriber gets: the frames it missed (or one `resync`),
/// then the live queue.
pub struct Subscription {
    pub replay: Vec<Arc<Frame>>,
    pub live: broadcast::Receiver<Arc<Frame>>,
}

pub struct Events {
    run: String,
    ring: Mutex<Ring>,
    live: broadcast::Sender<Arc<Frame>>,
}

struct Ring {
    next: u64,
    frames: VecDeque<(u64, Arc<Frame>)>,
}

impl Events {
    pub fn new() -> Self {
        Events {
            run: crate::ids::random_id("")[..16].to_owned(),
            ring: Mutex::new(Ring {
                next: 1,
                frames: VecDeque::with_capacity(REPLAY),
            }),
            live: broadcast::channel(QUEUE).0,
        }
    }

    /// Numbers `event`, keeps it for replay and hands it to every
    /// subscriber's queue. Never blocks on a subscriber.
    pub fn publish(&self, event: HostEvent) {
        let data = serde_json::to_string(&event).expect("events serialise");
        let mut ring = self.ring.lock().expect("events ring");
        let seq = ring.next;
        ring.next += 1;
        let frame = Arc::new(Frame {
            id: format!("{}-{seq}", self.run),
            data,
        });
        if ring.frames.len() == REPLAY {
            ring.frames.pop_front();
        }
        ring.frames.push_back((seq, frame.clone()));
        // No subscriber is not an error.
        let _ = self.live.send(frame);
    }

    /// Subscribes, replaying what followed `last_event_id` when it is
    /// still kept, else starting with a `resync` (when a client says it
    /// has seen something this run no longer holds).
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        let ring = self.ring.lock().expect("events ring");
        let live = self.live.subscribe();
        let replay = match last_event_id {
            None => Vec::new(),
            Some(id) => match self.position(&ring, id) {
                Some(after) => ring
                    .frames
                    .iter()
                    .filter(|(seq, _)| *seq > after)
                    .map(|(_, frame)| frame.clone())
                    .collect(),
                None => vec![Arc::new(Frame {
                    // The latest id: the client refetches everything as of
                    // now, so a reconnect after it needs only what follows.
                    id: format!("{}-{}", self.run, ring.next - 1),
                    data: serde_json::to_string(&HostEvent::Resync).expect("events serialise"),
                })],
            },
        };
        Subscription { replay, live }
    }

    /// The sequence number `id` names if everything after it is kept.
    fn position(&self, ring: &Ring, id: &str) -> Option<u64> {
        let (run, seq) = id.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        if run != self.run || seq >= ring.next {
            return None;
        }
        let oldest_kept = ring.frames.front().map_or(ring.next, |(seq, _)| *seq);
        // Everything after `seq` is kept when `seq + 1` is.
        (seq + 1 >= oldest_kept).then_some(seq)
    }
}

impl Default for Events {
    fn default() -> Self {
        Events::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(n: usize) -> HostEvent {
        HostEvent::SessionUpdated {
            session_id: format!("s{n}"),
        }
    }

    fn ids(frames: &[Arc<Frame>]) -> Vec<String> {
        frames.iter().map(|f| f.id.clone()).collect()
    }

    #[test]
    fn a_reconnect_gets_exactly_what_it_missed() {
        let events = Events::new();
        for n in 0..5 {
            events.publish(changed(n));
        }
        let first = events.subscribe(None);
        assert!(first.replay.is_empty());
        let second = format!("{}-2", events.run);
        let sub = events.subscribe(Some(&second));
        assert_eq!(
            ids(&sub.replay),
            (3..=5)
                .map(|n| format!("{}-{n}", events.run))
                .collect::<Vec<_>>()
        );
        assert!(sub.replay[0].data.contains("\"s2\""));
        let latest = format!("{}-5", events.run);
        assert!(events.subscribe(Some(&latest)).replay.is_empty());
    }

    #[test]
    fn out_of_window_foreign_or_future_ids_resync() {
        let events = Events::new();
        for n in 0..REPLAY + 10 {
            events.publish(changed(n));
        }
        let run = events.run.clone();
        // Frames 11.. are kept, so "after 10" is complete and "after 9" not.
        assert_eq!(
            events.subscribe(Some(&format!("{run}-10"))).replay.len(),
            REPLAY
        );
        for id in [
            format!("{run}-9"),
            format!("{run}-0"),
            format!("{run}-999999"),
            "other-3".to_owned(),
            "garbage".to_owned(),
        ] {
            let sub = events.subscribe(Some(&id));
            assert_eq!(sub.replay.len(), 1, "{id}");
            assert_eq!(sub.replay[0].data, r#"{"type":"resync"}"#, "{id}");
        }
    }

    #[test]
    fn the_live_queue_starts_where_the_replay_ends() {
        let events = Events::new();
        events.publish(changed(0));
        let mut sub = events.subscribe(Some(&format!("{}-0", events.run)));
        events.publish(changed(1));
        assert_eq!(sub.replay.len(), 1);
        assert_eq!(sub.replay[0].id, format!("{}-1", events.run));
        let live = sub.live.try_recv().expect("live");
        assert_eq!(live.id, format!("{}-2", events.run));
        assert!(sub.live.try_recv().is_err());
    }

    #[test]
    fn a_slow_subscriber_lags_and_publishing_never_waits() {
        let events = Events::new();
        let mut slow = events.subscribe(None);
        for n in 0..QUEUE * 4 {
            events.publish(changed(n));
        }
        assert!(matches!(
            slow.live.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }

    #[test]
    fn events_serialise_with_their_type() {
        let json = serde_json::to_value(HostEvent::DocumentChanged {
            doc_id: "d".into(),
            version: "v".into(),
            source: ChangeSource::External,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "document.changed", "doc_id": "d", "version": "v", "source": "external"})
        );
    }
}
