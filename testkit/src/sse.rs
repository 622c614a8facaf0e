//! The agent's turn stream read over raw HTTP, frame by frame, so a test
//! can stop in the middle. The frames come from `agent-client`'s SSE
//! parser, the one the CLI uses.

use std::io::Read;
use std::net::TcpStream;

use agent_client::{Frame, SseParser};
use serde_json::Value;

use crate::host::TestHost;
use crate::http::{self, Body, Headers};

/// What a test asks of a frame: its JSON and its UI-chunk `type`.
pub trait FrameExt {
    /// The data as JSON (`Null` when it is not JSON, as `[DONE]`).
    fn json(&self) -> Value;
    /// The chunk's `type`, `"[DONE]"` for the end marker, `"?"` without one.
    fn kind(&self) -> String;
}

impl FrameExt for Frame {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }

    fn kind(&self) -> String {
        if self.is_done() {
            return agent_client::DONE.to_owned();
        }
        self.json()["type"].as_str().unwrap_or("?").to_owned()
    }
}

/// The frames' sequence numbers (their `id: <turn>:<seq>`), checked to
/// belong to `turn` and to rise: a reader that fell behind gets runs of
/// deltas merged into one frame, which carries the run's last number.
pub fn seqs(frames: &[Frame], turn: &str) -> Vec<u64> {
    let seqs: Vec<u64> = frames
        .iter()
        .map(|f| {
            let id = f.id.as_deref().expect("a frame without an id");
            let (t, seq) = id.rsplit_once(':').unwrap();
            assert_eq!(t, turn, "{id}");
            seq.parse().unwrap()
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ids out of order or twice: {seqs:?}"
    );
    seqs
}

/// An SSE response read incrementally. Every line of the stream must be
/// `id: …`, `data: …` or empty: the host sends nothing else.
pub struct SseReader {
    stream: TcpStream,
    pub status: u16,
    pub headers: Headers,
    body: Body,
    /// Bytes of `body` already parsed.
    parsed: usize,
    /// The line being received, for the check above.
    line: Vec<u8>,
    parser: SseParser,
    frames: Vec<Frame>,
}

impl SseReader {
    /// Sends `method path` to `host` with the headers that pass its
    /// perimeter plus `extra` (`Last-Event-ID`, say), and reads up to the
    /// end of the response head.
    pub fn open(
        host: &TestHost,
        method: &str,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> SseReader {
        let mut headers = host.good_headers();
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let body = body.map(|b| {
            headers.push(("Content-Type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap()
        });
        let (mut stream, written) =
            http::send(host.port, method, path, &headers, body.as_deref(), 20).unwrap();
        written.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let (status, headers, rest) = loop {
            if let Some((status, headers, rest)) = http::split_head(&raw) {
                break (status, headers, rest.to_vec());
            }
            let n = stream.read(&mut buf).expect("read head");
            assert!(n > 0, "connection closed before headers");
            raw.extend_from_slice(&buf[..n]);
        };
        let mut reader = SseReader {
            stream,
            status,
            body: Body::new(&headers),
            headers,
            parsed: 0,
            line: Vec::new(),
            parser: SseParser::default(),
            frames: Vec::new(),
        };
        reader.feed(&rest);
        reader
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.body.feed(bytes);
        let new = &self.body.bytes[self.parsed..];
        self.parsed = self.body.bytes.len();
        for &byte in new {
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            let line = String::from_utf8_lossy(&self.line);
            assert!(
                line.is_empty() || line.starts_with("id: ") || line.starts_with("data: "),
                "unexpected SSE line {line:?}"
            );
            self.line.clear();
        }
        let frames = self.parser.push(new);
        self.frames.extend(frames);
    }

    /// Reads until `n` more frames arrived (or the stream ended).
    pub fn next_frames(&mut self, n: usize) -> Vec<Frame> {
        let mut buf = [0u8; 8192];
        while self.frames.len() < n {
            let read = self.stream.read(&mut buf).expect("read frames");
            if read == 0 {
                break;
            }
            self.feed(&buf[..read]);
        }
        std::mem::take(&mut self.frames)
    }

    /// Reads everything until the server ends the stream.
    pub fn rest(mut self) -> Vec<Frame> {
        self.next_frames(usize::MAX)
    }
}
