// The page's one way to the shell and the host: `useDesktop()` gives
// `{api, shell, hostState}` (plus the query cache and the chat transport
// built over the same bridge). Only <DesktopProvider> touches the bridge;
// components never reach for `window.desktop`.

import { createContext, useContext, useEffect, useEffectEvent, useMemo, useState, type ReactNode } from 'react';
import { createDesktopApi, type DesktopApi } from './desktop/api';
import { HostEvents, type HostEvent, type HostEventType } from './desktop/events';
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
  /** The window's one connection to `GET /events` (see useHostEvents). */
  events: HostEvents;
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
      events: new HostEvents({ bridge }),
    }),
    [bridge],
  );

  useEffect(() => {
    let last: HostStateEvent['state'] = 'ready';
    return bridge.onHostState((event) => {
      setHostState(event);
      if (event.state === 'ready' && last !== 'ready') {
        // The host is back after a restart: read everything shown again,
        // and listen again now rather than after the reconnect delay.
        queries.invalidate();
        tools.events.reconnectNow();
      }
      last = event.state;
    });
  }, [bridge, queries, tools]);

  // What the host says changed is read again by whoever shows it.
  useEffect(
    () =>
      tools.events.subscribe((event) => {
        for (const key of QUERIES_OF_EVENT[event.type] ?? []) queries.invalidate(key);
      }),
    [tools, queries],
  );

  const value = useMemo(() => ({ ...tools, hostState, queries }), [tools, hostState, queries]);
  return <DesktopContext.Provider value={value}>{children}</DesktopContext.Provider>;
}

/** The lists each event makes stale. Document events are the document
 * editor's business; a conversation is not reloaded under the user (that
 * would drop what they are typing: the chat follows its own stream). */
const QUERIES_OF_EVENT: Partial<Record<HostEventType, QueryKey[]>> = {
  resync: [['recent'], ['workspaces'], ['sessions']],
  'recent.changed': [['recent']],
  'workspace.changed': [['workspaces']],
  'session.created': [['sessions']],
  'session.updated': [['sessions']],
  'session.deleted': [['sessions']],
};

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

/** Which events a `useHostEvents` handler gets: a list of types, or a test. */
export type HostEventFilter = readonly HostEventType[] | ((event: HostEvent) => boolean);

/** Calls `handler` with every host event that passes `filter`, through the
 * window's one `GET /events` connection. The latest `filter` and `handler`
 * are used; neither needs to be stable. */
export function useHostEvents(filter: HostEventFilter, handler: (event: HostEvent) => void): void {
  const { events } = useDesktop();
  const onEvent = useEffectEvent((event: HostEvent) => {
    const wanted = typeof filter === 'function' ? filter(event) : filter.includes(event.type);
    if (wanted) handler(event);
  });
  useEffect(() => events.subscribe((event) => onEvent(event)), [events]);
}
