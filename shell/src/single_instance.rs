//! One shell per user data directory.
//!
//! The first launch binds a Unix socket in the user's runtime directory and
//! becomes the [`Instance::Primary`]; a later launch finds it answering,
//! hands over its files and deep links as one [`Message`], and becomes an
//! [`Instance::Secondary`] that should exit 0. A launch that finds an
//! instance running but cannot hand over (the message is too large, the
//! instance does not acknowledge it) never starts a second shell: it fails
//! with [`AcquireError::HandOff`] ([`acquire`] exits with status 1). tao's
//! GTK application id would also stop a second instance, but without
//! forwarding its argv, so this module does not rely on it.
//!
//! The protocol is one message per connection: a single line of JSON (at
//! most [`MAX_MESSAGE`] bytes, newline included) from the secondary, then
//! `ok\n` from the primary once the callback has run. The primary refuses
//! peers whose uid (`SO_PEERCRED`) is not its own ([`check_peer_uid`]),
//! serves up to [`MAX_CONNECTIONS`] connections at once, each on its own
//! thread with 2 s for the whole message, and drops oversized, malformed or
//! slow messages without stopping.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use agent_client::check_peer_uid;
use serde::{Deserialize, Serialize};

/// Largest message accepted, the trailing newline included.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// How many connections the primary serves at once; one more is closed
/// unanswered.
pub const MAX_CONNECTIONS: usize = 16;

/// How long the primary waits for one connection's whole message.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a secondary waits for the primary to take its message.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Scheme prefix that makes an argv entry a deep link rather than a file
/// (schemes are case-insensitive, RFC 3986 §3.1).
const LINK_PREFIX: &str = "agent-host:";

/// What a launch hands to the running instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Files to open, absolute (made so against the sender's cwd).
    pub files: Vec<PathBuf>,
    /// Deep links, unparsed; the primary parses them with
    /// [`crate::deeplink::parse`].
    pub links: Vec<String>,
}

impl Message {
    /// Splits command-line arguments (without the program name) into deep
    /// links (anything starting with `agent-host:`) and files, made absolute
    /// against `cwd`.
    pub fn from_args<I, S>(args: I, cwd: &Path) -> Message
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut message = Message::default();
        for arg in args {
            let arg: OsString = arg.into();
            match arg.to_str() {
                Some(s)
                    if s.get(..LINK_PREFIX.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(LINK_PREFIX)) =>
                {
                    message.links.push(s.to_owned())
                }
                _ => message.files.push(absolute(Path::new(&arg), cwd)),
            }
        }
        message
    }

    /// True when there is nothing to forward.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.links.is_empty()
    }
}

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// The outcome of [`acquire`].
#[derive(Debug)]
pub enum Instance {
    /// This process owns the socket; call [`Listener::serve`].
    Primary(Listener),
    /// Another instance took the message; this process should exit 0.
    Secondary,
}

/// Why [`try_acquire`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    /// No instance answered and this launch could not become the primary
    /// either (runtime directory, lock, bind): it may run on without the
    /// single-instance socket.
    #[error("{0}")]
    Setup(#[source] io::Error),
    /// An instance is running but did not take the message: it is too
    /// large, or the instance closed the connection, did not acknowledge in
    /// time or is closing. This launch must not start a second shell.
    #[error(
        "another agent-shell is running for this user-data directory but did not take \
         this launch's files and links: {0}; not starting a second shell"
    )]
    HandOff(#[source] io::Error),
}

/// The bound socket of the primary instance.
#[derive(Debug)]
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
    /// Device and inode of the socket file we bound, so that dropping an
    /// unserved listener never unlinks someone else's socket.
    identity: (u64, u64),
}

/// `$XDG_RUNTIME_DIR`, or else `/tmp/agent-shell-<uid>` (created 0700 and
/// checked to be a real directory owned by us).
pub fn default_runtime_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return Ok(dir);
        }
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = PathBuf::from(format!("/tmp/agent-shell-{uid}"));
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Not followed: a symlink planted by another user is refused below.
    let meta = fs::symlink_metadata(&dir)?;
    if !meta.file_type().is_dir() {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(dir)
}

/// The socket path for `user_data` under `runtime_dir`:
/// `<runtime_dir>/agent-shell-<16 hex of a hash of user_data>.sock`.
pub fn socket_path(runtime_dir: &Path, user_data: &Path) -> PathBuf {
    let user_data = match std::env::current_dir() {
        Ok(cwd) => absolute(user_data, &cwd),
        Err(_) => user_data.to_path_buf(),
    };
    runtime_dir.join(format!(
        "agent-shell-{:016x}.sock",
        fnv1a(user_data.as_os_str().as_bytes())
    ))
}

