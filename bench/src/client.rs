//! A minimal HTTP/1.1 client on hyper 1's connection API.
//!
//! No pool, no redirects, no URL parsing: one `TcpStream` per connection,
//! `hyper::client::conn::http1::handshake` on top, and a request whose header
//! values are built once and cloned (a reference-count bump) per request. The
//! client's own cost per request should be as close to nothing as hyper
//! allows, so the numbers describe the servers.

use std::net::Ipv4Addr;

use base64::Engine;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, HOST, REFERER};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{Context, Result};

/// The request body type: `GET` has none.
pub type Body = Empty<Bytes>;

/// A sender for one keep-alive connection.
pub type Connection = SendRequest<Body>;

/// `GET /health` with the headers the host's perimeter wants, built once.
#[derive(Debug, Clone)]
pub struct HealthRequest {
    port: u16,
    host: HeaderValue,
    authorization: HeaderValue,
    referer: HeaderValue,
}

impl HealthRequest {
    /// Headers for `127.0.0.1:port`, Basic Auth user `agent`, and `referer`.
    pub fn new(port: u16, password: &str, referer: &str) -> Result<Self> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("agent:{password}"));
        let mut authorization =
            HeaderValue::try_from(format!("Basic {basic}")).context("authorization header")?;
        authorization.set_sensitive(true);
        Ok(Self {
            port,
            // hyper's connection API sends no Host header of its own, and the
            // host's first perimeter layer refuses requests without the
            // right one.
            host: HeaderValue::try_from(format!("127.0.0.1:{port}")).context("host header")?,
            authorization,
            referer: HeaderValue::try_from(referer).context("referer header")?,
        })
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A fresh request; header values are shared, not copied.
    pub fn build(&self) -> Request<Body> {
        let mut request = Request::new(Empty::new());
        *request.uri_mut() = Uri::from_static("/health");
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(AUTHORIZATION, self.authorization.clone());
        headers.insert(REFERER, self.referer.clone());
        request
    }
}

/// Opens one keep-alive connection to `127.0.0.1:port`. The connection's
/// driver runs as a task on the current runtime; its errors surface through
/// the returned sender.
pub async fn connect(port: u16) -> Result<Connection> {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .context(format!("connecting to 127.0.0.1:{port}"))?;
    // Small requests on a closed loop: Nagle would add delay, not save
    // packets.
    stream.set_nodelay(true).context("TCP_NODELAY")?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole body (so the connection can be
/// reused); returns the status and the body.
pub async fn send(
    connection: &mut Connection,
    request: Request<Body>,
) -> Result<(StatusCode, Bytes)> {
    connection.ready().await.context("connection not ready")?;
    let response = connection
        .send_request(request)
        .await
        .context("sending GET /health")?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the response body")?
        .to_bytes();
    Ok((status, body))
}
