//! The languages a message's code blocks name, kept per session
//! (`sessions.code_languages`, docs/rfc/sessions.md) so that a window can
//! load their highlighting while the session's row is pointed at or
//! focused, before its messages arrive: compiling a grammar takes longer
//! than fetching and rendering a long conversation (docs/benchmarks.md).
//! A hint: a wrong or missing name only loses that head start.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

/// A longer info word is not a language name.
const NAME_MAX: usize = 32;

/// The languages the fenced code blocks of `markdown` name, lower-cased,
/// each once, the last block's first. A block's language is the first word
/// of its info string, kept when it is a name the renderer's fences take
/// (ASCII letters, digits and `_ + # . -`, at most 32 characters); blocks
/// without one, and indented code, name none.
pub(super) fn code_languages(markdown: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
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
        let lang = word.to_ascii_lowercase();
        if is_name && !found.contains(&lang) {
            found.push(lang);
        }
    }
    found.reverse();
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
            // The last block first; each language once.
            (
                "```ts\na\n```\n\n```Python\nb\n```\n\n```ts\nc\n```\n",
                &["python", "ts"],
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
}
