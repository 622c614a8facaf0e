//! Property tests for the parsers that see outside input: bare origins, the
//! Referer guard, Basic Auth, and the four perimeter checks together.
//!
//! Bounded (256 cases per property, fewer for the slower ones) so they run
//! in every `cargo nextest run`; `PROPTEST_CASES=100000 scripts/fuzz.sh`
//! runs the same properties for longer (docs/fuzzing.md). A failing case is
//! printed shrunk; add it to the module's case table as a regression.

use proptest::prelude::*;
use proptest::test_runner::Config;

mod credentials;
mod origin;
mod perimeter;
mod referer;

/// `cases` cases, unless `PROPTEST_CASES` says otherwise. No failure
/// persistence: regressions go into the case tables, not into files in src/.
pub(crate) fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

/// Strings that look like URLs more often than `any::<String>()` does:
/// mostly URL characters, some controls, non-ASCII and the odd NUL.
pub(crate) fn url_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9:/?#@.%\\\\_~+-]{0,60}",
        2 => "(http|https|HTTP|ftp)://[a-zA-Z0-9.:@\\[\\]]{0,30}(/[a-zA-Z0-9.%\\\\]{0,12}){0,5}(\\?[a-z=./%]{0,10})?",
        1 => any::<String>(),
        1 => "[\\x00-\\x20\\x7f\u{80}-\u{10ffff}a/.%]{0,30}",
    ]
}