/// FNV-1a, 64 bit: stable across builds, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// [`try_acquire`] for the binary's start-up: a failed hand-off to a
/// running instance ([`AcquireError::HandOff`]) is reported on stderr and
/// **ends this process with status 1**, so that no caller can start a
/// second shell after it; any other failure is returned (the caller may
/// run on without single-instance).
pub fn acquire(runtime_dir: &Path, user_data: &Path, message: &Message) -> io::Result<Instance> {
    match try_acquire(runtime_dir, user_data, message) {
        Ok(instance) => Ok(instance),
        Err(AcquireError::Setup(error)) => Err(error),
        Err(refused @ AcquireError::HandOff(_)) => {
            tracing::error!(error = %refused, "single-instance hand-off failed");
            eprintln!("agent-shell: {refused}");
            std::process::exit(1);
        }
    }
}

/// Becomes the primary instance for `user_data`, or hands `message` to the
/// one already running.
///
/// `runtime_dir` must exist, be owned by the effective uid and not be
/// group- or other-writable. If a live instance answers on the socket,
/// `message` is sent (relative files made absolute against this process's
/// cwd), its acknowledgement awaited, and [`Instance::Secondary`] returned;
/// when it does not take the message, [`AcquireError::HandOff`]. A stale
/// socket (connect refused) is removed and this process binds a fresh one
/// with mode 0600. Concurrent launches are serialized by an advisory lock
/// on `<socket>.lock`.
pub fn try_acquire(
    runtime_dir: &Path,
    user_data: &Path,
    message: &Message,
) -> Result<Instance, AcquireError> {
    check_dir(runtime_dir).map_err(AcquireError::Setup)?;
    let path = socket_path(runtime_dir, user_data);
    let _lock = lock(&path).map_err(AcquireError::Setup)?;

    match UnixStream::connect(&path) {
        Ok(stream) => {
            send(stream, message).map_err(AcquireError::HandOff)?;
            return Ok(Instance::Secondary);
        }
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            // Stale: the process that bound it is gone. Only remove sockets.
            let meta = fs::symlink_metadata(&path).map_err(AcquireError::Setup)?;
            if !meta.file_type().is_socket_like() {
                return Err(AcquireError::Setup(io::Error::new(
                    ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                )));
            }
            fs::remove_file(&path).map_err(AcquireError::Setup)?;
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(AcquireError::Setup(e)),
    }

    bind(&path)
        .map(Instance::Primary)
        .map_err(AcquireError::Setup)
}

/// `FileType::is_socket` lives in an extension trait; a tiny shim keeps the
/// call site readable.
trait SocketLike {
    fn is_socket_like(&self) -> bool;
}

impl SocketLike for fs::FileType {
    fn is_socket_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_socket()
    }
}

fn check_dir(dir: &Path) -> io::Result<()> {
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a directory", dir.display()),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if meta.uid() != uid {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is not owned by uid {uid}", dir.display()),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("{} is group- or other-writable", dir.display()),
        ));
    }
    Ok(())
}

fn lock(socket: &Path) -> io::Result<File> {
    let mut name = socket.as_os_str().to_owned();
    name.push(".lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(PathBuf::from(name))?;
    loop {
        // SAFETY: the fd is valid for the lifetime of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let err = io::Error::last_os_error();
        if err.kind() != ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Binds under a temporary name, sets mode 0600, then renames into place,
/// so the socket is never reachable with wider permissions.
fn bind(path: &Path) -> io::Result<Listener> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let listener = UnixListener::bind(&tmp)?;
    let placed = fs::set_permissions(&tmp, Permissions::from_mode(0o600))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = placed {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let meta = fs::symlink_metadata(path)?;
    Ok(Listener {
        listener,
        path: path.to_path_buf(),
        identity: (meta.dev(), meta.ino()),
    })
}

fn send(mut stream: UnixStream, message: &Message) -> io::Result<()> {
    let cwd = std::env::current_dir()?;
    let message = Message {
        files: message.files.iter().map(|f| absolute(f, &cwd)).collect(),
        links: message.links.clone(),
    };
    let mut line = serde_json::to_vec(&message).map_err(io::Error::other)?;
    line.push(b'\n');
    if line.len() > MAX_MESSAGE {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the files and links take {} bytes, over the 64 KiB hand-off limit",
                line.len()
            ),
        ));
    }
    stream.set_write_timeout(Some(ACK_TIMEOUT))?;
    stream.set_read_timeout(Some(ACK_TIMEOUT))?;
    stream.write_all(&line)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut ack = Vec::new();
    stream.take(16).read_to_end(&mut ack)?;
    if ack != b"ok\n" {
        return Err(io::Error::new(
            ErrorKind::ConnectionAborted,
            "the running instance did not acknowledge the message",
        ));
    }
    Ok(())
}

