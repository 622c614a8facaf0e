//! The loopback HTTP server that plays a script.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use futures_util::stream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::frames::FrameWriter;
use super::script::{Reply, Scripted};

/// How long `shutdown` waits for connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running scripted server. Dropping it stops it too (stalled streams
/// end, the listener closes).
pub struct ScriptedProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// What handlers and bodies share with the test.
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<serde_json::Value>>,
    authorizations: Mutex<Vec<Option<String>>>,
    disconnects: AtomicUsize,
    served: AtomicUsize,
    /// What `GET …/models` answers: a list, or an error reply.
    models: Mutex<Result<Vec<serde_json::Value>, (u16, serde_json::Value)>>,
    /// The `Authorization` header of each `GET …/models`.
    model_requests: Mutex<Vec<Option<String>>>,
    stop: watch::Receiver<bool>,
}

/// Test code must not wedge on a poisoned lock; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ScriptedProvider {
    /// Binds `127.0.0.1:0` and starts serving `script`.
    pub async fn start(script: Vec<Reply>) -> std::io::Result<ScriptedProvider> {
        Self::start_on(0, script).await
    }

    /// Binds `127.0.0.1:port` (0: any free port) and starts serving
    /// `script`; fails when the port is taken.
    pub async fn start_on(port: u16, script: Vec<Reply>) -> std::io::Result<ScriptedProvider> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
            authorizations: Mutex::new(Vec::new()),
            disconnects: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
            models: Mutex::new(Ok(vec![serde_json::json!({
                "id": "scripted/default", "object": "model", "created": 0, "owned_by": "scripted"
            })])),
            model_requests: Mutex::new(Vec::new()),
            stop: stop_rx.clone(),
        });
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let mut stopped = stop_rx;
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                // Err means the sender is gone: stop as well.
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "scripted provider stopped with an error");
            }
        });
        Ok(Self {
            addr,
            shared,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The JSON bodies received, in order (`Null` for a body that was not
    /// JSON).
    pub fn requests(&self) -> Vec<serde_json::Value> {
        lock(&self.shared.requests).clone()
    }

    /// Forgets the recorded requests and headers (a long benchmark would
    /// otherwise keep every request body it ever sent).
    pub fn forget_requests(&self) {
        lock(&self.shared.requests).clear();
        lock(&self.shared.authorizations).clear();
    }

    /// The `Authorization` header of each request, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        lock(&self.shared.authorizations).clone()
    }

    /// Serves these models on `GET …/models` (`{"object":"list","data":[…]}`),
    /// each `{"id", "object":"model", "owned_by":"scripted"}` plus `extra`'s
    /// fields for that id if any (e.g. `name`, `context_length`, `pricing`).
    /// By default the list is one model, `scripted/default`.
    pub fn set_models(&self, ids: &[&str]) {
        let list = ids
            .iter()
            .map(|id| serde_json::json!({"id": id, "object": "model", "created": 0, "owned_by": "scripted"}))
            .collect();
        *lock(&self.shared.models) = Ok(list);
    }

    /// Serves exactly these entries as the `data` of the model list.
    pub fn set_model_entries(&self, entries: Vec<serde_json::Value>) {
        *lock(&self.shared.models) = Ok(entries);
    }

    /// `GET …/models` answers `status` with an OpenAI-shaped error body
    /// (404: a server without a model list).
    pub fn fail_models(&self, status: u16, message: &str) {
        *lock(&self.shared.models) = Err((
            status,
            serde_json::json!({"error": {"message": message, "code": status}}),
        ));
    }

    /// The `Authorization` header of each `GET …/models`, in order.
    pub fn model_requests(&self) -> Vec<Option<String>> {
        lock(&self.shared.model_requests).clone()
    }

    /// Streaming answers cut short because the client went away.
    pub fn disconnects(&self) -> usize {
        self.shared.disconnects.load(Ordering::SeqCst)
    }

    /// Replies not yet consumed.
    pub fn remaining(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Appends replies to the script (e.g. between phases of a test).
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.shared.script).extend(replies);
    }

    /// Ends stalled streams, stops accepting, and waits (briefly) for the
    /// open connections to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

impl std::fmt::Debug for ScriptedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedProvider")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET && uri.path().ends_with("/models") {
        return models_response(&shared, &headers);
    }
    if method != Method::POST || !uri.path().ends_with("/chat/completions") {
        return error_response(StatusCode::NOT_FOUND, "not found");
    }
    let request: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let model = request
        .get("model")
        .and_then(|m| m.as_str())
        .unwrap_or("scripted")
        .to_owned();
    lock(&shared.requests).push(request);
    lock(&shared.authorizations).push(authorization(&headers));
    let sequence = shared.served.fetch_add(1, Ordering::SeqCst);
    let Some(reply) = lock(&shared.script).pop_front() else {
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "script exhausted");
    };
    match reply {
        Reply::Error {
            status,
            body,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, Json(body)).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Reply::Stream { events } => stream_response(&shared, sequence, model, events),
    }
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn models_response(shared: &Shared, headers: &HeaderMap) -> Response {
    lock(&shared.model_requests).push(authorization(headers));
    match &*lock(&shared.models) {
        Ok(list) => Json(serde_json::json!({"object": "list", "data": list})).into_response(),
        Err((status, body)) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(body.clone())).into_response()
        }
    }
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": {"message": message}})),
    )
        .into_response()
}

