//! The single-instance socket: primary/secondary hand-over, stale sockets,
//! permissions and hostile messages.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use agent_shell::single_instance::{acquire, socket_path, Instance, Message, MAX_MESSAGE};

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
    assert!(acquire(runtime.path(), data.path(), &message).is_err());
}

#[test]
fn from_args_splits_links_and_files() {
    let m = Message::from_args(
        ["a.md", "/abs/b.md", "agent-host://open?path=/x"],
        Path::new("/home/u"),
    );
    assert_eq!(
        m.files,
        vec![PathBuf::from("/home/u/a.md"), PathBuf::from("/abs/b.md")]
    );
    assert_eq!(m.links, vec!["agent-host://open?path=/x".to_string()]);
    assert!(!m.is_empty());
    assert!(Message::from_args(Vec::<String>::new(), Path::new("/")).is_empty());
}
