//! The app's windows: the home window (no document), one window per
//! document keyed by the host's `doc_id`, and the error window shown when
//! the host cannot be started. Every renderer webview shares one WebKit
//! context, so the `hostapi://` scheme is registered once and the web
//! process is shared.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use agent_shell::renderer::{self, RendererBase};
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::{Window, WindowBuilder, WindowId};
use webkit2gtk::glib::object::ObjectType;
use webkit2gtk::glib::Cast;
use webkit2gtk::{
    NavigationPolicyDecision, NavigationPolicyDecisionExt, PolicyDecision, PolicyDecisionExt,
    PolicyDecisionType, URIRequestExt, WebViewExt,
};
use wry::{
    DragDropEvent, NewWindowResponse, PageLoadEvent, WebContext, WebView, WebViewBuilder,
    WebViewBuilderExtUnix, WebViewExtUnix,
};

use crate::events::UserEvent;

/// What a window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowKind {
    /// The renderer without a document: workspaces, recent files, sessions.
    Home,
    /// The renderer on one document.
    Document { doc_id: String, path: PathBuf },
    /// The host could not be started: its last stderr lines.
    Error,
}

pub struct ShellWindow {
    /// A small stable number for tests and logs.
    pub number: u64,
    pub window: Window,
    pub webview: WebView,
    pub kind: WindowKind,
    /// The page reported unsaved changes.
    pub dirty: bool,
    pub page_ready: bool,
    /// How often the shell brought this window forward (second launch,
    /// opening a file that is already open).
    pub focus_requests: u32,
    /// When the page was last asked about unsaved changes on close.
    pub close_asked_at: Option<std::time::Instant>,
    /// Scripts waiting for the page to finish loading.
    pending: Vec<String>,
}

/// A document window's title: the file's name, marked while the page
/// reports unsaved changes (as GNOME's editors mark theirs).
pub fn document_title(path: &std::path::Path, dirty: bool) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if dirty {
        format!("• {name} — Agent")
    } else {
        format!("{name} — Agent")
    }
}

impl ShellWindow {
    /// Records whether the page has unsaved changes, and shows it in a
    /// document window's title.
    pub fn set_dirty(&mut self, dirty: bool) {
        self.dirty = dirty;
        if let WindowKind::Document { path, .. } = &self.kind {
            self.window.set_title(&document_title(path, dirty));
        }
    }

    /// Runs `script` in the page now, or once it has loaded.
    pub fn run_script(&mut self, script: String) {
        if !self.page_ready {
            self.pending.push(script);
            return;
        }
        if let Err(error) = self.webview.evaluate_script(&script) {
            tracing::warn!(%error, window = self.number, "cannot run a script in the page");
        }
    }

    /// The page finished loading: run what waited for it.
    pub fn page_loaded(&mut self) {
        self.page_ready = true;
        for script in std::mem::take(&mut self.pending) {
            self.run_script(script);
        }
    }

    /// Brings the window forward.
    pub fn focus(&mut self) {
        self.focus_requests += 1;
        self.window.set_visible(true);
        self.window.set_minimized(false);
        self.window.set_focus();
    }

    pub fn doc_id(&self) -> Option<&str> {
        match &self.kind {
            WindowKind::Document { doc_id, .. } => Some(doc_id),
            _ => None,
        }
    }
}

/// How every renderer webview is set up.
pub struct WebviewSettings {
    pub base: RendererBase,
    /// Extra URLs a frame may navigate to (tests only).
    pub allowed_extra: Vec<String>,
    /// Whether pages may post to wry's IPC: only for the self-test and the
    /// control socket, never as a channel the shell trusts.
    #[cfg(feature = "test-hooks")]
    pub with_ipc: bool,
    /// Opens links in the system browser.
    pub opener: ExternalOpener,
}

impl WebviewSettings {
    /// What a shell without test hooks uses: no extra URLs, no IPC, the
    /// system browser.
    pub fn new(base: RendererBase) -> Self {
        Self {
            base,
            allowed_extra: Vec::new(),
            #[cfg(feature = "test-hooks")]
            with_ipc: false,
            opener: ExternalOpener::system(),
        }
    }
}

