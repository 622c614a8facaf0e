//! A page-side abort (the reader of the socketpair goes away) drops the
//! host response and closes its connection at once.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::support::*;

/// Reads until `want` bytes arrived, then drops the page's end.
fn read_then_drop(mut reader: std::os::unix::net::UnixStream, want: usize) -> Instant {
    let mut got = 0;
    let mut buf = [0u8; 256];
    while got < want {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "the body ended early");
        got += n;
    }
    drop(reader);
    Instant::now()
}

fn abort_case(interval: Option<Duration>) {
    let rt = runtime();
    rt.block_on(async {
        let server = EndlessServer::start(interval).await;
        let bridge = bridge(server.port, PASSWORD);
        let (sink, reader, heads) = socket_sink();
        let handled = tokio::spawn({
            let bridge = bridge.clone();
            async move {
                bridge
                    .handle(request("GET", "/sessions/s/stream", Some(ORIGIN)), sink)
                    .await
            }
        });
        let dropped_at = tokio::task::spawn_blocking(move || {
            let (status, _) = heads.recv_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(status, 200);
            read_then_drop(reader, 5)
        })
        .await
        .unwrap();

        tokio::time::timeout(Duration::from_secs(1), handled)
            .await
            .expect("handle returns within 1 s of the abort")
            .unwrap()
            .expect("an abort is not an error");
        let disconnected_at = tokio::time::timeout(Duration::from_secs(1), server.disconnected)
            .await
            .expect("the host connection closes within 1 s")
            .unwrap();
        assert!(disconnected_at.duration_since(dropped_at) < Duration::from_secs(1));
    });
}

#[test]
fn abort_while_the_host_streams() {
    abort_case(Some(Duration::from_millis(10)));
}

/// No write ever fails here: the bridge must notice the hang-up itself.
#[test]
fn abort_while_the_host_is_quiet() {
    abort_case(None);
}
