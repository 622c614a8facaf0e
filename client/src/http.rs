//! The one HTTP client the CLI (and the desktop shell) use, over one of two
//! transports:
//!
//! - **Loopback TCP** ([`Client::new`]): the perimeter's headers (Host,
//!   Referer, Basic Auth) built once; what the shell and a CLI's private
//!   host use.
//! - **The host's Unix socket** ([`Client::unix`], `host.sock` in the
//!   user-data directory): how a CLI attaches to a running host. The kernel
//!   vouches for both ends (SO_PEERCRED; the host refuses another user, and
//!   the client refuses a server that is not its own user), so no
//!   credential exists, on disk or on the wire, and no recycled port can
//!   impersonate the host.
//!
//! JSON errors become [`ClientError::Api`] with the host's own message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST, REFERER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::protocol::ErrorBody;

/// How long a connection to 127.0.0.1 may take; a live host accepts at once.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Ordinary requests; turn streams have no overall limit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The host answered with a JSON error (or at least a status).
    #[error("{message} ({code})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer: connection refused, reset, timed out, or unreadable.
    #[error("cannot talk to the host: {0}")]
    Transport(String),
}

impl ClientError {
    fn transport(e: reqwest::Error) -> Self {
        // `without_url`: the URL holds no secret, but keep messages short.
        ClientError::Transport(e.without_url().to_string())
    }
}

#[derive(Clone)]
pub struct Client {
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Tcp { http: reqwest::Client, base: String },
    Unix { socket: PathBuf },
}

/// A streaming response body, read chunk by chunk.
pub struct Stream(StreamBody);

enum StreamBody {
    Tcp(reqwest::Response),
    Unix(hyper::body::Incoming),
}

impl Stream {
    /// The next chunk of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        match &mut self.0 {
            StreamBody::Tcp(response) => response.chunk().await.map_err(ClientError::transport),
            StreamBody::Unix(body) => loop {
                match body.frame().await {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(ClientError::Transport(e.to_string())),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some(data));
                        }
                    }
                }
            },
        }
    }
}

impl Client {
    /// A client for the host on `127.0.0.1:port` that authenticates as
    /// user `agent` with `password` and sends `referer`.
    pub fn new(port: u16, password: &str, referer: &str) -> Result<Client, ClientError> {
        let mut headers = HeaderMap::new();
        let credential = Zeroizing::new(format!("agent:{password}"));
        let basic = Zeroizing::new(format!("Basic {}", STANDARD.encode(credential.as_bytes())));
        let mut auth = HeaderValue::from_str(&basic)
            .map_err(|_| ClientError::Transport("the credential is not a valid header".into()))?;
        // Keeps the value out of any Debug output.
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        let host = HeaderValue::from_str(&format!("127.0.0.1:{port}"))
            .map_err(|_| ClientError::Transport("bad port".into()))?;
        headers.insert(HOST, host);
        let referer = HeaderValue::from_str(referer)
            .map_err(|_| ClientError::Transport("the Referer is not a valid header".into()))?;
        headers.insert(REFERER, referer);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // Never hand the credential to an HTTP(S)_PROXY from the environment.
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(ClientError::transport)?;
        Ok(Client {
            transport: Transport::Tcp {
                http,
                base: format!("http://127.0.0.1:{port}"),
            },
        })
    }

    /// A client for the host listening on the Unix socket `socket`.
    pub fn unix(socket: &Path) -> Client {
        Client {
            transport: Transport::Unix {
                socket: socket.to_path_buf(),
            },
        }
    }

    /// `path` with its query, as a request target (`/sessions?q=x`).
    pub fn url(&self, path: &str) -> String {
        match &self.transport {
            Transport::Tcp { base, .. } => format!("{base}{path}"),
            Transport::Unix { .. } => format!("{UNIX_BASE}{path}"),
        }
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(Method::GET, &self.url(path), None).await
    }

