//! A reader's batch of frames, with consecutive deltas merged.
//!
//! A turn's log keeps every delta the provider sent as its own frame. A
//! reader that keeps up reads them one by one. A reader that fell behind
//! (a renderer busy with a fast answer: 10,000 deltas in ~0.1 s in the
//! renderer's stream bench), or that resumes or replays a turn, would get
//! thousands at once, and each costs it a parse and a store update: the
//! page spent most of its catch-up on its frames, not on the text. So each
//! batch a [`super::TurnStream`] hands out has every run of consecutive
//! `text-delta`s of one text block (`reasoning-delta`s of one block,
//! `tool-input-delta`s of one call) joined into one frame, which carries the
//! run's last sequence number: a client that resumes from it
//! (`Last-Event-ID`) gets exactly the frames after the run.
//!
//! Nothing waits for more: a batch is what was already there when the
//! reader asked, so a reader at a model's pace sees each delta as it came.

use serde::Deserialize;

use super::chunk::UiChunk;
use super::run::Frame;

/// The most delta text a run is joined up to (a single longer delta stays
/// as it came): a reader parses a frame at once, so one frame of a long
/// answer stays a small piece of work.
const MERGED_MAX: usize = 32 * 1024;

/// The delta chunks, as chunk.rs writes them (the type tag first).
#[derive(Deserialize)]
#[serde(tag = "type")]
enum Delta {
    #[serde(rename = "text-delta")]
    Text { id: String, delta: String },
    #[serde(rename = "reasoning-delta")]
    Reasoning { id: String, delta: String },
    #[serde(rename = "tool-input-delta", rename_all = "camelCase")]
    ToolInput {
        tool_call_id: String,
        input_text_delta: String,
    },
}

impl Delta {
    /// `data` as a delta chunk; `None` for every other chunk (told by its
    /// start, without parsing it).
    fn parse(data: &str) -> Option<Delta> {
        const STARTS: [&str; 3] = [
            r#"{"type":"text-delta","#,
            r#"{"type":"reasoning-delta","#,
            r#"{"type":"tool-input-delta","#,
        ];
        if !STARTS.iter().any(|start| data.starts_with(start)) {
            return None;
        }
        serde_json::from_str(data).ok()
    }

    fn text(&self) -> &str {
        match self {
            Delta::Text { delta, .. } | Delta::Reasoning { delta, .. } => delta,
            Delta::ToolInput {
                input_text_delta, ..
            } => input_text_delta,
        }
    }

    /// Appends `next` when it continues the same block or call.
    fn absorb(&mut self, next: &Delta) -> bool {
        if self.text().len() + next.text().len() > MERGED_MAX {
            return false;
        }
        match (self, next) {
            (Delta::Text { id: a, delta }, Delta::Text { id: b, delta: more })
            | (Delta::Reasoning { id: a, delta }, Delta::Reasoning { id: b, delta: more })
            | (
                Delta::ToolInput {
                    tool_call_id: a,
                    input_text_delta: delta,
                },
                Delta::ToolInput {
                    tool_call_id: b,
                    input_text_delta: more,
                },
            ) if a == b => {
                delta.push_str(more);
                true
            }
            _ => false,
        }
    }

    fn into_chunk(self) -> UiChunk {
        match self {
            Delta::Text { id, delta } => UiChunk::TextDelta { id, delta },
            Delta::Reasoning { id, delta } => UiChunk::ReasoningDelta { id, delta },
            Delta::ToolInput {
                tool_call_id,
                input_text_delta,
            } => UiChunk::ToolInputDelta {
                tool_call_id,
                input_text_delta,
            },
        }
    }
}

/// A run being merged: its first frame as it was, its delta with the text
/// of every frame up to `last_seq` joined.
struct Run {
    first: Frame,
    delta: Delta,
    last_seq: u64,
}

impl Run {
    /// The first frame itself when no other joined it.
    fn into_frame(self) -> Frame {
        if self.last_seq == self.first.0 {
            return self.first;
        }
        (self.last_seq, self.delta.into_chunk().to_json().into())
    }
}