/// Counts a disconnect if the body is dropped before the script finished.
struct DisconnectGuard {
    shared: Arc<Shared>,
    completed: bool,
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if !self.completed {
            self.shared.disconnects.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The state of one streaming body.
struct BodyState {
    steps: VecDeque<Scripted>,
    writer: FrameWriter,
    frames: VecDeque<Bytes>,
    /// Remaining `Deltas` chunks and their text.
    deltas: (usize, String),
    /// Remaining `Clock` chunks and the pause before each.
    clock: (usize, Duration),
    stop: watch::Receiver<bool>,
    guard: DisconnectGuard,
}

impl BodyState {
    /// The next frame to write, or `None` when the script (or the server)
    /// is done. Waits through `Delay` and `Stall`.
    async fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Some(frame);
            }
            if self.deltas.0 > 0 {
                self.deltas.0 -= 1;
                return Some(self.writer.text(&self.deltas.1));
            }
            if self.clock.0 > 0 {
                self.clock.0 -= 1;
                if !self.clock.1.is_zero() {
                    tokio::time::sleep(self.clock.1).await;
                }
                return Some(self.writer.text(&format!("{} ", super::clock_ns())));
            }
            let Some(step) = self.steps.pop_front() else {
                self.guard.completed = true;
                return None;
            };
            match step {
                Scripted::Delay { ms } => {
                    let stopped = tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(ms)) => false,
                        _ = self.stop.wait_for(|stop| *stop) => true,
                    };
                    if stopped {
                        return self.stopped();
                    }
                }
                Scripted::Stall => {
                    let _ = self.stop.wait_for(|stop| *stop).await;
                    return self.stopped();
                }
                Scripted::Deltas { count, text } => self.deltas = (count, text),
                Scripted::Clock { count, interval_us } => {
                    self.clock = (count, Duration::from_micros(interval_us));
                }
                other => self.frames.extend(self.writer.frames(&other)),
            }
        }
    }

    /// The server is shutting down: not the client's doing.
    fn stopped(&mut self) -> Option<Bytes> {
        self.guard.completed = true;
        None
    }
}

fn stream_response(
    shared: &Arc<Shared>,
    sequence: usize,
    model: String,
    events: Vec<Scripted>,
) -> Response {
    let state = BodyState {
        steps: events.into(),
        writer: FrameWriter::new(sequence, model),
        frames: VecDeque::new(),
        deltas: (0, String::new()),
        clock: (0, Duration::ZERO),
        stop: shared.stop.clone(),
        guard: DisconnectGuard {
            shared: Arc::clone(shared),
            completed: false,
        },
    };
    // One body frame per SSE frame: hyper writes each as soon as the next
    // step has to wait.
    let body = stream::unfold(state, |mut state| async move {
        let frame = state.next_frame().await?;
        Some((Ok::<_, Infallible>(frame), state))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
