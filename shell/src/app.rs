//! The event loop's state and what each event does to it: opening files
//! (resolved to the host's `doc_id`, one window per document), the pages'
//! shell actions, the menu, closing with unsaved changes, the error window,
//! and (with the `test-hooks` feature, in app/control.rs) the test-only
//! control socket's requests.

#[cfg(feature = "test-hooks")]
mod control;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a page may leave a close request unanswered before a second
/// request closes its window anyway.
const UNANSWERED_CLOSE: Duration = Duration::from_secs(5);

use agent_shell::actions::ShellAction;
use agent_shell::deeplink::{self, Link};
use agent_shell::error_page::error_page;
use agent_shell::host_calls::{HostCalls, OpenedDocument};
use agent_shell::renderer::{self, RendererBase};
use agent_shell::single_instance::Message;
use agent_shell::supervisor::HostState;
use gtk::prelude::Cast;
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowId;
use tokio::sync::watch;

use crate::dialog;
use crate::events::{HostUpdate, UserEvent};
use crate::menu::{AppMenu, MenuAction};
use crate::windows::{WindowKind, Windows};

/// The event loop's state: the windows and what they are waiting for.
pub struct App {
    pub windows: Windows,
    menu: AppMenu,
    base: RendererBase,
    calls: HostCalls,
    runtime: tokio::runtime::Handle,
    proxy: EventLoopProxy<UserEvent>,
    /// The last host state, told to every page that loads later.
    host: Option<HostUpdate>,
    error_window: Option<WindowId>,
    /// Files sent to the host for their `doc_id`, not answered yet: the app
    /// is not over while a window is on its way.
    pub resolving: usize,
    /// A quit waits for the windows with unsaved changes.
    quitting: bool,
    /// The control socket's pending evals.
    #[cfg(feature = "test-hooks")]
    control: control::State,
}

impl App {
    pub fn new(
        windows: Windows,
        menu: AppMenu,
        base: RendererBase,
        runtime: tokio::runtime::Handle,
        proxy: EventLoopProxy<UserEvent>,
        host_state: watch::Receiver<HostState>,
    ) -> Self {
        Self {
            windows,
            menu,
            calls: HostCalls::new(host_state.clone(), base.start_url()),
            base,
            runtime,
            proxy,
            host: None,
            error_window: None,
            resolving: 0,
            quitting: false,
            #[cfg(feature = "test-hooks")]
            control: control::State::new(host_state),
        }
    }
}

impl App {
    pub fn handle(&mut self, target: &EventLoopWindowTarget<UserEvent>, event: UserEvent) {
        match event {
            UserEvent::HostState(update) => self.host_changed(target, update),
            UserEvent::Open(message) => self.open(target, message),
            UserEvent::OpenFiles(paths) => {
                for path in paths {
                    self.resolve(path);
                }
            }
            UserEvent::SaveAsChosen(id, path) => {
                if let Some(window) = self.windows.get_mut(id) {
                    window.run_script(agent_shell::renderer::save_as_script(path.as_deref()));
                }
            }
            UserEvent::FolderChosen(id, path) => {
                if let Some(window) = self.windows.get_mut(id) {
                    window.run_script(renderer::folder_chosen_script(path.as_deref()));
                }
            }
            UserEvent::Dropped(id, paths) => self.dropped(id, &paths),
            UserEvent::Resolved(path, result) => self.resolved(target, path, result),
            UserEvent::Recent(paths) => self.menu.set_recent(paths),
            UserEvent::Shell(id, action) => self.shell_action(id, action),
            UserEvent::Menu(id) => match self.menu.action(&id) {
                Some(action) => self.menu_action(action),
                None => tracing::debug!(?id, "a menu item without an action"),
            },
            #[cfg(feature = "test-hooks")]
            UserEvent::Control(call) => self.control(call),
            // Handled by the loop itself.
            UserEvent::PageStarted(id) => self.page_dropped(id, false),
            UserEvent::PageGone(id) => self.page_dropped(id, true),
            UserEvent::PageLoaded(..) | UserEvent::Quit => {}
            #[cfg(feature = "test-hooks")]
            UserEvent::Ipc(..) | UserEvent::Timeout => {}
        }
    }

    pub fn open_home(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
    ) -> Result<WindowId, String> {
        if let Some(id) = self.windows.home() {
            return Ok(id);
        }
        let id = self.windows.open_renderer(
            target,
            WindowKind::Home,
            "Agent",
            &self.base.start_url(),
            Some(&self.menu),
        )?;
        self.tell_host_state(id);
        Ok(id)
    }