/// Hands an `http(s)` URL to the system browser: `xdg-open`, or in tests
/// (with the test hooks on) the program in `$AGENT_SHELL_TEST_OPENER`.
#[derive(Clone, Debug)]
pub struct ExternalOpener {
    program: PathBuf,
}

impl ExternalOpener {
    /// `xdg-open`.
    pub fn system() -> Self {
        Self {
            program: PathBuf::from("xdg-open"),
        }
    }

    /// Another program, called with the URL as its one argument (tests).
    #[cfg(feature = "test-hooks")]
    pub fn program(program: PathBuf) -> Self {
        Self { program }
    }

    /// Opens `url` when it is `http(s)`; anything else is refused.
    pub fn open(&self, url: &str) {
        let is_web = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !is_web {
            tracing::warn!(url, "refused a navigation");
            return;
        }
        match std::process::Command::new(&self.program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it off the GTK thread.
                std::thread::spawn(move || child.wait());
            }
            Err(error) => tracing::warn!(url, %error, "no system browser to open a link"),
        }
    }
}

/// Where a renderer window may go, and which links it may hand to the
/// system browser.
struct NavigationPolicy {
    base: RendererBase,
    /// Extra URLs a frame may navigate to (tests only).
    allowed_extra: Vec<String>,
    opener: ExternalOpener,
}

impl NavigationPolicy {
    /// WebKit's `decide-policy`: a navigation (any frame) to the renderer is
    /// allowed; anything else is cancelled, and handed to the system
    /// browser only when [`external_open_allowed`] says so. New-window
    /// requests are always cancelled, and handed over by the same rule.
    /// Responses are left to WebKit. Returns whether it decided.
    fn decide(&self, decision: &PolicyDecision, kind: PolicyDecisionType) -> bool {
        let new_window = match kind {
            PolicyDecisionType::NavigationAction => false,
            PolicyDecisionType::NewWindowAction => true,
            _ => return false,
        };
        let Some(mut action) = decision
            .downcast_ref::<NavigationPolicyDecision>()
            .and_then(|d| d.navigation_action())
        else {
            decision.ignore();
            return true;
        };
        let Some(request) = action.request() else {
            decision.ignore();
            return true;
        };
        let url = request.uri().map(|u| u.to_string()).unwrap_or_default();
        if !new_window && (self.base.allows(&url) || self.allowed_extra.contains(&url)) {
            decision.use_();
            return true;
        }
        decision.ignore();
        let referer = request
            .http_headers()
            .and_then(|headers| headers.one("Referer"))
            .map(|r| r.to_string());
        let navigation = ExternalNavigation {
            url: &url,
            user_gesture: action.is_user_gesture(),
            redirect: action.is_redirect(),
            referer: referer.as_deref(),
        };
        match external_open_allowed(&navigation, &self.base) {
            Ok(()) => self.opener.open(&url),
            Err(why) => tracing::debug!(
                url,
                new_window,
                user_gesture = navigation.user_gesture,
                referer = navigation.referer,
                why,
                "blocked a navigation"
            ),
        }
        true
    }
}

/// What the shell knows about a navigation it cancelled.
#[derive(Debug, Clone, Copy)]
struct ExternalNavigation<'a> {
    url: &'a str,
    /// The user asked for it (a click, a key) rather than a script.
    user_gesture: bool,
    /// A server redirected an earlier navigation here.
    redirect: bool,
    /// The `Referer` WebKit set on it: the page it came from.
    referer: Option<&'a str>,
}

