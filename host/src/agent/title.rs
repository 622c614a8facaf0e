//! A new session's title from its first message. The message is markdown
//! (the renderer shows it so), and a title is a line of plain text in a
//! list: `What does \`add\` in **a.ts** do?` is titled
//! `What does add in a.ts do?`, not with its backticks and asterisks.

use pulldown_cmark::{Event, Parser, TagEnd};

/// Characters a derived title keeps at most.
const TITLE_CHARS: usize = 60;

/// The message's text without markdown (links keep their text, code its
/// characters, raw HTML is dropped), whitespace collapsed, at most 60
/// characters. The raw message's words when that leaves nothing.
pub(super) fn title_from_message(message: &str) -> String {
    let mut text = String::new();
    for event in Parser::new(message) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => text.push(' '),
            _ => {}
        }
        if text.chars().count() > TITLE_CHARS * 4 {
            break;
        }
    }
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title = words(&text);
    if title.is_empty() {
        title = words(message);
    }
    title.chars().take(TITLE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::title_from_message;

    #[test]
    fn titles_are_the_plain_text_of_the_message() {
        let cases = [
            (
                "What does `add` in **a.ts** do?",
                "What does add in a.ts do?",
            ),
            ("## Bug\n\nThe *build* fails", "Bug The build fails"),
            (
                "See [the docs](https://example.com/x) please",
                "See the docs please",
            ),
            ("- one\n- two", "one two"),
            ("> quoted\n\nreply", "quoted reply"),
            ("```\nerror: E0425\n```", "error: E0425"),
            ("Hi <img src=x onerror=alert(1)> there", "Hi there"),
            ("  plain\n\n\n  text  ", "plain text"),
            ("<div></div>", "<div></div>"),
            ("**", "**"),
        ];
        for (message, title) in cases {
            assert_eq!(title_from_message(message), title, "{message:?}");
        }
    }

    #[test]
    fn titles_are_at_most_60_characters() {
        let long = "é".repeat(500);
        assert_eq!(title_from_message(&long).chars().count(), 60);
        let code = format!("`{}`", "x".repeat(10_000));
        assert_eq!(title_from_message(&code), "x".repeat(60));
    }
}
