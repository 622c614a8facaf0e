//! The host's stderr: forwarded to our log and its last lines kept, so a
//! host that dies at start can say why (the shell shows them in its failure
//! state).
//!
//! The host never writes a secret to stderr; the password is redacted here
//! anyway, because these lines end up in a UI and a log, and a bug in the
//! host must not turn into a leak in its parent.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// Lines kept of a host's stderr.
pub const MAX_LINES: usize = 50;
/// Longer lines are cut: a host printing without newlines must not grow
/// the shell's memory.
const MAX_LINE_BYTES: usize = 4096;
/// What replaces the password in a captured line.
pub const REDACTED: &str = "<redacted>";

/// The last [`MAX_LINES`] lines of one host's stderr.
#[derive(Clone, Debug)]
pub struct StderrTail {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<TailState>,
    eof: Condvar,
}

#[derive(Debug, Default)]
struct TailState {
    lines: VecDeque<String>,
    eof: bool,
}

impl StderrTail {
    /// Starts a thread (named `{label}-stderr`) that reads `stream` to its
    /// end, logging each line with `label`. `secret` is redacted from every
    /// line.
    pub fn capture<R: Read + Send + 'static>(
        stream: R,
        secret: Zeroizing<String>,
        label: &str,
    ) -> std::io::Result<Self> {
        let tail = Self {
            inner: Arc::default(),
        };
        let writer = tail.clone();
        let label = label.to_owned();
        std::thread::Builder::new()
            .name(format!("{label}-stderr"))
            .spawn(move || writer.read_all(stream, &secret, &label))?;
        Ok(tail)
    }

    /// The captured lines once the stream has ended, or after `wait` if it
    /// has not (a grandchild may still hold the pipe open).
    pub fn lines_after_eof(&self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut state = self.lock();
        while !state.eof {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            state = self
                .inner
                .eof
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.lines.iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TailState> {
        // A panic while holding the lock leaves only whole lines behind.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn read_all<R: Read>(&self, stream: R, secret: &str, label: &str) {
        // Keep enough bytes that a password straddling MAX_LINE_BYTES is
        // still whole when redacted; the cut afterwards removes the rest.
        let keep = MAX_LINE_BYTES + secret.len();
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            let buf = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            if buf.is_empty() {
                break;
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let (chunk, consumed) = match newline {
                Some(i) => (&buf[..i], i + 1),
                None => (buf, buf.len()),
            };
            let room = keep.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            reader.consume(consumed);
            if newline.is_some() {
                self.push(&std::mem::take(&mut line), secret, label);
            }
        }
        if !line.is_empty() {
            self.push(&line, secret, label);
        }
        self.lock().eof = true;
        self.inner.eof.notify_all();
    }

    fn push(&self, raw: &[u8], secret: &str, label: &str) {
        let line = clean_line(raw, secret);
        tracing::info!(target: "agent_host", host = label, "{line}");
        let mut state = self.lock();
        if state.lines.len() == MAX_LINES {
            state.lines.pop_front();
        }
        state.lines.push_back(line);
    }
}

/// One raw stderr line as shown to people: UTF-8 (lossy), no terminal
/// colours, the secret redacted, at most [`MAX_LINE_BYTES`].
fn clean_line(raw: &[u8], secret: &str) -> String {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let text = strip_ansi(&String::from_utf8_lossy(raw));
    let mut text = if secret.is_empty() {
        text
    } else {
        text.replace(secret, REDACTED)
    };
    if text.len() > MAX_LINE_BYTES {
        let mut cut = MAX_LINE_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// Removes CSI escape sequences (`ESC [ … final`): `tracing` colours its
/// output even into a pipe.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(input: &[u8], secret: &str) -> Vec<String> {
        let tail = StderrTail::capture(
            std::io::Cursor::new(input.to_vec()),
            Zeroizing::new(secret.to_owned()),
            "test",
        )
        .expect("thread");
        tail.lines_after_eof(Duration::from_secs(5))
    }

    #[test]
    fn keeps_the_last_fifty_lines() {
        let input: String = (0..120).map(|i| format!("line {i}\n")).collect();
        let lines = capture(input.as_bytes(), "pw");
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(lines[0], "line 70");
        assert_eq!(lines[49], "line 119");
    }

    #[test]
    fn redacts_the_secret_and_strips_colours() {
        let lines = capture(
            b"\x1b[2m2024\x1b[0m \x1b[32m INFO\x1b[0m got hunter2hunter2\r\nlast",
            "hunter2hunter2",
        );
        assert_eq!(lines, [format!("2024  INFO got {REDACTED}"), "last".into()]);
    }

    #[test]
    fn long_lines_are_cut_without_leaking_a_straddling_secret() {
        let secret = "S".repeat(43);
        let mut input = "x".repeat(MAX_LINE_BYTES - 10).into_bytes();
        input.extend_from_slice(secret.as_bytes());
        input.extend_from_slice(&[b'y'; 10_000]);
        input.push(b'\n');
        input.extend_from_slice("é".repeat(MAX_LINE_BYTES).as_bytes());
        let lines = capture(&input, &secret);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].len() <= MAX_LINE_BYTES);
        assert!(!lines[0].contains('S'));
        assert!(lines[1].len() <= MAX_LINE_BYTES);
        assert!(lines[1].chars().all(|c| c == 'é'));
    }

    #[test]
    fn an_open_stream_does_not_block_forever() {
        let (reader, _writer) = std::io::pipe().expect("pipe");
        let tail =
            StderrTail::capture(reader, Zeroizing::new(String::new()), "test").expect("thread");
        let started = Instant::now();
        assert!(tail.lines_after_eof(Duration::from_millis(50)).is_empty());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
