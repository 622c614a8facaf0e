import { useEffect, useEffectEvent, useRef, useState, type CSSProperties } from 'react';
import { flushSync } from 'react-dom';
import { highlightWorker } from './chat/highlight-worker';
import { loadMarkdown } from './chat/Markdown';
import { applyAppearance } from './components/appearance';
import { ErrorLine, HostStateBanner } from './components/Banners';
import { LinkConfirm } from './components/LinkConfirm';
import { droppedPath, folderChooser, FOLDER_DROPPED_EVENT, SHOW_SHORTCUTS_EVENT } from './components/nativeShell';
import { shortcutOf } from './components/shortcuts';
import { ShortcutsDialog } from './components/ShortcutsDialog';
import { Splitter } from './components/Splitter';
import { openLink, parseLinkRequest } from './desktop/links';
import { turnContext } from './desktop/transport';
import { LINK_EVENT, takeLinkRequests, type LinkRequest, type Workspace } from './desktop/types';
import { DesktopProvider, useDesktop } from './desktop-context';
import { whenIdle } from './hooks';
import { ChatPanel } from './pages/ChatPanel';
import { DocumentEditor, type DocumentEditorHandle } from './pages/DocumentEditor';
import { Home } from './pages/Home';
import { RecentFiles } from './pages/RecentFiles';
import { SessionBar } from './pages/SessionBar';
import { SessionList } from './pages/SessionList';
import { Settings } from './pages/Settings';
import { WorkspacePicker } from './pages/WorkspacePicker';

// The chosen appearance before the first paint.
if (typeof document !== 'undefined') applyAppearance();

type PaneId = 'sidebar' | 'editor' | 'chat';
const PANES: PaneId[] = ['sidebar', 'editor', 'chat'];
const paneElement = (p: PaneId) => document.getElementById(`pane-${p}`);
const CHAT_INPUT = '#pane-chat textarea, #pane-chat input';

/**
 * Focuses the chat's input as soon as it is there: a new session's chat
 * shows "Loading…" until its messages arrive, however long that takes.
 * Meanwhile the chat pane holds the focus; if the user moves it elsewhere
 * it is left there. Returns a function that stops waiting.
 */
function focusChatInputWhenThere(): () => void {
  const pane = paneElement('chat');
  const now = document.querySelector<HTMLElement>(CHAT_INPUT);
  if (now || !pane) {
    (now ?? pane)?.focus();
    return () => {};
  }
  pane.focus();
  const observer = new MutationObserver(() => {
    const waiting = document.activeElement === pane || document.activeElement === document.body;
    const input = document.querySelector<HTMLElement>(CHAT_INPUT);
    if (!waiting || input) observer.disconnect();
    if (waiting && input) input.focus();
  });
  observer.observe(pane, { childList: true, subtree: true });
  const giveUp = setTimeout(() => observer.disconnect(), 30_000);
  return () => {
    clearTimeout(giveUp);
    observer.disconnect();
  };
}

/** A pane width kept across launches (localStorage), clamped. */
function usePaneWidth(key: string, initial: number, min: number, max: number) {
  const [width, setWidth] = useState(() => {
    try {
      const v = Number(localStorage.getItem(key));
      return Number.isFinite(v) && v >= min && v <= max ? v : initial;
    } catch {
      return initial;
    }
  });
  const set = (v: number) => {
    setWidth(v);
    try {
      localStorage.setItem(key, String(v));
    } catch {
      // not kept
    }
  };
  return [width, set] as const;
}

/** The document a window was opened for: the shell loads one window per
 * document at `/desktop/?doc=<doc_id>`. */
function windowDocument(): string | null {
  return new URLSearchParams(window.location?.search ?? '').get('doc');
}

/** The page: the one place that takes `window.desktop` (the shell's
 * preload defines it before any script runs); everything below gets it
 * through `useDesktop()`. */
export function App() {
  const bridge = typeof window === 'undefined' ? undefined : window.desktop;
  if (!bridge) {
    return (
      <div className="banner error" role="alert">
        This page must be opened by the desktop app (window.desktop is missing).
      </div>
    );
  }
  return (
    <DesktopProvider bridge={bridge}>
      <Workbench />
    </DesktopProvider>
  );
}

