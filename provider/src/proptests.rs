//! Property tests for what the provider client parses from the network:
//! the SSE decoder (sse.rs), the chunk interpreter (chunk.rs) and the key
//! scrubbing of provider messages (error.rs).
//!
//! Bounded (256 cases per property) so they run in every `cargo nextest
//! run`; `scripts/fuzz.sh` runs them with a large `PROPTEST_CASES`
//! (docs/fuzzing.md). A failing case is printed shrunk; add it to the
//! module's case table as a regression.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value};

use crate::chunk::{ChunkInterpreter, Outcome};
use crate::error::{scrub, ProviderError, MAX_MESSAGE_CHARS};
use crate::event::StreamEvent;
use crate::sse::SseDecoder;

/// `cases` cases, unless `PROPTEST_CASES` says otherwise; no failure files.
fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

// ---------------------------------------------------------------- SSE --

/// Events decoded from `input` cut at `cuts` (byte offsets, any order),
/// the way the reader drives the decoder; `true` if it ended in an error.
fn decode_split(input: &[u8], cuts: &[usize]) -> (Vec<String>, bool) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.push(0);
    cuts.push(input.len());
    cuts.sort_unstable();
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    for piece in cuts.windows(2) {
        if decoder.push(&input[piece[0]..piece[1]]).is_err() {
            return (events, true);
        }
        loop {
            match decoder.next_event() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(_) => return (events, true),
            }
        }
    }
    match decoder.finish() {
        Ok(rest) => {
            events.extend(rest);
            (events, false)
        }
        Err(_) => (events, true),
    }
}

/// The SSE rules of sse.rs's docs, written out plainly: a BOM only at the
/// very start; lines end at `\r\n`, `\r` or `\n`; a blank line dispatches
/// the joined `data` values; comments and other fields are dropped; a
/// last event without its blank line still counts; non-UTF-8 data fails.
fn reference(input: &[u8]) -> (Vec<String>, bool) {
    let s = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < s.len() {
        match s[i] {
            b'\n' => {
                lines.push(&s[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&s[start..i]);
                i += if s.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    let mut events = Vec::new();
    let mut data: Option<String> = None;
    for line in lines {
        if line.is_empty() {
            events.extend(data.take());
            continue;
        }
        if line[0] == b':' {
            continue;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => (
                &line[..c],
                line[c + 1..].strip_prefix(b" ").unwrap_or(&line[c + 1..]),
            ),
            None => (line, &b""[..]),
        };
        if field != b"data" {
            continue;
        }
        let Ok(value) = std::str::from_utf8(value) else {
            return (events, true);
        };
        match &mut data {
            Some(d) => {
                d.push('\n');
                d.push_str(value);
            }
            None => data = Some(value.to_owned()),
        }
    }
    events.extend(data);
    (events, false)
}

/// One SSE line with its terminator.
fn sse_line() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        4 => "[ -~]{0,12}",
        2 => "[a-z:é😀\u{feff} ]{0,8}",
        1 => Just("[DONE]".to_owned()),
    ];
    let line = prop_oneof![
        6 => text.clone().prop_map(|t| format!("data: {t}").into_bytes()),
        2 => text.clone().prop_map(|t| format!("data:{t}").into_bytes()),
        1 => Just(b"data".to_vec()),
        1 => text.clone().prop_map(|t| format!(": {t}").into_bytes()),
        1 => proptest::sample::select(vec!["event: x", "id: 3", "retry: 10", "DATA: x", "data : x", "dat: x"])
            .prop_map(|l| l.as_bytes().to_vec()),
        4 => Just(Vec::new()),
        1 => proptest::collection::vec(any::<u8>(), 0..6)
            .prop_map(|b| [b"data: ".to_vec(), b].concat()),
        1 => Just(b"\xEF\xBB\xBFdata: bom".to_vec()),
    ];
    let end = proptest::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b"\n", b"\n"]);
    (line, end).prop_map(|(mut line, end)| {
        line.extend_from_slice(end);
        line
    })
}

/// A body: SSE lines (maybe after a BOM, maybe cut short), or any bytes.
fn sse_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (any::<bool>(), proptest::collection::vec(sse_line(), 0..12), any::<bool>())
            .prop_map(|(bom, lines, cut_last)| {
                let mut body = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
                for line in lines {
                    body.extend(line);
                }
                if cut_last {
                    body.pop();
                }
                body
            }),
        1 => proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b':')],
            0..200,
        ),
    ]
}

/// Regression cases: bodies whose events once depended on where the
/// bytes were cut.
const SPLIT_CASES: &[(&[u8], &[usize])] = &[
    // A BOM after a first line was stripped when the line arrived alone.
    (b"\n\xEF\xBB\xBFdata: x\n\n", &[1]),
    (b"\r\n\xEF\xBB\xBFdata: x\n\n", &[2]),
    (b"\xEF\xBB\xBFdata: a\n\n", &[1, 2]),
];