impl Listener {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts forwarded messages on a background thread and hands each to
    /// `on_message`, which says whether it took it; only a taken message is
    /// acknowledged (a shell that is closing takes none, so the second
    /// launch does not exit as if its files opened).
    ///
    /// Peers of another uid (by `SO_PEERCRED`) are closed at once. Every
    /// other connection gets a thread of its own, at most
    /// [`MAX_CONNECTIONS`] at a time (one more is closed unanswered), so a
    /// client that says nothing delays no one else. Each carries one
    /// newline-terminated JSON [`Message`] of at most [`MAX_MESSAGE`]
    /// bytes, which must arrive within 2 s of the accept; oversized,
    /// malformed or slow messages are logged and dropped. `on_message` runs
    /// on the connection's thread, one call at a time. The socket stays
    /// bound for the rest of the process.
    pub fn serve(self, on_message: impl Fn(Message) -> bool + Send + 'static) -> io::Result<()> {
        let on_message = Arc::new(Mutex::new(on_message));
        let active = Arc::new(AtomicUsize::new(0));
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                for conn in self.listener.incoming() {
                    let stream = match conn {
                        Ok(stream) => stream,
                        Err(e) => {
                            tracing::warn!("single-instance accept failed: {e}");
                            std::thread::sleep(Duration::from_millis(50));
                            continue;
                        }
                    };
                    if let Err(e) = check_peer_uid(&stream) {
                        tracing::warn!("single-instance connection refused: {e}");
                        continue;
                    }
                    // Only this thread adds, so the check cannot race.
                    if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                        tracing::warn!(
                            "single-instance connection refused: {MAX_CONNECTIONS} already open"
                        );
                        continue;
                    }
                    let slot = Slot::take(&active);
                    let on_message = Arc::clone(&on_message);
                    let spawned = std::thread::Builder::new()
                        .name("single-instance-conn".into())
                        .spawn(move || {
                            let _slot = slot;
                            let take = |message| {
                                let on_message =
                                    on_message.lock().unwrap_or_else(PoisonError::into_inner);
                                on_message(message)
                            };
                            if let Err(e) = handle(stream, take) {
                                tracing::warn!("single-instance message dropped: {e}");
                            }
                        });
                    // On failure the closure, its stream and its slot are dropped.
                    if let Err(e) = spawned {
                        tracing::warn!("single-instance connection dropped: {e}");
                    }
                }
            })?;
        Ok(())
    }
}

/// One of the [`MAX_CONNECTIONS`] connection slots, given back on drop.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(active: &Arc<AtomicUsize>) -> Slot {
        active.fetch_add(1, Ordering::SeqCst);
        Slot(Arc::clone(active))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Only reached when the listener is dropped without serving: remove
        // the socket if it is still the one we bound.
        if let Ok(meta) = fs::symlink_metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.identity {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// Reads one line (newline included, at most [`MAX_MESSAGE`] bytes) that
/// must be complete by `deadline`: each read waits only for what is left,
/// so a client sending a byte now and then cannot stretch it. Without a
/// newline before EOF, what came is returned as is.
fn read_line(stream: &UnixStream, deadline: Instant) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "message not complete within 2 s",
            ));
        }
        stream.set_read_timeout(Some(left))?;
        let n = match (&*stream).read(&mut buf) {
            Ok(0) => return Ok(line),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = buf[..n].iter().position(|&b| b == b'\n').map(|i| i + 1);
        line.extend_from_slice(&buf[..end.unwrap_or(n)]);
        if line.len() > MAX_MESSAGE || (end.is_none() && line.len() == MAX_MESSAGE) {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "message exceeds 64 KiB",
            ));
        }
        if end.is_some() {
            return Ok(line);
        }
    }
}

/// Serves one connection whose peer [`check_peer_uid`] admitted.
fn handle(stream: UnixStream, on_message: impl Fn(Message) -> bool) -> io::Result<()> {
    let deadline = Instant::now() + READ_TIMEOUT;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let line = read_line(&stream, deadline)?;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "message not newline-terminated",
        ));
    }
    let message: Message = serde_json::from_slice(&line)
        .map_err(|e| io::Error::new(ErrorKind::InvalidData, format!("malformed message: {e}")))?;
    if message.files.iter().any(|f| !f.is_absolute()) {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "message names a relative file",
        ));
    }
    if !on_message(message) {
        return Err(io::Error::other("this shell is closing; message not taken"));
    }
    (&stream).write_all(b"ok\n")
}
