//! The perimeter matrix against the real binary: Host, Origin/CORS, Referer
//! and Basic Auth, each refusal and the passing request.

use crate::support::*;

struct Case {
    name: &'static str,
    host: Option<String>,
    origin: Option<String>,
    referer: Option<String>,
    auth: Option<String>,
}

fn send(host: &TestHost, case: &Case, method: &str) -> Response {
    let mut headers = Vec::new();
    if let Some(h) = &case.host {
        headers.push(("Host".to_owned(), h.clone()));
    }
    if let Some(o) = &case.origin {
        headers.push(("Origin".to_owned(), o.clone()));
    }
    if let Some(r) = &case.referer {
        headers.push(("Referer".to_owned(), r.clone()));
    }
    if let Some(a) = &case.auth {
        headers.push(("Authorization".to_owned(), a.clone()));
    }
    raw_request(host.port, method, "/health", &headers, None)
}

#[test]
fn perimeter_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let good_host = Some(format!("127.0.0.1:{}", host.port));
    let good_auth = Some(host.auth());
    let good_ref = Some(REFERER.to_owned());
    let pw = host.password.clone();
    let mut wrong_same_len = pw.clone().into_bytes();
    wrong_same_len[0] = if wrong_same_len[0] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let wrong_same_len = String::from_utf8(wrong_same_len).unwrap();

    let base = || Case {
        name: "",
        host: good_host.clone(),
        origin: None,
        referer: good_ref.clone(),
        auth: good_auth.clone(),
    };
    let refused: Vec<(Case, u16, &str)> = vec![
        (
            Case {
                name: "no auth",
                auth: None,
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "wrong password, same length",
                auth: Some(basic(&format!("agent:{wrong_same_len}"))),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "wrong password, shorter",
                auth: Some(basic(&format!("agent:{}", &pw[..10]))),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "wrong password, longer",
                auth: Some(basic(&format!("agent:{pw}{pw}"))),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "wrong user",
                auth: Some(basic(&format!("admin:{pw}"))),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "bearer scheme",
                auth: Some(format!("Bearer {pw}")),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "garbage base64",
                auth: Some("Basic !!!not-base64!!!".into()),
                ..base()
            },
            401,
            "unauthorized",
        ),
        (
            Case {
                name: "foreign host name",
                host: Some(format!("evil.example:{}", host.port)),
                ..base()
            },
            403,
            "host_not_allowed",
        ),
        (
            Case {
                name: "foreign port",
                host: Some(format!("127.0.0.1:{}", host.port.wrapping_add(1))),
                ..base()
            },
            403,
            "host_not_allowed",
        ),
        (
            Case {
                name: "host without port",
                host: Some("localhost".into()),
                ..base()
            },
            403,
            "host_not_allowed",
        ),
        (
            Case {
                name: "no host",
                host: None,
                ..base()
            },
            403,
            "host_not_allowed",
        ),
        (
            Case {
                name: "foreign origin with valid auth",
                origin: Some("https://evil.example".into()),
                ..base()
            },
            403,
            "origin_not_allowed",
        ),
        (
            Case {
                name: "null origin",
                origin: Some("null".into()),
                ..base()
            },
            403,
            "origin_not_allowed",
        ),
        (
            Case {
                name: "no referer",
                referer: None,
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "foreign referer",
                referer: Some("https://evil.example/desktop/".into()),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "sibling /desktopX",
                referer: Some(format!("{ORIGIN}/desktopX")),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "traversal",
                referer: Some(format!("{ORIGIN}/desktop/../admin")),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "encoded traversal",
                referer: Some(format!("{ORIGIN}/desktop/%2e%2e/admin")),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "malformed referer",
                referer: Some("not a url".into()),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
        (
            Case {
                name: "cli root on the browser origin",
                referer: Some(format!("{ORIGIN}/cli")),
                ..base()
            },
            403,
            "referer_not_allowed",
        ),
    ];
    for (case, status, code) in refused {
        let response = send(&host, &case, "GET");
        assert_eq!(response.status, status, "{}", case.name);
        assert_eq!(response.error_code(), code, "{}", case.name);
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{}",
            case.name
        );
        assert!(
            response.header("access-control-allow-origin").is_none(),
            "{}: refused requests from foreign or absent origins get no ACAO",
            case.name
        );
        if status == 401 {
            let challenge = response.header("www-authenticate").unwrap_or("");
            assert!(
                !challenge.to_ascii_lowercase().starts_with("basic"),
                "{}: a Basic challenge would pop a login dialog",
                case.name
            );
        }
        assert!(!contains(&response.body, pw.as_bytes()));
    }

    // The passing requests.
    for (name, case) in [
        ("browser page", base()),
        (
            "localhost host",
            Case {
                host: Some(format!("localhost:{}", host.port)),
                ..base()
            },
        ),
        (
            "referer root itself",
            Case {
                referer: Some(format!("{ORIGIN}/desktop")),
                ..base()
            },
        ),
        (
            "cli pair",
            Case {
                referer: Some("http://cli.localhost/cli".into()),
                ..base()
            },
        ),
    ] {
        let response = send(&host, &case, "GET");
        assert_eq!(
            response.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert!(
            response.header("access-control-allow-origin").is_none(),
            "{name}"
        );
    }

    // An allow-listed Origin gets exactly itself back, never `*`, never credentials.
    let response = send(
        &host,
        &Case {
            origin: Some(ORIGIN.into()),
            ..base()
        },
        "GET",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(response
        .header("access-control-allow-credentials")
        .is_none());
    // A refusal inside the perimeter still carries the grant for an allowed origin,
    // so the page can read the error.
    let response = send(
        &host,
        &Case {
            origin: Some(ORIGIN.into()),
            auth: None,
            ..base()
        },
        "GET",
    );
    assert_eq!(response.status, 401);
    assert_eq!(response.header("access-control-allow-origin"), Some(ORIGIN));
}

#[test]
fn preflight_grants_only_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start(dir.path());
    let preflight = |origin: &str| {
        raw_request(
            host.port,
            "OPTIONS",
            "/health",
            &[
                ("Host".into(), format!("127.0.0.1:{}", host.port)),
                ("Origin".into(), origin.into()),
                ("Access-Control-Request-Method".into(), "GET".into()),
                (
                    "Access-Control-Request-Headers".into(),
                    "authorization".into(),
                ),
            ],
            None,
        )
    };
    let allowed = preflight(ORIGIN);
    assert!(
        allowed.status == 204 || allowed.status == 200,
        "{}",
        allowed.status
    );
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(allowed.header("access-control-allow-credentials").is_none());
    assert!(allowed
        .header("access-control-allow-headers")
        .unwrap_or("")
        .contains("authorization"));

    let foreign = preflight("https://evil.example");
    assert_eq!(foreign.status, 403);
    assert!(foreign
        .headers
        .iter()
        .all(|(k, _)| !k.to_ascii_lowercase().starts_with("access-control-")));
}

/// A client that opens a connection and never finishes its request head
/// (slowloris) is cut off after the header read timeout (10 s), and the
/// host keeps serving others meanwhile.
#[test]
fn a_request_head_that_never_ends_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let host = TestHost::start(dir.path());
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", host.port)).expect("connect");
    write!(
        slow,
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Slow: 1",
        host.port
    )
    .expect("write a partial head");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(25)))
        .expect("read timeout");
    let started = std::time::Instant::now();
    assert_eq!(
        host.get("/health").status,
        200,
        "others are served meanwhile"
    );
    let mut answer = Vec::new();
    let closed = slow.read_to_end(&mut answer).is_ok();
    let after = started.elapsed();
    assert!(closed, "the connection was not closed within 25 s");
    assert!(
        after >= std::time::Duration::from_secs(8),
        "closed too early ({after:?}): {}",
        String::from_utf8_lossy(&answer)
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "nothing but a 408 may be sent: {answer}"
    );
}

/// A client that stops sending in the middle of a request body gets a JSON
/// 400 after the body idle timeout (10 s) instead of holding the handler.
#[test]
fn a_request_body_that_stalls_is_answered() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let host = TestHost::start(dir.path());
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", host.port)).expect("connect");
    let mut head = String::from(
        "POST /workspaces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n",
    );
    for (name, value) in host.good_headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n{\"path\":");
    slow.write_all(head.as_bytes())
        .expect("write the head and part of the body");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(25)))
        .expect("read timeout");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("}}") {
        match slow.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    let after = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"invalid_body\""), "{answer}");
    assert!(
        after >= std::time::Duration::from_secs(8),
        "answered too early ({after:?})"
    );
}
