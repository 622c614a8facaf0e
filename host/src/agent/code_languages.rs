//! The languages a message's code blocks name, kept per session
//! (`sessions.code_languages`, docs/rfc/sessions.md) so that a window can
//! load their highlighting before the session's messages arrive (the
//! newest sessions' once it is idle, a session's when the pointer rests on
//! its row or it is focused): compiling a grammar takes longer
//! than fetching and rendering a long conversation (docs/benchmarks.md).
//! A hint: a wrong or missing name only loses that head start.

use agent_storage::sessions::CODE_LANGUAGES_MAX;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

/// A longer info word is not a language name.
const NAME_MAX: usize = 32;

/// The languages the fenced code blocks of `markdown` name, lower-cased,
/// each once, the last block's first, at most as many as a session keeps. A
/// block's language is the first word of its info string, kept when it is
/// a name (ASCII letters, digits and `_ + # . -`, at most 32 characters; a
/// word like `rust,ignore` is none, and Streamdown shows such a block as
/// plain text); blocks without one, and indented code, name none. Linear
/// in the text: the names are collected in order, then the last few read
/// back, so a message of thousands of tiny blocks costs one pass.
pub(super) fn code_languages(markdown: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for event in Parser::new(markdown) {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else {
            continue;
        };
        let Some(word) = info.split_whitespace().next() else {
            continue;
        };
        let is_name = word.len() <= NAME_MAX
            && word
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+#.-".contains(&b));
        if is_name {
            names.push(word.to_ascii_lowercase());
        }
    }
    let mut found: Vec<String> = Vec::new();
    for name in names.into_iter().rev() {
        if found.len() == CODE_LANGUAGES_MAX {
            break;
        }
        if !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::code_languages;

    #[test]
    fn names_each_fenced_blocks_language_once_last_first() {
        let cases: &[(&str, &[&str])] = &[
            ("no code", &[]),
            ("```rust\nfn a() {}\n```\n", &["rust"]),
            // The last block first; each language once, where it was last.
            (
                "```ts\na\n```\n\n```Python\nb\n```\n\n```ts\nc\n```\n",
                &["ts", "python"],
            ),
            // Tildes, an info string with more words, a fence indented
            // by up to three spaces, an unclosed block (a cut answer).
            ("~~~ c++ title=a.cc\nx\n~~~\n", &["c++"]),
            ("   ```objective-c\nx\n   ```\n", &["objective-c"]),
            ("```bash\necho still open\n", &["bash"]),
            // No language, indented code, inline code: none.
            ("```\nplain\n```\n", &[]),
            ("    ```rust\n    indented code\n", &[]),
            ("use `rust` here", &[]),
            // A fence inside a longer block is that block's code.
            ("````markdown\n```js\nx\n```\n````\n", &["markdown"]),
            // Not names: braces, non-ASCII, too long.
            ("```{python}\nx\n```\n", &[]),
            ("```ñ\nx\n```\n", &[]),
            ("```aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nx\n```\n", &[]),
            (
                "```bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nx\n```\n",
                &["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],
            ),
            (
                "```c#\nx\n```\n```f_sharp.x\nx\n```\n",
                &["f_sharp.x", "c#"],
            ),
        ];
        for (markdown, want) in cases {
            assert_eq!(code_languages(markdown), *want, "{markdown:?}");
        }
    }

    /// A 256 KiB message of tiny blocks, each its own language: the last
    /// six, newest first.
    #[test]
    fn thousands_of_blocks_give_the_last_six() {
        let markdown: String = (0..20_000).map(|i| format!("```l{i}\n```\n")).collect();
        let want: Vec<String> = (19_994..20_000).rev().map(|i| format!("l{i}")).collect();
        assert_eq!(code_languages(&markdown), want);
    }
}
