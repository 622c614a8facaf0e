//! The single-instance socket: primary/secondary hand-over, stale sockets,
//! permissions and hostile messages.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use agent_shell::single_instance::{
    acquire, socket_path, try_acquire, AcquireError, Instance, Message, MAX_CONNECTIONS,
    MAX_MESSAGE,
};

fn runtime_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn primary(runtime: &Path, user_data: &Path) -> mpsc::Receiver<Message> {
    let Instance::Primary(listener) = acquire(runtime, user_data, &Message::default()).unwrap()
    else {
        panic!("first acquire must be primary");
    };
    let (tx, rx) = mpsc::channel();
    listener.serve(move |m| tx.send(m).is_ok()).unwrap();
    rx
}

fn sample() -> Message {
    Message {
        files: vec![PathBuf::from("/tmp/a b.md"), PathBuf::from("/srv/x.txt")],
        links: vec!["agent-host://session/ses_0123456789abcdef0123456789abcdef".into()],
    }
}

#[test]
fn second_acquire_forwards_to_the_primary() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());

    let message = sample();
    assert!(matches!(
        acquire(runtime.path(), data.path(), &message).unwrap(),
        Instance::Secondary
    ));
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), message);
    assert!(rx.try_recv().is_err(), "exactly one message");

    // A relative file is made absolute against the sender's cwd.
    let relative = Message {
        files: vec![PathBuf::from("notes.md")],
        links: vec![],
    };
    assert!(matches!(
        acquire(runtime.path(), data.path(), &relative).unwrap(),
        Instance::Secondary
    ));
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        got.files,
        vec![std::env::current_dir().unwrap().join("notes.md")]
    );
}

#[test]
fn other_user_data_gets_its_own_primary() {
    let runtime = runtime_dir();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let _rx = primary(runtime.path(), a.path());
    assert_ne!(
        socket_path(runtime.path(), a.path()),
        socket_path(runtime.path(), b.path())
    );
    assert!(matches!(
        acquire(runtime.path(), b.path(), &Message::default()).unwrap(),
        Instance::Primary(_)
    ));
}

#[test]
fn socket_is_private() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let Instance::Primary(listener) =
        acquire(runtime.path(), data.path(), &Message::default()).unwrap()
    else {
        panic!("expected primary");
    };
    assert_eq!(listener.path(), socket_path(runtime.path(), data.path()));
    let mode = fs::metadata(listener.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
}

#[test]
fn stale_socket_is_replaced() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let path = socket_path(runtime.path(), data.path());
    drop(UnixListener::bind(&path).unwrap()); // std does not unlink
    assert!(path.exists());

    let rx = primary(runtime.path(), data.path());
    let message = sample();
    assert!(matches!(
        acquire(runtime.path(), data.path(), &message).unwrap(),
        Instance::Secondary
    ));
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), message);
}

#[test]
fn a_regular_file_in_the_way_is_not_removed() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let path = socket_path(runtime.path(), data.path());
    fs::write(&path, b"not a socket").unwrap();
    assert!(acquire(runtime.path(), data.path(), &Message::default()).is_err());
    assert_eq!(fs::read(&path).unwrap(), b"not a socket");
}

#[test]
fn unsafe_runtime_dirs_are_refused() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    fs::set_permissions(runtime.path(), fs::Permissions::from_mode(0o777)).unwrap();
    assert!(acquire(runtime.path(), data.path(), &Message::default()).is_err());
    fs::set_permissions(runtime.path(), fs::Permissions::from_mode(0o720)).unwrap();
    assert!(acquire(runtime.path(), data.path(), &Message::default()).is_err());
    assert!(acquire(
        &runtime.path().join("missing"),
        data.path(),
        &Message::default()
    )
    .is_err());
}

/// Sends raw bytes and returns whatever the primary answers.
fn raw(path: &Path, bytes: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The primary may close early on an oversized message.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer
}

