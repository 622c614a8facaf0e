import { useEffect, useState } from 'react';
import { linkQuestion } from '../desktop/links';
import type { LinkRequest } from '../desktop/types';
import { useModalFocus } from './Dialog';

/** How long Open stays disabled after the question appears, so a click meant
 * for something else (the question pops up under the pointer) cannot
 * answer it. */
export const ARM_DELAY_MS = 600;

/** Asks the user about one deep link: the full path (or session id), Open
 * and Cancel. A modal question, as Dialog is (the same focus handling):
 * Cancel, the safe answer, has the focus when it appears, Tab and
 * Shift+Tab stay on its buttons, Escape cancels, and the focus goes back
 * where it was once it is answered. Nothing is opened unless Open is
 * chosen. */
export function LinkConfirm({
  request,
  waiting,
  onOpen,
  onCancel,
}: {
  request: LinkRequest;
  /** How many more links wait behind this one. */
  waiting: number;
  onOpen: () => void;
  onCancel: () => void;
}) {
  const { title, question, subject } = linkQuestion(request);
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setArmed(true), ARM_DELAY_MS);
    return () => clearTimeout(timer);
  }, []);
  const { boxRef, onKeyDown: keepFocus } = useModalFocus<HTMLDivElement>('.link-cancel');
  return (
    <div
      className="modal-backdrop"
      // A click beside the question leaves the focus on it (no answer).
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) e.preventDefault();
      }}
    >
      <div
        ref={boxRef}
        className="link-confirm"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="link-confirm-title"
        aria-describedby="link-confirm-question"
        tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            // Its own: not the chat's Stop (App) as well.
            e.stopPropagation();
            onCancel();
            return;
          }
          keepFocus(e);
        }}
      >
        <h2 id="link-confirm-title">{title}</h2>
        <p id="link-confirm-question">{question}</p>
        <code className="link-subject">{subject}</code>
        <p className="muted">Links can come from any web page. Open it only if you expected this.</p>
        {waiting > 0 && (
          <p className="muted">{`${waiting} more link${waiting === 1 ? '' : 's'} waiting.`}</p>
        )}
        <div className="link-buttons">
          <button type="button" className="link-open" disabled={!armed} onClick={onOpen}>
            Open
          </button>
          <button type="button" className="link-cancel" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
