//! The response side as the host sees it: a flat sequence of events.

/// One event of a streamed answer, in arrival order.
///
/// A well-formed stream is zero or more deltas, then at most one
/// [`StreamEvent::Usage`], then exactly one [`StreamEvent::Finish`].
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    TextDelta(String),
    /// `reasoning` (OpenRouter) or `reasoning_content` (DeepSeek, vLLM).
    ReasoningDelta(String),
    /// The first fragment of tool call `index`: its id and function name.
    ToolCallStart {
        index: u32,
        id: String,
        name: String,
    },
    /// A fragment of the JSON arguments of tool call `index`; concatenate.
    ToolCallDelta {
        index: u32,
        arguments: String,
    },
    /// Token counts, the last ones the provider reported; sent once, just
    /// before `Finish`.
    Usage {
        input_tokens: u64,
        output_tokens: u64,
        /// The call's cost when the provider reports it (OpenRouter's
        /// `usage.cost`); `None` otherwise.
        cost: Option<f64>,
    },
    /// The end: emitted once, after `[DONE]` (or at the end of the body if
    /// the provider omitted `[DONE]` but sent a `finish_reason`).
    Finish {
        reason: FinishReason,
    },
}

/// Why the model stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    ToolCalls,
    Length,
    ContentFilter,
    /// Anything else the provider said (e.g. `error`), verbatim.
    Other(String),
}

impl FinishReason {
    /// Maps the wire `finish_reason` string.
    pub fn from_wire(reason: &str) -> Self {
        match reason {
            "stop" => Self::Stop,
            "tool_calls" => Self::ToolCalls,
            "length" => Self::Length,
            "content_filter" => Self::ContentFilter,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string, the inverse of [`FinishReason::from_wire`].
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Stop => "stop",
            Self::ToolCalls => "tool_calls",
            Self::Length => "length",
            Self::ContentFilter => "content_filter",
            Self::Other(other) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_round_trip() {
        for wire in ["stop", "tool_calls", "length", "content_filter", "error"] {
            assert_eq!(FinishReason::from_wire(wire).as_wire(), wire);
        }
        assert_eq!(
            FinishReason::from_wire("error"),
            FinishReason::Other("error".into())
        );
    }
}
