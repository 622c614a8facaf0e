import { useState } from 'react';
import { ErrorLine } from '../components/Banners';
import { desktopApi } from '../desktop/api';
import { useAction, useLoad } from '../hooks';

const PAGE = 20;

export function SessionList({
  selected,
  workspaceId,
  onSelect,
  refresh,
}: {
  selected: string | null;
  workspaceId: string | null;
  onSelect: (id: string | null) => void;
  refresh: number;
}) {
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [archived, setArchived] = useState(false);
  const { data, error, reload } = useLoad(
    () => desktopApi().sessions.list({ q, limit: PAGE, offset, include_archived: archived }),
    [q, offset, archived, refresh],
  );

  const { act, actionError } = useAction(reload);

  return (
    <section className="panel">
      <h2>Sessions</h2>
      <button
        type="button"
        onClick={() =>
          void act(async () => {
            const s = await desktopApi().sessions.create(workspaceId ? { workspace_id: workspaceId } : {});
            onSelect(s.id);
          })
        }
      >
        New session
      </button>
      <input
        type="search"
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
            <button type="button" className="link" onClick={() => onSelect(s.id)} title={s.id}>
              {s.title || 'Untitled'} {s.archived && <span className="muted">(archived)</span>}
            </button>
            <span className="row-actions">
              <button
                type="button"
                onClick={() => {
                  const title = window.prompt('Rename session', s.title);
                  if (title !== null) void act(() => desktopApi().sessions.rename(s.id, title));
                }}
              >
                Rename
              </button>
              <button type="button" onClick={() => void act(() => desktopApi().sessions.archive(s.id, !s.archived))}>
                {s.archived ? 'Unarchive' : 'Archive'}
              </button>
              <button
                type="button"
                onClick={() => {
                  if (window.confirm(`Delete “${s.title || 'Untitled'}” and all its messages?`))
                    void act(async () => {
                      await desktopApi().sessions.delete(s.id);
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