    /// GET with a full URL (for query strings built with `url`).
    pub async fn get_url(&self, url: &str) -> Result<Value, ClientError> {
        self.call(Method::GET, url, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.call(
            Method::POST,
            &self.url(path),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, ClientError> {
        self.call(Method::DELETE, &self.url(path), None).await
    }

    /// PUT with a body the caller has already serialised (and will zeroise):
    /// used for keys, so no `Value` copy of the key is made here.
    pub async fn put_raw(&self, path: &str, body: Vec<u8>) -> Result<Value, ClientError> {
        self.call(Method::PUT, &self.url(path), Some(body)).await
    }

    /// Starts a streaming POST; a non-2xx answer becomes an error before
    /// any of the body is read.
    pub async fn open_stream(&self, path: &str, body: &Value) -> Result<Stream, ClientError> {
        let body = Some(body.to_string().into_bytes());
        let response = self.send(Method::POST, &self.url(path), body, true).await?;
        if response.status.is_success() {
            Ok(response.body)
        } else {
            Err(api_error(response).await)
        }
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Value, ClientError> {
        let request = self.send(method, url, body, false);
        let response = tokio::time::timeout(REQUEST_TIMEOUT, request)
            .await
            .map_err(|_| ClientError::Transport("the host did not answer in time".into()))??;
        if !response.status.is_success() {
            return Err(api_error(response).await);
        }
        let bytes = collect(response.body).await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            ClientError::Transport("the host answered with something other than JSON".into())
        })
    }

    /// Sends one request over the client's transport; the body is left
    /// unread.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        event_stream: bool,
    ) -> Result<Answer, ClientError> {
        match &self.transport {
            Transport::Tcp { http, .. } => {
                let mut request = http.request(method, url);
                if let Some(body) = body {
                    request = request.header(CONTENT_TYPE, "application/json").body(body);
                }
                if event_stream {
                    request = request.header("accept", "text/event-stream");
                }
                let response = request.send().await.map_err(ClientError::transport)?;
                Ok(Answer {
                    status: response.status(),
                    body: Stream(StreamBody::Tcp(response)),
                })
            }
            Transport::Unix { socket } => {
                let target = url.strip_prefix(UNIX_BASE).unwrap_or(url);
                let mut request = hyper::Request::builder()
                    .method(method)
                    .uri(target)
                    .header(HOST, "localhost");
                if body.is_some() {
                    request = request.header(CONTENT_TYPE, "application/json");
                }
                if event_stream {
                    request = request.header("accept", "text/event-stream");
                }
                let request = request
                    .body(Full::new(Bytes::from(body.unwrap_or_default())))
                    .map_err(|e| ClientError::Transport(e.to_string()))?;
                let response = unix_send(socket, request).await?;
                Ok(Answer {
                    status: response.status(),
                    body: Stream(StreamBody::Unix(response.into_body())),
                })
            }
        }
    }
}

/// The scheme and authority [`Client::url`] puts before a path on the Unix
/// transport (stripped again before sending; never resolved).
const UNIX_BASE: &str = "http://localhost";

/// A status and a body not yet read.
struct Answer {
    status: StatusCode,
    body: Stream,
}

/// Connects to the host's socket, checks the server is this user, and
/// sends `request` on a fresh HTTP/1.1 connection.
async fn unix_send(
    socket: &Path,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, ClientError> {
    let connect = tokio::net::UnixStream::connect(socket);
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| ClientError::Transport("connecting to the host's socket timed out".into()))?
        .map_err(|e| ClientError::Transport(format!("cannot connect to the host's socket: {e}")))?;
    crate::peer::check_peer_uid(&stream).map_err(|e| {
        ClientError::Transport(format!(
            "the host's socket is not served by this user ({e}); refusing to talk to it"
        ))
    })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ClientError::Transport(e.to_string()))?;
    tokio::spawn(async move {
        // Ends with the response body (or the host); nothing to report.
        let _ = connection.await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| ClientError::Transport(e.to_string()))
}

/// The whole body of a non-streaming answer.
async fn collect(mut body: Stream) -> Result<Vec<u8>, ClientError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body.chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// `{"error":{"code","message"}}`, or the bare status when the body is not that.
async fn api_error(response: Answer) -> ClientError {
    let status = response.status;
    let body = collect(response.body)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ErrorBody>(&bytes).ok());
    match body {
        Some(ErrorBody { error }) => ClientError::Api {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
        },
        None => ClientError::Api {
            status: status.as_u16(),
            code: "http_error".to_owned(),
            message: format!("the host answered {status}"),
        },
    }
}
