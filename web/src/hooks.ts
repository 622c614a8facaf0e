import { useState } from 'react';

/** Runs user actions (`act(() => api call)`): clears the last action error,
 * runs the call, then `after` (a reload or an invalidation) on success, or
 * keeps the error to show. */
export function useAction(after: () => void) {
  const [actionError, setActionError] = useState<unknown>(null);
  async function act(f: () => Promise<unknown>) {
    setActionError(null);
    try {
      await f();
      after();
    } catch (e) {
      setActionError(e);
    }
  }
  return { act, actionError };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs `fn` once the page is idle (within 2 s), or after `fallbackMs` where
 * there is no requestIdleCallback (WebKitGTK); returns what cancels it. */
export function whenIdle(fn: () => void, fallbackMs: number): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: 2000 });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, fallbackMs);
  return () => clearTimeout(id);
}
