import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The focus of a modal box (Dialog, LinkConfirm): it moves into the box
 * when the box mounts (to the element `initial` selects, else the first
 * focusable one, else the box itself: give it `tabIndex={-1}`), Tab and
 * Shift+Tab stay inside the box (`onKeyDown`, on the box; `boxRef` is the
 * box's ref), and it goes back
 * where it was when the box unmounts. */
export function useModalFocus<T extends HTMLElement>(initial?: string) {
  const box = useRef<T>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const el = box.current;
    const first = (initial ? el?.querySelector<HTMLElement>(initial) : null) ?? el?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? el)?.focus();
    return () => {
      if (before && typeof before.focus === 'function' && document.contains(before)) before.focus();
    };
  }, [initial]);
  function onKeyDown(e: KeyboardEvent) {
    if (e.key !== 'Tab' || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const at = document.activeElement;
    if (e.shiftKey && (at === first || at === box.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && at === last) {
      e.preventDefault();
      first.focus();
    }
  }
  return { boxRef: box, onKeyDown };
}

/** A modal dialog: focus moves into it, Tab and Shift+Tab stay inside it,
 * Escape closes it, and focus goes back where it was when it closes. */
export function Dialog({
  title,
  onClose,
  children,
  className = 'dialog',
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const { boxRef, onKeyDown: keepFocus } = useModalFocus<HTMLDivElement>();
  return (
    <div
      className="modal-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        ref={boxRef}
        className={className}
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
            return;
          }
          keepFocus(e);
        }}
      >
        <div className="dialog-head">
          <h2 id="dialog-title">{title}</h2>
          <button type="button" className="quiet" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
