//! The host's behaviour in-process: [`agent_host::InProcessHost`] builds
//! the real collaborators over a temporary user-data directory (a real
//! `sessions.db`, real JSON stores, real files) and the tests send requests
//! to its routes with `tower::ServiceExt::oneshot`. No process, no socket,
//! no handshake: what needs those (the perimeter over real sockets, the
//! lifeline, signals, crash safety, the CLI) stays in the other modules.

mod agent;
mod documents;
mod live;
mod models;
mod retry;
mod session_models;
mod sessions;
mod workspaces;

use std::path::PathBuf;

use agent_host::InProcessHost;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use serde_json::Value;
use tower::ServiceExt;

/// A host over `<tmp>/data`, with `<tmp>/files` for the user's files
/// (outside the protected user-data directory).
pub struct Host {
    host: InProcessHost,
    dir: tempfile::TempDir,
}

/// A response, its body read to the end.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// `(status, error code)` of an error reply.
    pub fn error(&self) -> (u16, String) {
        let code = self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error: {}", String::from_utf8_lossy(&self.body)))
            .to_owned();
        (self.status, code)
    }

    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Host {
    pub fn new() -> Host {
        Self::with_local_servers(None)
    }

    /// A host whose `GET /local-models` probes these `(name, port)` pairs
    /// (`None`: the real common ports).
    pub fn with_local_servers(local: Option<Vec<(String, u16)>>) -> Host {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("files")).unwrap();
        let data = dir.path().join("data");
        let host = match local {
            Some(local) => InProcessHost::open_with_local_servers(&data, local),
            None => InProcessHost::open(&data),
        }
        .expect("in-process host");
        Host { host, dir }
    }

    /// The user-data directory (canonical: a protected location).
    pub fn user_data(&self) -> PathBuf {
        self.dir.path().join("data").canonicalize().unwrap()
    }

    /// A directory for the user's own files.
    pub fn files(&self) -> PathBuf {
        self.dir.path().join("files").canonicalize().unwrap()
    }

    /// Writes `content` to `files/<name>` and returns its path.
    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.files().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self.host.service().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        let request = Request::builder().method(method).uri(uri);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.request(request.unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, None).await
    }

    /// A JSON request that must succeed; its JSON answer.
    pub async fn ok(&self, method: &str, uri: &str, body: Value) -> Value {
        let reply = self.call(method, uri, Some(body)).await;
        assert_eq!(reply.status, 200, "{method} {uri}: {}", reply.text());
        reply.json()
    }

    /// Points the custom provider at `provider` (the scripted one).
    pub async fn use_provider(&self, provider: &agent_provider::scripted::ScriptedProvider) {
        self.ok(
            "PUT",
            "/providers/custom",
            serde_json::json!({ "base_url": provider.base_url(), "idle_timeout_ms": 5000, "first_chunk_timeout_ms": 5000 }),
        )
        .await;
    }

    /// A new session with `body`; its id.
    pub async fn session(&self, body: Value) -> String {
        self.ok("POST", "/sessions", body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Opens `files/<name>` (created) as a workspace; its id.
    pub async fn workspace(&self, name: &str) -> (String, PathBuf) {
        let path = self.files().join(name);
        std::fs::create_dir_all(&path).unwrap();
        let id = self
            .ok("POST", "/workspaces", serde_json::json!({ "path": path }))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, path)
    }
}

/// `text` percent-encoded for a query string.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
