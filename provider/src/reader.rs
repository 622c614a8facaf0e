//! Reads one streaming response body into events, with the two timeouts.
//!
//! Every read waits at most until a deadline: first the send deadline
//! (request sent + `first_chunk_timeout`), then, after each data event,
//! `idle_timeout` from that event. Comment keep-alives do not move the
//! deadline, so no provider behaviour can make a read wait forever.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::{timeout, timeout_at, Instant};
use zeroize::Zeroizing;

use crate::chunk::{ChunkInterpreter, Outcome};
use crate::error::ProviderError;
use crate::event::StreamEvent;
use crate::sse::SseDecoder;
use crate::transport::describe;

/// How long the end-of-stream drain may take: long enough to read the
/// terminating chunk that usually follows `[DONE]` (so the connection goes
/// back to the pool), short enough never to be noticed.
const DRAIN_LIMIT: Duration = Duration::from_millis(50);

pub(crate) struct EventReader {
    /// `None` once the stream is over; dropping it closes the connection
    /// unless the body was read to its end.
    response: Option<reqwest::Response>,
    decoder: SseDecoder,
    interpreter: ChunkInterpreter,
    /// Events decoded but not yet handed out.
    queue: VecDeque<StreamEvent>,
    /// Event data cut from the tail of the body after it ended.
    leftover: VecDeque<String>,
    /// Set when the body ended (or broke) without `[DONE]`: the cause.
    ended: Option<String>,
    /// True once nothing but `queue` remains.
    finished: bool,
    /// True once `[DONE]` was seen, so the body may be drained for reuse.
    done: bool,
    deadline: Instant,
    seen_data: bool,
    first_chunk_timeout: Duration,
    idle_timeout: Duration,
    /// Only to scrub it out of provider error messages.
    key: Option<Zeroizing<String>>,
}

impl EventReader {
    pub(crate) fn new(
        response: reqwest::Response,
        send_deadline: Instant,
        first_chunk_timeout: Duration,
        idle_timeout: Duration,
        key: Option<Zeroizing<String>>,
    ) -> Self {
        Self {
            response: Some(response),
            decoder: SseDecoder::new(),
            interpreter: ChunkInterpreter::new(),
            queue: VecDeque::new(),
            leftover: VecDeque::new(),
            ended: None,
            finished: false,
            done: false,
            deadline: send_deadline,
            seen_data: false,
            first_chunk_timeout,
            idle_timeout,
            key,
        }
    }

    /// The next event, an error (after which the stream is over), or `None`.
    pub(crate) async fn next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if self.finished {
                self.drain().await;
                return None;
            }
            if let Err(error) = self.step().await {
                self.finished = true;
                self.response = None;
                return Some(Err(error));
            }
        }
    }

    /// Handles one event's data, or the end of the body, or reads once.
    /// Returns as soon as something was queued, so that events decoded
    /// before an error are handed out before it.
    async fn step(&mut self) -> Result<(), ProviderError> {
        if let Some(data) = self.next_data()? {
            self.seen_data = true;
            self.deadline = Instant::now() + self.idle_timeout;
            let mut out = Vec::new();
            let key = self.key.as_deref().map(String::as_str);
            let outcome = self.interpreter.accept(&data, key, &mut out)?;
            self.queue.extend(out);
            if outcome == Outcome::Done {
                self.done = true;
                self.finished = true;
            }
            return Ok(());
        }
        if let Some(cause) = self.ended.take() {
            let mut out = Vec::new();
            self.interpreter.end_of_body(&cause, &mut out)?;
            self.queue.extend(out);
            self.finished = true;
            self.response = None;
            return Ok(());
        }
        let Some(response) = self.response.as_mut() else {
            self.finished = true;
            return Ok(());
        };
        match timeout_at(self.deadline, response.chunk()).await {
            Err(_) if self.seen_data => Err(ProviderError::IdleTimeout(self.idle_timeout)),
            Err(_) => Err(ProviderError::FirstChunkTimeout(self.first_chunk_timeout)),
            Ok(Ok(Some(bytes))) => self.decoder.push(&bytes),
            Ok(Ok(None)) => {
                self.leftover.extend(self.decoder.finish()?);
                self.ended = Some("the body ended before [DONE]".to_owned());
                Ok(())
            }
            Ok(Err(error)) => {
                // A partial line cut by the reset is not an event.
                self.ended = Some(format!("the connection broke: {}", describe(&error)));
                Ok(())
            }
        }
    }

    fn next_data(&mut self) -> Result<Option<String>, ProviderError> {
        if let Some(data) = self.leftover.pop_front() {
            return Ok(Some(data));
        }
        if self.ended.is_some() {
            return Ok(None);
        }
        self.decoder.next_event()
    }

    /// After `[DONE]`, reads the (normally already arrived) end of the body
    /// so the connection can be reused; gives up quickly otherwise.
    async fn drain(&mut self) {
        let Some(mut response) = self.response.take() else {
            return;
        };
        if !self.done {
            return;
        }
        let _ = timeout(DRAIN_LIMIT, async move {
            while let Ok(Some(_)) = response.chunk().await {}
        })
        .await;
    }
}
