//! Files and folders dropped on a renderer window (wry's drag-and-drop
//! handler): what the shell does with each, decided here without a display.
//! A file opens in its document window, as File > Open does; a folder goes
//! to the page (`desktop:folder-dropped`), which opens it as a workspace.
//! The webview itself never navigates to what was dropped.

use std::path::{Path, PathBuf};

/// The most files one drop opens (each is a window).
pub const MAX_DROPPED_FILES: usize = 20;

/// What a dropped path is, as the file system says (following symlinks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    File,
    Folder,
    /// A socket, a device, a FIFO: nothing to open.
    Other,
}

/// What the shell does with one drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropPlan {
    /// Open each in its document window (at most [`MAX_DROPPED_FILES`]).
    pub files: Vec<PathBuf>,
    /// Hand this folder to the page: the first one dropped (one workspace
    /// per drop).
    pub folder: Option<PathBuf>,
}

impl DropPlan {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.folder.is_none()
    }
}

/// The kind of `path` on disk; `None` when it does not exist or cannot be
/// read.
pub fn kind_on_disk(path: &Path) -> Option<PathKind> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(if metadata.is_dir() {
        PathKind::Folder
    } else if metadata.is_file() {
        PathKind::File
    } else {
        PathKind::Other
    })
}

/// Sorts dropped paths: absolute paths that exist only (wry turns a dropped
/// URI that is not `file://`, a link say, into a relative path), files to
/// open in order without duplicates, the first folder for the page.
/// Anything else is dropped.
pub fn plan_drop(paths: &[PathBuf], kind: impl Fn(&Path) -> Option<PathKind>) -> DropPlan {
    let mut plan = DropPlan::default();
    for path in paths {
        if !path.is_absolute() || path.as_os_str().as_encoded_bytes().contains(&0) {
            continue;
        }
        match kind(path) {
            Some(PathKind::File) => {
                if plan.files.len() < MAX_DROPPED_FILES && !plan.files.contains(path) {
                    plan.files.push(path.clone());
                }
            }
            Some(PathKind::Folder) => {
                plan.folder.get_or_insert_with(|| path.clone());
            }
            Some(PathKind::Other) | None => {}
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(path: &Path) -> Option<PathKind> {
        let name = path.to_str()?;
        if name.contains("missing") {
            None
        } else if name.ends_with(".md") || name.ends_with(".txt") {
            Some(PathKind::File)
        } else if name.ends_with("/fifo") {
            Some(PathKind::Other)
        } else {
            Some(PathKind::Folder)
        }
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn a_drop_opens_files_and_hands_the_first_folder_to_the_page() {
        for (dropped, files, folder) in [
            (&["/a/plan.md"][..], &["/a/plan.md"][..], None),
            (&["/work/project"], &[], Some("/work/project")),
            (
                &[
                    "/a/plan.md",
                    "/work/one",
                    "/b/notes.txt",
                    "/work/two",
                    "/a/plan.md",
                ],
                &["/a/plan.md", "/b/notes.txt"],
                Some("/work/one"),
            ),
            // A dragged link (wry strips no scheme but file://), a relative
            // path, something missing, a FIFO: nothing.
            (&["https://example.com/x.md"], &[], None),
            (&["relative/plan.md"], &[], None),
            (&["/a/missing.md", "/dev/fifo"], &[], None),
            (&[], &[], None),
        ] {
            let plan = plan_drop(&paths(dropped), kinds);
            assert_eq!(plan.files, paths(files), "{dropped:?}");
            assert_eq!(plan.folder, folder.map(PathBuf::from), "{dropped:?}");
            assert_eq!(plan.is_empty(), files.is_empty() && folder.is_none());
        }
    }

    #[test]
    fn a_drop_opens_at_most_a_bounded_number_of_windows() {
        let many: Vec<PathBuf> = (0..100)
            .map(|i| PathBuf::from(format!("/d/{i}.md")))
            .collect();
        let plan = plan_drop(&many, kinds);
        assert_eq!(plan.files, many[..MAX_DROPPED_FILES].to_vec());
    }

    #[test]
    fn kinds_come_from_the_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.md");
        std::fs::write(&file, "x").expect("write");
        assert_eq!(kind_on_disk(dir.path()), Some(PathKind::Folder));
        assert_eq!(kind_on_disk(&file), Some(PathKind::File));
        assert_eq!(kind_on_disk(&dir.path().join("missing")), None);
        let plan = plan_drop(&[file.clone(), dir.path().to_path_buf()], kind_on_disk);
        assert_eq!(plan.files, vec![file]);
        assert_eq!(plan.folder.as_deref(), Some(dir.path()));
    }
}
