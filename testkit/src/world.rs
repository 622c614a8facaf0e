//! A host with the scripted provider already configured: what every agent
//! test starts from.

use std::path::Path;

use agent_client::Frame;
use agent_provider::scripted::Reply;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::host::{launch_options, TestHost, FILE_SECRETS};
use crate::provider::TestProvider;
use crate::sse::SseReader;

/// Provider timeouts short enough for tests.
pub fn test_timeouts() -> Value {
    json!({"idle_timeout_ms": 2000, "first_chunk_timeout_ms": 2000})
}

/// A scripted provider, a host on a user-data directory of its own, and
/// the provider configured in the host (OpenRouter, [`crate::PROVIDER_KEY`],
/// [`test_timeouts`]).
pub struct World {
    pub provider: TestProvider,
    pub host: TestHost,
    /// The host's user-data directory.
    pub dir: TempDir,
}

/// How a [`World`] starts; see [`World::builder`].
pub struct WorldBuilder {
    script: Vec<Reply>,
    dir: Option<TempDir>,
    settings: Option<Value>,
    publish_connection: bool,
}

impl WorldBuilder {
    /// Use this user-data directory instead of a fresh one.
    pub fn user_data(mut self, dir: TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Provider settings other than `base_url` (default [`test_timeouts`]).
    pub fn settings(mut self, settings: Value) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Neither key nor provider settings: the test configures them.
    pub fn unconfigured(mut self) -> Self {
        self.settings = None;
        self
    }

    /// The host also listens on `host.sock` (for the CLI).
    pub fn publish_connection(mut self) -> Self {
        self.publish_connection = true;
        self
    }

    pub fn start(self) -> World {
        let provider = TestProvider::start(self.script);
        let dir = self
            .dir
            .unwrap_or_else(|| tempfile::tempdir().expect("a user-data directory"));
        let mut options = launch_options(dir.path());
        options.publish_connection = self.publish_connection;
        let host = TestHost::start_with(options, FILE_SECRETS);
        if let Some(settings) = self.settings {
            provider.configure(&host, settings);
        }
        World {
            provider,
            host,
            dir,
        }
    }
}

impl World {
    /// A configured world serving `script`.
    pub fn new(script: Vec<Reply>) -> World {
        Self::builder(script).start()
    }

    pub fn builder(script: Vec<Reply>) -> WorldBuilder {
        WorldBuilder {
            script,
            dir: None,
            settings: Some(test_timeouts()),
            publish_connection: false,
        }
    }

    /// Configures the provider again, with other `settings`.
    pub fn configure(&self, settings: Value) {
        self.provider.configure(&self.host, settings);
    }

    /// A new session, in `workspace` (added first) when given; its id.
    pub fn session(&self, workspace: Option<&Path>) -> String {
        let workspace_id = workspace
            .map(|w| self.host.ok("POST", "/workspaces", json!({"path": w}))["id"].clone());
        let session = self
            .host
            .ok("POST", "/sessions", json!({"workspace_id": workspace_id}));
        session["id"].as_str().unwrap().to_owned()
    }

    /// Starts a turn; the reader is at the start of its stream.
    pub fn turn(&self, session: &str, message: &str) -> SseReader {
        SseReader::open(
            &self.host,
            "POST",
            &format!("/sessions/{session}/turns"),
            Some(&json!({"message": message})),
            &[],
        )
    }

    /// A whole turn: asserts a 200 and reads to the end of the stream.
    pub fn turn_to_end(&self, session: &str, message: &str) -> Vec<Frame> {
        let reader = self.turn(session, message);
        assert_eq!(reader.status, 200);
        reader.rest()
    }

    /// Appends replies to the provider's script.
    pub fn push(&self, replies: Vec<Reply>) {
        self.provider.push(replies);
    }

    /// Stops the host (cleanly, asserting it exits), then the provider.
    pub fn shutdown(self) {
        let World { provider, host, .. } = self;
        host.stop();
        provider.shutdown();
    }
}
