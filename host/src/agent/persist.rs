//! Writes a turn's chunk log, parts and bookkeeping to `sessions.db` in
//! order, in batches, off the hot path.
//!
//! The turn loop never waits on SQLite: it hands operations to one writer
//! task per turn, which drains whatever has queued up and commits it in a
//! single blocking call. A crash loses at most the batch in flight; the
//! part being streamed is lost, completed parts are not.

use std::sync::Arc;

use agent_storage::sessions;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::database::Database;

pub enum Op {
    Chunk {
        seq: u64,
        body: Arc<str>,
    },
    Part {
        message_id: String,
        idx: u32,
        kind: &'static str,
        body: String,
    },
    Usage {
        session_id: String,
        input: u64,
        output: u64,
        cost: Option<f64>,
    },
    /// The languages a closed text part's code blocks name (closed when it
    /// ends, and when the turn is stopped or fails).
    CodeLanguages {
        message_id: String,
        languages: Vec<String>,
    },
    MessageStatus {
        message_id: String,
        status: &'static str,
    },
    FinishTurn {
        turn_id: String,
        status: &'static str,
    },
    /// Why the turn failed: the code and message its `error` chunk gave.
    TurnError {
        code: &'static str,
        message: String,
    },
}

/// Most operations committed in one transaction.
const MAX_BATCH: usize = 1024;

pub struct Persister {
    tx: mpsc::UnboundedSender<Op>,
    task: JoinHandle<()>,
}

impl Persister {
    pub fn start(db: Arc<Database>, turn_id: String) -> Persister {
        let (tx, mut rx) = mpsc::unbounded_channel::<Op>();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(op) = rx.recv().await {
                batch.push(op);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(op) => batch.push(op),
                        Err(_) => break,
                    }
                }
                let ops = std::mem::take(&mut batch);
                let db = db.clone();
                let turn_id = turn_id.clone();
                let written = tokio::task::spawn_blocking(move || write(&db, &turn_id, ops)).await;
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "persisting a turn failed"),
                    Err(e) => tracing::error!(error = %e, "persisting a turn panicked"),
                }
            }
        });
        Persister { tx, task }
    }

    pub fn send(&self, op: Op) {
        // The writer only stops when this sender is dropped.
        let _ = self.tx.send(op);
    }

    /// Flushes everything queued and waits for the writer to finish.
    pub async fn finish(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

fn write(db: &Database, turn_id: &str, ops: Vec<Op>) -> agent_storage::Result<()> {
    let mut conn = db.lock();
    let tx = conn.transaction()?;
    let now = now_ms();
    for op in ops {
        match op {
            Op::Chunk { seq, body } => {
                tx.prepare_cached("INSERT INTO chunks (turn_id, seq, body) VALUES (?1, ?2, ?3)")?
                    .execute(rusqlite::params![turn_id, seq as i64, &*body])?;
            }
            Op::Part {
                message_id,
                idx,
                kind,
                body,
            } => sessions::put_part(&tx, &message_id, idx, kind, &body)?,
            Op::Usage {
                session_id,
                input,
                output,
                cost,
            } => {
                sessions::add_usage(&tx, &session_id, input, output)?;
                sessions::set_turn_usage(&tx, turn_id, input, output, cost)?;
            }
            Op::CodeLanguages {
                message_id,
                languages,
            } => sessions::note_code_languages(&tx, &message_id, &languages)?,
            Op::MessageStatus { message_id, status } => {
                sessions::set_message_status(&tx, &message_id, status)?
            }
            Op::FinishTurn { turn_id, status } => {
                sessions::finish_turn(&tx, &turn_id, status, now)?
            }
            Op::TurnError { code, message } => {
                sessions::set_turn_error(&tx, turn_id, code, &message)?
            }
        }
    }
    tx.commit()?;
    Ok(())
}
