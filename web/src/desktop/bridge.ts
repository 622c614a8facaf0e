import { HostError } from './errors';
import type { DesktopBridge } from './types';

/** The shell's `window.desktop`, or a `bridge_missing` HostError when the
 * page runs outside the shell (e.g. opened in a plain browser). */
export function getDesktop(): DesktopBridge {
  const d = typeof window === 'undefined' ? undefined : window.desktop;
  if (!d) {
    throw new HostError(
      'bridge_missing',
      'This page must be opened by the desktop app: window.desktop is not defined.',
    );
  }
  return d;
}

export function hasDesktop(): boolean {
  return typeof window !== 'undefined' && window.desktop !== undefined;
}