#[test]
fn split_regressions() {
    for (body, cuts) in SPLIT_CASES {
        assert_eq!(
            decode_split(body, cuts),
            reference(body),
            "{body:?} cut at {cuts:?}"
        );
        assert_eq!(decode_split(body, &[]), reference(body), "{body:?} whole");
    }
}

/// The size limit holds however the bytes arrive: an unterminated line or
/// one event over 8 MiB fails, and nothing panics or grows without bound.
#[test]
fn oversized_lines_and_events_fail() {
    let piece = vec![b'a'; 1024 * 1024];
    let mut decoder = SseDecoder::new();
    decoder.push(b"data: ").unwrap();
    let mut failed = false;
    for _ in 0..9 {
        if decoder.push(&piece).is_err() {
            failed = true;
            break;
        }
        assert_eq!(decoder.next_event().unwrap(), None);
    }
    assert!(failed, "a 9 MiB line was buffered");

    let mut decoder = SseDecoder::new();
    let line = [b"data: ", &vec![b'b'; 3 * 1024 * 1024][..], b"\n"].concat();
    let mut failed = false;
    for _ in 0..4 {
        match decoder.push(&line).and_then(|()| decoder.next_event()) {
            Ok(event) => assert_eq!(event, None),
            Err(ProviderError::Protocol(_)) => {
                failed = true;
                break;
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert!(failed, "a 12 MiB event was assembled");
}

proptest! {
    #![proptest_config(config(256))]

    /// Cutting the same body anywhere (empty pieces included) yields the
    /// same events, and those are the reference rules' events.
    #[test]
    fn sse_splits_anywhere_the_same(
        body in sse_body(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let expected = reference(&body);
        prop_assert_eq!(&decode_split(&body, &[]), &expected, "whole {:?}", body);
        prop_assert_eq!(&decode_split(&body, &cuts), &expected, "{:?} cut at {:?}", body, cuts);
        let bytewise: Vec<usize> = (0..body.len()).collect();
        prop_assert_eq!(&decode_split(&body, &bytewise), &expected, "{:?} byte by byte", body);
    }
}

// -------------------------------------------------------------- chunks --

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
        proptest::sample::select(vec!["stop", "tool_calls", "", "[DONE]", "length"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            3 => proptest::sample::select(vec![
                "choices", "delta", "index", "content", "reasoning", "reasoning_content",
                "tool_calls", "function", "name", "arguments", "id", "finish_reason", "usage",
                "prompt_tokens", "completion_tokens", "error", "message", "code",
            ])
            .prop_map(str::to_owned),
            1 => "[a-z]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const KEY: &str = "sk-or-v1-0123456789abcdef";

/// A well-formed-ish chunk: choices at index 0 (or 1, or none), deltas
/// with text, reasoning and tool-call fragments, finish reasons, usage,
/// now and then an error object.
fn chunk() -> impl Strategy<Value = Value> {
    let text = prop_oneof![Just(String::new()), "[ -~é]{1,8}"];
    let fragment = (
        proptest::option::of(0u32..3),
        proptest::option::of(prop_oneof![Just(String::new()), "call_[a-z]{1,3}"]),
        proptest::option::of(prop_oneof![Just(String::new()), "[a-z_]{1,6}"]),
        proptest::option::of(prop_oneof![Just(String::new()), "[{}\":a-z0-9]{1,6}"]),
    )
        .prop_map(|(index, id, name, arguments)| {
            let mut f = json!({"type": "function", "function": {}});
            if let Some(i) = index {
                f["index"] = json!(i);
            }
            if let Some(id) = id {
                f["id"] = json!(id);
            }
            if let Some(name) = name {
                f["function"]["name"] = json!(name);
            }
            if let Some(arguments) = arguments {
                f["function"]["arguments"] = json!(arguments);
            }
            f
        });
    let delta = (
        proptest::option::of(text.clone()),
        proptest::option::of(text.clone()),
        proptest::option::of(text),
        proptest::option::weighted(0.3, proptest::collection::vec(fragment, 0..3)),
    )
        .prop_map(|(content, reasoning, reasoning_content, tool_calls)| {
            json!({
                "role": "assistant",
                "content": content,
                "reasoning": reasoning,
                "reasoning_content": reasoning_content,
                "tool_calls": tool_calls,
            })
        });
    let choice = (
        prop_oneof![6 => Just(Some(0u32)), 1 => Just(Some(1)), 1 => Just(None)],
        proptest::option::of(delta),
        proptest::option::weighted(
            0.2,
            proptest::sample::select(vec!["stop", "tool_calls", "length", "", "weird"]),
        ),
    )
        .prop_map(|(index, delta, finish)| {
            let mut c = json!({"delta": delta, "finish_reason": finish});
            if let Some(i) = index {
                c["index"] = json!(i);
            }
            c
        });
    let error = prop_oneof![
        Just(Value::Null),
        ".{0,20}".prop_map(|m| json!(format!("{m} {KEY}"))),
        (".{0,600}", any::<i32>())
            .prop_map(|(m, code)| json!({"message": format!("{KEY}{m}{KEY}"), "code": code})),
        Just(json!({"message": null, "code": KEY})),
        Just(json!([KEY])),
        Just(json!(42)),
    ];
    prop_oneof![
        12 => (
            proptest::collection::vec(choice, 0..3),
            proptest::option::weighted(0.2, (any::<u32>(), any::<u32>())),
        )
            .prop_map(|(choices, usage)| {
                let mut c = json!({"object": "chat.completion.chunk", "choices": choices});
                if let Some((p, o)) = usage {
                    c["usage"] = json!({"prompt_tokens": p, "completion_tokens": o});
                }
                c
            }),
        1 => error.prop_map(|e| json!({"error": e})),
    ]
}

/// Checks a stream of events against the event model's rules (event.rs):
/// no empty deltas, each call started once and before its arguments, Usage
/// just before Finish, Finish last and only after `[DONE]`.
fn check_events(events: &[StreamEvent], done: bool) -> Result<(), TestCaseError> {
    let mut started = HashSet::new();
    for (i, event) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        match event {
            StreamEvent::TextDelta(t) | StreamEvent::ReasoningDelta(t) => {
                prop_assert!(!t.is_empty());
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                prop_assert!(started.insert(*index), "call {} started twice", index);
                prop_assert!(!id.is_empty() && !name.is_empty());
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                prop_assert!(
                    started.contains(index),
                    "call {} continued unstarted",
                    index
                );
                prop_assert!(!arguments.is_empty());
            }
            StreamEvent::Usage { .. } => {
                prop_assert!(
                    done && i + 2 == events.len(),
                    "usage not just before finish"
                );
            }
            StreamEvent::Finish { .. } => prop_assert!(done && last, "finish not last"),
        }
    }
    if done {
        let finished = matches!(events.last(), Some(StreamEvent::Finish { .. }));
        prop_assert!(finished, "no finish after [DONE]");
    }
    Ok(())
}

/// What a stream says: the index-0 text and reasoning and, per call, the
/// arguments.
#[derive(Debug, Default, PartialEq)]
struct Said {
    text: String,
    reasoning: String,
    arguments: HashMap<u32, String>,
}

fn said_by(events: &[StreamEvent]) -> Said {
    let mut said = Said::default();
    for event in events {
        match event {
            StreamEvent::TextDelta(t) => said.text.push_str(t),
            StreamEvent::ReasoningDelta(t) => said.reasoning.push_str(t),
            StreamEvent::ToolCallDelta { index, arguments } => said
                .arguments
                .entry(*index)
                .or_default()
                .push_str(arguments),
            _ => {}
        }
    }
    said
}

/// The same from the JSON, up to the first chunk that must fail (an error
/// object, a call continued before it was named); `true` if one does.
fn said_by_chunks(chunks: &[Value]) -> (Said, bool) {
    let mut said = Said::default();
    let mut started = HashSet::new();
    let str_of = |v: &Value| v.as_str().unwrap_or("").to_owned();
    for chunk in chunks {
        if !chunk["error"].is_null() {
            return (said, true);
        }
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            if choice["index"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            let delta = &choice["delta"];
            said.reasoning.push_str(&str_of(&delta["reasoning"]));
            said.reasoning
                .push_str(&str_of(&delta["reasoning_content"]));
            said.text.push_str(&str_of(&delta["content"]));
            for (position, call) in delta["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let index = call["index"].as_u64().map_or(position as u32, |i| i as u32);
                if !started.contains(&index) {
                    if str_of(&call["function"]["name"]).is_empty() {
                        return (said, true);
                    }
                    started.insert(index);
                }
                let arguments = str_of(&call["function"]["arguments"]);
                if !arguments.is_empty() {
                    said.arguments
                        .entry(index)
                        .or_default()
                        .push_str(&arguments);
                }
            }
        }
    }
    (said, false)
}

/// Feeds `data` strings to one interpreter; the events, whether `[DONE]`
/// ended it, and the error if one did.
fn interpret(data: &[String]) -> (Vec<StreamEvent>, bool, Option<ProviderError>) {
    let mut interpreter = ChunkInterpreter::new();
    let mut out = Vec::new();
    for d in data {
        match interpreter.accept(d, Some(KEY), &mut out) {
            Ok(Outcome::More) => {}
            Ok(Outcome::Done) => return (out, true, None),
            Err(e) => return (out, false, Some(e)),
        }
    }
    (out, false, None)
}

proptest! {
    #![proptest_config(config(256))]

    /// Any JSON value (and any text) as a chunk: no panic; an error, if
    /// any, carries no key and a bounded message; events follow the model.
    #[test]
    fn arbitrary_chunks_never_panic(
        values in proptest::collection::vec(
            prop_oneof![
                4 => json_value().prop_map(|v| v.to_string()),
                1 => any::<String>(),
                1 => proptest::sample::select(vec!["[DONE]", " [DONE] ", "[done]", "", "{", "null"])
                    .prop_map(str::to_owned),
            ],
            1..6,
        ),
    ) {
        let (events, done, error) = interpret(&values);
        check_events(&events, done)?;
        if let Some(ProviderError::Api { message, code }) = &error {
            prop_assert!(!message.contains(KEY) && message.chars().count() <= MAX_MESSAGE_CHARS);
            prop_assert!(!code.as_deref().unwrap_or("").contains(KEY));
        }
    }

    /// Chat chunks in any order: the events carry exactly the index-0 text,
    /// reasoning and tool arguments the chunks carried, up to the first
    /// chunk that must fail, which does; `[DONE]` closes with Finish.
    #[test]
    fn chunks_say_what_the_json_says(
        chunks in proptest::collection::vec(chunk(), 0..8),
        done in any::<bool>(),
    ) {
        let mut data: Vec<String> = chunks.iter().map(Value::to_string).collect();
        if done {
            data.push("[DONE]".to_owned());
        }
        let (events, got_done, error) = interpret(&data);
        let (expected, fails) = said_by_chunks(&chunks);
        prop_assert_eq!(error.is_some(), fails, "{:?}", error);
        prop_assert_eq!(got_done, done && !fails);
        prop_assert_eq!(said_by(&events), expected);
        check_events(&events, got_done)?;
        if let Some(ProviderError::Api { message, code }) = &error {
            prop_assert!(!message.contains(KEY) && message.chars().count() <= MAX_MESSAGE_CHARS);
            prop_assert!(!code.as_deref().unwrap_or("").contains(KEY));
        }
    }

    /// The whole read path: chunks framed as SSE (any line endings, comments
    /// between), cut anywhere, decode and interpret to the same events as
    /// when they arrive whole.
    #[test]
    fn framed_chunks_cut_anywhere(
        chunks in proptest::collection::vec(chunk(), 0..6),
        ends in proptest::collection::vec(
            proptest::sample::select(vec!["\n\n", "\r\n\r\n", "\r\r", "\n: ping\n\n"]),
            6,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut body = Vec::new();
        for (chunk, end) in chunks.iter().zip(&ends) {
            body.extend_from_slice(format!("data: {chunk}{end}").as_bytes());
        }
        body.extend_from_slice(b"data: [DONE]\n\n");
        let (whole, whole_failed) = decode_split(&body, &[]);
        let (cut, cut_failed) = decode_split(&body, &cuts);
        prop_assert!(!whole_failed && !cut_failed);
        prop_assert_eq!(&whole, &cut);
        let expected: Vec<String> = chunks.iter().map(Value::to_string).chain(["[DONE]".to_owned()]).collect();
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(interpret(&whole), interpret(&cut));
    }

    /// A provider message never keeps the key, however often or where it
    /// appears, and is at most MAX_MESSAGE_CHARS characters.
    #[test]
    fn scrub_removes_every_key(
        key in "sk-[A-Za-z0-9]{1,40}",
        pieces in proptest::collection::vec(
            prop_oneof![".{0,30}", Just("[redacted]".to_owned()), Just("sk-".to_owned())],
            0..6,
        ),
        long in 0usize..3,
    ) {
        let mut message = pieces.join(&key);
        message.push_str(&"é".repeat(long * 300));
        let out = scrub(&message, Some(&key));
        prop_assert!(!out.contains(&key), "{:?}", out);
        prop_assert!(out.chars().count() <= MAX_MESSAGE_CHARS);
        prop_assert_eq!(scrub(&message, None).chars().count(), message.trim().chars().count().min(MAX_MESSAGE_CHARS));
    }
}

/// Deeply nested JSON is refused by the parser's depth limit, not by a
/// stack overflow.
#[test]
fn deep_nesting_is_a_protocol_error() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut out = Vec::new();
    let result = ChunkInterpreter::new().accept(&deep, None, &mut out);
    assert!(matches!(result, Err(ProviderError::Protocol(_))));
    let deep = format!(
        "{{\"choices\":{}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let result = ChunkInterpreter::new().accept(&deep, None, &mut out);
    assert!(matches!(result, Err(ProviderError::Protocol(_))));
    assert!(out.is_empty());
}
