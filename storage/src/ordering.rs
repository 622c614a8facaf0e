//! Shared list rules for recent documents and workspaces: pinned first,
//! most recently opened next.

/// What [`sort_for_display`] and [`evict_unpinned`] need from an entry.
pub(crate) trait Listed {
    fn key(&self) -> &str;
    fn pinned(&self) -> bool;
    fn last_opened_ms(&self) -> i64;
}

/// Pinned first, then `last_opened_ms` descending; ties by key so the
/// order is stable across reloads.
pub(crate) fn sort_for_display<T: Listed>(entries: &mut [T]) {
    entries.sort_by(|a, b| {
        b.pinned()
            .cmp(&a.pinned())
            .then_with(|| b.last_opened_ms().cmp(&a.last_opened_ms()))
            .then_with(|| a.key().cmp(b.key()))
    });
}

/// Drops the oldest unpinned entries until at most `cap` remain. `keep` is
/// never evicted: it is the entry the caller just acted on and returns.
pub(crate) fn evict_unpinned<T: Listed>(entries: &mut Vec<T>, cap: usize, keep: &str) {
    loop {
        let unpinned = entries.iter().filter(|e| !e.pinned()).count();
        if unpinned <= cap {
            return;
        }
        let oldest = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.pinned() && e.key() != keep)
            .min_by(|(_, a), (_, b)| {
                a.last_opened_ms()
                    .cmp(&b.last_opened_ms())
                    .then_with(|| b.key().cmp(a.key()))
            })
            .map(|(i, _)| i);
        match oldest {
            Some(i) => {
                entries.remove(i);
            }
            None => return,
        }
    }
}
