import { ErrorLine } from '../components/Banners';
import { PathOpener } from '../components/PathOpener';
import { useDesktop, useQuery } from '../desktop-context';
import { useAction } from '../hooks';

export function RecentFiles({
  selected,
  onSelect,
  onOpenPath,
  onChooseFile = null,
}: {
  /** The native Open dialog, when there is one: the path field is then
   * only a fallback, tucked away. */
  onChooseFile?: (() => void) | null;
  selected: string | null;
  /** A recent file was picked: its id and its path (the shell opens paths). */
  onSelect: (docId: string, path: string) => void;
  onOpenPath: (path: string) => void;
}) {
  const { api } = useDesktop();
  const { data, error, reload } = useQuery(['recent'], (api) => api.recent.list());

  const { act, actionError } = useAction(reload);

  return (
    <section className="panel">
      <h2>Documents</h2>
      <PathOpener
        chooseLabel="Open file…"
        onChoose={onChooseFile}
        fieldLabel="File path"
        placeholder="/absolute/path/to/file.md"
        onPath={(path, clear) => {
          onOpenPath(path);
          clear();
        }}
      />
      <ErrorLine error={error ?? actionError} />
      <ul className="list">
        {data?.map((r) => (
          <li key={r.doc_id} className={r.doc_id === selected ? 'selected' : ''}>
            <button type="button" className="link" title={r.path} onClick={() => onSelect(r.doc_id, r.path)}>
              {r.pinned ? '★ ' : ''}
              {r.path.split('/').pop()}
            </button>
            <span className="row-actions">
              <button type="button" onClick={() => void act(() => api.recent.pin(r.doc_id, !r.pinned))}>
                {r.pinned ? 'Unpin' : 'Pin'}
              </button>
              <button type="button" onClick={() => void act(() => api.recent.forget(r.doc_id))}>
                Forget
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