#[test]
fn bad_messages_are_dropped_and_the_listener_survives() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let path = socket_path(runtime.path(), data.path());

    // Oversized: a valid JSON prefix that runs past 64 KiB.
    let mut big = br#"{"files":[],"links":[""#.to_vec();
    big.resize(MAX_MESSAGE + 10, b'a');
    big.extend_from_slice(b"\"]}\n");
    assert_eq!(raw(&path, &big), b"");
    // Malformed JSON, wrong shape, unknown fields, no newline, relative file.
    for bad in [
        &b"{not json\n"[..],
        b"[1,2,3]\n",
        br#"{"files":[],"links":[],"extra":1}"#,
        br#"{"files":[],"links":[]}"#,
        br#"{"files":["rel.md"],"links":[]}
"#,
        b"",
    ] {
        assert_eq!(raw(&path, bad), b"", "{}", String::from_utf8_lossy(bad));
    }
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());

    // A well-formed raw message is acknowledged.
    assert_eq!(raw(&path, b"{\"files\":[\"/x\"],\"links\":[]}\n"), b"ok\n");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap().files,
        vec![PathBuf::from("/x")]
    );

    let message = sample();
    assert!(matches!(
        acquire(runtime.path(), data.path(), &message).unwrap(),
        Instance::Secondary
    ));
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), message);
    assert!(rx.try_recv().is_err());
}

#[test]
fn an_oversized_outgoing_message_is_refused_by_the_sender() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let _rx = primary(runtime.path(), data.path());
    let message = Message {
        files: vec![],
        links: vec!["a".repeat(MAX_MESSAGE)],
    };
    // `acquire` would end this process; `try_acquire` says why.
    match try_acquire(runtime.path(), data.path(), &message) {
        Err(AcquireError::HandOff(e)) => {
            assert!(e.to_string().contains("64 KiB hand-off limit"), "{e}")
        }
        other => panic!("expected a refused hand-off, got {other:?}"),
    }
}

#[test]
fn from_args_splits_links_and_files() {
    let m = Message::from_args(
        [
            "a.md",
            "/abs/b.md",
            "agent-host://open?path=/x",
            "AGENT-HOST://open?path=/y",
            "agent-hostX",
        ],
        Path::new("/home/u"),
    );
    assert_eq!(
        m.files,
        vec![
            PathBuf::from("/home/u/a.md"),
            PathBuf::from("/abs/b.md"),
            PathBuf::from("/home/u/agent-hostX")
        ]
    );
    // The scheme is case-insensitive (the route names are not: deeplink.rs).
    assert_eq!(
        m.links,
        vec![
            "agent-host://open?path=/x".to_string(),
            "AGENT-HOST://open?path=/y".to_string()
        ]
    );
    assert!(!m.is_empty());
    assert!(Message::from_args(Vec::<String>::new(), Path::new("/")).is_empty());
}

// ---------------------------------------------------------------------
// A second launch whose hand-off fails must not start a second shell.
// ---------------------------------------------------------------------

/// Runs the real `agent-shell` binary as a second launch for `user_data`
/// (its runtime directory `runtime`) with `targets`, without a display and
/// with a host program that cannot start, so a launch that wrongly goes on
/// fails fast instead of opening windows. Returns its exit code, stderr and
/// how long it ran; killed after 20 s.
fn second_launch(
    runtime: &Path,
    user_data: &Path,
    targets: &[&str],
) -> (Option<i32>, String, Duration) {
    use std::process::{Command, Stdio};
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agent-shell"))
        .arg("--user-data")
        .arg(user_data)
        .arg("--host-program")
        .arg("/bin/false")
        .args(targets)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("RUST_LOG", "warn,agent_shell=info")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn agent-shell");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    (status.code(), reader.join().expect("stderr reader"), took)
}