/// Whether a cancelled navigation may go to the system browser: an
/// `http(s)` URL, asked for by the user (a click, not a script), not a
/// redirect, from a page of the renderer's origin: the renderer's own main
/// frame. A cross-origin frame's navigations (of itself, or of the top
/// frame) carry that frame's page as their `Referer`, which it cannot make
/// the renderer's; a page that sends no `Referer` gets nothing opened.
/// WebKitGTK tells the UI process neither which frame started a navigation
/// nor which one it targets, so the `Referer` is what names the page.
fn external_open_allowed(
    navigation: &ExternalNavigation<'_>,
    base: &RendererBase,
) -> Result<(), &'static str> {
    let is_web =
        url::Url::parse(navigation.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !is_web {
        return Err("not an http(s) URL");
    }
    if navigation.redirect {
        return Err("a redirect");
    }
    if !navigation.user_gesture {
        return Err("no user gesture");
    }
    let from_renderer = navigation
        .referer
        .and_then(|r| url::Url::parse(r).ok())
        .is_some_and(|r| r.origin().ascii_serialization() == base.origin());
    if !from_renderer {
        return Err("not from the renderer's main frame");
    }
    Ok(())
}

thread_local! {
    /// WebKit view (by pointer) → its window, for the scheme's shell
    /// actions, which arrive with the asking view. GTK thread only.
    static VIEWS: RefCell<HashMap<usize, WindowId>> = RefCell::new(HashMap::new());
}

/// The window whose webview is `view`.
pub fn window_of(view: &webkit2gtk::WebView) -> Option<WindowId> {
    VIEWS.with(|views| views.borrow().get(&(view.as_ptr() as usize)).copied())
}

type ContextSetup = Box<dyn FnOnce(&webkit2gtk::WebContext)>;

pub struct Windows {
    map: HashMap<WindowId, ShellWindow>,
    context: WebContext,
    /// Runs once, on the first webview's WebKit context (the scheme).
    setup: Option<ContextSetup>,
    settings: WebviewSettings,
    proxy: EventLoopProxy<UserEvent>,
    next_number: u64,
    /// Most recently focused or created first.
    order: Vec<WindowId>,
}

