//! A private `agent-host` started through the real launcher, with a JSON
//! client over reqwest: what `agent-bench` and `shell-bench` read agent
//! streams from directly.

use std::path::{Path, PathBuf};

use agent_client::{launch, LaunchOptions, LaunchedHost};
use base64::Engine;
use serde_json::Value;

/// The origin the benchmarks' requests claim (allow-listed at launch).
pub const ORIGIN: &str = "http://bench.localhost";
/// A referer under the host's `/desktop` root.
pub const REFERER: &str = "http://bench.localhost/desktop/";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub struct ApiHost {
    pub launched: LaunchedHost,
    pub http: reqwest::Client,
    pub base: String,
    auth: String,
    _dir: tempfile::TempDir,
}

impl ApiHost {
    /// Launches `program` on a fresh user-data directory; `http` is the
    /// client to use (pool settings are the caller's).
    pub fn start(program: &Path, http: reqwest::Client) -> Result<ApiHost> {
        let dir = tempfile::tempdir()?;
        let mut options = LaunchOptions::new(program, dir.path());
        options.allowed_origins = vec![ORIGIN.to_owned()];
        let launched = launch(&options)?;
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("agent:{}", launched.password.as_str()))
        );
        Ok(ApiHost {
            base: format!("http://127.0.0.1:{}", launched.ready.port),
            http,
            auth,
            launched,
            _dir: dir,
        })
    }

    /// `agent-host` next to the running benchmark binary.
    pub fn sibling_program(bench: &str) -> Result<PathBuf> {
        sibling("agent-host", bench)
    }

    pub fn pid(&self) -> u32 {
        self.launched.ready.pid
    }

    /// A request with the perimeter's headers.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .header("referer", REFERER)
    }

    /// A JSON request; a non-2xx answer is an error naming the path.
    pub async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
        let r = self.req(method, path).json(&body).send().await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{path}: {status} {v}").into());
        }
        Ok(v)
    }

    /// A new agent session; its id.
    pub async fn session(&self) -> Result<String> {
        let v = self
            .json(reqwest::Method::POST, "/sessions", serde_json::json!({}))
            .await?;
        Ok(v["id"].as_str().ok_or("no session id")?.to_owned())
    }
}

/// The binary `name` next to the running benchmark `bench`
/// (`target/release/`).
pub fn sibling(name: &str, bench: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent()
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .ok_or_else(|| format!("{name} not found next to {bench}; build it with --release").into())
}
