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
  | 'shortcuts';

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
  { action: null, keys: ['Ctrl', 'S'], label: 'Save the document (in the editor)' },
  { action: null, keys: ['← / →'], label: 'Resize a pane (on a focused splitter; Shift: faster)' },
  { action: null, keys: ['Esc'], label: 'Close a dialog' },
];

/** The action a key event asks for, if any. */
export function shortcutOf(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
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
