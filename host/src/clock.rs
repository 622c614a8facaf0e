//! Wall-clock helpers shared by the collaborators.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A file's version token for the API (the `mtime` fields): the
/// modification time in nanoseconds since the epoch, the inode and the
/// size, as `<ns>-<ino>-<size>`. The clock the kernel stamps mtimes with is
/// coarse (a few ms), so two writes in one tick can share an mtime; an
/// atomic save makes a new inode and most edits change the size, so the
/// token still differs. Clients treat it as opaque.
pub fn mtime_token(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let nanos = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    format!("{nanos}-{}-{}", meta.ino(), meta.size())
}
