//! `bare-hello`: the baseline the AgentHost is measured against.
//!
//! A bare axum hello-world — `GET /health` → `ok`, nothing else: no
//! middleware, no tracing, no storage — on tokio's default multi-thread
//! runtime, so the gap between it and `agent-host serve` is exactly the cost
//! of the host's own work (perimeter, routing, logging, state).
//!
//! It mimics the host's process contract just enough for the benchmark to
//! drive both the same way: bind `127.0.0.1:0`, print one ready line
//! `{"event":"ready","port":N,"pid":P}` on stdout, and exit when stdin hits
//! EOF (the parent's lifeline). It does not read a handshake; whatever the
//! parent writes to stdin is ignored.

use std::io::Write;
use std::net::Ipv4Addr;

use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let port = listener.local_addr()?.port();

    // A plain OS thread, not a tokio task: blocking stdin reads must not
    // occupy a runtime worker, and exiting the process directly means an
    // idle keep-alive client can never hold the baseline open.
    std::thread::spawn(exit_on_stdin_eof);

    {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            r#"{{"event":"ready","port":{port},"pid":{}}}"#,
            std::process::id()
        )?;
        stdout.flush()?;
    }

    let app = Router::new().route("/health", get(|| async { "ok" }));
    axum::serve(listener, app).await
}

/// Drains stdin until EOF (or a read error: the parent is gone either way),
/// then exits 0 — the same lifeline rule as the host.
fn exit_on_stdin_eof() {
    let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
    std::process::exit(0);
}