    /// Files (the user's own, from argv or a second launch) become document
    /// windows at once, after the host resolves them. Deep links, which any
    /// web page can fire, open nothing here: each becomes a request to the
    /// home window's page (`desktop:link`), which shows the user what the
    /// link asks for and, only on their Open, does it itself.
    pub fn open(&mut self, target: &EventLoopWindowTarget<UserEvent>, message: Message) {
        let mut requests = Vec::new();
        for link in &message.links {
            match deeplink::parse(link) {
                Ok(link) => requests.push(link_request(&link)),
                Err(error) => tracing::warn!(%error, "refused deep link"),
            }
        }
        for path in message.files.iter().cloned() {
            self.resolve(path);
        }
        if !requests.is_empty() || message.is_empty() {
            // A bare second launch brings the app forward.
            match self.open_home(target) {
                Ok(id) => {
                    if let Some(window) = self.windows.get_mut(id) {
                        window.focus();
                        for request in &requests {
                            window.run_script(link_script(request));
                        }
                    }
                }
                Err(error) => tracing::error!(%error, "cannot open the home window"),
            }
        }
    }

    /// Asks the host for the file's `doc_id` (off the GTK thread).
    fn resolve(&mut self, path: PathBuf) {
        self.resolving += 1;
        let calls = self.calls.clone();
        let proxy = self.proxy.clone();
        self.runtime.spawn(async move {
            let result = calls.open_document(&path).await;
            let _ = proxy.send_event(UserEvent::Resolved(path, result));
        });
    }

