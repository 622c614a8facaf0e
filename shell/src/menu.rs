//! The menu bar (muda): File > Open…, Open Recent, Close Window, Quit;
//! Help > Keyboard Shortcuts. One
//! menu shared by every window; a click becomes a [`MenuAction`] on the
//! event loop.

use std::path::PathBuf;

use muda::accelerator::{Accelerator, Code, Modifiers};
use muda::{Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem, Submenu};

const OPEN: &str = "file.open";
const CLOSE: &str = "file.close";
const QUIT: &str = "file.quit";
const SHORTCUTS: &str = "help.shortcuts";
const RECENT_PREFIX: &str = "file.recent.";
/// How many recent files the menu lists.
const RECENT_ITEMS: usize = 10;

/// What a menu click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuAction {
    Open,
    OpenRecent(PathBuf),
    CloseWindow,
    Quit,
    /// Help > Keyboard Shortcuts: the focused window's page shows them.
    ShowShortcuts,
}

pub struct AppMenu {
    menu: Menu,
    recent: Submenu,
    recent_paths: Vec<PathBuf>,
}

impl AppMenu {
    /// Builds the menu; clicks are handed to `on_click` (from GTK's thread).
    pub fn new(on_click: impl Fn(MenuId) + Send + Sync + 'static) -> Result<Self, String> {
        let ctrl = |code| Some(Accelerator::new(Some(Modifiers::CONTROL), code));
        let recent = Submenu::new("Open &Recent", true);
        let file = Submenu::with_items(
            "&File",
            true,
            &[
                &MenuItem::with_id(OPEN, "&Open…", true, ctrl(Code::KeyO)),
                &recent,
                &PredefinedMenuItem::separator(),
                &MenuItem::with_id(CLOSE, "&Close Window", true, ctrl(Code::KeyW)),
                &MenuItem::with_id(QUIT, "&Quit", true, ctrl(Code::KeyQ)),
            ],
        )
        .map_err(|e| e.to_string())?;
        // F1: a key no text field or editor binding wants (Ctrl+/ is
        // CodeMirror's toggle-comment, and the menu's keys win).
        let help = Submenu::with_items(
            "&Help",
            true,
            &[&MenuItem::with_id(
                SHORTCUTS,
                "&Keyboard Shortcuts",
                true,
                Some(Accelerator::new(None, Code::F1)),
            )],
        )
        .map_err(|e| e.to_string())?;
        let menu = Menu::new();
        menu.append(&file).map_err(|e| e.to_string())?;
        menu.append(&help).map_err(|e| e.to_string())?;
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| on_click(event.id)));
        let mut this = Self {
            menu,
            recent,
            recent_paths: Vec::new(),
        };
        this.set_recent(Vec::new());
        Ok(this)
    }

    /// Adds the menu bar to a window, above its webview.
    pub fn attach(&self, window: &tao::window::Window) -> Result<(), String> {
        use tao::platform::unix::WindowExtUnix;
        let vbox = window
            .default_vbox()
            .ok_or("the window has no GTK container")?;
        self.menu
            .init_for_gtk_window(window.gtk_window(), Some(vbox))
            .map_err(|e| e.to_string())
    }

    /// Removes the menu bar from a window that is closing (muda keeps one
    /// per window until told, and a new window could reuse its address).
    pub fn detach(&self, window: &tao::window::Window) {
        use tao::platform::unix::WindowExtUnix;
        let _ = self.menu.remove_for_gtk_window(window.gtk_window());
    }

    /// Replaces the Open Recent entries.
    pub fn set_recent(&mut self, paths: Vec<PathBuf>) {
        while self.recent.remove_at(0).is_some() {}
        self.recent_paths = paths.into_iter().take(RECENT_ITEMS).collect();
        if self.recent_paths.is_empty() {
            let _ = self
                .recent
                .append(&MenuItem::new("No recent files", false, None));
        }
        for (i, path) in self.recent_paths.iter().enumerate() {
            // `&` marks a mnemonic in muda labels.
            let label = path.to_string_lossy().replace('&', "&&");
            let item = MenuItem::with_id(format!("{RECENT_PREFIX}{i}"), label, true, None);
            let _ = self.recent.append(&item);
        }
    }

    /// The action behind a clicked item.
    pub fn action(&self, id: &MenuId) -> Option<MenuAction> {
        match id.as_ref() {
            OPEN => Some(MenuAction::Open),
            CLOSE => Some(MenuAction::CloseWindow),
            QUIT => Some(MenuAction::Quit),
            SHORTCUTS => Some(MenuAction::ShowShortcuts),
            other => {
                let index: usize = other.strip_prefix(RECENT_PREFIX)?.parse().ok()?;
                self.recent_paths
                    .get(index)
                    .cloned()
                    .map(MenuAction::OpenRecent)
            }
        }
    }

    /// The action for a test's `menu` request, by name: `open`, `close`,
    /// `quit`, `shortcuts` or `recent:<n>`.
    #[cfg(feature = "test-hooks")]
    pub fn action_by_name(&self, name: &str) -> Option<MenuAction> {
        let id = match name {
            "open" => OPEN.to_owned(),
            "close" => CLOSE.to_owned(),
            "quit" => QUIT.to_owned(),
            "shortcuts" => SHORTCUTS.to_owned(),
            other => format!("{RECENT_PREFIX}{}", other.strip_prefix("recent:")?),
        };
        self.action(&MenuId::new(id))
    }
}
