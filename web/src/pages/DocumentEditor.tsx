import { Suspense, lazy, useCallback, useEffect, useState } from 'react';
import { desktopApi } from '../desktop/api';
import { isHostError } from '../desktop/errors';
import type { DocumentContent } from '../desktop/types';
import { errorText } from '../hooks';

// CodeMirror is the largest dependency: load it only when a document opens.
const CodeEditor = lazy(() => import('../components/CodeEditor').then((m) => ({ default: m.CodeEditor })));

type Status = 'loading' | 'clean' | 'dirty' | 'saving' | 'conflict' | 'error';

/** Edits one document; saves with the mtime it read and shows a 409 conflict
 * instead of overwriting someone else's change. */
export function DocumentEditor({ docId }: { docId: string }) {
  const [doc, setDoc] = useState<DocumentContent | null>(null);
  const [draft, setDraft] = useState('');
  const [status, setStatus] = useState<Status>('loading');
  const [message, setMessage] = useState('');
  const [loads, setLoads] = useState(0);

  const load = useCallback(async () => {
    setStatus('loading');
    try {
      const d = await desktopApi().documents.read(docId);
      setDoc(d);
      setDraft(d.content);
      setStatus('clean');
      setMessage('');
      setLoads((n) => n + 1);
    } catch (e) {
      setStatus('error');
      setMessage(errorText(e));
    }
  }, [docId]);

  useEffect(() => {
    void load();
  }, [load]);

  const save = useCallback(
    async (expectedMtime?: string) => {
      if (!doc) return;
      setStatus('saving');
      try {
        const { mtime } = await desktopApi().documents.write(docId, draft, expectedMtime ?? doc.mtime);
        setDoc({ ...doc, content: draft, mtime });
        setStatus('clean');
        setMessage('');
      } catch (e) {
        if (isHostError(e, 'conflict')) {
          setStatus('conflict');
          setMessage(e.message);
        } else {
          setStatus('dirty');
          setMessage(errorText(e));
        }
      }
    },
    [doc, docId, draft],
  );

  /** Keeps my text: writes it over the version now on disk. */
  const overwrite = useCallback(async () => {
    try {
      const current = await desktopApi().documents.read(docId);
      await save(current.mtime);
    } catch (e) {
      setMessage(errorText(e));
    }
  }, [docId, save]);

  if (status === 'error' && !doc) return <div className="error-line">Cannot open the document: {message}</div>;
  if (!doc) return <div className="muted">Loading…</div>;

  return (
    <section className="editor">
      <header className="editor-bar">
        <span className="path" title={doc.path}>
          {doc.path}
        </span>
        <span className={`status status-${status}`}>{status === 'clean' ? 'saved' : status}</span>
        <button type="button" onClick={() => void save()} disabled={status === 'saving' || status === 'conflict'}>
          Save
        </button>
      </header>
      {status === 'conflict' && (
        <div className="banner warn" role="alert">
          The file changed on disk since you opened it; nothing was saved. {message}{' '}
          <button type="button" onClick={() => void load()}>
            Reload from disk (discard my edits)
          </button>{' '}
          <button type="button" onClick={() => void overwrite()}>
            Keep my version (overwrite)
          </button>
        </div>
      )}
      {status !== 'conflict' && message && <div className="error-line">{message}</div>}
      <Suspense fallback={<div className="muted">Loading editor…</div>}>
        <CodeEditor
          value={doc.content}
          revision={`${docId}:${loads}`}
          onChange={(t) => {
            setDraft(t);
            setStatus((s) => (s === 'conflict' ? s : 'dirty'));
          }}
          onSave={() => void save()}
        />
      </Suspense>
    </section>
  );
}
