//! The one HTTP client the CLI (and the desktop shell) use: loopback only, the perimeter's
//! headers (Host, Referer, Basic Auth) built once, JSON errors turned into
//! [`ClientError::Api`] with the host's own message.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST, REFERER};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use zeroize::Zeroizing;

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
    http: reqwest::Client,
    base: String,
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
            http,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /health` answered 200 within `limit`.
    pub async fn healthy(&self, limit: Duration) -> bool {
        match self
            .http
            .get(self.url("/health"))
            .timeout(limit)
            .send()
            .await
        {
            Ok(r) => r.status() == StatusCode::OK,
            Err(_) => false,
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
    pub async fn open_stream(&self, path: &str, body: &Value) -> Result<Response, ClientError> {
        let response = self
            .http
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/json")
            .header("accept", "text/event-stream")
            .body(body.to_string())
            .send()
            .await
            .map_err(ClientError::transport)?;
        if response.status().is_success() {
            Ok(response)
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
        let mut request = self.http.request(method, url).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.map_err(ClientError::transport)?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        let bytes = response.bytes().await.map_err(ClientError::transport)?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            ClientError::Transport("the host answered with something other than JSON".into())
        })
    }
}

/// `{"error":{"code","message"}}`, or the bare status when the body is not that.
async fn api_error(response: Response) -> ClientError {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let field = |name: &str| body["error"][name].as_str().map(str::to_owned);
    ClientError::Api {
        status: status.as_u16(),
        code: field("code").unwrap_or_else(|| "http_error".to_owned()),
        message: field("message").unwrap_or_else(|| format!("the host answered {status}")),
    }
}
