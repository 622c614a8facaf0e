//! The script format: what each request gets. Serde-tagged so a script can
//! also live in a JSON file for the `scripted-provider` binary.

use serde::{Deserialize, Serialize};

/// The answer to one request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// A non-2xx JSON answer, with an optional `Retry-After` (seconds).
    Error {
        status: u16,
        body: serde_json::Value,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// A 200 `text/event-stream` answer.
    Stream { events: Vec<Scripted> },
}

/// One step of a streaming answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scripted {
    Text {
        text: String,
    },
    Reasoning {
        text: String,
    },
    /// A first chunk with id and name, then the arguments split over
    /// `pieces` chunks.
    ToolCall {
        index: u32,
        id: String,
        name: String,
        arguments: String,
        #[serde(default = "one")]
        pieces: usize,
    },
    /// An arguments-only fragment for an already started call, to
    /// interleave several calls.
    ToolCallArgs {
        index: u32,
        arguments: String,
    },
    Finish {
        reason: String,
    },
    Usage {
        input: u64,
        output: u64,
    },
    /// Usage with OpenRouter's `usage.cost` (US dollars).
    UsageCost {
        input: u64,
        output: u64,
        cost: f64,
    },
    /// `data: {"error":{"message":…,"code":502}}`, as OpenRouter sends
    /// mid-stream.
    ErrorObject {
        message: String,
    },
    /// `: PROCESSING`
    Comment,
    /// `data: [DONE]`
    Done,
    Delay {
        ms: u64,
    },
    /// Stop sending but keep the connection open until the client leaves
    /// (or the server shuts down).
    Stall,
    /// `count` text chunks as fast as possible (benchmarks).
    Deltas {
        count: usize,
        text: String,
    },
    /// Bytes written verbatim: malformed chunks, odd framing.
    Raw {
        text: String,
    },
    /// `count` text chunks whose text is the send time in nanoseconds on
    /// [`super::clock_ns`]'s clock (plus a space), `interval_us` apart:
    /// lets a benchmark in the same process measure per-chunk latency.
    Clock {
        count: usize,
        #[serde(default)]
        interval_us: u64,
    },
}

fn one() -> usize {
    1
}

impl Reply {
    /// `count` [`Scripted::Clock`] chunks `interval_us` apart, then `stop`
    /// and `[DONE]`: the benchmarks' per-chunk latency stream.
    pub fn clock_stream(count: usize, interval_us: u64) -> Self {
        Self::Stream {
            events: vec![
                Scripted::Clock { count, interval_us },
                Scripted::Finish {
                    reason: "stop".to_owned(),
                },
                Scripted::Done,
            ],
        }
    }

    /// One text chunk per word, then `stop`, usage and `[DONE]`.
    pub fn text_answer(text: &str) -> Self {
        let mut events: Vec<Scripted> = text
            .split_inclusive(' ')
            .map(|word| Scripted::Text {
                text: word.to_owned(),
            })
            .collect();
        let words = u64::try_from(events.len()).unwrap_or(u64::MAX);
        events.extend([
            Scripted::Finish {
                reason: "stop".to_owned(),
            },
            Scripted::Usage {
                input: 10,
                output: words,
            },
            Scripted::Done,
        ]);
        Self::Stream { events }
    }

    /// One tool call (index 0) with its arguments in five pieces, then
    /// `tool_calls`, usage and `[DONE]`.
    pub fn tool_call(id: &str, name: &str, arguments: &str) -> Self {
        Self::Stream {
            events: vec![
                Scripted::ToolCall {
                    index: 0,
                    id: id.to_owned(),
                    name: name.to_owned(),
                    arguments: arguments.to_owned(),
                    pieces: 5,
                },
                Scripted::Finish {
                    reason: "tool_calls".to_owned(),
                },
                Scripted::Usage {
                    input: 10,
                    output: 5,
                },
                Scripted::Done,
            ],
        }
    }

    /// A non-2xx answer with an OpenAI-shaped error body.
    pub fn error(status: u16, message: &str) -> Self {
        Self::Error {
            status,
            body: serde_json::json!({"error": {"message": message, "code": status}}),
            retry_after: None,
        }
    }
}
