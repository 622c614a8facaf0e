// The page's one way to the shell and the host: `useDesktop()` gives
// `{api, shell, hostState}` (plus the query cache and the chat transport
// built over the same bridge). Only <DesktopProvider> touches the bridge;
// components never reach for `window.desktop`.

import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createDesktopApi, type DesktopApi } from './desktop/api';
import { DesktopChatTransport } from './desktop/transport';
import type { DesktopBridge, DesktopShell, HostStateEvent } from './desktop/types';
import { QueryCache, useQueryIn, type QueryKey, type QueryState } from './queries';

export interface Desktop {
  /** The host API over the bridge. */
  api: DesktopApi;
  /** The native shell's actions; `null` outside the real shell (browser
   * tests), where documents open inside the page. */
  shell: DesktopShell | null;
  /** The latest `desktop:host-state` (`ready` until told otherwise). */
  hostState: HostStateEvent;
  /** What the page has read from the host; reloaded when the host is back. */
  queries: QueryCache;
  /** The chat transport (it remembers each session's last event id). */
  transport: DesktopChatTransport;
}

const DesktopContext = createContext<Desktop | null>(null);

export function DesktopProvider({ bridge, children }: { bridge: DesktopBridge; children: ReactNode }) {
  const [hostState, setHostState] = useState<HostStateEvent>({ state: 'ready' });
  const [queries] = useState(() => new QueryCache());
  const tools = useMemo(
    () => ({
      api: createDesktopApi(bridge),
      shell: bridge.shell ?? null,
      transport: new DesktopChatTransport({ bridge }),
    }),
    [bridge],
  );

  useEffect(() => {
    let last: HostStateEvent['state'] = 'ready';
    return bridge.onHostState((event) => {
      setHostState(event);
      // The host is back after a restart: read everything shown again.
      if (event.state === 'ready' && last !== 'ready') queries.invalidate();
      last = event.state;
    });
  }, [bridge, queries]);

  const value = useMemo(() => ({ ...tools, hostState, queries }), [tools, hostState, queries]);
  return <DesktopContext.Provider value={value}>{children}</DesktopContext.Provider>;
}

/** The page's `Desktop`; only inside <DesktopProvider>. */
export function useDesktop(): Desktop {
  const desktop = useContext(DesktopContext);
  if (!desktop) throw new Error('useDesktop outside <DesktopProvider>');
  return desktop;
}

/** Reads `key` with `load(api)` through the page's query cache (`null`: no
 * query); see ./queries.ts. */
export function useQuery<T>(
  key: QueryKey | null,
  load: (api: DesktopApi) => Promise<T>,
): QueryState<T> & { reload: () => void } {
  const { api, queries } = useDesktop();
  return useQueryIn(queries, key, () => load(api));
}