function Workbench() {
  const { api, shell, hostState, queries } = useDesktop();
  // A document window (`?doc=`) keeps its document; its chat is about it.
  const [windowDoc] = useState<string | null>(windowDocument);
  const [docId, setDocId] = useState<string | null>(windowDoc);
  // The editor, whose selection goes with a document session's turns.
  const editor = useRef<DocumentEditorHandle>(null);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const stopFocusWait = useRef<() => void>(() => {});
  // What the chat's Stop button does, while its answer streams (ChatPanel).
  const stopRef = useRef<(() => void) | null>(null);
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [view, setView] = useState<'work' | 'settings'>('work');
  const [openError, setOpenError] = useState<unknown>(null);
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [sidebarW, setSidebarW] = usePaneWidth('pane:sidebar', 260, 180, 520);
  const [chatW, setChatW] = usePaneWidth('pane:chat', 380, 260, 720);
  const chooseFolder = folderChooser(shell);
  // The home window's main pane is a chat: its markdown renderer loads, and
  // its highlighting worker starts, once the window is idle, so that the
  // first conversation opened does not wait for them. A document window's
  // editor comes first; its chat loads them then.
  useEffect(() => {
    if (windowDoc !== null) return;
    const preload = () => {
      highlightWorker();
      void loadMarkdown().catch(() => {});
    };
    return whenIdle(preload, 200);
  }, [windowDoc]);

  async function openWorkspace(path: string) {
    setOpenError(null);
    try {
      const ws = await api.workspaces.open(path);
      setWorkspace(ws);
      setView('work');
      queries.invalidate(['workspaces']);
    } catch (e) {
      setOpenError(e);
    }
  }

  async function pickFolder() {
    if (!chooseFolder) return;
    try {
      const path = await chooseFolder();
      if (path) await openWorkspace(path);
    } catch (e) {
      setOpenError(e);
    }
  }

  async function newSession() {
    setOpenError(null);
    try {
      const s = await api.sessions.create(
        windowDoc !== null ? { doc_id: windowDoc } : workspace ? { workspace_id: workspace.id } : {},
      );
      queries.invalidate(['sessions']);
      // The new chat in place now (not the previous session's input), then
      // its input focused once it has loaded.
      flushSync(() => {
        setView('work');
        setSessionId(s.id);
      });
      stopFocusWait.current();
      stopFocusWait.current = focusChatInputWhenThere();
    } catch (e) {
      setOpenError(e);
    }
  }

  function focusChat() {
    const input = document.querySelector<HTMLElement>(CHAT_INPUT);
    (input ?? paneElement('chat'))?.focus();
  }

  function focusPane(p: PaneId) {
    if (p === 'chat') return focusChat();
    paneElement(p)?.focus();
  }

  function cyclePane(by: number) {
    if (view !== 'work') {
      setView('work');
      return;
    }
    // The panes this window shows now (the home window's chat stands alone).
    const panes = PANES.filter((p) => paneElement(p) !== null);
    const active = document.activeElement;
    const at = panes.findIndex((p) => paneElement(p)?.contains(active));
    const next = panes[(at + by + panes.length) % panes.length];
    if (next) paneElement(next)?.focus();
  }

  const onKey = useEffectEvent((e: KeyboardEvent) => {
    if (e.defaultPrevented) return;
    const action = shortcutOf(e);
    if (!action) return;
    if (action === 'stop') {
      // Esc stops the answer only while it streams and the focus is in the
      // chat (its input, its Stop button, its messages, the pane itself);
      // anywhere else it is not ours, and is left alone.
      const stop = stopRef.current;
      if (e.repeat || !stop || view !== 'work' || !paneElement('chat')?.contains(document.activeElement)) return;
      e.preventDefault();
      stop();
      return;
    }
    e.preventDefault();
    switch (action) {
      case 'new-session':
        void newSession();
        break;
      case 'focus-chat':
        setView('work');
        focusChat();
        break;
      case 'focus-sidebar':
        setView('work');
        focusPane('sidebar');
        break;
      case 'focus-editor':
        setView('work');
        focusPane('editor');
        break;
      case 'next-pane':
        cyclePane(1);
        break;
      case 'previous-pane':
        cyclePane(-1);
        break;
      case 'settings':
        setView((v) => (v === 'settings' ? 'work' : 'settings'));
        break;
      case 'shortcuts':
        setShowShortcuts(true);
        break;
    }
  });
  const onFolderDropped = useEffectEvent((e: Event) => {
    const path = droppedPath(e);
    if (path) void openWorkspace(path);
  });
  useEffect(() => {
    const key = (e: KeyboardEvent) => onKey(e);
    const dropped = (e: Event) => onFolderDropped(e);
    const shortcuts = () => setShowShortcuts(true);
    window.addEventListener('keydown', key);
    window.addEventListener(FOLDER_DROPPED_EVENT, dropped);
    window.addEventListener(SHOW_SHORTCUTS_EVENT, shortcuts);
    return () => {
      window.removeEventListener('keydown', key);
      window.removeEventListener(FOLDER_DROPPED_EVENT, dropped);
      window.removeEventListener(SHOW_SHORTCUTS_EVENT, shortcuts);
    };
  }, []);

  // Deep links, which any web page can fire: the shell hands them over
  // (queued until we mount) and we ask the user, one at a time.
  const [links, setLinks] = useState<{ id: number; request: LinkRequest }[]>([]);
  const nextLink = useRef(1);
  useEffect(() => {
    const drain = () => {
      const taken = takeLinkRequests()
        .map(parseLinkRequest)
        .filter((r): r is LinkRequest => r !== null)
        .map((request) => ({ id: nextLink.current++, request }));
      if (taken.length > 0) setLinks((queue) => [...queue, ...taken]);
    };
    drain();
    window.addEventListener(LINK_EVENT, drain);
    return () => window.removeEventListener(LINK_EVENT, drain);
  }, []);

  function answerLink(open: boolean) {
    const first = links[0];
    setLinks((queue) => queue.slice(1));
    if (!first || !open) return;
    setOpenError(null);
    setView('work');
    void openLink(first.request, {
      openWorkspace: async (path) => {
        const ws = await api.workspaces.open(path);
        setWorkspace(ws);
        queries.invalidate(['workspaces']);
      },
      openFile: openPath,
      selectSession: setSessionId,
    }).catch(setOpenError);
  }

  /** Opens a file: in its own window when the native shell is there (which
   * also focuses a window that already shows it), else inside this page. */
  async function openPath(path: string) {
    setOpenError(null);
    try {
      if (shell) {
        await shell.open(path);
        return;
      }
      const info = await api.documents.open(path);
      setDocId(info.doc_id);
      queries.invalidate(['recent']);
    } catch (e) {
      setOpenError(e);
    }
  }

  // The home window without a document of its own: the chat is the main
  // pane (the shell opens documents in their own windows); with an open
  // document (in a browser, or a document window) it sits beside it.
  const chatAlone = windowDoc === null && docId === null;
  const home = (
    <Home
      onNewSession={() => void newSession()}
      onOpenFolder={chooseFolder ? () => void pickFolder() : null}
      onOpenFile={shell ? () => void shell.openDialog().catch(setOpenError) : null}
      onWorkspace={(w) => {
        setWorkspace(w);
        void api.workspaces.open(w.path).catch(() => {}); // marks it recent
      }}
      onDocument={(id, path) => (shell ? void openPath(path) : setDocId(id))}
    />
  );
  const chatPanel = (id: string) => (
    <ChatPanel
      key={id}
      sessionId={id}
      onSettings={() => setView('settings')}
      // The host may have retitled the session.
      onTurnEnd={() => queries.invalidate(['sessions'])}
      stopRef={stopRef}
      context={
        windowDoc === null
          ? undefined
          : () => turnContext(windowDoc, docId === windowDoc ? editor.current?.selectionOnDisk() : null)
      }
    />
  );

  return (
    <div className="app">
      <HostStateBanner host={hostState} />
      {links[0] && (
        <LinkConfirm
          key={links[0].id}
          request={links[0].request}
          waiting={links.length - 1}
          onOpen={() => answerLink(true)}
          onCancel={() => answerLink(false)}
        />
      )}
      {showShortcuts && <ShortcutsDialog onClose={() => setShowShortcuts(false)} />}
      <header className="topbar">
        <span className="brand">Agent</span>
        <nav aria-label="Views">
          <button
            type="button"
            className={view === 'work' ? 'active' : ''}
            aria-current={view === 'work' ? 'page' : undefined}
            onClick={() => setView('work')}
          >
            Work
          </button>
          <button
            type="button"
            className={view === 'settings' ? 'active' : ''}
            aria-current={view === 'settings' ? 'page' : undefined}
            title="Provider keys, custom endpoint, tool policy and appearance"
            onClick={() => setView('settings')}
          >
            Settings
          </button>
        </nav>
        {chooseFolder && (
          <button type="button" onClick={() => void pickFolder()}>
            Open folder…
          </button>
        )}
        {shell && (
          <button type="button" onClick={() => void shell.openDialog().catch(setOpenError)}>
            Open…
          </button>
        )}
        {workspace && <span className="muted workspace-name">workspace: {workspace.name}</span>}
        <span className="spacer" />
        <button type="button" className="quiet" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (Ctrl+/)" onClick={() => setShowShortcuts(true)}>
          ⌨
        </button>
      </header>
      {view === 'settings' ? (
        <main className="main" id="pane-settings">
          <Settings workspace={workspace} />
        </main>
      ) : (
        <div
          className={chatAlone ? 'layout chat-alone' : 'layout'}
          style={{ '--sidebar-w': `${sidebarW}px`, '--chat-w': `${chatW}px` } as CSSProperties}
        >
          <aside className="sidebar pane" id="pane-sidebar" tabIndex={-1} aria-label="Workspaces, documents and sessions">
            <WorkspacePicker
              selected={workspace}
              onSelect={setWorkspace}
              onOpenFile={(p) => void openPath(p)}
              onChooseFolder={chooseFolder ? () => void pickFolder() : null}
            />
            <RecentFiles
              selected={docId}
              onSelect={(id, path) => (shell ? void openPath(path) : setDocId(id))}
              onOpenPath={(p) => void openPath(p)}
              onChooseFile={shell ? () => void shell.openDialog().catch(setOpenError) : null}
            />
            <ErrorLine error={openError} />
            {windowDoc === null && (
              <SessionList selected={sessionId} workspaceId={workspace?.id ?? null} onSelect={setSessionId} />
            )}
          </aside>
          <Splitter label="Resize the sidebar" value={sidebarW} min={180} max={520} side="left" onChange={setSidebarW} controls="pane-sidebar" />
          {chatAlone ? (
            sessionId ? (
              <main className="main pane chat-main" id="pane-chat" tabIndex={-1} aria-label="Chat">
                <div className="chat-main-head">
                  <button type="button" className="quiet" onClick={() => setSessionId(null)} title="Recent workspaces and documents">
                    ← Home
                  </button>
                  <SessionBar key={sessionId} sessionId={sessionId} />
                </div>
                {chatPanel(sessionId)}
              </main>
            ) : (
              <main className="main pane" id="pane-editor" tabIndex={-1} aria-label="Home">
                {home}
              </main>
            )
          ) : (
            <>
              <main className="main pane" id="pane-editor" tabIndex={-1} aria-label="Editor">
                {docId ? <DocumentEditor ref={editor} key={docId} docId={docId} onOpenPath={(p) => void openPath(p)} /> : home}
              </main>
              <Splitter label="Resize the chat" value={chatW} min={260} max={720} side="right" onChange={setChatW} controls="pane-chat" />
              <aside className="chat-column pane" id="pane-chat" tabIndex={-1} aria-label="Chat">
                {windowDoc !== null && <SessionList selected={sessionId} docId={windowDoc} onSelect={setSessionId} />}
                {sessionId ? (
                  <>
                    <SessionBar key={sessionId} sessionId={sessionId} />
                    {chatPanel(sessionId)}
                  </>
                ) : (
                  <div className="muted chat-empty">
                    {windowDoc === null ? 'Pick or create a session.' : 'Pick or start a chat about this document.'}
                    <p>
                      <button type="button" className="primary" onClick={() => void newSession()}>
                        Start a chat
                      </button>
                    </p>
                  </div>
                )}
              </aside>
            </>
          )}
        </div>
      )}
    </div>
  );
}