    fn resolved(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        path: PathBuf,
        result: Result<OpenedDocument, String>,
    ) {
        self.resolving = self.resolving.saturating_sub(1);
        let document = match result {
            Ok(document) => document,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot open a file");
                if self.windows.is_empty() {
                    let _ = self.open_home(target);
                }
                let parent = self
                    .windows
                    .current()
                    .and_then(|id| self.windows.get_mut(id));
                dialog::show_error(
                    parent.map(|w| w.window.gtk_window().upcast_ref::<gtk::Window>()),
                    &format!("Cannot open {}", path.display()),
                    &error,
                );
                return;
            }
        };
        self.refresh_recent();
        if let Some(id) = self.windows.by_doc_id(&document.doc_id) {
            if let Some(window) = self.windows.get_mut(id) {
                window.focus();
            }
            self.windows.touch(id);
            return;
        }
        let url = format!(
            "{}?doc={}",
            self.base.start_url(),
            url::form_urlencoded::byte_serialize(document.doc_id.as_bytes()).collect::<String>()
        );
        let title = crate::windows::document_title(&document.path, false);
        let kind = WindowKind::Document {
            doc_id: document.doc_id,
            path: document.path,
        };
        match self
            .windows
            .open_renderer(target, kind, &title, &url, Some(&self.menu))
        {
            Ok(id) => self.tell_host_state(id),
            Err(error) => tracing::error!(%error, "cannot open a document window"),
        }
    }

    fn refresh_recent(&self) {
        let calls = self.calls.clone();
        let proxy = self.proxy.clone();
        self.runtime.spawn(async move {
            match calls.recent_files().await {
                Ok(paths) => {
                    let _ = proxy.send_event(UserEvent::Recent(paths));
                }
                Err(error) => tracing::debug!(%error, "no recent files for the menu"),
            }
        });
    }

    fn host_changed(&mut self, target: &EventLoopWindowTarget<UserEvent>, update: HostUpdate) {
        let script = renderer::host_state_script(update.state, update.message.as_deref());
        for window in self.windows.iter_mut() {
            if window.kind != WindowKind::Error {
                window.run_script(script.clone());
            }
        }
        match update.state {
            "ready" => self.refresh_recent(),
            "failed" if self.error_window.is_none() => {
                let html = error_page(
                    update.message.as_deref().unwrap_or("the host failed"),
                    &update.last_stderr,
                );
                match self.windows.open_error(target, html) {
                    Ok(id) => self.error_window = Some(id),
                    Err(error) => tracing::error!(%error, "cannot show the error window"),
                }
            }
            _ => {}
        }
        self.host = Some(update);
    }

    fn tell_host_state(&mut self, id: WindowId) {
        if let (Some(update), Some(window)) = (&self.host, self.windows.get_mut(id)) {
            window.run_script(renderer::host_state_script(
                update.state,
                update.message.as_deref(),
            ));
        }
    }

    pub fn page_loaded(&mut self, id: WindowId, url: &str) {
        if let Some(window) = self.windows.get_mut(id) {
            if self.base.allows(url) || window.kind == WindowKind::Error {
                window.page_loaded();
            }
        }
    }

    /// The window manager's close button, Close Window, Quit: a window with
    /// unsaved changes asks its page (which offers save, discard, cancel and
    /// then closes through `hostapi://shell/close`); others close at once.
    pub fn request_close(&mut self, id: WindowId) {
        let Some(window) = self.windows.get_mut(id) else {
            return;
        };
        if window.dirty && window.page_ready {
            // A page that has not answered for a while (hung) does not get
            // to keep its window: the second request closes it.
            let unanswered = window
                .close_asked_at
                .is_some_and(|at| at.elapsed() > UNANSWERED_CLOSE);
            if !unanswered {
                window.close_asked_at.get_or_insert_with(Instant::now);
                window.focus();
                window.run_script(format!(
                    "window.dispatchEvent(new Event({}));",
                    serde_json::to_string(agent_shell::actions::CLOSE_REQUESTED_EVENT)
                        .expect("a string")
                ));
                return;
            }
            tracing::warn!("the page did not answer a close request; closing anyway");
        }
        self.close_now(id);
    }

    /// The window's page went away (a reload or a dead web process): its
    /// unsaved state went with it, and evals sent to it will not answer.
    fn page_dropped(&mut self, id: WindowId, process_gone: bool) {
        let Some(window) = self.windows.get_mut(id) else {
            return;
        };
        let was_ready = window.page_ready;
        window.page_ready = false;
        window.set_dirty(false);
        window.close_asked_at = None;
        if process_gone {
            // Show the document again rather than a blank window.
            if let Err(error) = window.webview.reload() {
                tracing::warn!(%error, "cannot reload the window");
            }
        }
        if was_ready || process_gone {
            #[cfg(feature = "test-hooks")]
            self.answer_evals(id, "the page went away");
        }
        if self.quitting {
            self.close_clean_if_quitting();
        }
    }

    fn close_now(&mut self, id: WindowId) {
        if let Some(window) = self.windows.remove(id) {
            self.menu.detach(&window.window);
            if self.error_window == Some(id) {
                self.error_window = None;
            }
        }
        #[cfg(feature = "test-hooks")]
        self.answer_evals(id, "the window closed");
        if self.quitting {
            self.close_clean_if_quitting();
        }
    }

    /// During a quit: once no window has unsaved changes, the rest close.
    fn close_clean_if_quitting(&mut self) {
        if self.windows.iter().any(|(_, w)| w.dirty) {
            return;
        }
        self.quitting = false;
        let ids: Vec<WindowId> = self.windows.iter().map(|(id, _)| *id).collect();
        for id in ids {
            self.close_now(id);
        }
    }

    fn shell_action(&mut self, id: WindowId, action: ShellAction) {
        match action {
            ShellAction::Open(path) => self.resolve(path),
            ShellAction::OpenDialog => self.open_dialog(Some(id)),
            ShellAction::SaveDialog(name) => self.save_dialog(id, &name),
            ShellAction::FolderDialog => self.folder_dialog(id),
            // Checked when parsed (`actions::external_url`); the opener
            // checks the scheme again.
            ShellAction::OpenExternal(url) => self.windows.opener().open(url.as_str()),
            ShellAction::SetDirty(dirty) => {
                if let Some(window) = self.windows.get_mut(id) {
                    window.set_dirty(dirty);
                    // The page answered (saved, or kept its changes).
                    window.close_asked_at = None;
                }
                // Unsaved changes kept during a quit cancel the quit.
                if dirty {
                    self.quitting = false;
                }
            }
            ShellAction::Close => self.close_now(id),
            ShellAction::Quit => self.quit(),
        }
    }

    fn menu_action(&mut self, action: MenuAction) {
        match action {
            MenuAction::Open => self.open_dialog(self.windows.current()),
            MenuAction::OpenRecent(path) => self.resolve(path),
            MenuAction::CloseWindow => {
                if let Some(id) = self.windows.current() {
                    self.request_close(id);
                }
            }
            MenuAction::Quit => self.quit(),
            MenuAction::ShowShortcuts => {
                let current = self.windows.current();
                if let Some(window) = current.and_then(|id| self.windows.get_mut(id)) {
                    if window.kind != WindowKind::Error {
                        window.run_script(renderer::show_shortcuts_script());
                    }
                }
            }
        }
    }

    /// Files and folders dropped on window `id`: each file opens in its
    /// document window (as File > Open), the first folder goes to that
    /// window's page (`desktop:folder-dropped`), which opens it as a
    /// workspace. Nothing reaches the error window's page.
    pub fn dropped(&mut self, id: WindowId, paths: &[PathBuf]) {
        let plan = agent_shell::drop::plan_drop(paths, agent_shell::drop::kind_on_disk);
        if plan.is_empty() {
            tracing::debug!(?paths, "nothing to open in a drop");
            return;
        }
        if let Some(folder) = &plan.folder {
            match self.windows.get_mut(id) {
                Some(window) if window.kind != WindowKind::Error => {
                    window.run_script(renderer::folder_dropped_script(folder));
                }
                _ => tracing::debug!(folder = %folder.display(), "a folder dropped on no page"),
            }
        }
        for file in plan.files {
            self.resolve(file);
        }
    }

    /// Every window is asked to close; the app ends with the last one.
    /// Windows with unsaved changes are asked first; the others close only
    /// once all of those did (so Cancel leaves the app as it was).
    fn quit(&mut self) {
        let dirty: Vec<WindowId> = self
            .windows
            .iter()
            .filter(|(_, w)| w.dirty && w.page_ready)
            .map(|(id, _)| *id)
            .collect();
        self.quitting = true;
        if dirty.is_empty() {
            self.close_clean_if_quitting();
            return;
        }
        for id in dirty {
            self.request_close(id);
        }
    }

    /// Save As for window `id`'s page, starting in its document's folder;
    /// the answer goes back to that page (`renderer::save_as_script`).
    fn save_dialog(&mut self, id: WindowId, name: &str) {
        let Some(window) = self.windows.get_mut(id) else {
            return;
        };
        let folder = match &window.kind {
            WindowKind::Document { path, .. } => path.parent().map(Path::to_path_buf),
            _ => None,
        };
        let proxy = self.proxy.clone();
        dialog::choose_save_path(
            window.window.gtk_window().upcast_ref(),
            folder.as_deref(),
            name,
            move |path| {
                let _ = proxy.send_event(UserEvent::SaveAsChosen(id, path));
            },
        );
    }

    /// A folder chooser for window `id`'s page, starting in its document's
    /// folder (else the home folder); the answer goes back to that page
    /// (`renderer::folder_chosen_script`).
    fn folder_dialog(&mut self, id: WindowId) {
        let Some(window) = self.windows.get_mut(id) else {
            return;
        };
        let start = match &window.kind {
            WindowKind::Document { path, .. } => path.parent().map(Path::to_path_buf),
            _ => None,
        }
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from));
        let proxy = self.proxy.clone();
        dialog::choose_folder(
            window.window.gtk_window().upcast_ref(),
            start.as_deref(),
            move |path| {
                let _ = proxy.send_event(UserEvent::FolderChosen(id, path));
            },
        );
    }

    fn open_dialog(&mut self, parent: Option<WindowId>) {
        let Some(window) = parent.and_then(|id| self.windows.get_mut(id)) else {
            return;
        };
        let proxy = self.proxy.clone();
        dialog::choose_files(window.window.gtk_window().upcast_ref(), move |paths| {
            let _ = proxy.send_event(UserEvent::OpenFiles(paths));
        });
    }
}