/// `frames` in order, each run of consecutive deltas of one block or call
/// joined into one frame (see the module's docs); every other frame as it
/// was.
pub(super) fn merge_deltas(frames: Vec<Frame>) -> Vec<Frame> {
    if frames.len() < 2 {
        return frames;
    }
    let mut out = Vec::with_capacity(frames.len());
    let mut run: Option<Run> = None;
    for (seq, data) in frames {
        let Some(delta) = Delta::parse(&data) else {
            out.extend(run.take().map(Run::into_frame));
            out.push((seq, data));
            continue;
        };
        if let Some(open) = run.as_mut() {
            // Never across a gap (a log is whole, but a merged frame must
            // stand for every frame up to its number).
            if seq == open.last_seq + 1 && open.delta.absorb(&delta) {
                open.last_seq = seq;
                continue;
            }
        }
        out.extend(run.take().map(Run::into_frame));
        run = Some(Run {
            first: (seq, data),
            delta,
            last_seq: seq,
        });
    }
    out.extend(run.map(Run::into_frame));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[UiChunk]) -> Vec<Frame> {
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u64 + 1, c.to_json().into()))
            .collect()
    }

    fn text(id: &str, delta: &str) -> UiChunk {
        UiChunk::TextDelta {
            id: id.into(),
            delta: delta.into(),
        }
    }

    fn reasoning(id: &str, delta: &str) -> UiChunk {
        UiChunk::ReasoningDelta {
            id: id.into(),
            delta: delta.into(),
        }
    }

    fn args(call: &str, delta: &str) -> UiChunk {
        UiChunk::ToolInputDelta {
            tool_call_id: call.into(),
            input_text_delta: delta.into(),
        }
    }

    /// Each case: the chunks of frames 1.., and what the reader gets, as
    /// (seq, chunk).
    #[test]
    fn runs_of_one_block_merge_and_nothing_else_changes() {
        let start = UiChunk::TextStart { id: "t".into() };
        let end = UiChunk::TextEnd { id: "t".into() };
        type Case = (&'static str, Vec<UiChunk>, Vec<(u64, UiChunk)>);
        let cases: Vec<Case> = vec![
            ("one delta", vec![text("t", "a")], vec![(1, text("t", "a"))]),
            (
                "a burst of text, with the run's last seq",
                vec![
                    start.clone(),
                    text("t", "a"),
                    text("t", "b \""),
                    text("t", "é\n"),
                    end.clone(),
                ],
                vec![
                    (1, start.clone()),
                    (4, text("t", "ab \"é\n")),
                    (5, end.clone()),
                ],
            ),
            (
                "two text blocks stay apart",
                vec![text("t", "a"), text("u", "b"), text("u", "c")],
                vec![(1, text("t", "a")), (3, text("u", "bc"))],
            ),
            (
                "reasoning, then text",
                vec![
                    reasoning("r", "1"),
                    reasoning("r", "2"),
                    text("t", "3"),
                    text("t", "4"),
                ],
                vec![(2, reasoning("r", "12")), (4, text("t", "34"))],
            ),
            (
                "interleaved tool calls stay apart",
                vec![
                    args("c0", "{"),
                    args("c1", "["),
                    args("c1", "]"),
                    args("c0", "}"),
                ],
                vec![
                    (1, args("c0", "{")),
                    (3, args("c1", "[]")),
                    (4, args("c0", "}")),
                ],
            ),
            (
                "another chunk ends a run",
                vec![text("t", "a"), UiChunk::StartStep, text("t", "b")],
                vec![
                    (1, text("t", "a")),
                    (2, UiChunk::StartStep),
                    (3, text("t", "b")),
                ],
            ),
        ];
        for (name, chunks, expected) in cases {
            let expected: Vec<Frame> = expected
                .iter()
                .map(|(seq, c)| (*seq, c.to_json().into()))
                .collect();
            assert_eq!(merge_deltas(frames(&chunks)), expected, "{name}");
        }
    }

    #[test]
    fn a_gap_in_the_numbers_ends_a_run() {
        let mut batch = frames(&[text("t", "a"), text("t", "b"), text("t", "c")]);
        batch[2].0 = 4;
        let expected: Vec<Frame> = vec![(2, text("t", "ab").to_json().into()), batch[2].clone()];
        assert_eq!(merge_deltas(batch), expected);
    }

    #[test]
    fn a_merged_frame_stays_within_its_bound() {
        let piece = "x".repeat(1000);
        let chunks: Vec<UiChunk> = (0..100).map(|_| text("t", &piece)).collect();
        let merged = merge_deltas(frames(&chunks));
        let seqs: Vec<u64> = merged.iter().map(|f| f.0).collect();
        assert_eq!(seqs, [32, 64, 96, 100]);
        let total: String = merged
            .iter()
            .map(|(_, data)| match Delta::parse(data) {
                Some(Delta::Text { delta, .. }) => delta,
                _ => panic!("not a text delta: {data}"),
            })
            .collect();
        assert_eq!(total, piece.repeat(100));
    }

    #[test]
    fn the_data_is_told_by_its_type() {
        // A text whose content looks like a delta chunk is not one.
        let lookalike = UiChunk::ToolOutputAvailable {
            tool_call_id: "c".into(),
            output: serde_json::json!({"type": "text-delta", "id": "t", "delta": "x"}),
        };
        let batch = frames(&[text("t", "a"), lookalike.clone(), text("t", "b")]);
        assert_eq!(merge_deltas(batch.clone()), batch);
    }
}
