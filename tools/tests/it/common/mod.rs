//! Shared fixtures: a workspace with escape hatches pointing outside it.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use agent_containment::ContainedRoot;
use agent_tools::{FetchPolicy, Sandbox, ToolContext, ToolError};
use serde_json::Value;

/// `base/ws` is the workspace; `base/outside` holds `secret.txt`.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub base: PathBuf,
    pub ws: PathBuf,
    pub outside: PathBuf,
    pub ctx: ToolContext,
}

pub const SECRET: &str = "TOPSECRET-outside\n";

/// Under the target dir, not /tmp: the sandbox mounts a fresh /tmp, so an
/// "outside" directory under /tmp would be invisible and prove nothing.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir")
}

pub fn fixture() -> Fixture {
    fixture_with(None)
}

pub fn fixture_with(sandbox: Option<Sandbox>) -> Fixture {
    let dir = tempdir();
    let base = dir.path().canonicalize().expect("canonical");
    let ws = base.join("ws");
    let outside = base.join("outside");
    fs::create_dir_all(ws.join("src/deep")).expect("mkdir");
    fs::create_dir_all(&outside).expect("mkdir");
    fs::write(ws.join("README.md"), "hello\nworld\n").expect("write");
    fs::write(ws.join("src/lib.rs"), "fn alpha() {}\nfn beta() {}\n").expect("write");
    fs::write(ws.join("src/deep/main.rs"), "fn main() { alpha(); }\n").expect("write");
    fs::write(outside.join("secret.txt"), SECRET).expect("write");
    symlink(outside.join("secret.txt"), ws.join("file-link-out")).expect("symlink");
    symlink(&outside, ws.join("dir-link-out")).expect("symlink");
    let ctx = ToolContext {
        root: ContainedRoot::new(&ws).expect("root"),
        sandbox,
        protected_paths: Vec::new(),
        home: None,
        read_only_paths: Vec::new(),
        fetch: FetchPolicy::default(),
        observer: Default::default(),
    };
    Fixture {
        _dir: dir,
        base,
        ws,
        outside,
        ctx,
    }
}

impl Fixture {
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ToolError> {
        agent_tools::call(&self.ctx, name, &args.to_string()).await
    }

    pub async fn ok(&self, name: &str, args: Value) -> Value {
        match self.call(name, args.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{name} {args}: {e:?}"),
        }
    }

    /// Every file under `outside`, with contents, for before/after checks.
    pub fn outside_snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        snapshot(&self.outside)
    }
}

pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).expect("read");
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

/// A change observer that records what it hears.
#[derive(Default)]
pub struct Heard(pub std::sync::Mutex<Vec<agent_tools::FileChange>>);

impl agent_tools::ChangeObserver for Heard {
    fn file_changed(&self, change: agent_tools::FileChange) {
        self.0.lock().unwrap().push(change);
    }
}

impl Heard {
    /// `(path relative to ws, before, after)` of everything heard so far.
    pub fn summary(
        &self,
        ws: &Path,
    ) -> Vec<(String, agent_tools::FileContent, agent_tools::FileContent)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c.path
                        .strip_prefix(ws)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    c.before.clone(),
                    c.after.clone(),
                )
            })
            .collect()
    }
}
