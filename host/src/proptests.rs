//! Property tests for the handshake line (docs/rfc/handshake.md §1): the
//! bounded line reader and the parser.
//!
//! Bounded (256 cases per property) so they run in every `cargo nextest
//! run`; `scripts/fuzz.sh` runs them with a large `PROPTEST_CASES`
//! (docs/fuzzing.md). A failing case is printed shrunk; add it to the
//! module's case table as a regression.

use std::io::{BufReader, Cursor, Read};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

use crate::handshake::{
    parse, read_line_with_timeout, HandshakeError, HANDSHAKE_TIMEOUT, MAX_LINE_BYTES,
    MIN_PASSWORD_CHARS, PROTOCOL,
};

/// `cases` cases, unless `PROPTEST_CASES` says otherwise; no failure files.
fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

fn canonical_origin() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "http://127.0.0.1:1420",
            "https://app.example",
            "http://localhost:5173",
            "http://[::1]:3000",
            "http://agent-cli.localhost",
        ])
        .prop_map(str::to_owned),
        (1u16..)
            .prop_filter("not the default port", |p| *p != 80)
            .prop_map(|p| format!("http://127.0.0.1:{p}")),
    ]
}

fn root() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_owned()),
        "(/[a-z0-9_~.-]{1,8}){1,3}/?".prop_filter("no dot segments", |r| {
            !r.split('/').any(|s| s == "." || s == "..")
        }),
    ]
}

/// Passwords: at least 32 characters (not bytes), no `"` or `\` so tests
/// can look for them verbatim in output.
fn password() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9_-]{32,64}", "[a-zé😀 :]{32,40}",]
}

/// A handshake the RFC accepts, as a JSON object.
fn valid_object() -> impl Strategy<Value = Map<String, Value>> {
    (
        password(),
        "/[a-z0-9 ._/-]{0,20}",
        proptest::collection::vec(canonical_origin(), 1..4),
        proptest::collection::vec(root(), 0..4),
        proptest::option::of(proptest::collection::vec(
            (canonical_origin(), root()),
            0..3,
        )),
        proptest::option::of(proptest::option::of(any::<bool>())),
    )
        .prop_map(|(password, user_data, origins, roots, extras, publish)| {
            let mut object = Map::new();
            object.insert("protocol".into(), json!(PROTOCOL));
            object.insert("password".into(), json!(password));
            object.insert("user_data".into(), json!(user_data));
            object.insert("allowed_origins".into(), json!(origins));
            object.insert("referer_roots".into(), json!(roots));
            if let Some(extras) = extras {
                let extras: Vec<Value> = extras
                    .into_iter()
                    .map(|(origin, root)| json!({"origin": origin, "root": root}))
                    .collect();
                object.insert("extra_referers".into(), json!(extras));
            }
            if let Some(publish) = publish {
                object.insert("publish_connection".into(), json!(publish));
            }
            object
        })
}

