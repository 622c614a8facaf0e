//! `run_command` in the real bubblewrap sandbox.

use std::fs;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{fixture_with, tempdir, Fixture};
use agent_tools::{Sandbox, ToolContext, OUTPUT_CAP};
use serde_json::{json, Value};

fn sandboxed() -> Fixture {
    let sandbox = Sandbox::detect().expect("bwrap must work on this machine");
    fixture_with(Some(sandbox))
}

async fn run(f: &Fixture, command: &str) -> Value {
    f.ok("run_command", json!({"command": command})).await
}

#[tokio::test]
async fn offered_only_with_a_sandbox() {
    let f = sandboxed();
    let names: Vec<_> = agent_tools::available(&f.ctx)
        .iter()
        .map(|s| s.name)
        .collect();
    assert!(names.contains(&"run_command"));
}

#[tokio::test]
async fn writes_inside_the_workspace() {
    let f = sandboxed();
    let v = run(&f, "pwd; echo hi > inside.txt").await;
    assert_eq!(v["exit_code"], 0, "{v}");
    assert_eq!(
        v["stdout"].as_str().expect("stdout").trim(),
        f.ws.to_string_lossy()
    );
    assert_eq!(v["timed_out"], false);
    assert_eq!(
        fs::read_to_string(f.ws.join("inside.txt")).expect("read"),
        "hi\n"
    );
}

#[tokio::test]
async fn workspace_under_tmp_stays_visible() {
    let dir = tempfile::tempdir().expect("tempdir in /tmp");
    let ctx = ToolContext {
        root: agent_containment::ContainedRoot::new(dir.path()).expect("root"),
        sandbox: Sandbox::detect(),
        protected_paths: Vec::new(),
        home: None,
        read_only_paths: Vec::new(),
        fetch: agent_tools::FetchPolicy::default(),
        observer: Default::default(),
    };
    let args =
        json!({"command": "echo hi > inside.txt && echo x > /tmp/scratch && cat /tmp/scratch"});
    let v = agent_tools::call(&ctx, "run_command", &args.to_string())
        .await
        .expect("run");
    assert_eq!(v["exit_code"], 0, "{v}");
    assert_eq!(v["stdout"], "x\n");
    assert!(dir.path().join("inside.txt").exists());
    assert!(!std::path::Path::new("/tmp/scratch").exists());
}

#[tokio::test]
async fn cannot_write_outside_the_workspace() {
    let f = sandboxed();
    let before = f.outside_snapshot();
    let target = f.outside.join("evil.txt");
    let v = run(&f, &format!("echo x > '{}'", target.display())).await;
    assert_ne!(v["exit_code"], 0, "{v}");
    assert!(!target.exists());
    let v = run(&f, "echo x > /tmp/../etc/evil").await;
    assert_ne!(v["exit_code"], 0, "{v}");
    assert!(!std::path::Path::new("/etc/evil").exists());
    let v = run(&f, "echo x > file-link-out").await;
    assert_ne!(v["exit_code"], 0, "{v}");
    assert_eq!(f.outside_snapshot(), before);
}

#[tokio::test]
async fn no_network() {
    let f = sandboxed();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let probe = format!("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected'");

    let v = run(&f, &probe).await;
    assert_ne!(v["exit_code"], 0, "{v}");
    assert!(!v["stdout"].as_str().expect("stdout").contains("connected"));
    let err = listener.accept().expect_err("no connection may arrive");
    assert_eq!(err.kind(), ErrorKind::WouldBlock);

    // Control: the same probe does connect without the sandbox.
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &probe])
        .output()
        .expect("unsandboxed");
    assert!(out.status.success(), "{out:?}");
    assert!(listener.accept().is_ok(), "control connection");
}