/// The DOM event that asks the home window's page about a deep link
/// (`linkEvent` in web/src/desktop/constants.json).
pub const LINK_EVENT: &str = agent_shell::renderer::LINK_EVENT;

/// What a deep link asks for, as the page gets it: `{kind, path}` for
/// `workspace` and `file`, `{kind, session}` for `session`. Paths are UTF-8
/// (the parser refuses any other).
fn link_request(link: &Link) -> serde_json::Value {
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    match link {
        Link::Workspace(p) => serde_json::json!({"kind": "workspace", "path": path(p)}),
        Link::Open(p) => serde_json::json!({"kind": "file", "path": path(p)}),
        Link::Session(id) => serde_json::json!({"kind": "session", "session": id}),
    }
}

/// Asks the renderer (`desktop:link`) about one deep link. Queued first on
/// `window.__desktopLinks`, so a page that has not mounted yet still finds
/// it. Only where the preload defined `window.desktop`.
fn link_script(request: &serde_json::Value) -> String {
    format!(
        "if (window.desktop) {{ (window.{queue} = window.{queue} || []).push({request}); \
         window.dispatchEvent(new Event({event})); }}",
        queue = agent_shell::renderer::LINK_QUEUE,
        event = serde_json::to_string(LINK_EVENT).expect("a string")
    )
}