/// One change that makes a valid handshake invalid, and the error it must
/// give. `at` picks the list element to spoil.
fn spoil(object: &mut Map<String, Value>, which: usize, at: usize) -> HandshakeError {
    use HandshakeError::*;
    let password = object["password"].as_str().unwrap_or_default().to_owned();
    let origins = object["allowed_origins"].as_array().map_or(0, Vec::len);
    let roots = object["referer_roots"].as_array().map_or(0, Vec::len);
    match which {
        0 => {
            object.remove("protocol");
            Missing("protocol")
        }
        1 => {
            object.insert("protocol".into(), json!(PROTOCOL + 1 + at as u64 % 1000));
            UnknownProtocol
        }
        2 => {
            object.insert("protocol".into(), json!(1.0));
            UnknownProtocol
        }
        3 => {
            object.insert("protocol".into(), json!("1"));
            WrongType("protocol")
        }
        4 => {
            object.remove("password");
            Missing("password")
        }
        5 => {
            object.insert("password".into(), json!([password]));
            WrongType("password")
        }
        6 => {
            let short: String = password.chars().take(at % MIN_PASSWORD_CHARS).collect();
            object.insert("password".into(), json!(short));
            PasswordTooShort
        }
        7 => {
            object.insert("password".into(), json!("é".repeat(MIN_PASSWORD_CHARS - 1)));
            PasswordTooShort
        }
        8 => {
            object.remove("user_data");
            Missing("user_data")
        }
        9 => {
            object.insert("user_data".into(), json!(format!("rel/{password}")));
            UserDataNotAbsolute
        }
        10 => {
            object.insert("user_data".into(), json!(null));
            WrongType("user_data")
        }
        11 => {
            object.remove("allowed_origins");
            Missing("allowed_origins")
        }
        12 => {
            object.insert("allowed_origins".into(), json!([]));
            NoOrigins
        }
        13 => {
            object.insert("allowed_origins".into(), json!(password));
            WrongType("allowed_origins")
        }
        14 => {
            let i = at % origins;
            let spoilt = format!(
                "{}/",
                object["allowed_origins"][i].as_str().unwrap_or_default()
            );
            object["allowed_origins"][i] = json!(spoilt);
            BadOrigin(i)
        }
        15 => {
            let i = at % origins;
            object["allowed_origins"][i] = json!(password);
            BadOrigin(i)
        }
        16 => {
            object.remove("referer_roots");
            Missing("referer_roots")
        }
        17 => {
            let mut list = object["referer_roots"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let i = at % (roots + 1);
            let bad = ["desktop", "/a/../b", "/a b", "/a%2e", "//", "", "/x\\y"][at % 7];
            list.insert(i, json!(bad));
            object.insert("referer_roots".into(), json!(list));
            BadRefererRoot(i)
        }
        18 => {
            object.insert("referer_roots".into(), json!([1]));
            WrongType("referer_roots")
        }
        19 => {
            object.insert("extra_referers".into(), json!(password));
            WrongType("extra_referers")
        }
        20 => {
            let bad = [
                json!({"origin": "http://localhost/", "root": "/cli"}),
                json!({"origin": "http://localhost", "root": "cli"}),
                json!({"origin": "http://localhost", "root": "/cli", "x": 1}),
                json!({"origin": "http://localhost"}),
                json!({"origin": password, "root": "/"}),
                json!(["http://localhost", "/cli"]),
            ][at % 6]
                .clone();
            object.insert(
                "extra_referers".into(),
                json!([{"origin": "http://localhost", "root": "/"}, bad]),
            );
            BadExtraReferer(1)
        }
        21 => {
            object.insert("publish_connection".into(), json!(password));
            WrongType("publish_connection")
        }
        _ => {
            object.insert("pasword".into(), json!(password));
            UnknownField("pasword".into())
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes, and JSON of any shape, never panic; errors quote
    /// no input beyond a field name.
    #[test]
    fn parse_never_panics(
        line in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<String>().prop_map(String::into_bytes),
            "\\{(\"(protocol|password|user_data|allowed_origins|referer_roots|extra_referers|publish_connection)\":(1|null|true|\"[a-z/:.]{0,8}\"|\\[\"[a-z/:.]{0,12}\"\\]|\\{\\}),?){0,7}\\}"
                .prop_map(String::into_bytes),
        ],
    ) {
        if let Err(e) = parse(&line) {
            let shown = e.to_string();
            prop_assert!(shown.len() < 200, "{}", shown);
        }
    }

    /// Every handshake the RFC describes is accepted, as sent.
    #[test]
    fn valid_handshakes_parse(object in valid_object()) {
        let line = Value::Object(object.clone()).to_string();
        let hs = parse(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
        prop_assert_eq!(hs.password.as_str(), object["password"].as_str().unwrap());
        prop_assert_eq!(hs.user_data.to_str(), object["user_data"].as_str());
        let origins: Vec<&str> = hs.allowed_origins.iter().map(|o| o.as_str()).collect();
        prop_assert_eq!(json!(origins), object["allowed_origins"].clone());
        prop_assert_eq!(json!(hs.referer_roots), object["referer_roots"].clone());
        let extras = object.get("extra_referers").and_then(Value::as_array).map_or(0, Vec::len);
        prop_assert_eq!(hs.extra_referers.len(), extras);
        prop_assert_eq!(hs.publish_connection, object.get("publish_connection") == Some(&json!(true)));
        // Debug never shows the password.
        let shown = format!("{hs:?}");
        prop_assert!(!shown.contains(hs.password.as_str()), "{}", shown);
    }

    /// One rule broken, the matching refusal; the message names at most the
    /// field, never the password wherever it was put.
    #[test]
    fn each_broken_rule_is_refused(
        object in valid_object(),
        which in 0usize..23,
        at in any::<usize>(),
    ) {
        let mut object = object;
        let password = object["password"].as_str().unwrap().to_owned();
        let expected = spoil(&mut object, which, at);
        let line = Value::Object(object).to_string();
        let err = parse(line.as_bytes()).err();
        prop_assert_eq!(err.as_ref(), Some(&expected), "{}", line);
        let shown = format!("{} {:?}", expected, expected);
        prop_assert!(!shown.contains(&password), "{}", shown);
        let tail: String = password.chars().skip(8).collect();
        prop_assert!(!shown.contains(&tail), "{}", shown);
    }

    /// The reader returns the bytes before the first `\n` (minus one `\r`),
    /// leaves the rest unread, and refuses lines over 64 KiB and input
    /// without a line, however the input arrives.
    #[test]
    fn read_line_is_bounded(
        len in prop_oneof![0usize..200, (MAX_LINE_BYTES - 3)..(MAX_LINE_BYTES + 3)],
        fill in any::<u8>(),
        cr in any::<bool>(),
        newline in any::<bool>(),
        rest in proptest::collection::vec(any::<u8>(), 0..40),
        capacity in 1usize..5000,
    ) {
        let fill = if fill == b'\n' { b'x' } else { fill };
        let mut input = vec![fill; len];
        if cr {
            input.push(b'\r');
        }
        if newline {
            input.push(b'\n');
            input.extend_from_slice(&rest);
        }
        let reader = BufReader::with_capacity(capacity, Cursor::new(input.clone()));
        let result = read_line_with_timeout(reader, HANDSHAKE_TIMEOUT);
        let first = input.iter().position(|&b| b == b'\n');
        match (first, result) {
            (Some(p), Ok((line, mut reader))) => {
                prop_assert!(p <= MAX_LINE_BYTES);
                let mut expected = input[..p].to_vec();
                if expected.last() == Some(&b'\r') {
                    expected.pop();
                }
                prop_assert_eq!(&line[..], &expected[..]);
                let mut tail = Vec::new();
                reader.read_to_end(&mut tail).expect("tail");
                prop_assert_eq!(&tail[..], &input[p + 1..]);
            }
            (Some(p), Err(e)) => {
                prop_assert!(p > MAX_LINE_BYTES, "{:?} for a {}-byte line", e, p);
                prop_assert_eq!(e, HandshakeError::TooLong);
            }
            (None, Ok(_)) => prop_assert!(false, "a line without a newline"),
            (None, Err(e)) if input.len() > MAX_LINE_BYTES => prop_assert_eq!(e, HandshakeError::TooLong),
            (None, Err(e)) => prop_assert_eq!(e, HandshakeError::Eof),
        }
    }
}
