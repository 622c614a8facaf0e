// Light and dark: the system's choice (`prefers-color-scheme`) unless the
// user picked one in Settings > Appearance. The choice is this renderer's
// (localStorage), applied as data-theme on <html>; styles.css does the rest.

import { useSyncExternalStore } from 'react';

export type Appearance = 'system' | 'light' | 'dark';
export const APPEARANCES: readonly Appearance[] = ['system', 'light', 'dark'];
const KEY = 'appearance';
const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function readAppearance(): Appearance {
  const v = storage()?.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Puts the choice on <html> (no attribute: follow the system). */
export function applyAppearance(a: Appearance = readAppearance()): void {
  if (typeof document === 'undefined') return;
  if (a === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', a);
}

export function setAppearance(a: Appearance): void {
  const s = storage();
  if (a === 'system') s?.removeItem(KEY);
  else s?.setItem(KEY, a);
  applyAppearance(a);
  for (const l of [...listeners]) l();
}

/** The current choice, re-rendered when it changes. */
export function useAppearance(): Appearance {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    readAppearance,
    () => 'system',
  );
}
