// The app's keyboard shortcuts: one table for the handler (App) and for the
// Keyboard Shortcuts view.

export type ShortcutAction =
  | 'new-session'
  | 'focus-chat'
  | 'focus-sidebar'
  | 'focus-editor'
  | 'next-pane'
  | 'previous-pane'
  | 'settings'
  | 'shortcuts'
  | 'stop';

export interface Shortcut {
  action: ShortcutAction | null;
  keys: string[];
  label: string;
}

/** Shortcuts the app handles (action) and those handled where they apply
 * (action null: listed only). "Ctrl" is Cmd on macOS. */
export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'new-session', keys: ['Ctrl', 'Alt', 'N'], label: 'New session' },
  { action: 'focus-chat', keys: ['Ctrl', 'L'], label: 'Focus the chat input' },
  { action: 'focus-sidebar', keys: ['Ctrl', '1'], label: 'Focus the sidebar' },
  { action: 'focus-editor', keys: ['Ctrl', '2'], label: 'Focus the editor' },
  { action: 'next-pane', keys: ['F6'], label: 'Next pane' },
  { action: 'previous-pane', keys: ['Shift', 'F6'], label: 'Previous pane' },
  { action: 'settings', keys: ['Ctrl', ','], label: 'Settings' },
  { action: 'shortcuts', keys: ['Ctrl', '/'], label: 'Keyboard shortcuts' },
  { action: null, keys: ['Ctrl', 'Enter'], label: 'Send the message (in the chat input)' },
  // Stop is Esc: the key that means "cancel what is going on" everywhere,
  // and what agent tools such as Claude Code interrupt an answer with. It
  // stops only while an answer streams and the focus is in the chat pane
  // (App); anywhere else Esc is left alone: a dialog or the deep-link
  // question keeps its Esc to itself (it closes), and the editor's own uses
  // (closing its search panel or completions) are in another pane. Ctrl+.
  // or Ctrl+Shift+Backspace would clash with nothing, but nobody would guess
  // them.
  { action: 'stop', keys: ['Esc'], label: 'Stop the answer (while it streams, in the chat)' },
  { action: null, keys: ['Ctrl', 'S'], label: 'Save the document (in the editor)' },
  { action: null, keys: ['← / →'], label: 'Resize a pane (on a focused splitter; Shift: faster)' },
  { action: null, keys: ['Esc'], label: 'Close a dialog' },
];

/** The action a key event asks for, if any. Esc is 'stop' wherever it is
 * pressed: the handler decides whether it means stop there. */
export function shortcutOf(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'> & { isComposing?: boolean; keyCode?: number },
): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
  // Not the Esc that cancels an input method's composition (WebKit may end
  // the composition before that key's keydown, which then says 229).
  if (e.key === 'Escape') return mod || e.altKey || e.shiftKey || e.isComposing || e.keyCode === 229 ? null : 'stop';
  if (e.key === 'F6' && !mod && !e.altKey) return e.shiftKey ? 'previous-pane' : 'next-pane';
  if (!mod) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey && !e.shiftKey && (key === 'n' || key === 'ñ' || e.key === '˜')) return 'new-session';
  if (e.altKey || e.shiftKey) return key === '?' ? 'shortcuts' : null;
  switch (key) {
    case 'l':
      return 'focus-chat';
    case '1':
      return 'focus-sidebar';
    case '2':
      return 'focus-editor';
    case ',':
      return 'settings';
    case '/':
      return 'shortcuts';
    default:
      return null;
  }
}

/** How the table writes an action's keys (`Ctrl+/`, `Esc`), for titles. */
export function keysOf(action: ShortcutAction): string {
  return SHORTCUTS.find((s) => s.action === action)?.keys.join('+') ?? '';
}
