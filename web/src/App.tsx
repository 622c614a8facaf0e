import { useEffect, useRef, useState } from 'react';
import { ErrorLine, HostStateBanner } from './components/Banners';
import { LinkConfirm } from './components/LinkConfirm';
import { openLink, parseLinkRequest } from './desktop/links';
import { turnContext } from './desktop/transport';
import { LINK_EVENT, takeLinkRequests, type LinkRequest, type Workspace } from './desktop/types';
import { DesktopProvider, useDesktop } from './desktop-context';
import { ChatPanel } from './pages/ChatPanel';
import { DocumentEditor, type DocumentEditorHandle } from './pages/DocumentEditor';
import { ProviderSettings } from './pages/ProviderSettings';
import { RecentFiles } from './pages/RecentFiles';
import { SessionList } from './pages/SessionList';
import { WorkspacePicker } from './pages/WorkspacePicker';

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
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [view, setView] = useState<'work' | 'settings'>('work');
  const [openError, setOpenError] = useState<unknown>(null);

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
      <nav className="topbar">
        <button type="button" className={view === 'work' ? 'active' : ''} onClick={() => setView('work')}>
          Work
        </button>
        <button type="button" className={view === 'settings' ? 'active' : ''} onClick={() => setView('settings')}>
          Provider keys
        </button>
        {shell && (
          <button type="button" onClick={() => void shell.openDialog().catch(setOpenError)}>
            Open…
          </button>
        )}
        {workspace && <span className="muted">workspace: {workspace.name}</span>}
      </nav>
      {view === 'settings' ? (
        <ProviderSettings />
      ) : (
        <div className="layout">
          <aside className="sidebar">
            <WorkspacePicker selected={workspace} onSelect={setWorkspace} onOpenFile={(p) => void openPath(p)} />
            <RecentFiles
              selected={docId}
              onSelect={(id, path) => (shell ? void openPath(path) : setDocId(id))}
              onOpenPath={(p) => void openPath(p)}
            />
            <ErrorLine error={openError} />
            {windowDoc === null && (
              <SessionList selected={sessionId} workspaceId={workspace?.id ?? null} onSelect={setSessionId} />
            )}
          </aside>
          <main className="main">
            {docId ? (
              <DocumentEditor ref={editor} key={docId} docId={docId} onOpenPath={(p) => void openPath(p)} />
            ) : (
              <div className="muted">Open a document.</div>
            )}
          </main>
          <aside className="chat-column">
            {windowDoc !== null && <SessionList selected={sessionId} docId={windowDoc} onSelect={setSessionId} />}
            {sessionId ? (
              <ChatPanel
                key={sessionId}
                sessionId={sessionId}
                onSettings={() => setView('settings')}
                // The host may have retitled the session.
                onTurnEnd={() => queries.invalidate(['sessions'])}
                context={
                  windowDoc === null
                    ? undefined
                    : () => turnContext(windowDoc, docId === windowDoc ? editor.current?.selectionOnDisk() : null)
                }
              />
            ) : (
              <div className="muted">
                {windowDoc === null ? 'Pick or create a session.' : 'Pick or start a chat about this document.'}
              </div>
            )}
          </aside>
        </div>
      )}
    </div>
  );
}
