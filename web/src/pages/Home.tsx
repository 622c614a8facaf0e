import { ErrorLine } from '../components/Banners';
import type { Workspace } from '../desktop/types';
import { useQuery } from '../desktop-context';
import { FirstRun } from './FirstRun';

const SHOWN = 8;

/** The home window's main pane while no session is open: the first-run
 * guide while no provider is available, starting a session, opening a
 * folder or a file, and what was open lately. */
export function Home({
  onNewSession,
  onOpenFolder,
  onOpenFile,
  onWorkspace,
  onDocument,
}: {
  onNewSession: () => void;
  /** Shows the native folder chooser; null without one (the sidebar's path
   * field is the fallback). */
  onOpenFolder: (() => void) | null;
  onOpenFile: (() => void) | null;
  onWorkspace: (w: Workspace) => void;
  onDocument: (docId: string, path: string) => void;
}) {
  const providers = useQuery(['providers'], (api) => api.providers.list());
  const workspaces = useQuery(['workspaces'], (api) => api.workspaces.list());
  const recent = useQuery(['recent'], (api) => api.recent.list());
  const noProvider = providers.data !== undefined && !providers.data.some((p) => p.available);
  return (
    <div className="home">
      <h1>{noProvider ? 'Welcome' : 'Welcome back'}</h1>
      <p className="muted">Start a session, open a document, or open a folder as a workspace and start a session about it.</p>
      {noProvider && <FirstRun />}
      <div className="home-actions">
        <button type="button" className="primary" onClick={onNewSession} title="A new session (Ctrl+Alt+N)">
          Start a chat
        </button>
        {onOpenFolder && (
          <button type="button" onClick={onOpenFolder}>
            Open folder…
          </button>
        )}
        {onOpenFile && (
          <button type="button" onClick={onOpenFile}>
            Open file…
          </button>
        )}
      </div>
      <div className="home-grid">
        <section className="card" aria-labelledby="home-workspaces">
          <h2 id="home-workspaces">Recent workspaces</h2>
          <ErrorLine error={workspaces.error} />
          {workspaces.data?.length === 0 && <p className="muted">None yet.</p>}
          <ul className="recent-list">
            {workspaces.data?.slice(0, SHOWN).map((w) => (
              <li key={w.id}>
                <button type="button" onClick={() => onWorkspace(w)}>
                  <span className="name">
                    {w.pinned ? '★ ' : ''}
                    {w.name}
                  </span>
                  <span className="path">{w.path}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="home-documents">
          <h2 id="home-documents">Recent documents</h2>
          <ErrorLine error={recent.error} />
          {recent.data?.length === 0 && <p className="muted">None yet.</p>}
          <ul className="recent-list">
            {recent.data?.slice(0, SHOWN).map((r) => (
              <li key={r.doc_id}>
                <button type="button" onClick={() => onDocument(r.doc_id, r.path)}>
                  <span className="name">
                    {r.pinned ? '★ ' : ''}
                    {r.path.split('/').pop()}
                  </span>
                  <span className="path">{r.path}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
