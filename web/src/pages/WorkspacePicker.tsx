import { useState } from 'react';
import { ErrorLine } from '../components/Banners';
import { FolderIcon } from '../components/Icons';
import { PathOpener } from '../components/PathOpener';
import type { Workspace } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { useAction } from '../hooks';

export function WorkspacePicker({
  selected,
  onSelect,
  onOpenFile,
  onChooseFolder = null,
}: {
  /** The native folder chooser, when the shell has one: the path field
   * is then only a fallback, tucked away. */
  onChooseFolder?: (() => void) | null;
  selected: Workspace | null;
  onSelect: (w: Workspace | null) => void;
  onOpenFile: (absolutePath: string) => void;
}) {
  const { api } = useDesktop();
  const [dir, setDir] = useState('');
  const list = useQuery(['workspaces'], (api) => api.workspaces.list());
  const selectedId = selected?.id ?? null;
  const tree = useQuery(selectedId === null ? null : ['tree', selectedId, dir], (api) =>
    api.workspaces.tree(selectedId!, dir),
  );

  const { act, actionError } = useAction(list.reload);

  return (
    <section className="panel">
      <h2>Workspaces</h2>
      <PathOpener
        chooseLabel="Open folder…"
        onChoose={onChooseFolder}
        fieldLabel="Folder path"
        placeholder="/absolute/path/to/folder"
        onPath={(path, clear) =>
          void act(async () => {
            const w = await api.workspaces.open(path);
            clear();
            setDir('');
            onSelect(w);
          })
        }
      />
      <ErrorLine error={list.error ?? actionError} />
      <ul className="list">
        {list.data?.map((w) => (
          <li key={w.id} className={w.id === selected?.id ? 'selected' : ''}>
            <button
              type="button"
              className="link"
              title={w.path}
              onClick={() => {
                setDir('');
                onSelect(w);
              }}
            >
              {w.pinned ? '★ ' : ''}
              {w.name}
            </button>
            <span className="row-actions">
              <button type="button" onClick={() => void act(() => api.workspaces.pin(w.id, !w.pinned))}>
                {w.pinned ? 'Unpin' : 'Pin'}
              </button>
              <button
                type="button"
                onClick={() =>
                  void act(async () => {
                    await api.workspaces.forget(w.id);
                    if (w.id === selected?.id) onSelect(null);
                  })
                }
              >
                Forget
              </button>
            </span>
          </li>
        ))}
      </ul>
      {selected && (
        <div className="tree">
          <div className="muted">
            {selected.name}/{dir}{' '}
            {dir && (
              <button type="button" onClick={() => setDir(dir.split('/').slice(0, -1).join('/'))}>
                Up
              </button>
            )}
          </div>
          <ErrorLine error={tree.error} />
          <ul className="list">
            {foldersFirst(tree.data?.entries ?? []).map((e) => {
              const rel = dir ? `${dir}/${e.name}` : e.name;
              return (
                <li key={e.name}>
                  <button
                    type="button"
                    className="link"
                    onClick={() => (e.kind === 'dir' ? setDir(rel) : onOpenFile(`${selected.path}/${rel}`))}
                  >
                    {e.kind === 'dir' && (
                      <>
                        <FolderIcon />{' '}
                      </>
                    )}
                    {e.name}
                  </button>
                </li>
              );
            })}
          </ul>
          {tree.data?.truncated && <div className="muted">Listing truncated.</div>}
        </div>
      )}
    </section>
  );
}

/** Folders before files, as file managers list them; each group keeps the
 * host's order (by name). */
function foldersFirst<T extends { kind: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => Number(b.kind === 'dir') - Number(a.kind === 'dir'));
}