#[tokio::test]
async fn protected_paths_are_unreadable() {
    let mut f = sandboxed();
    let user_data = tempdir();
    let user_data = user_data.path().canonicalize().expect("canonical");
    fs::write(user_data.join("auth.json"), "sk-PROTECTED").expect("write");
    let single = f.base.join("token.txt");
    fs::write(&single, "sk-SINGLE").expect("write");
    let inside = f.ws.join(".env");
    fs::write(&inside, "sk-INSIDE").expect("write");
    f.ctx.protected_paths = vec![user_data.clone(), single.clone(), inside.clone()];

    // Control: readable without the protection.
    let v = run(&f, "ls /").await;
    assert_eq!(v["exit_code"], 0);

    for path in [user_data.join("auth.json"), single.clone(), inside.clone()] {
        let v = run(&f, &format!("cat '{}'", path.display())).await;
        assert!(
            !v["stdout"].as_str().expect("stdout").contains("sk-"),
            "{path:?}: {v}"
        );
    }
    let v = run(&f, &format!("ls -A '{}'", user_data.display())).await;
    assert_eq!(v["stdout"], "", "{v}");
    let v = run(&f, &format!("echo x > '{}/planted'", user_data.display())).await;
    assert_ne!(v["exit_code"], 0, "{v}");
    assert!(!user_data.join("planted").exists());
    assert_eq!(fs::read_to_string(&inside).expect("read"), "sk-INSIDE");
}

#[tokio::test]
async fn protected_dir_containing_the_workspace() {
    // The user-data dir holds the workspace: hidden, but the workspace stays usable.
    let mut f = sandboxed();
    fs::write(f.base.join("auth.json"), "sk-PARENT").expect("write");
    f.ctx.protected_paths = vec![f.base.clone()];
    let v = run(
        &f,
        &format!("cat '{}/auth.json'; echo ok > inside.txt", f.base.display()),
    )
    .await;
    assert!(
        !v["stdout"].as_str().expect("stdout").contains("sk-"),
        "{v}"
    );
    assert_eq!(
        fs::read_to_string(f.ws.join("inside.txt")).expect("read"),
        "ok\n"
    );
}

#[tokio::test]
async fn timeout_kills_the_whole_tree() {
    let f = sandboxed();
    let started = Instant::now();
    let v = f
        .ok(
            "run_command",
            json!({"command": "sleep 37.123 & sleep 37.123; echo never", "timeout_ms": 300}),
        )
        .await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(v["timed_out"], true, "{v}");
    assert_eq!(v["exit_code"], Value::Null);
    assert!(!v["stdout"].as_str().expect("stdout").contains("never"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!sleeper_alive("37.123"), "a sleep survived the timeout");
}

/// True if any process has `marker` in its command line.
fn sleeper_alive(marker: &str) -> bool {
    let Ok(dir) = fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|e| {
        fs::read(e.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(marker))
            .unwrap_or(false)
    })
}

#[tokio::test]
async fn output_is_capped_and_the_child_never_blocks() {
    let f = sandboxed();
    let v = run(
        &f,
        "head -c 1048576 /dev/zero | tr '\\0' a; head -c 1048576 /dev/zero | tr '\\0' b >&2; echo done >&2",
    )
    .await;
    assert_eq!(
        v["exit_code"],
        0,
        "{}",
        v["stderr"].as_str().map(str::len).unwrap_or(0)
    );
    assert_eq!(v["truncated"], true);
    assert_eq!(v["stdout"].as_str().expect("stdout").len(), OUTPUT_CAP);
    assert_eq!(v["stderr"].as_str().expect("stderr").len(), OUTPUT_CAP);
}

#[tokio::test]
async fn argument_checks() {
    let f = sandboxed();
    let err = f
        .call("run_command", json!({"command": "  "}))
        .await
        .expect_err("empty");
    assert!(matches!(err, agent_tools::ToolError::InvalidArguments(_)));
    let err = f
        .call("run_command", json!({"command": "true", "timeout_ms": 0}))
        .await
        .expect_err("zero");
    assert!(matches!(err, agent_tools::ToolError::InvalidArguments(_)));
    let v = run(&f, "exit 7").await;
    assert_eq!(v["exit_code"], 7);
}