impl Windows {
    pub fn new(
        settings: WebviewSettings,
        proxy: EventLoopProxy<UserEvent>,
        setup: ContextSetup,
    ) -> Self {
        Self {
            map: HashMap::new(),
            context: WebContext::new(None),
            setup: Some(setup),
            settings,
            proxy,
            next_number: 1,
            order: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// What opens URLs in the system browser.
    pub fn opener(&self) -> &ExternalOpener {
        &self.settings.opener
    }

    pub fn get_mut(&mut self, id: WindowId) -> Option<&mut ShellWindow> {
        self.map.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&WindowId, &ShellWindow)> {
        self.map.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut ShellWindow> {
        self.map.values_mut()
    }

    #[cfg(feature = "test-hooks")]
    pub fn by_number(&self, number: u64) -> Option<WindowId> {
        self.map
            .iter()
            .find(|(_, w)| w.number == number)
            .map(|(id, _)| *id)
    }

    pub fn by_doc_id(&self, doc_id: &str) -> Option<WindowId> {
        self.map
            .iter()
            .find(|(_, w)| w.doc_id() == Some(doc_id))
            .map(|(id, _)| *id)
    }

    pub fn home(&self) -> Option<WindowId> {
        self.map
            .iter()
            .find(|(_, w)| w.kind == WindowKind::Home)
            .map(|(id, _)| *id)
    }

    /// The window the user worked in last (for dialogs and menu actions).
    pub fn current(&self) -> Option<WindowId> {
        self.map
            .iter()
            .find(|(_, w)| w.window.is_focused())
            .map(|(id, _)| *id)
            .or_else(|| self.order.first().copied())
    }

    pub fn touch(&mut self, id: WindowId) {
        self.order.retain(|w| *w != id);
        self.order.insert(0, id);
    }

    /// Closes a window at once (the caller dealt with unsaved changes).
    pub fn remove(&mut self, id: WindowId) -> Option<ShellWindow> {
        let window = self.map.remove(&id)?;
        self.order.retain(|w| *w != id);
        VIEWS.with(|views| {
            views
                .borrow_mut()
                .remove(&(window.webview.webview().as_ptr() as usize))
        });
        Some(window)
    }

    /// Opens a renderer window at `url` (under the renderer base).
    pub fn open_renderer(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        kind: WindowKind,
        title: &str,
        url: &str,
        menu: Option<&crate::menu::AppMenu>,
    ) -> Result<WindowId, String> {
        let window = WindowBuilder::new()
            .with_title(title)
            .with_inner_size(tao::dpi::LogicalSize::new(1200.0, 800.0))
            .build(target)
            .map_err(|e| format!("cannot open a window: {e}"))?;
        if let Some(menu) = menu {
            if let Err(error) = menu.attach(&window) {
                tracing::warn!(%error, "no menu bar on this window");
            }
        }
        let id = window.id();
        let base = self.settings.base.clone();
        let nav_base = base.clone();
        let policy = NavigationPolicy {
            base: nav_base,
            allowed_extra: self.settings.allowed_extra.clone(),
            opener: self.settings.opener.clone(),
        };
        // Navigations are decided on WebKit's own policy signal (below), not
        // wry's navigation handler, which sees only a URL: whether a user
        // asked, and from which page, is on the navigation action. A
        // new-window request is decided there too; wry's handler is only the
        // fallback that denies.
        let builder = WebViewBuilder::new_with_web_context(&mut self.context)
            .with_initialization_script_for_main_only(renderer::preload_script(&base), true)
            .with_new_window_req_handler(|url, _| {
                tracing::debug!(url, "denied a new window");
                NewWindowResponse::Deny
            });
        // Files and folders dropped on the page go to the shell, never to
        // WebKit, which would navigate the window to a dropped file.
        let drop_proxy = self.proxy.clone();
        let builder = builder.with_drag_drop_handler(move |event| {
            if let DragDropEvent::Drop { paths, .. } = event {
                let _ = drop_proxy.send_event(UserEvent::Dropped(id, paths));
            }
            true
        });
        let builder = report_events(builder, id, &self.proxy, &self.settings);
        let webview = build(builder, &window, &mut self.setup)?;
        // Before the first load, so it decides that one too.
        webview
            .webview()
            .connect_decide_policy(move |_, decision, kind| policy.decide(decision, kind));
        webview
            .load_url(url)
            .map_err(|e| format!("cannot load the renderer: {e}"))?;
        Ok(self.insert(window, webview, kind))
    }

    /// Opens the error window: static HTML, no preload reach (its origin is
    /// not the renderer's), no scheme access, no navigation.
    pub fn open_error(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        html: String,
    ) -> Result<WindowId, String> {
        let window = WindowBuilder::new()
            .with_title("Agent — the host could not start")
            .with_inner_size(tao::dpi::LogicalSize::new(760.0, 520.0))
            .build(target)
            .map_err(|e| format!("cannot open a window: {e}"))?;
        let builder = WebViewBuilder::new_with_web_context(&mut self.context)
            .with_html(html)
            .with_navigation_handler(|url| url == "about:blank" || url.starts_with("data:"))
            .with_new_window_req_handler(|_, _| NewWindowResponse::Deny);
        let builder = report_events(builder, window.id(), &self.proxy, &self.settings);
        let webview = build(builder, &window, &mut self.setup)?;
        Ok(self.insert(window, webview, WindowKind::Error))
    }

    fn insert(&mut self, window: Window, webview: WebView, kind: WindowKind) -> WindowId {
        let id = window.id();
        let gone_proxy = self.proxy.clone();
        webview
            .webview()
            .connect_web_process_terminated(move |_, reason| {
                tracing::warn!(?reason, "a window's web process ended");
                let _ = gone_proxy.send_event(UserEvent::PageGone(id));
            });
        VIEWS.with(|views| {
            views
                .borrow_mut()
                .insert(webview.webview().as_ptr() as usize, id)
        });
        let number = self.next_number;
        self.next_number += 1;
        self.map.insert(
            id,
            ShellWindow {
                number,
                window,
                webview,
                kind,
                dirty: false,
                page_ready: false,
                focus_requests: 0,
                close_asked_at: None,
                pending: Vec::new(),
            },
        );
        self.touch(id);
        id
    }
}

/// Builds the webview into the window; the first one also runs the shared
/// context's one-time `setup`.
fn build(
    builder: WebViewBuilder,
    window: &Window,
    setup: &mut Option<ContextSetup>,
) -> Result<WebView, String> {
    let vbox = window
        .default_vbox()
        .ok_or("the window has no GTK container")?;
    let webview = builder
        .build_gtk(vbox)
        .map_err(|e| format!("cannot create the webview: {e}"))?;
    if let Some(setup) = setup.take() {
        // Before the first load: the scheme is in place for the first request.
        let context = webview
            .webview()
            .context()
            .ok_or("the webview has no WebKit context")?;
        setup(&context);
    }
    Ok(webview)
}

/// Page loads (and, for the self-test and the control socket, IPC
/// messages) become events for window `id`.
fn report_events<'a>(
    builder: WebViewBuilder<'a>,
    id: WindowId,
    proxy: &EventLoopProxy<UserEvent>,
    #[cfg_attr(not(feature = "test-hooks"), allow(unused_variables))] settings: &WebviewSettings,
) -> WebViewBuilder<'a> {
    let load_proxy = proxy.clone();
    let builder = builder.with_on_page_load_handler(move |event, url| {
        let event = match event {
            PageLoadEvent::Started => UserEvent::PageStarted(id),
            PageLoadEvent::Finished => UserEvent::PageLoaded(id, url),
        };
        let _ = load_proxy.send_event(event);
    });
    #[cfg(feature = "test-hooks")]
    if settings.with_ipc {
        let ipc_proxy = proxy.clone();
        return builder.with_ipc_handler(move |request| {
            let _ = ipc_proxy.send_event(UserEvent::Ipc(id, request.body().clone()));
        });
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_title_names_the_file_and_marks_unsaved_changes() {
        let path = std::path::Path::new("/home/me/notes/plan.md");
        assert_eq!(document_title(path, false), "plan.md — Agent");
        assert_eq!(document_title(path, true), "• plan.md — Agent");
    }

    #[test]
    fn only_a_gesture_from_the_renderer_opens_an_external_link() {
        let base = RendererBase::from_url("http://127.0.0.1:4000").expect("base");
        let click = ExternalNavigation {
            url: "https://example.com/a",
            user_gesture: true,
            redirect: false,
            referer: Some("http://127.0.0.1:4000/"),
        };
        assert_eq!(external_open_allowed(&click, &base), Ok(()));
        let full_referer = ExternalNavigation {
            referer: Some("http://127.0.0.1:4000/desktop/?doc=x"),
            ..click
        };
        assert_eq!(external_open_allowed(&full_referer, &base), Ok(()));
        for (navigation, why) in [
            (
                ExternalNavigation {
                    user_gesture: false,
                    ..click
                },
                "no user gesture",
            ),
            (
                ExternalNavigation {
                    redirect: true,
                    ..click
                },
                "a redirect",
            ),
            (
                ExternalNavigation {
                    referer: None,
                    ..click
                },
                "not from the renderer's main frame",
            ),
            (
                ExternalNavigation {
                    referer: Some("http://127.0.0.1:4001/"),
                    ..click
                },
                "not from the renderer's main frame",
            ),
            (
                ExternalNavigation {
                    referer: Some("https://127.0.0.1:4000/"),
                    ..click
                },
                "not from the renderer's main frame",
            ),
            (
                ExternalNavigation {
                    url: "file:///etc/passwd",
                    ..click
                },
                "not an http(s) URL",
            ),
            (
                ExternalNavigation {
                    url: "agent-host://workspace?path=/",
                    ..click
                },
                "not an http(s) URL",
            ),
        ] {
            assert_eq!(
                external_open_allowed(&navigation, &base),
                Err(why),
                "{navigation:?}"
            );
        }
    }
}