fn assert_refused(code: Option<i32>, stderr: &str, took: Duration) {
    assert_eq!(
        code,
        Some(1),
        "exit {code:?} after {took:?}; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("another agent-shell is running")
            && stderr.contains("not starting a second shell"),
        "no clear refusal on stderr:\n{stderr}"
    );
    assert!(!stderr.contains("starting anyway"), "{stderr}");
    assert!(
        !stderr.contains("renderer base"),
        "a second shell got going:\n{stderr}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// A web page can fire a deep link of any length: one past the hand-off
/// limit must not start a whole second shell next to the first.
#[test]
fn an_oversized_hand_off_exits_instead_of_starting_a_second_shell() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let link = format!("agent-host://open?path=/{}", "a".repeat(MAX_MESSAGE + 10));
    let (code, stderr, took) = second_launch(runtime.path(), data.path(), &[&link]);
    assert_refused(code, &stderr, took);
    assert!(stderr.contains("64 KiB"), "{stderr}");
    assert!(rx.try_recv().is_err(), "the primary got nothing");

    // The primary is unharmed: an ordinary launch still hands over.
    let (code, stderr, _) = second_launch(runtime.path(), data.path(), &["/tmp/x.md"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap().files,
        vec![PathBuf::from("/tmp/x.md")]
    );
}

/// The same for any other failed hand-off: a running shell that does not
/// take the message (it is closing) gets no second shell beside it.
#[test]
fn an_unacknowledged_hand_off_exits_instead_of_starting_a_second_shell() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let Instance::Primary(listener) =
        acquire(runtime.path(), data.path(), &Message::default()).unwrap()
    else {
        panic!("first acquire must be primary");
    };
    listener.serve(|_| false).unwrap();
    let (code, stderr, took) = second_launch(runtime.path(), data.path(), &["/tmp/x.md"]);
    assert_refused(code, &stderr, took);
}

// ---------------------------------------------------------------------
// Connections are served concurrently, bounded, each on a deadline.
// ---------------------------------------------------------------------

/// A client that connects and says nothing holds only its own connection:
/// a real hand-off meanwhile completes at once, not after the 2 s read
/// timeout of the silent one.
#[test]
fn a_silent_client_does_not_delay_a_hand_off() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let path = socket_path(runtime.path(), data.path());

    let silent = UnixStream::connect(&path).unwrap();
    std::thread::sleep(Duration::from_millis(100)); // accepted by now
    let message = sample();
    let started = std::time::Instant::now();
    assert!(matches!(
        acquire(runtime.path(), data.path(), &message).unwrap(),
        Instance::Secondary
    ));
    let took = started.elapsed();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), message);
    eprintln!("hand-off beside a silent client: {took:?}");
    assert!(
        took < Duration::from_secs(1),
        "the hand-off waited {took:?}"
    );

    // The silent client is dropped after the read timeout (~2 s).
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = (&silent).read_to_end(&mut rest);
    assert!(rest.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A client trickling bytes cannot hold a connection past the deadline:
/// the 2 s cover the whole message, not each read.
#[test]
fn a_trickling_client_is_cut_off_at_the_deadline() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let path = socket_path(runtime.path(), data.path());
    let mut s = UnixStream::connect(&path).unwrap();
    let started = std::time::Instant::now();
    let mut closed_after = None;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(100));
        if s.write_all(b" ").is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("the primary never closed a trickling client");
    eprintln!("trickling client closed after {closed_after:?}");
    assert!(closed_after < Duration::from_secs(4), "{closed_after:?}");
    assert!(rx.try_recv().is_err());
}

/// At most 16 connections are served at once; one more is closed at once,
/// without an answer, and once the silent ones time out, hand-offs work
/// again.
#[test]
fn connections_beyond_the_bound_are_refused() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let path = socket_path(runtime.path(), data.path());

    let silent: Vec<UnixStream> = (0..MAX_CONNECTIONS)
        .map(|_| UnixStream::connect(&path).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200)); // all accepted by now
    let started = std::time::Instant::now();
    let answer = raw(&path, b"{\"files\":[\"/x\"],\"links\":[]}\n");
    let took = started.elapsed();
    assert_eq!(answer, b"", "the 17th connection was served");
    assert!(took < Duration::from_secs(1), "refused only after {took:?}");
    assert!(rx.try_recv().is_err());

    drop(silent);
    // Their threads notice the closed sockets at once (EOF), freeing the slots.
    let message = sample();
    let mut forwarded = false;
    for _ in 0..50 {
        if let Ok(Instance::Secondary) = try_acquire(runtime.path(), data.path(), &message) {
            forwarded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(forwarded, "no hand-off after the silent clients left");
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), message);
}

// ---------------------------------------------------------------------
// Peers of another uid are refused (SO_PEERCRED), not only kept out by
// the socket's mode.
// ---------------------------------------------------------------------

/// The socket's mode (0600) is the first wall; opened up here to reach the
/// second: a peer of another uid is closed without an answer and its
/// message never reaches the shell.
#[test]
fn a_peer_of_another_uid_is_refused() {
    let runtime = runtime_dir();
    let data = tempfile::tempdir().unwrap();
    let rx = primary(runtime.path(), data.path());
    let path = socket_path(runtime.path(), data.path());
    fs::set_permissions(runtime.path(), fs::Permissions::from_mode(0o711)).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();

    let message = b"{\"files\":[\"/from-nobody\"],\"links\":[]}\n";
    let Some(answer) = testkit::as_nobody(|| raw(&path, message)) else {
        return;
    };
    assert_eq!(answer, b"", "a peer of another uid got an answer");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    // The same message from our own uid is taken.
    assert_eq!(raw(&path, message), b"ok\n");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap().files,
        vec![PathBuf::from("/from-nobody")]
    );
}
