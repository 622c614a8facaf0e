import { useCallback, useEffect, useState } from 'react';
import { hasDesktop } from './desktop/bridge';
import type { HostStateEvent } from './desktop/types';

/** The latest `desktop:host-state` event (`ready` until told otherwise). */
export function useHostState(): HostStateEvent {
  const [state, setState] = useState<HostStateEvent>({ state: 'ready' });
  useEffect(() => {
    if (!hasDesktop()) return;
    return window.desktop!.onHostState((e) => setState(e));
  }, []);
  return state;
}

/** Loads something asynchronously; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setError(undefined);
    run().then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** Runs user actions (`act(() => api call)`): clears the last action error,
 * runs the call, then `after` (a reload) on success, or keeps the error to
 * show. */
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
