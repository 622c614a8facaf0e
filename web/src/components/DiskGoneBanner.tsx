import type { Gone } from '../documents/model';

/** The document's file was deleted or renamed on disk; the window keeps the
 * text. Paths are shown as text only. */
export function DiskGoneBanner({
  gone,
  path,
  saving,
  onSave,
  onSaveAs,
  onOpen,
}: {
  gone: Gone;
  path: string;
  saving: boolean;
  /** Writes the text to `path` again. */
  onSave: () => void;
  /** Writes the text to a new file the user picks (absent outside the
   * desktop shell). */
  onSaveAs?: () => void;
  /** Opens the renamed file (absent where nothing can open it). */
  onOpen?: (path: string) => void;
}) {
  const saveButtons = (label: string) => (
    <>
      <button type="button" className="recreate" onClick={onSave} disabled={saving}>
        {label}
      </button>{' '}
      {onSaveAs && (
        <button type="button" className="save-as" onClick={onSaveAs} disabled={saving}>
          Save As…
        </button>
      )}
    </>
  );
  if (gone.kind === 'removed') {
    return (
      <div className="banner warn disk-gone" role="alert">
        <strong>Deleted on disk.</strong> The file {path} no longer exists; your text is kept here, unsaved.{' '}
        {saveButtons('Save (create the file again)')}
      </div>
    );
  }
  return (
    <div className="banner warn disk-gone" role="alert">
      <strong>Renamed on disk</strong> to <span className="moved-path">{gone.path}</span>. This window keeps its
      text, which is no longer in any file.{' '}
      {onOpen && (
        <button type="button" className="open-moved" onClick={() => onOpen(gone.path)}>
          Open {gone.path}
        </button>
      )}{' '}
      {saveButtons(`Save to ${path} again`)}
    </div>
  );
}
