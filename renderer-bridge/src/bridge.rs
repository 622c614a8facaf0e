//! The bridge itself: vet, credential, forward, stream back.

use std::io;
use std::sync::{Arc, PoisonError, RwLock};

use http_body_util::BodyExt;

use crate::config::{BridgeConfig, HostTarget};
use crate::error::BridgeError;
use crate::headers;
use crate::refusal::Refusal;
use crate::request::{vet, BridgeRequest};
use crate::sink::{ReaderGone, ResponseSink};
use crate::upstream::{self, Upstream};

/// The page's only way to the host. Cheap to clone: every WebKit request
/// handler gets a clone, the supervisor keeps one for [`Bridge::set_host`].
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

struct Inner {
    config: BridgeConfig,
    /// Read once per request, so a restart mid-request does not mix the old
    /// port with the new password.
    host: RwLock<Option<Arc<HostTarget>>>,
}

impl Bridge {
    pub fn new(config: BridgeConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                host: RwLock::new(None),
            }),
        }
    }

    pub fn config(&self) -> &BridgeConfig {
        &self.inner.config
    }

    /// Points the bridge at a (re)started host, or at none while the
    /// supervisor restarts it: requests then get 503 `host_restarting`.
    /// Requests already in flight keep the target they started with.
    pub fn set_host(&self, target: Option<HostTarget>) {
        let target = target.map(Arc::new);
        // A poisoned lock only means a writer panicked; the value is whole.
        *self
            .inner
            .host
            .write()
            .unwrap_or_else(PoisonError::into_inner) = target;
    }

    fn host(&self) -> Option<Arc<HostTarget>> {
        self.inner
            .host
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Handles one request from the page's custom scheme
    /// (`hostapi://host/<path>?<query>`), writing the answer to `sink`.
    ///
    /// Every refusal is an answer (JSON error, nothing sent to the host), so
    /// `Ok` covers refusals, host errors, and a page that stopped reading.
    /// `Err` is for the caller's log only: the sink failed, or the host's
    /// body broke off after the head was sent.
    ///
    /// Must run inside a Tokio runtime (the host connection is a task).
    pub async fn handle(
        &self,
        request: BridgeRequest,
        sink: impl ResponseSink,
    ) -> Result<(), BridgeError> {
        let config = &self.inner.config;
        let vetted = match vet(config, &request) {
            Ok(vetted) => vetted,
            Err(refusal) => {
                tracing::debug!(code = refusal.code, "bridge refused a request");
                return refuse(sink, refusal);
            }
        };
        let Some(host) = self.host() else {
            return refuse(sink, Refusal::HOST_RESTARTING);
        };
        tracing::debug!(method = %vetted.method, path = vetted.target.path(), "bridging");
        let mut gone = sink.reader_gone();
        let sent = tokio::select! {
            biased;
            () = &mut gone => return Ok(()),
            sent = upstream::send(config, &host, vetted, request.body) => sent,
        };
        match sent {
            Ok(upstream) => relay(upstream, sink, gone).await,
            Err(error) => {
                tracing::warn!(%error, "the host is unreachable");
                refuse(sink, Refusal::HOST_UNAVAILABLE)
            }
        }
    }
}

/// Streams the host's answer: head at once, then each chunk as it
/// arrives. The next chunk is read only after the previous one is written,
/// so the bridge holds at most one chunk plus hyper's bounded buffers.
async fn relay(
    upstream: Upstream,
    mut sink: impl ResponseSink,
    mut gone: ReaderGone,
) -> Result<(), BridgeError> {
    // `_connection` lives until this function returns; dropping it (with
    // `body`) closes the host connection, also on an abort.
    let Upstream {
        response,
        _connection,
    } = upstream;
    let (parts, mut body) = response.into_parts();
    if let Err(error) = sink.head(parts.status.as_u16(), headers::to_page(&parts.headers)) {
        return settle(Err(error));
    }
    loop {
        let frame = tokio::select! {
            biased;
            () = &mut gone => {
                tracing::debug!("the page stopped reading; dropping the host response");
                return Ok(());
            }
            frame = body.frame() => frame,
        };
        match frame {
            None => return settle(sink.finish()),
            Some(Err(error)) => {
                tracing::warn!(%error, "the host's response broke off");
                // The page sees the body end; an event stream resumes by
                // Last-Event-ID.
                let _ = sink.finish();
                return Err(BridgeError::UpstreamBody(error));
            }
            Some(Ok(frame)) => {
                let Some(data) = frame.data_ref() else {
                    continue; // trailers: nothing for the page
                };
                if data.is_empty() {
                    continue;
                }
                if let Err(error) = sink.write_body(data) {
                    return settle(Err(error));
                }
            }
        }
    }
}

/// Writes a refusal: head, JSON body, end.
fn refuse(mut sink: impl ResponseSink, refusal: Refusal) -> Result<(), BridgeError> {
    let body = refusal.body();
    let mut headers = refusal.headers();
    headers.push(("content-length".to_owned(), body.len().to_string()));
    let written = sink
        .head(refusal.status, headers)
        .and_then(|()| sink.write_body(&body));
    settle(written.and_then(|()| sink.finish()))
}

/// A reader that left is the page's business (an abort), not an error.
fn settle(result: io::Result<()>) -> Result<(), BridgeError> {
    match result {
        Ok(()) => Ok(()),
        Err(error) if reader_left(&error) => {
            tracing::debug!("the page stopped reading");
            Ok(())
        }
        Err(error) => Err(BridgeError::Sink(error)),
    }
}

fn reader_left(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected
    )
}
