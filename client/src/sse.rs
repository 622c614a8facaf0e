//! Incremental server-sent-events parsing for the turn stream: bytes
//! arrive in arbitrary pieces (a frame, or a UTF-8 character, may be split
//! across reads), frames come out whole.

/// One event: its `id:` (if any) and its `data:` lines joined by `\n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub id: Option<String>,
    pub data: String,
}

impl Frame {
    /// `data: [DONE]` ends the UI message stream.
    pub fn is_done(&self) -> bool {
        self.data == DONE
    }
}

/// The literal that ends the UI message stream.
pub const DONE: &str = "[DONE]";

#[derive(Default)]
pub struct Parser {
    /// Bytes after the last complete line.
    pending: Vec<u8>,
    id: Option<String>,
    data: Vec<String>,
}

impl Parser {
    /// Feeds bytes; returns the frames they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.pending.extend_from_slice(bytes);
        let mut frames = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(frame) = self.line(&line) {
                frames.push(frame);
            }
        }
        frames
    }

    fn line(&mut self, line: &str) -> Option<Frame> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.id = None;
                return None;
            }
            return Some(Frame {
                id: self.id.take(),
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        if line.starts_with(':') {
            return None; // comment / keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => self.data.push(value.to_owned()),
            "id" => self.id = Some(value.to_owned()),
            _ => {} // event:, retry: and unknown fields do not matter here
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let text = "id: t:1\ndata: {\"type\":\"start\"}\n\n: ping\n\nid: t:2\r\ndata: {\"a\":\"é\"}\r\n\r\ndata: [DONE]\n\n";
        let bytes = text.as_bytes();
        for split in 0..bytes.len() {
            let mut parser = Parser::default();
            let mut frames = parser.push(&bytes[..split]);
            frames.extend(parser.push(&bytes[split..]));
            assert_eq!(frames.len(), 3, "split at {split}");
            assert_eq!(frames[0].id.as_deref(), Some("t:1"));
            assert_eq!(frames[0].data, r#"{"type":"start"}"#);
            assert_eq!(frames[1].data, r#"{"a":"é"}"#);
            assert!(frames[2].is_done());
            assert_eq!(frames[2].id, None);
        }
    }

    #[test]
    fn multi_line_data_is_joined() {
        let mut parser = Parser::default();
        let frames = parser.push(b"data: a\ndata:b\n\n");
        assert_eq!(frames[0].data, "a\nb");
    }
}
