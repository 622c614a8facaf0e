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
use webkit2gtk::WebViewExt;
use wry::{
    NewWindowResponse, PageLoadEvent, WebContext, WebView, WebViewBuilder, WebViewBuilderExtUnix,
    WebViewExtUnix,
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

impl ShellWindow {
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
    /// Extra URLs a frame may navigate to (self-test probes only).
    pub allowed_extra: Vec<String>,
    /// Whether pages may post to wry's IPC: only for the self-test and the
    /// control socket, never as a channel the shell trusts.
    pub with_ipc: bool,
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

    pub fn get_mut(&mut self, id: WindowId) -> Option<&mut ShellWindow> {
        self.map.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&WindowId, &ShellWindow)> {
        self.map.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut ShellWindow> {
        self.map.values_mut()
    }

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
        let allowed_extra = self.settings.allowed_extra.clone();
        let builder = WebViewBuilder::new_with_web_context(&mut self.context)
            .with_initialization_script_for_main_only(renderer::preload_script(&base), true)
            .with_navigation_handler(move |url| {
                if nav_base.allows(&url) || allowed_extra.contains(&url) {
                    return true;
                }
                crate::open_externally(&url);
                false
            })
            .with_new_window_req_handler(|url, _| {
                crate::open_externally(&url);
                NewWindowResponse::Deny
            });
        let builder = report_events(builder, id, &self.proxy, self.settings.with_ipc);
        let webview = build(builder, &window, &mut self.setup)?;
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
        let builder = report_events(builder, window.id(), &self.proxy, self.settings.with_ipc);
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
    with_ipc: bool,
) -> WebViewBuilder<'a> {
    let load_proxy = proxy.clone();
    let builder = builder.with_on_page_load_handler(move |event, url| {
        let event = match event {
            PageLoadEvent::Started => UserEvent::PageStarted(id),
            PageLoadEvent::Finished => UserEvent::PageLoaded(id, url),
        };
        let _ = load_proxy.send_event(event);
    });
    if !with_ipc {
        return builder;
    }
    let ipc_proxy = proxy.clone();
    builder.with_ipc_handler(move |request| {
        let _ = ipc_proxy.send_event(UserEvent::Ipc(id, request.body().clone()));
    })
}
