// A `window.desktop` for browser and integration tests against a real host.
// NOT used by production code: the shell's preload is the real bridge, and the
// page never holds credentials. The test harness supplies them here.

import { forbiddenHeaders } from './constants.json';
import type { DesktopBridge, DesktopFetchInit, HostStateEvent } from './types';
import { HOST_STATE_EVENT } from './types';

export interface TestBridgeOptions {
  /** The host's origin, e.g. `http://127.0.0.1:43210`. */
  baseUrl: string;
  /** The full Authorization header value, e.g. `Basic <base64("agent:pw")>`. */
  authorization: string;
  /** A Referer under an allowed origin and root, e.g. `http://127.0.0.1:5173/desktop/`. */
  referer: string;
  /** Where to define `desktop`; defaults to `globalThis` (the window). */
  target?: object;
  /** The underlying fetch; defaults to the global one. */
  fetch?: typeof fetch;
}

export interface TestBridge extends DesktopBridge {
  /** Lets a test play the shell's supervisor. */
  emitHostState(event: HostStateEvent): void;
}

const FORBIDDEN = new Set(forbiddenHeaders);

export function createTestBridge(options: TestBridgeOptions): TestBridge {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const listeners = new Set<(e: HostStateEvent) => void>();

  return Object.freeze({
    fetch(path: string, init: DesktopFetchInit = {}): Promise<Response> {
      if (!path.startsWith('/')) return Promise.reject(new TypeError(`path must start with "/": ${path}`));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(init.headers ?? {})) {
        if (!FORBIDDEN.has(k.toLowerCase())) headers[k] = v;
      }
      headers.authorization = options.authorization;
      // Node's fetch sends a Referer header as given; a browser drops it as a
      // forbidden header and uses `referrer` instead (same-origin pages only).
      headers.referer = options.referer;
      return doFetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        body: init.body,
        headers,
        signal: init.signal,
        referrer: options.referer,
        referrerPolicy: 'unsafe-url',
        cache: 'no-store',
      });
    },
    onHostState(cb: (e: HostStateEvent) => void): () => void {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    emitHostState(event: HostStateEvent): void {
      for (const cb of [...listeners]) cb(event);
      if (typeof window !== 'undefined' && typeof CustomEvent !== 'undefined') {
        window.dispatchEvent(new CustomEvent(HOST_STATE_EVENT, { detail: event }));
      }
    },
  });
}

/** Defines a frozen `desktop` on the window (or `options.target`), like the
 * shell's preload does, and returns it. */
export function installTestBridge(options: TestBridgeOptions): TestBridge {
  const bridge = createTestBridge(options);
  Object.defineProperty(options.target ?? globalThis, 'desktop', {
    value: bridge,
    writable: false,
    enumerable: true,
    configurable: true, // so a test can install a fresh one
  });
  return bridge;
}
