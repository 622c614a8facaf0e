import { useEffect, useState } from 'react';
import { warmLanguages } from '../chat/highlight-worker';
import { ErrorLine } from '../components/Banners';
import { useDesktop, useQuery } from '../desktop-context';
import { useAction, whenIdle } from '../hooks';
import { loadMessages, messagesKey } from './ChatPanel';

const PAGE = 20;
/** The newest sessions whose grammars a window loads once it is idle. */
const WARM_SESSIONS = 3;
/** At most this many languages, the newest session's first. */
const WARM_LANGUAGES = 6;
/** How long the pointer rests on a row before its session is loaded ahead
 * (its messages, the grammars its code needs): a sweep across the list
 * loads none. */
const POINTER_REST_MS = 50;

let resting: ReturnType<typeof setTimeout> | undefined;

/** The pointer came onto a session's row: `ahead` runs if it stays. */
function pointerOn(ahead: () => void) {
  clearTimeout(resting);
  resting = setTimeout(ahead, POINTER_REST_MS);
}

function pointerOff() {
  clearTimeout(resting);
}

/**
 * The sessions a window offers. The home window lists every session and
 * creates them in the chosen workspace; a document window (`docId`) lists
 * that document's sessions and creates sessions that belong to it (their
 * turns see the document and may edit it).
 */
export function SessionList({
  selected,
  workspaceId = null,
  docId = null,
  onSelect,
}: {
  selected: string | null;
  workspaceId?: string | null;
  docId?: string | null;
  onSelect: (id: string | null) => void;
}) {
  const { api, queries } = useDesktop();
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [archived, setArchived] = useState(false);
  const { data, error } = useQuery(
    docId === null ? ['sessions', q, offset, archived] : ['sessions', 'doc', docId, q, offset, archived],
    (api) =>
      api.sessions.list({ q, limit: PAGE, offset, include_archived: archived, ...(docId === null ? {} : { doc_id: docId }) }),
  );

  const { act, actionError } = useAction(() => queries.invalidate(['sessions']));
  const loadAhead = (s: { id: string; code_languages: readonly string[] }) => {
    warmLanguages(s.code_languages);
    queries.prefetch(messagesKey(s.id), () => loadMessages(api, s.id));
  };

  // The session opened next is most often one of the newest: once the
  // window is idle, the grammars their code needs load in the highlighting
  // worker (pointing at a row loads its own, below).
  // (As one string: the effect's dependency stays the same value while the
  // list's data is refetched with the same languages.)
  const newest = (data?.sessions ?? [])
    .slice(0, WARM_SESSIONS)
    .flatMap((s) => s.code_languages)
    .filter((lang, i, all) => all.indexOf(lang) === i)
    .slice(0, WARM_LANGUAGES)
    .join(' ');
  useEffect(() => {
    if (newest === '') return;
    return whenIdle(() => warmLanguages(newest.split(' ')), 1000);
  }, [newest]);

  return (
    <section className={docId === null ? 'panel' : 'panel document-sessions'}>
      <h2>{docId === null ? 'Sessions' : 'Chats about this document'}</h2>
      <button
        type="button"
        className="primary"
        onClick={() =>
          void act(async () => {
            const s = await api.sessions.create(
              docId !== null ? { doc_id: docId } : workspaceId ? { workspace_id: workspaceId } : {},
            );
            onSelect(s.id);
          })
        }
      >
        New session
      </button>
      <input
        type="search"
        aria-label="Search sessions"
        placeholder="Search titles and messages"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOffset(0);
        }}
      />
      <label className="check">
        <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> include archived
      </label>
      <ErrorLine error={error ?? actionError} />
      <ul className="list">
        {data?.sessions.map((s) => (
          <li key={s.id} className={s.id === selected ? 'selected' : ''}>
            <button
              type="button"
              className="link"
              onClick={() => onSelect(s.id)}
              // About to open: its messages and the grammars its code needs
              // start loading. A user's pointer rests on a row before the
              // click, so its messages are there when the chat opens; the
              // open bench's click (pressed at once) shows its first
              // message ~10–20 ms sooner (docs/benchmarks.md).
              onPointerEnter={() => pointerOn(() => loadAhead(s))}
              onPointerLeave={pointerOff}
              onPointerDown={() => loadAhead(s)}
              // Reached by keyboard: perhaps about to open.
              onFocus={() => warmLanguages(s.code_languages)}
              title={s.id}
            >
              {s.title || 'Untitled'} {s.archived && <span className="muted">(archived)</span>}
            </button>
            <span className="row-actions">
              <button
                type="button"
                onClick={() => {
                  const title = window.prompt('Rename session', s.title);
                  if (title !== null) void act(() => api.sessions.rename(s.id, title));
                }}
              >
                Rename
              </button>
              <button type="button" onClick={() => void act(() => api.sessions.archive(s.id, !s.archived))}>
                {s.archived ? 'Unarchive' : 'Archive'}
              </button>
              <button
                type="button"
                onClick={() => {
                  if (window.confirm(`Delete “${s.title || 'Untitled'}” and all its messages?`))
                    void act(async () => {
                      await api.sessions.delete(s.id);
                      if (s.id === selected) onSelect(null);
                    });
                }}
              >
                Delete
              </button>
            </span>
          </li>
        ))}
      </ul>
      {data && (
        <div className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            ‹
          </button>
          <span className="muted">
            {data.total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
          </span>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            ›
          </button>
        </div>
      )}
    </section>
  );
}
