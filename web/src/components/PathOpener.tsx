import { useState, type ReactNode } from 'react';

/**
 * Opening a folder or a file: the native chooser when the shell has one,
 * with typing an absolute path as the fallback, folded away beneath it;
 * without a chooser, the path field alone. `onPath` gets the trimmed path
 * and `clear`, to empty the field once the path was taken.
 */
export function PathOpener({
  chooseLabel,
  onChoose,
  fieldLabel,
  placeholder,
  onPath,
}: {
  chooseLabel: string;
  onChoose: (() => void) | null;
  fieldLabel: string;
  placeholder: string;
  onPath: (path: string, clear: () => void) => void;
}) {
  const [path, setPath] = useState('');
  const form = (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) onPath(path.trim(), () => setPath(''));
      }}
    >
      <input aria-label={fieldLabel} placeholder={placeholder} value={path} onChange={(e) => setPath(e.target.value)} />
      <button type="submit">Open</button>
    </form>
  );
  if (!onChoose) return form;
  return <Chooser label={chooseLabel} onChoose={onChoose}>{form}</Chooser>;
}

function Chooser({ label, onChoose, children }: { label: string; onChoose: () => void; children: ReactNode }) {
  return (
    <>
      <div className="panel-actions">
        <button type="button" onClick={onChoose}>
          {label}
        </button>
      </div>
      <details className="fallback">
        <summary>Type a path instead</summary>
        {children}
      </details>
    </>
  );
}
