// What the native shell may offer beyond DesktopShell as typed today: the
// folder chooser and external links, and the events for a dropped folder
// and Help > Keyboard Shortcuts. Each is used when present; in a plain
// browser (tests) they are absent and the page falls back.

import constants from '../desktop/constants.json';
import type { DesktopShell } from '../desktop/types';

type Extras = {
  chooseFolder?: () => Promise<string | null>;
  openExternal?: (url: string) => Promise<void>;
};

const names = constants as Record<string, unknown>;
const named = (key: string, fallback: string) => (typeof names[key] === 'string' ? (names[key] as string) : fallback);

/** `desktop:folder-dropped` ({path}). */
export const FOLDER_DROPPED_EVENT = named('folderDroppedEvent', 'desktop:folder-dropped');
/** `desktop:show-shortcuts`. */
export const SHOW_SHORTCUTS_EVENT = named('showShortcutsEvent', 'desktop:show-shortcuts');

/** The shell's folder chooser, or null when this shell has none. */
export function folderChooser(shell: DesktopShell | null): (() => Promise<string | null>) | null {
  const f = (shell as (DesktopShell & Extras) | null)?.chooseFolder;
  return typeof f === 'function' ? () => f.call(shell) : null;
}

/** The path of a `desktop:folder-dropped` event, if it carries one. */
export function droppedPath(e: Event): string | null {
  const detail = (e as CustomEvent<unknown>).detail;
  if (detail && typeof detail === 'object' && typeof (detail as { path?: unknown }).path === 'string') {
    const path = (detail as { path: string }).path;
    return path.startsWith('/') ? path : null;
  }
  return null;
}
