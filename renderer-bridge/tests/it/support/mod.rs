//! Test support: bridges over real loopback, loopback stand-ins for the
//! host that show exactly what arrives, and the real host (from `testkit`).
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use renderer_bridge::{
    Bridge, BridgeConfig, BridgeRequest, Captured, HostTarget, MemorySink, SocketSink,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

pub const ORIGIN: &str = "http://127.0.0.1:4173";
pub const PASSWORD: &str = "bridge-test-password-0123456789-abcdefghij";

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn bridge(port: u16, password: &str) -> Bridge {
    let bridge = Bridge::new(BridgeConfig::new(ORIGIN, "/desktop").unwrap());
    bridge.set_host(Some(HostTarget::new(
        port,
        Zeroizing::new(password.to_owned()),
    )));
    bridge
}

pub fn request(method: &str, path: &str, origin: Option<&str>) -> BridgeRequest {
    let uri = if path.contains("://") {
        path.to_owned()
    } else {
        format!("hostapi://host{path}")
    };
    BridgeRequest {
        method: method.to_owned(),
        uri,
        headers: origin
            .map(|o| vec![("Origin".to_owned(), o.to_owned())])
            .unwrap_or_default(),
        body: None,
    }
}

pub fn json_request(method: &str, path: &str, body: serde_json::Value) -> BridgeRequest {
    let mut r = request(method, path, Some(ORIGIN));
    r.headers
        .push(("Content-Type".to_owned(), "application/json".to_owned()));
    r.body = Some(body.to_string().into_bytes());
    r
}

/// Runs one request into a [`MemorySink`].
pub async fn call(bridge: &Bridge, request: BridgeRequest) -> Captured {
    let sink = MemorySink::new();
    bridge.handle(request, sink.clone()).await.unwrap();
    let captured = sink.captured();
    assert!(captured.finished, "the sink was not finished");
    captured
}

pub fn json(captured: &Captured) -> serde_json::Value {
    serde_json::from_slice(&captured.body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&captured.body)))
}

pub fn error_code(captured: &Captured) -> String {
    json(captured)["error"]["code"].as_str().unwrap().to_owned()
}

/// The status and headers a [`SocketSink`] hands to its head callback.
pub type Head = (u16, Vec<(String, String)>);

/// A [`SocketSink`], the page's end of its socketpair, and the head.
pub fn socket_sink() -> (SocketSink, UnixStream, mpsc::Receiver<Head>) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let (tx, rx) = mpsc::channel();
    let sink = SocketSink::new(ours, move |status, headers| {
        let _ = tx.send((status, headers));
        Ok(())
    })
    .unwrap();
    (sink, theirs, rx)
}

/// Reads the page's end to EOF on a thread, noting when each read returned.
pub fn read_timed(mut reader: UnixStream) -> std::thread::JoinHandle<Vec<(Instant, Vec<u8>)>> {
    std::thread::spawn(move || {
        let mut reads = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => return reads,
                Ok(n) => reads.push((Instant::now(), buf[..n].to_vec())),
            }
        }
    })
}

/// A loopback listener that only counts connections: the "host" for
/// requests the bridge must refuse.
pub struct CountingListener {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self { port, accepted }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// One HTTP/1.1 request as a raw server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(data[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Seen {
        request_line,
        headers,
        body,
    })
}

/// Answers every request with its own request line, headers and body as
/// JSON, plus response headers the bridge must strip.
pub struct EchoServer {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl EchoServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    record.lock().unwrap().push(request.clone());
                    let body = serde_json::json!({
                        "request_line": request.request_line,
                        "headers": request.headers,
                        "body": String::from_utf8_lossy(&request.body),
                    })
                    .to_string();
                    let response = format!(
                        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close, x-hop\r\nx-hop: 1\r\n\
                         keep-alive: timeout=5\r\naccess-control-allow-origin: *\r\n\
                         access-control-allow-credentials: true\r\nx-echo: yes\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { port, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Answers one request with a chunked body that never ends: a chunk every
/// `interval`, or (with `None`) one chunk and then silence. Reports when
/// the client went away.
pub struct EndlessServer {
    pub port: u16,
    pub disconnected: oneshot::Receiver<Instant>,
}

impl EndlessServer {
    pub async fn start(interval: Option<Duration>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, disconnected) = oneshot::channel();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await.unwrap();
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
            let mut out = String::from(head);
            out.push_str(&chunk("data: hello\n\n"));
            let (mut read, mut write) = stream.into_split();
            write.write_all(out.as_bytes()).await.unwrap();
            let mut buf = [0u8; 64];
            let mut tick = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
            tick.tick().await;
            loop {
                tokio::select! {
                    n = read.read(&mut buf) => {
                        if matches!(n, Ok(0) | Err(_)) {
                            break;
                        }
                    }
                    _ = tick.tick() => {
                        if write.write_all(chunk("data: tick\n\n").as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = tx.send(Instant::now());
        });
        Self { port, disconnected }
    }
}

/// Starts a real host (`testkit`'s test host) for [`ORIGIN`] under
/// `/desktop`, keys kept in `auth.json` so a test never touches a desktop
/// keyring.
pub fn launch_host(user_data: &std::path::Path) -> testkit::TestHost {
    let mut options = testkit::launch_options(user_data);
    options.allowed_origins = vec![ORIGIN.to_owned()];
    testkit::TestHost::start_with(options, testkit::FILE_SECRETS)
}
