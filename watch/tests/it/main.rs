//! The watcher against real files and real inotify: one event per burst,
//! replaced, removed and renamed files, the polling fallback.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use agent_watch::{FileEvent, Mode, WatchOptions, Watcher};

const WAIT: Duration = Duration::from_secs(5);

fn watcher(options: WatchOptions) -> (Watcher, Receiver<FileEvent>) {
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::new(options, move |event| {
        let _ = tx.send(event);
    });
    (watcher, rx)
}

fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    path.canonicalize().expect("canonical")
}

fn append(path: &Path, text: &str) {
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    file.write_all(text.as_bytes()).expect("append");
}

/// Every event that arrives within `quiet` of the previous one.
fn drain(rx: &Receiver<FileEvent>, quiet: Duration) -> Vec<FileEvent> {
    let mut events = Vec::new();
    while let Ok(event) = rx.recv_timeout(quiet) {
        events.push(event);
    }
    events
}

#[test]
fn a_burst_of_appends_is_one_change() {
    let dir = tempfile::tempdir().unwrap();
    let doc = file(dir.path(), "plan.md", "# plan\n");
    let (watcher, rx) = watcher(WatchOptions::default());
    assert_eq!(watcher.watch(&doc), Mode::Inotify);
    for i in 0..50 {
        append(&doc, &format!("line {i}\n"));
    }
    let first = rx.recv_timeout(WAIT).expect("an event");
    assert_eq!(first, FileEvent::Changed(doc.clone()));
    assert_eq!(drain(&rx, Duration::from_millis(300)), vec![]);
}

#[test]
fn reading_or_touching_other_files_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let doc = file(dir.path(), "plan.md", "# plan\n");
    let (watcher, rx) = watcher(WatchOptions::default());
    watcher.watch(&doc);
    let _ = fs::read(&doc).unwrap();
    fs::write(dir.path().join("other.md"), "x").unwrap();
    assert_eq!(drain(&rx, Duration::from_millis(300)), vec![]);
    // And the control: the same watcher does report a write.
    append(&doc, "more\n");
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Changed(doc)));
}

#[test]
fn a_file_replaced_by_a_rename_is_changed_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let doc = file(dir.path(), "plan.md", "old\n");
    let (watcher, rx) = watcher(WatchOptions::default());
    watcher.watch(&doc);
    for round in 0..3 {
        let tmp = dir.path().join(format!(".plan.md.tmp{round}"));
        fs::write(&tmp, format!("new {round}\n")).unwrap();
        fs::rename(&tmp, &doc).unwrap();
        assert_eq!(
            rx.recv_timeout(WAIT),
            Ok(FileEvent::Changed(doc.clone())),
            "round {round}: the directory watch survives the replaced inode"
        );
    }
}

#[test]
fn removed_renamed_and_recreated_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let doc = file(dir.path(), "plan.md", "x\n");
    let (watcher, rx) = watcher(WatchOptions::default());
    watcher.watch(&doc);

    let to = dir.path().canonicalize().unwrap().join("renamed.md");
    fs::rename(&doc, &to).unwrap();
    assert_eq!(
        rx.recv_timeout(WAIT),
        Ok(FileEvent::Moved {
            from: doc.clone(),
            to: to.clone()
        })
    );
    append(&to, "not followed\n");
    assert_eq!(drain(&rx, Duration::from_millis(300)), vec![]);

    fs::write(&doc, "back\n").unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Changed(doc.clone())));

    fs::remove_file(&doc).unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Removed(doc.clone())));
}

#[test]
fn unwatching_stops_events_and_counts_watches() {
    let dir = tempfile::tempdir().unwrap();
    let doc = file(dir.path(), "plan.md", "x\n");
    let (watcher, rx) = watcher(WatchOptions::default());
    watcher.watch(&doc);
    watcher.watch(&doc);
    watcher.unwatch(&doc);
    append(&doc, "still watched once\n");
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Changed(doc.clone())));
    watcher.unwatch(&doc);
    assert!(watcher.modes().is_empty());
    append(&doc, "no longer\n");
    assert_eq!(drain(&rx, Duration::from_millis(300)), vec![]);
}

#[test]
fn over_the_inotify_budget_a_directory_is_polled() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let watched = file(a.path(), "a.md", "a\n");
    let polled = file(b.path(), "b.md", "b\n");
    let options = WatchOptions {
        poll_interval: Duration::from_millis(100),
        inotify_budget: 1,
        ..WatchOptions::default()
    };
    let (watcher, rx) = watcher(options);
    assert_eq!(watcher.watch(&watched), Mode::Inotify);
    assert_eq!(watcher.watch(&polled), Mode::Polling);
    let sibling = file(b.path(), "c.md", "c\n");
    assert_eq!(watcher.watch(&sibling), Mode::Polling, "same directory");

    let started = Instant::now();
    append(&polled, "more\n");
    assert_eq!(
        rx.recv_timeout(WAIT),
        Ok(FileEvent::Changed(polled.clone()))
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    fs::remove_file(&polled).unwrap();
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Removed(polled)));

    // The inotify-watched one still works beside the polled ones.
    append(&watched, "more\n");
    assert_eq!(rx.recv_timeout(WAIT), Ok(FileEvent::Changed(watched)));
}

#[test]
fn a_thousand_documents_in_a_hundred_directories() {
    let root = tempfile::tempdir().unwrap();
    let (watcher, rx) = watcher(WatchOptions::default());
    let mut docs = Vec::new();
    for d in 0..100 {
        let dir = root.path().join(format!("d{d}"));
        fs::create_dir(&dir).unwrap();
        for f in 0..10 {
            let doc = file(&dir, &format!("f{f}.md"), "x\n");
            assert_eq!(watcher.watch(&doc), Mode::Inotify);
            docs.push(doc);
        }
    }
    append(&docs[537], "y\n");
    assert_eq!(
        rx.recv_timeout(WAIT),
        Ok(FileEvent::Changed(docs[537].clone()))
    );
    for doc in &docs {
        watcher.unwatch(doc);
    }
    assert!(watcher.modes().is_empty());
}
