//! Native GTK dialogs, shown without blocking the event loop (a nested
//! `run()` would re-enter tao's handler): answers come back as callbacks.

use std::path::PathBuf;

use gtk::prelude::*;

/// File > Open: a file chooser over `parent`; `on_files` gets the chosen
/// files (nothing when cancelled).
pub fn choose_files(parent: &gtk::Window, on_files: impl Fn(Vec<PathBuf>) + 'static) {
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some("Open"),
        Some(parent),
        gtk::FileChooserAction::Open,
        &[
            ("_Cancel", gtk::ResponseType::Cancel),
            ("_Open", gtk::ResponseType::Accept),
        ],
    );
    dialog.set_select_multiple(true);
    dialog.set_modal(true);
    dialog.connect_response(move |dialog, response| {
        if response == gtk::ResponseType::Accept {
            on_files(dialog.filenames());
        }
        dialog.close();
    });
    dialog.show();
}

/// Save As: a save chooser over `parent`, in `folder`, proposing `name`,
/// confirming before it names an existing file; `on_path` gets the chosen
/// path, or `None` when cancelled.
pub fn choose_save_path(
    parent: &gtk::Window,
    folder: Option<&std::path::Path>,
    name: &str,
    on_path: impl Fn(Option<PathBuf>) + 'static,
) {
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some("Save As"),
        Some(parent),
        gtk::FileChooserAction::Save,
        &[
            ("_Cancel", gtk::ResponseType::Cancel),
            ("_Save", gtk::ResponseType::Accept),
        ],
    );
    dialog.set_do_overwrite_confirmation(true);
    dialog.set_modal(true);
    if let Some(folder) = folder {
        dialog.set_current_folder(folder);
    }
    dialog.set_current_name(name);
    dialog.connect_response(move |dialog, response| {
        let chosen = (response == gtk::ResponseType::Accept)
            .then(|| dialog.filename())
            .flatten();
        on_path(chosen);
        dialog.close();
    });
    dialog.show();
}

/// A folder chooser over `parent` (to open a workspace, say), showing
/// `start` (GTK would show Recent, where nothing can be selected);
/// `on_folder` gets the chosen folder, or `None` when cancelled.
pub fn choose_folder(
    parent: &gtk::Window,
    start: Option<&std::path::Path>,
    on_folder: impl Fn(Option<PathBuf>) + 'static,
) {
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some("Choose a Folder"),
        Some(parent),
        gtk::FileChooserAction::SelectFolder,
        &[
            ("_Cancel", gtk::ResponseType::Cancel),
            ("_Select", gtk::ResponseType::Accept),
        ],
    );
    dialog.set_modal(true);
    dialog.set_create_folders(true);
    if let Some(start) = start {
        dialog.set_current_folder(start);
    }
    dialog.connect_response(move |dialog, response| {
        let chosen = (response == gtk::ResponseType::Accept)
            .then(|| dialog.filename())
            .flatten();
        on_folder(chosen);
        dialog.close();
    });
    dialog.show();
}

/// A message the user should see even when no page can show it (a file
/// that cannot be opened, say).
pub fn show_error(parent: Option<&gtk::Window>, title: &str, detail: &str) {
    let dialog = gtk::MessageDialog::new(
        parent,
        gtk::DialogFlags::DESTROY_WITH_PARENT,
        gtk::MessageType::Error,
        gtk::ButtonsType::Close,
        title,
    );
    dialog.set_secondary_text(Some(detail));
    dialog.connect_response(|dialog, _| dialog.close());
    dialog.show();
}
