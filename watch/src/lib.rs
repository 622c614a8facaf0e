//! Watches open documents for changes on disk.
//!
//! The host shows a document in a window; the agent, another editor or a
//! `printf >> file` may change it underneath. [`Watcher`] tells the host,
//! once per burst of writes, that a watched file changed, was removed, or
//! was renamed away, so the host can tell the windows. It never follows a
//! rename: the path stays watched and the document is reported moved.
//!
//! ```no_run
//! use std::time::Duration;
//! use agent_watch::{FileEvent, WatchOptions, Watcher};
//!
//! let watcher = Watcher::new(WatchOptions::default(), |event: FileEvent| {
//!     println!("{event:?}");
//! });
//! watcher.watch("/home/me/notes/plan.md".as_ref());
//! std::thread::sleep(Duration::from_secs(60));
//! ```
//!
//! How, and why:
//! - **Directories, not files**: an inotify watch on a file follows its
//!   inode, and every careful writer (ours included) replaces a file by
//!   renaming a temporary over it, which ends that watch. So each watched
//!   file's directory is watched (once, however many files it holds) and
//!   its events are matched by name.
//! - **Debounced and compared**: events for a file are gathered until it
//!   has been quiet for [`WatchOptions::debounce`], then the file is
//!   `stat`ed; only a changed identity (device, inode, size, mtime) is
//!   reported, so one save is one event and touching nothing is none.
//! - **Polling fallback**: a directory inotify cannot watch (the per-user
//!   watch limit, a filesystem without inotify, or more directories than
//!   [`WatchOptions::inotify_budget`]) is polled every
//!   [`WatchOptions::poll_interval`] instead. Logged once, never an error.

mod state;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};

use state::State;

/// What happened to a watched file, after the burst settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileEvent {
    /// Its content (or its inode: replaced by a rename) changed, or it
    /// appeared again after a removal.
    Changed(PathBuf),
    /// It no longer exists.
    Removed(PathBuf),
    /// It was renamed to `to` (within a watched directory). The old path
    /// stays watched; the new one is not followed.
    Moved { from: PathBuf, to: PathBuf },
}

/// How a file is being watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Inotify,
    Polling,
}

/// Tuning; the defaults suit an editor window.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Quiet time after the last event before a file is looked at.
    pub debounce: Duration,
    /// How often polled files are `stat`ed.
    pub poll_interval: Duration,
    /// At most this many directories are watched through inotify; the
    /// rest are polled. The kernel's own limit
    /// (`fs.inotify.max_user_watches`) is shared with every other program
    /// of the user, so the host stays well under it.
    pub inotify_budget: usize,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            debounce: Duration::from_millis(30),
            poll_interval: Duration::from_millis(1000),
            inotify_budget: 4096,
        }
    }
}

/// Watches files; reports [`FileEvent`]s to the callback given to
/// [`Watcher::new`], on the watcher's own thread. Dropping it stops
/// everything.
pub struct Watcher {
    shared: Arc<Mutex<State>>,
    inotify: Mutex<Option<notify::RecommendedWatcher>>,
    wake: mpsc::Sender<Wake>,
    budget: usize,
    worker: Option<std::thread::JoinHandle<()>>,
}

enum Wake {
    /// inotify saw something in a watched directory.
    Raw(notify::Event),
    Stop,
}

impl Watcher {
    pub fn new(options: WatchOptions, on_event: impl FnMut(FileEvent) + Send + 'static) -> Self {
        let shared = Arc::new(Mutex::new(State::default()));
        let (wake, woken) = mpsc::channel();
        let events = wake.clone();
        let inotify =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                Ok(event) => {
                    let _ = events.send(Wake::Raw(event));
                }
                Err(error) => tracing::warn!(%error, "inotify watcher error"),
            });
        let inotify = match inotify {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "inotify unavailable; polling every watched document");
                None
            }
        };
        let worker = {
            let shared = shared.clone();
            let options = options.clone();
            std::thread::Builder::new()
                .name("watch".into())
                .spawn(move || state::run(shared, woken, options, on_event))
                .expect("spawn the watch thread")
        };
        Watcher {
            shared,
            inotify: Mutex::new(inotify),
            wake,
            budget: options.inotify_budget,
            worker: Some(worker),
        }
    }

    /// Starts watching `path` (absolute, canonical: the host's document
    /// path). Watching a watched path again adds nothing; each `watch`
    /// is undone by one [`Watcher::unwatch`].
    pub fn watch(&self, path: &Path) -> Mode {
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mut state = self.shared.lock().expect("watch state");
        if let Some(mode) = state.add_file(path) {
            return mode;
        }
        let mode = self.watch_dir(&dir, state.inotify_dirs());
        state.add_dir(dir, path, mode);
        mode
    }

    /// Stops watching `path` once it has been unwatched as often as it was
    /// watched.
    pub fn unwatch(&self, path: &Path) {
        let mut state = self.shared.lock().expect("watch state");
        if let Some(dir) = state.remove_file(path) {
            if let Some(watcher) = self.inotify.lock().expect("inotify").as_mut() {
                let _ = watcher.unwatch(&dir);
            }
        }
    }

    /// How each watched file is watched right now, for diagnostics.
    pub fn modes(&self) -> Vec<(PathBuf, Mode)> {
        self.shared.lock().expect("watch state").modes()
    }

    fn watch_dir(&self, dir: &Path, inotify_dirs: usize) -> Mode {
        if inotify_dirs >= self.budget {
            state::note_fallback(dir, "more directories than the inotify budget");
            return Mode::Polling;
        }
        let mut inotify = self.inotify.lock().expect("inotify");
        let Some(watcher) = inotify.as_mut() else {
            return Mode::Polling;
        };
        match watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => Mode::Inotify,
            Err(error) => {
                let reason = match error.kind {
                    notify::ErrorKind::MaxFilesWatch => "the inotify watch limit".to_owned(),
                    _ => error.to_string(),
                };
                state::note_fallback(dir, &reason);
                Mode::Polling
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // inotify first: its thread holds a sender that would keep the
        // worker's channel open.
        self.inotify.lock().expect("inotify").take();
        let _ = self.wake.send(Wake::Stop);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
