//! A tiny blocking HTTP/1.1 client over real loopback TCP that sends
//! exactly the headers a test gives (Host, Origin, Referer, Authorization
//! included), so the perimeter can be probed with anything.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

/// Header name and value pairs, in order.
pub type Headers = Vec<(String, String)>;

/// `Basic base64(credential)`; `credential` is `user:password`.
pub fn basic(credential: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credential)
    )
}

/// A whole answer (a chunked body already joined).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.code` of a JSON error body.
    pub fn error_code(&self) -> String {
        let body = self.json();
        body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {body}"))
            .to_owned()
    }
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sends one request with exactly these headers (plus `Connection: close`
/// and, with a body, `Content-Length`) and reads the whole answer.
pub fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Response {
    try_raw_request(port, method, path, headers, body).expect("HTTP exchange failed")
}

/// Like [`raw_request`], but a dead server is an `Err`, not a panic. A
/// server that answers before reading the whole body (413) is fine.
pub fn try_raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let (mut stream, body_written) = send(port, method, path, headers, body, 30)?;
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if let Some((status, headers, rest)) = split_head(&raw) {
        let mut body = Body::new(&headers);
        body.feed(rest);
        return Ok(Response {
            status,
            headers,
            body: body.bytes,
        });
    }
    body_written?;
    read?;
    Err(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "no response",
    ))
}

/// Connects to `127.0.0.1:port` (reads time out after `timeout_secs`) and
/// writes the request head; returns the stream and how writing the body
/// went (the server may answer, and close, before it has read it).
pub(crate) fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    timeout_secs: u64,
) -> std::io::Result<(TcpStream, std::io::Result<()>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(timeout_secs)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let body_written = body.map_or(Ok(()), |body| stream.write_all(body));
    Ok((stream, body_written))
}

/// The status, headers and the bytes after the head, once `raw` holds the
/// whole head.
pub(crate) fn split_head(raw: &[u8]) -> Option<(u16, Headers, &[u8])> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some((status, headers, &raw[split + 4..]))
}

/// A response body as it arrives, chunked transfer coding undone.
pub(crate) struct Body {
    chunked: bool,
    /// Chunked bytes not yet decoded (an incomplete chunk).
    pending: Vec<u8>,
    pub bytes: Vec<u8>,
}

impl Body {
    pub fn new(headers: &[(String, String)]) -> Body {
        let chunked = header(headers, "transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        Body {
            chunked,
            pending: Vec::new(),
            bytes: Vec::new(),
        }
    }

    pub fn feed(&mut self, data: &[u8]) {
        if !self.chunked {
            self.bytes.extend_from_slice(data);
            return;
        }
        self.pending.extend_from_slice(data);
        loop {
            let Some(eol) = self.pending.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8_lossy(&self.pending[..eol]).into_owned();
            let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            else {
                return;
            };
            if size == 0 || self.pending.len() < eol + 2 + size + 2 {
                return;
            }
            self.bytes
                .extend_from_slice(&self.pending[eol + 2..eol + 2 + size]);
            self.pending.drain(..eol + 2 + size + 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_body_fed_in_any_pieces_comes_out_whole() {
        let headers = vec![("Transfer-Encoding".to_owned(), "chunked".to_owned())];
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        for split in 0..raw.len() {
            let mut body = Body::new(&headers);
            body.feed(&raw[..split]);
            body.feed(&raw[split..]);
            assert_eq!(body.bytes, b"hello, world", "split at {split}");
        }
    }

    #[test]
    fn the_head_is_split_from_the_body() {
        let raw = b"HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\n\r\n{}";
        let (status, headers, rest) = split_head(raw).unwrap();
        assert_eq!(status, 403);
        assert_eq!(header(&headers, "Content-Type"), Some("application/json"));
        assert_eq!(rest, b"{}");
        assert!(split_head(b"HTTP/1.1 200 OK\r\n").is_none());
    }
}
