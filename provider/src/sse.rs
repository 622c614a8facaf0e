//! An incremental `text/event-stream` decoder.
//!
//! Bytes arrive in arbitrary TCP-sized pieces: a line, or a UTF-8
//! character, can be split anywhere, and `\r\n` can be split between its
//! two bytes. The decoder buffers bytes, cuts complete lines (`\n`, `\r\n`
//! or a lone `\r`, as the SSE spec allows), and hands out the joined `data`
//! of each complete event. Comments (`: OPENROUTER PROCESSING`) and the
//! `event`/`id`/`retry` fields are dropped: the chat-completions format
//! carries everything in `data`.

use crate::error::ProviderError;

/// Longest event (or unterminated line) kept in memory; a provider that
/// never sends a newline must not exhaust memory.
const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// What one decoded line meant.
enum Line {
    /// An empty line: dispatch the event.
    Blank,
    /// Part of the current event's data.
    Data(String),
    /// A comment or a field the chat format does not use.
    Ignored,
}

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buf: Vec<u8>,
    /// Where the unconsumed bytes of `buf` start.
    start: usize,
    /// The data lines of the event being assembled.
    data: Option<String>,
    /// Whether the optional leading BOM has been dealt with.
    started: bool,
}

impl SseDecoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends bytes from the body.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<(), ProviderError> {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        if !self.started && self.buf.len() - self.start >= 3 {
            self.started = true;
            if self.buf[self.start..].starts_with(b"\xEF\xBB\xBF") {
                self.start += 3;
            }
        }
        if self.buf.len() - self.start > MAX_EVENT_BYTES {
            return Err(ProviderError::Protocol("an SSE line exceeds 8 MiB".into()));
        }
        Ok(())
    }

    /// The data of the next complete event, if one is fully buffered.
    pub(crate) fn next_event(&mut self) -> Result<Option<String>, ProviderError> {
        while let Some(line) = self.next_line(false)? {
            if let Some(data) = self.apply(line)? {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }

    /// At the end of the body: the remaining events, including a last one
    /// that lacked its terminating blank line (sloppy servers close right
    /// after `data: [DONE]\n`).
    pub(crate) fn finish(&mut self) -> Result<Vec<String>, ProviderError> {
        let mut events = Vec::new();
        while let Some(line) = self.next_line(true)? {
            if let Some(data) = self.apply(line)? {
                events.push(data);
            }
        }
        if let Some(data) = self.data.take() {
            events.push(data);
        }
        Ok(events)
    }

    /// Folds one line into the current event; returns the event's data
    /// when the line completes it.
    fn apply(&mut self, line: Line) -> Result<Option<String>, ProviderError> {
        match line {
            Line::Blank => Ok(self.data.take()),
            Line::Ignored => Ok(None),
            Line::Data(value) => {
                match &mut self.data {
                    Some(data) => {
                        if data.len() + value.len() + 1 > MAX_EVENT_BYTES {
                            return Err(ProviderError::Protocol(
                                "an SSE event exceeds 8 MiB".into(),
                            ));
                        }
                        data.push('\n');
                        data.push_str(&value);
                    }
                    None => self.data = Some(value),
                }
                Ok(None)
            }
        }
    }

    /// Cuts the next complete line. With `at_end`, a trailing `\r` and an
    /// unterminated last line count as complete.
    fn next_line(&mut self, at_end: bool) -> Result<Option<Line>, ProviderError> {
        let pending = &self.buf[self.start..];
        let Some(cut) = pending.iter().position(|&b| b == b'\n' || b == b'\r') else {
            if at_end && !pending.is_empty() {
                let line = parse_line(pending)?;
                self.start = self.buf.len();
                return Ok(Some(line));
            }
            return Ok(None);
        };
        let terminator_len = match (pending[cut], pending.get(cut + 1)) {
            (b'\r', Some(b'\n')) => 2,
            // A `\r` at the very end may be the first half of `\r\n`.
            (b'\r', None) if !at_end => return Ok(None),
            _ => 1,
        };
        let line = parse_line(&pending[..cut])?;
        self.start += cut + terminator_len;
        // A line break came first, so the stream did not start with a BOM.
        self.started = true;
        Ok(Some(line))
    }
}

fn parse_line(bytes: &[u8]) -> Result<Line, ProviderError> {
    if bytes.is_empty() {
        return Ok(Line::Blank);
    }
    if bytes[0] == b':' {
        return Ok(Line::Ignored);
    }
    let (field, value) = match bytes.iter().position(|&b| b == b':') {
        Some(colon) => {
            let value = &bytes[colon + 1..];
            (&bytes[..colon], value.strip_prefix(b" ").unwrap_or(value))
        }
        None => (bytes, &b""[..]),
    };
    if field != b"data" {
        return Ok(Line::Ignored);
    }
    let value = std::str::from_utf8(value)
        .map_err(|_| ProviderError::Protocol("an SSE data line is not UTF-8".into()))?;
    Ok(Line::Data(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes and collects every event.
    fn decode(input: &[u8], step: usize) -> Vec<String> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for piece in input.chunks(step) {
            decoder.push(piece).unwrap();
            while let Some(event) = decoder.next_event().unwrap() {
                events.push(event);
            }
        }
        events.extend(decoder.finish().unwrap());
        events
    }

    #[test]
    fn splits_anywhere_give_the_same_events() {
        let input = "\u{feff}: OPENROUTER PROCESSING\r\n\r\ndata: {\"a\":\"é\"}\r\n\r\ndata:{\"b\":1}\n\nevent: x\nid: 3\nretry: 10\ndata: one\ndata: two\n\ndata: [DONE]\r\r";
        let expected = vec!["{\"a\":\"é\"}", "{\"b\":1}", "one\ntwo", "[DONE]"];
        for step in 1..=input.len() {
            assert_eq!(decode(input.as_bytes(), step), expected, "step {step}");
        }
    }

    #[test]
    fn a_bom_counts_only_at_the_very_start() {
        // Was stripped after a first line that arrived on its own.
        let input = b"\n\xEF\xBB\xBFdata: x\n\ndata: y\n\n";
        for step in 1..=input.len() {
            assert_eq!(decode(input, step), vec!["y"], "step {step}");
        }
    }

    #[test]
    fn an_unterminated_last_event_is_kept() {
        assert_eq!(decode(b"data: a\n\ndata: [DONE]\n", 4), vec!["a", "[DONE]"]);
        assert_eq!(decode(b"data: [DONE]", 4), vec!["[DONE]"]);
    }

    #[test]
    fn comments_and_blank_runs_produce_nothing() {
        assert!(decode(b": keep-alive\n\n\n\n: again\n\n", 3).is_empty());
    }

    #[test]
    fn data_without_value_is_an_empty_line_of_data() {
        assert_eq!(decode(b"data\ndata: x\n\n", 100), vec!["\nx"]);
    }

    #[test]
    fn invalid_utf8_is_a_protocol_error() {
        let mut decoder = SseDecoder::new();
        decoder.push(b"data: \xff\xfe\n\n").unwrap();
        assert!(matches!(
            decoder.next_event(),
            Err(ProviderError::Protocol(_))
        ));
    }
}
