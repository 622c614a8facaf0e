//! The health check: `GET /health` through the host's full perimeter
//! (Host, Referer, Basic Auth), so a pass means the renderer's requests
//! would pass too — not just that a port is open.
//!
//! A blocking raw HTTP/1.1 request over `std::net`: the check needs only the
//! status line, and this keeps an async runtime and an HTTP client stack out
//! of the supervisor thread.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::events::Event;
use super::state::Credentials;

/// Why a health check failed. Never contains the credential.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("health request failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the host did not answer with an HTTP status line")]
    BadResponse,
    #[error("the host answered {0}")]
    Status(u16),
    #[error("a header value contains a control character")]
    InvalidHeader,
}

/// `GET /health` on `127.0.0.1:port`; the HTTP status on any answer.
///
/// `authorization` is a full header value (`Basic …`); `referer` must lie
/// under an allowed origin and root. The whole exchange is bounded by
/// `timeout`.
pub fn get_health(
    port: u16,
    authorization: &str,
    referer: &str,
    timeout: Duration,
) -> Result<u16, HealthError> {
    // Both values go verbatim into the request head.
    if [authorization, referer]
        .iter()
        .any(|v| v.bytes().any(|b| b.is_ascii_control()))
    {
        return Err(HealthError::InvalidHeader);
    }
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(HealthError::Timeout(timeout))
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| timed_out(e, timeout))?;
    stream.set_write_timeout(Some(left()?))?;
    let request = Zeroizing::new(format!(
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {authorization}\r\n\
         Referer: {referer}\r\nConnection: close\r\n\r\n"
    ));
    stream
        .write_all(request.as_bytes())
        .map_err(|e| timed_out(e, timeout))?;

    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") {
        if head.len() > 1024 {
            return Err(HealthError::BadResponse);
        }
        stream.set_read_timeout(Some(left()?))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(timed_out(e, timeout)),
        }
    }
    parse_status(&head).ok_or(HealthError::BadResponse)
}

/// Passes only on `200`.
pub fn check(
    port: u16,
    credentials: &Credentials,
    referer: &str,
    timeout: Duration,
) -> Result<(), HealthError> {
    match get_health(port, &credentials.authorization(), referer, timeout)? {
        200 => Ok(()),
        status => Err(HealthError::Status(status)),
    }
}

fn timed_out(e: std::io::Error, timeout: Duration) -> HealthError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            HealthError::Timeout(timeout)
        }
        _ => HealthError::Io(e),
    }
}

/// The status code of `HTTP/1.x NNN …`.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let rest = line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| line.strip_prefix(b"HTTP/1.0 "))?;
    let code = rest.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) || rest.get(3).is_some_and(|&b| b != b' ') {
        return None;
    }
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// What a prober needs to know about its host.
pub struct ProbeTarget {
    pub generation: u64,
    pub port: u16,
    pub credentials: Credentials,
    pub referer: String,
    pub interval: Duration,
    pub timeout: Duration,
}

/// A thread checking one host generation every `interval` and reporting
/// each result as an [`Event::Health`]. Dropping it stops the thread at
/// once (the interval sleep is a channel wait); a check in flight finishes
/// within its timeout and its result is ignored as stale.
pub struct Prober {
    _stop: Sender<()>,
}

impl Prober {
    pub fn spawn(target: ProbeTarget, events: Sender<Event>) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name(format!("host-health-{}", target.generation))
            .spawn(move || loop {
                match stopped.recv_timeout(target.interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                let result = check(
                    target.port,
                    &target.credentials,
                    &target.referer,
                    target.timeout,
                );
                if let Err(e) = &result {
                    tracing::warn!(generation = target.generation, error = %e, "host health check failed");
                }
                let event = Event::Health {
                    generation: target.generation,
                    healthy: result.is_ok(),
                };
                if events.send(event).is_err() {
                    return;
                }
            })?;
        Ok(Self { _stop: stop })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 401 Unauthorized\r\n"), Some(401));
        assert_eq!(parse_status(b"HTTP/1.1 204\r\n"), Some(204));
        assert_eq!(parse_status(b"HTTP/2 200\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 2000 OK\r\n"), None);
        assert_eq!(parse_status(b"SSH-2.0\r\n"), None);
    }

    #[test]
    fn refuses_header_injection() {
        let result = get_health(1, "Basic x\r\nX: y", "http://a/b/", Duration::from_secs(1));
        assert!(
            matches!(result, Err(HealthError::InvalidHeader)),
            "{result:?}"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let started = Instant::now();
        let result = get_health(port, "Basic x", "http://a/b/", Duration::from_millis(200));
        assert!(matches!(result, Err(HealthError::Timeout(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(listener);
    }

    #[test]
    fn sends_host_referer_and_authorization() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 512];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = conn.read(&mut buf).expect("read");
                assert_ne!(n, 0);
                request.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .expect("write");
            String::from_utf8(request).expect("utf8")
        });
        let credentials = Credentials::new(Zeroizing::new("pw".into()));
        check(
            port,
            &credentials,
            "agent://app/desktop/",
            Duration::from_secs(5),
        )
        .expect("200");
        let request = server.join().expect("server");
        assert!(request.starts_with("GET /health HTTP/1.1\r\n"));
        assert!(request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")));
        assert!(request.contains("\r\nReferer: agent://app/desktop/\r\n"));
        assert!(request.contains(&format!(
            "\r\nAuthorization: {}\r\n",
            credentials.authorization().as_str()
        )));
    }
}
