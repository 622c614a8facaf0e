//! The watched set and the watch thread: gathers raw inotify events per
//! file, settles each file once it is quiet, polls the rest.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::EventKind;

use crate::{FileEvent, Mode, Wake, WatchOptions};

/// What a file looked like when last settled: a change of any of these is
/// a change of the file. (Content rewritten in place with the same size
/// within one mtime tick is missed; ext4, xfs, btrfs and tmpfs keep
/// nanoseconds.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

fn identity(path: &Path) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Identity {
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.size(),
        mtime: meta.mtime(),
        mtime_nsec: meta.mtime_nsec(),
    })
}

struct FileEntry {
    refs: usize,
    known: Option<Identity>,
    dir: PathBuf,
}

struct DirEntry {
    files: usize,
    mode: Mode,
}

#[derive(Default)]
pub(crate) struct State {
    files: HashMap<PathBuf, FileEntry>,
    dirs: HashMap<PathBuf, DirEntry>,
}

impl State {
    /// Counts another watch of `path` if it, or its directory, is watched
    /// already; `None` when its directory needs a watch first.
    pub(crate) fn add_file(&mut self, path: &Path) -> Option<Mode> {
        if let Some(file) = self.files.get_mut(path) {
            file.refs += 1;
            return Some(self.dirs[&file.dir].mode);
        }
        let dir_path = path.parent().unwrap_or(Path::new("/"));
        let dir = self.dirs.get_mut(dir_path)?;
        dir.files += 1;
        let mode = dir.mode;
        self.insert_file(path, dir_path.to_path_buf());
        Some(mode)
    }

    pub(crate) fn add_dir(&mut self, dir: PathBuf, path: &Path, mode: Mode) {
        self.dirs.insert(dir.clone(), DirEntry { files: 1, mode });
        self.insert_file(path, dir);
    }

    fn insert_file(&mut self, path: &Path, dir: PathBuf) {
        let entry = FileEntry {
            refs: 1,
            known: identity(path),
            dir,
        };
        self.files.insert(path.to_path_buf(), entry);
    }

    /// Undoes one watch of `path`; returns the directory to unwatch from
    /// inotify when its last file went.
    pub(crate) fn remove_file(&mut self, path: &Path) -> Option<PathBuf> {
        let file = self.files.get_mut(path)?;
        file.refs -= 1;
        if file.refs > 0 {
            return None;
        }
        let dir_path = self.files.remove(path)?.dir;
        let dir = self.dirs.get_mut(&dir_path)?;
        dir.files -= 1;
        if dir.files > 0 {
            return None;
        }
        let mode = self.dirs.remove(&dir_path)?.mode;
        (mode == Mode::Inotify).then_some(dir_path)
    }

    pub(crate) fn inotify_dirs(&self) -> usize {
        self.dirs
            .values()
            .filter(|d| d.mode == Mode::Inotify)
            .count()
    }

    pub(crate) fn modes(&self) -> Vec<(PathBuf, Mode)> {
        let mut modes: Vec<_> = self
            .files
            .iter()
            .map(|(path, file)| (path.clone(), self.dirs[&file.dir].mode))
            .collect();
        modes.sort_by(|a, b| a.0.cmp(&b.0));
        modes
    }

    fn polled(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|(_, file)| self.dirs[&file.dir].mode == Mode::Polling)
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// Looks at `path` now; the event to report, if it changed since last
    /// settled. `moved_to`: where inotify saw it renamed during the burst.
    fn settle(&mut self, path: &Path, moved_to: Option<PathBuf>) -> Option<FileEvent> {
        let file = self.files.get_mut(path)?;
        let now = identity(path);
        let event = match (file.known, now) {
            (Some(before), Some(after)) if before == after => None,
            (_, Some(_)) => Some(FileEvent::Changed(path.to_path_buf())),
            (Some(_), None) => Some(match moved_to {
                Some(to) => FileEvent::Moved {
                    from: path.to_path_buf(),
                    to,
                },
                None => FileEvent::Removed(path.to_path_buf()),
            }),
            (None, None) => None,
        };
        file.known = now;
        event
    }
}

/// Logs the first fallback to polling as a warning, later ones at debug.
pub(crate) fn note_fallback(dir: &Path, reason: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.swap(true, Ordering::Relaxed) {
        tracing::debug!(dir = %dir.display(), reason, "polling for document changes");
    } else {
        tracing::warn!(
            dir = %dir.display(),
            reason,
            "polling for document changes here (and wherever else inotify cannot watch)"
        );
    }
}

/// The watch thread: until [`Wake::Stop`] or the watcher is gone.
pub(crate) fn run(
    shared: Arc<Mutex<State>>,
    woken: Receiver<Wake>,
    options: WatchOptions,
    mut on_event: impl FnMut(FileEvent),
) {
    // File -> time of its latest raw event.
    let mut pending: HashMap<PathBuf, Instant> = HashMap::new();
    let mut moved: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut next_poll = Instant::now() + options.poll_interval;
    loop {
        let due = pending.values().min().map(|t| *t + options.debounce);
        let deadline = due.map_or(next_poll, |due| due.min(next_poll));
        match woken.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Wake::Raw(event)) => {
                let state = shared.lock().expect("watch state");
                note(&state, event, &mut pending, &mut moved);
                continue;
            }
            Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let mut settle: Vec<PathBuf> = pending
            .iter()
            .filter(|(_, at)| now >= **at + options.debounce)
            .map(|(path, _)| path.clone())
            .collect();
        for path in &settle {
            pending.remove(path);
        }
        if now >= next_poll {
            settle.extend(shared.lock().expect("watch state").polled());
            next_poll = now + options.poll_interval;
        }
        let events: Vec<FileEvent> = {
            let mut state = shared.lock().expect("watch state");
            settle
                .iter()
                .filter_map(|path| state.settle(path, moved.remove(path)))
                .collect()
        };
        for event in events {
            on_event(event);
        }
    }
}

/// Marks the watched files a raw event concerns as pending.
fn note(
    state: &State,
    event: notify::Event,
    pending: &mut HashMap<PathBuf, Instant>,
    moved: &mut HashMap<PathBuf, PathBuf>,
) {
    let now = Instant::now();
    if event.need_rescan() {
        // The kernel's queue overflowed: anything may have changed.
        pending.extend(state.files.keys().map(|path| (path.clone(), now)));
        return;
    }
    match event.kind {
        // Opening and reading (ours included) change nothing.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if event.paths.len() == 2 => {
            let (from, to) = (&event.paths[0], &event.paths[1]);
            if state.files.contains_key(from) {
                moved.insert(from.clone(), to.clone());
            }
        }
        _ => {}
    }
    for path in event.paths {
        if state.files.contains_key(&path) {
            pending.insert(path, now);
        }
    }
}
