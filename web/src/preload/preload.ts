// The shell's preload: the `window.desktop` of docs/rfc/bridge.md §6.
//
// WebKit runs it in every renderer window's main frame before any page
// script. It does nothing unless the page is the top frame, at the renderer
// origin, under /desktop; there it defines one frozen `window.desktop` over
// the `hostapi://` scheme. It holds no credential and no port: the shell's
// Rust side adds both.
//
// Built on its own (vite.preload.config.ts) into one self-contained IIFE,
// generated/preload.js, which shell/src/renderer.rs compiles in. It imports
// types and the shared constants only, so nothing is imported at run time.
// The shell runs it inside a block that binds `__RENDERER_ORIGIN__` to the
// renderer origin (a JSON string), so the origin never becomes a global.

import { folderChosenEvent, forbiddenHeaders, hostStateEvent, root, saveAsEvent } from '../desktop/constants.json';
import type { DesktopBridge, DesktopFetchInit, DesktopShell, HostStateEvent } from '../desktop/types';

declare const __RENDERER_ORIGIN__: string;

(() => {
  if (window !== window.top) return;
  const ORIGIN = __RENDERER_ORIGIN__;
  const ROOT = root;
  const path = location.pathname;
  if (location.origin !== ORIGIN) return;
  if (path !== ROOT && !path.startsWith(ROOT + '/')) return;
  const EVENT = hostStateEvent;
  const forbidden = new Set(forbiddenHeaders);
  // Our own copies, taken before page scripts run: a page that replaces
  // them later cannot change what `window.desktop` does.
  const realFetch = window.fetch.bind(window);
  const addListener = window.addEventListener.bind(window);
  const removeListener = window.removeEventListener.bind(window);
  // The shell's own actions: same scheme, same Origin check, answered by
  // the shell (202) instead of the host.
  const shellAction = (name: string, body: object): Promise<void> =>
    realFetch('hostapi://shell/' + name, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'unsafe-url',
      mode: 'cors',
    }).then((r) => {
      if (!r.ok) throw new Error('the shell refused ' + name + ' (' + r.status + ')');
    });
  // A shell action the shell answers later with one `{path}` event (the
  // chosen path, or null when cancelled): a native dialog.
  const askForPath = (name: string, body: object, answer: string): Promise<string | null> =>
    new Promise<string | null>((resolve, reject) => {
      const listener = (event: Event) => {
        removeListener(answer, listener);
        const path = (event as CustomEvent<{ path: string | null }>).detail?.path;
        resolve(typeof path === 'string' ? path : null);
      };
      addListener(answer, listener);
      shellAction(name, body).catch((error) => {
        removeListener(answer, listener);
        reject(error);
      });
    });
  const shell = Object.freeze({
    open: (path: string) => shellAction('open', { path: String(path) }),
    openDialog: () => shellAction('open-dialog', {}),
    saveDialog: (name: string) => askForPath('save-dialog', { name: String(name) }, saveAsEvent),
    chooseFolder: () => askForPath('folder-dialog', {}, folderChosenEvent),
    openExternal: (url: string) => shellAction('open-external', { url: String(url) }),
    setDirty: (dirty: boolean) => shellAction('dirty', { dirty: dirty === true }),
    close: () => shellAction('close', {}),
    quit: () => shellAction('quit', {}),
  } satisfies DesktopShell);
  const desktop = Object.freeze({
    fetch(path: string, init?: DesktopFetchInit): Promise<Response> {
      const options = init || {};
      if (typeof path !== 'string' || !path.startsWith('/')) {
        return Promise.reject(new TypeError('path must start with "/"'));
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(options.headers || {})) {
        if (!forbidden.has(String(name).toLowerCase())) headers[name] = String(value);
      }
      return realFetch('hostapi://host' + path, {
        method: options.method || 'GET',
        body: options.body,
        headers,
        signal: options.signal,
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'unsafe-url',
        mode: 'cors',
      });
    },
    onHostState(cb: (event: HostStateEvent) => void): () => void {
      const listener = (event: Event) => {
        try {
          cb((event as CustomEvent<HostStateEvent>).detail);
        } catch (error) {
          console.error(error);
        }
      };
      addListener(EVENT, listener);
      return () => removeListener(EVENT, listener);
    },
    shell,
  } satisfies DesktopBridge);
  Object.defineProperty(window, 'desktop', {
    value: desktop,
    writable: false,
    enumerable: true,
    configurable: false,
  });
})();
