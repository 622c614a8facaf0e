//! The scripted OpenAI-compatible provider (`agent_provider::scripted`) on
//! a runtime of its own, so a blocking test can run it and point a host at
//! it in one call.

use std::ops::Deref;

use agent_provider::scripted::{Reply, ScriptedProvider};
use serde_json::{json, Value};

use crate::host::TestHost;

/// The OpenRouter key a test host is given for the scripted provider (it
/// arrives there as `Bearer …`, and must show up nowhere else).
pub const PROVIDER_KEY: &str = "sk-or-scripted-test-key-0123456789";

/// A running [`ScriptedProvider`] (its methods through `Deref`) and the
/// runtime that serves it. Dropping it stops both; do not drop it inside
/// an async context.
pub struct TestProvider {
    // Declared first: the server stops before its runtime goes.
    provider: ScriptedProvider,
    runtime: tokio::runtime::Runtime,
}

impl TestProvider {
    /// Serves `script` on `127.0.0.1:0`.
    pub fn start(script: Vec<Reply>) -> TestProvider {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the scripted provider");
        let provider = runtime
            .block_on(ScriptedProvider::start(script))
            .expect("the scripted provider listens");
        TestProvider { provider, runtime }
    }

    /// Gives `host` [`PROVIDER_KEY`] for OpenRouter and points OpenRouter at
    /// this provider, with `settings` (timeouts, say) besides `base_url`.
    pub fn configure(&self, host: &TestHost, mut settings: Value) {
        settings["base_url"] = json!(self.provider.base_url());
        host.ok("PUT", "/secrets/openrouter", json!({"key": PROVIDER_KEY}));
        host.ok("PUT", "/providers/openrouter", settings);
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Ends stalled streams and waits (briefly) for open connections.
    pub fn shutdown(self) {
        let TestProvider { provider, runtime } = self;
        runtime.block_on(provider.shutdown());
    }
}

impl Deref for TestProvider {
    type Target = ScriptedProvider;

    fn deref(&self) -> &ScriptedProvider {
        &self.provider
    }
}
