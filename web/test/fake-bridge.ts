import type { DesktopBridge, DesktopFetchInit, HostStateEvent } from '../src/desktop/types';

export interface Call {
  path: string;
  init: DesktopFetchInit;
}

/** A `window.desktop` whose `fetch` answers from a handler and records calls. */
export function fakeBridge(handler: (path: string, init: DesktopFetchInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const listeners = new Set<(e: HostStateEvent) => void>();
  const bridge: DesktopBridge = {
    async fetch(path, init = {}) {
      calls.push({ path, init });
      return handler(path, init);
    },
    onHostState(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  return { bridge, calls, emit: (e: HostStateEvent) => listeners.forEach((cb) => cb(e)) };
}

export async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}