#[tokio::test]
async fn run_is_hidden_so_local_sockets_cannot_be_reached() {
    // Session buses (the keyring), docker.sock and friends live under /run;
    // a read-only bind would still let connect(2) through.
    let dir = std::path::PathBuf::from(format!("/run/agent-tools-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("marker"), "x").unwrap();
    let f = sandboxed();
    let out = run(
        &f,
        &format!(
            "test -e {}/marker && echo visible || echo hidden",
            dir.display()
        ),
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out["stdout"].as_str().unwrap().trim(), "hidden", "{out}");
}

/// Secrets where a real user keeps them, in a home directory outside /tmp
/// (the sandbox empties /tmp, so a canary there would prove nothing).
struct Home {
    _dir: tempfile::TempDir,
    home: PathBuf,
    canaries: Vec<PathBuf>,
    socket: PathBuf,
    _listener: UnixListener,
}

const CANARY: &str = "CANARY-7f3a-secret";

fn home_with_canaries() -> Home {
    let dir = tempdir();
    let home = dir
        .path()
        .canonicalize()
        .expect("canonical")
        .join("home/user");
    let canaries: Vec<PathBuf> = [
        ".git-credentials",
        ".config/gh/hosts.yml",
        ".npmrc",
        ".cargo/credentials.toml",
        ".pypirc",
        ".bash_history",
        ".mozilla/firefox/abc.default/logins.json",
        ".config/google-chrome/Default/Login Data",
        ".ssh/id_ed25519",
        ".local/share/agent-host/auth.json",
        "other-project/.env",
    ]
    .iter()
    .map(|rel| home.join(rel))
    .collect();
    for path in &canaries {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, CANARY).expect("write canary");
    }
    // A credential cache socket, as `git credential-cache` leaves one.
    let socket = home.join(".cache/git/credential/socket");
    fs::create_dir_all(socket.parent().expect("parent")).expect("mkdir");
    let listener = UnixListener::bind(&socket).expect("bind socket");
    fs::create_dir_all(home.join("project")).expect("mkdir");
    fs::write(home.join("project/README.md"), "hello").expect("write");
    Home {
        _dir: dir,
        home,
        canaries,
        socket,
        _listener: listener,
    }
}

fn in_home(home: &Path, read_only: Vec<PathBuf>) -> ToolContext {
    ToolContext {
        root: agent_containment::ContainedRoot::new(&home.join("project")).expect("root"),
        sandbox: Some(Sandbox::detect().expect("bwrap")),
        protected_paths: Vec::new(),
        home: Some(home.to_path_buf()),
        read_only_paths: read_only,
        fetch: agent_tools::FetchPolicy::default(),
        observer: Default::default(),
    }
}

async fn sh(ctx: &ToolContext, command: &str) -> Value {
    agent_tools::call(ctx, "run_command", &json!({"command": command}).to_string())
        .await
        .expect("run_command")
}

#[tokio::test]
async fn only_the_workspace_of_the_users_files_is_visible() {
    let h = home_with_canaries();
    let ctx = in_home(&h.home, Vec::new());
    let paths: Vec<String> = h
        .canaries
        .iter()
        .map(|p| format!("'{}'", p.display()))
        .collect();
    let probe = format!(
        "cat {} 2>/dev/null; test -S '{}' && echo SOCKET-VISIBLE; ls -A \"$HOME\"; echo; ls -A /",
        paths.join(" "),
        h.socket.display()
    );
    // Control: without the sandbox the probe finds every canary.
    let control = std::process::Command::new("/bin/sh")
        .args(["-c", &probe])
        .output()
        .expect("control");
    let control = String::from_utf8_lossy(&control.stdout);
    assert_eq!(
        control.matches(CANARY).count(),
        h.canaries.len(),
        "{control}"
    );
    assert!(control.contains("SOCKET-VISIBLE"));

    let v = sh(&ctx, &probe).await;
    let out = v["stdout"].as_str().expect("stdout");
    assert!(!out.contains(CANARY), "{v}");
    assert!(!out.contains("SOCKET-VISIBLE"), "{v}");
    let (home_listing, root_listing) = out.split_once("\n\n").expect("two listings");
    // The home directory holds nothing but the way to the workspace.
    assert_eq!(home_listing.trim(), "project", "{v}");
    // The root holds only what the allow-list mounts.
    let allowed = [
        "usr", "etc", "opt", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "dev", "proc",
        "tmp", "var", "run",
    ];
    let top = h
        .home
        .components()
        .nth(1)
        .expect("home below /")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    for entry in root_listing.split_whitespace() {
        assert!(
            allowed.contains(&entry) || entry == top,
            "{entry} is visible in the sandbox: {v}"
        );
    }
    // Renaming inside the workspace reaches nothing new.
    let v = sh(
        &ctx,
        "mv .. ../x 2>&1; cd .. && mv .local .l 2>&1; cat .l/share/agent-host/auth.json 2>&1",
    )
    .await;
    assert!(
        !v["stdout"].as_str().expect("stdout").contains(CANARY),
        "{v}"
    );
    assert!(h.home.join(".local/share/agent-host/auth.json").exists());
}

#[tokio::test]
async fn home_is_private_scratch_and_toolchains_come_back_read_only() {
    let h = home_with_canaries();
    let toolchain = h.home.join(".rustup");
    fs::create_dir_all(toolchain.join("bin")).expect("mkdir");
    fs::write(toolchain.join("bin/tool"), "toolchain").expect("write");
    let ctx = in_home(&h.home, vec![toolchain.clone()]);
    let v = sh(
        &ctx,
        "echo scratch > \"$HOME/.gitconfig\" && cat \"$HOME/.gitconfig\"; cat \"$HOME/.rustup/bin/tool\"; echo x > \"$HOME/.rustup/bin/planted\" || echo READ-ONLY",
    )
    .await;
    let out = v["stdout"].as_str().expect("stdout");
    assert!(out.contains("scratch"), "{v}");
    assert!(out.contains("toolchain"), "{v}");
    assert!(out.contains("READ-ONLY"), "{v}");
    // Scratch in the sandbox's home never reaches the real one.
    assert!(!h.home.join(".gitconfig").exists());
    assert!(!toolchain.join("bin/planted").exists());
}

#[tokio::test]
async fn a_workspace_that_holds_the_home_directory_is_refused() {
    let h = home_with_canaries();
    let mut ctx = in_home(&h.home, Vec::new());
    ctx.root =
        agent_containment::ContainedRoot::new(h.home.parent().expect("parent")).expect("root");
    let err = agent_tools::call(&ctx, "run_command", &json!({"command": "true"}).to_string())
        .await
        .expect_err("refused");
    assert!(matches!(err, agent_tools::ToolError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn a_commands_changes_are_heard_with_their_content_before_and_after() {
    use agent_tools::FileContent::{Absent, Text, Untracked};
    let mut f = sandboxed();
    fs::create_dir_all(f.ws.join("node_modules/dep")).unwrap();
    fs::write(f.ws.join("node_modules/dep/index.js"), "old").unwrap();
    fs::write(f.ws.join("data.bin"), [0xffu8, 0xfe]).unwrap();
    let heard = std::sync::Arc::new(crate::common::Heard::default());
    f.ctx.observer = agent_tools::Observer(Some(heard.clone()));

    let v = run(
        &f,
        "printf 'new\\n' > added.txt; echo more >> README.md; rm src/lib.rs; \
         echo x > node_modules/dep/index.js; printf 'z' > data.bin; ln -s README.md link; \
         cat README.md > /dev/null",
    )
    .await;
    assert_eq!(v["exit_code"], 0, "{v}");
    let mut heard = heard.summary(&f.ws);
    heard.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        heard,
        vec![
            (
                "README.md".into(),
                Text("hello\nworld\n".into()),
                Text("hello\nworld\nmore\n".into())
            ),
            ("added.txt".into(), Absent, Text("new\n".into())),
            ("data.bin".into(), Untracked, Text("z".into())),
            (
                "src/lib.rs".into(),
                Text("fn alpha() {}\nfn beta() {}\n".into()),
                Absent
            ),
        ]
    );
}

#[tokio::test]
async fn a_command_that_changes_nothing_tells_nothing() {
    let mut f = sandboxed();
    let heard = std::sync::Arc::new(crate::common::Heard::default());
    f.ctx.observer = agent_tools::Observer(Some(heard.clone()));
    run(&f, "ls -R > /dev/null; cat README.md").await;
    assert!(heard.summary(&f.ws).is_empty());
}
