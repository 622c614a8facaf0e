// A small keyed query cache: what the page reads from the host, by key
// (`['sessions', q, offset, archived]`), shared by every component that
// shows it. A change invalidates keys by prefix (`invalidate(['sessions'])`)
// and whoever shows them reloads; nothing passes `refresh` counters down.
//
// An entry lives while a component shows it: it loads when the first one
// subscribes and is dropped when the last one leaves, so every mount reads
// fresh data, as a plain fetch-on-mount would. A key about to be shown (a
// session's row pressed) can be loaded ahead (`prefetch`): the first
// subscriber within a few seconds takes that load instead of starting one.

import { useCallback, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';

/** Names a query; a key is a prefix of another when its items come first. */
export type QueryKey = readonly (string | number | boolean | null)[];

/** What a component sees of a query. `version` counts successful loads. */
export interface QueryState<T = unknown> {
  readonly data?: T;
  readonly error?: unknown;
  readonly version: number;
}

const EMPTY: QueryState<never> = Object.freeze({ version: 0 });

interface Entry {
  readonly key: QueryKey;
  state: QueryState;
  load: () => Promise<unknown>;
  readonly listeners: Set<() => void>;
  /** The number of the latest load: only its answer counts. */
  run: number;
  /** Loaded ahead, for a first subscriber not there yet. */
  ahead?: boolean;
}

/** How long a load made ahead waits for its first subscriber. */
const AHEAD_MS = 10_000;

function keyId(key: QueryKey): string {
  return JSON.stringify(key);
}

function startsWith(key: QueryKey, prefix: QueryKey): boolean {
  return prefix.length <= key.length && prefix.every((item, i) => key[i] === item);
}

export class QueryCache {
  readonly #entries = new Map<string, Entry>();

  /** The state of `key` (empty when nobody shows it). */
  state(key: QueryKey): QueryState {
    return this.#entries.get(keyId(key))?.state ?? EMPTY;
  }

  /** Shows `key`: `onChange` is called on each change of its state; the
   * first subscriber loads it with `load` (which, like every loader of the
   * same key, must read what the key names). Returns the unsubscribe. */
  subscribe(key: QueryKey, load: () => Promise<unknown>, onChange: () => void): () => void {
    const id = keyId(key);
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { key, state: EMPTY, load, listeners: new Set(), run: 0 };
      this.#entries.set(id, entry);
    }
    entry.load = load;
    entry.listeners.add(onChange);
    if (entry.listeners.size === 1 && !entry.ahead) this.#load(entry);
    entry.ahead = false;
    const subscribed = entry;
    return () => {
      subscribed.listeners.delete(onChange);
      if (subscribed.listeners.size === 0 && this.#entries.get(id) === subscribed) this.#entries.delete(id);
    };
  }

  /** Loads `key` now, unless it is shown or loaded ahead already, for a
   * subscriber to come: one within AHEAD_MS takes this load (in flight or
   * done); after that, nobody having come, it is dropped. */
  prefetch(key: QueryKey, load: () => Promise<unknown>): void {
    const id = keyId(key);
    if (this.#entries.has(id)) return;
    const entry: Entry = { key, state: EMPTY, load, listeners: new Set(), run: 0, ahead: true };
    this.#entries.set(id, entry);
    this.#load(entry);
    setTimeout(() => {
      if (entry.listeners.size === 0 && this.#entries.get(id) === entry) this.#entries.delete(id);
    }, AHEAD_MS);
  }

  /** Reloads every shown query whose key starts with `prefix` (all of them
   * without one). */
  invalidate(prefix: QueryKey = []): void {
    for (const entry of this.#entries.values()) {
      if (startsWith(entry.key, prefix)) this.#load(entry);
    }
  }

  #load(entry: Entry): void {
    const run = ++entry.run;
    if (entry.state.error !== undefined) this.#set(entry, { ...entry.state, error: undefined });
    const current = () => entry.run === run && this.#entries.get(keyId(entry.key)) === entry;
    entry.load().then(
      (data) => {
        if (current()) this.#set(entry, { data, error: undefined, version: entry.state.version + 1 });
      },
      (error: unknown) => {
        if (current()) this.#set(entry, { ...entry.state, error });
      },
    );
  }

  #set(entry: Entry, state: QueryState): void {
    entry.state = state;
    for (const listener of [...entry.listeners]) listener();
  }
}

/** The query `key` of `cache`, loaded by `load` (`null`: no query). While a
 * new key loads, the data of the previous one stays (a list does not blink
 * while the user types a search). `reload` loads it again. */
export function useQueryIn<T>(
  cache: QueryCache,
  key: QueryKey | null,
  load: () => Promise<T>,
): QueryState<T> & { reload: () => void } {
  const id = key === null ? null : keyId(key);
  // The latest loader, for loads that start after this render.
  const latest = useRef(load);
  useLayoutEffect(() => {
    latest.current = load;
  });
  const subscribe = useCallback(
    (onChange: () => void) =>
      id === null ? () => {} : cache.subscribe(JSON.parse(id) as QueryKey, () => latest.current(), onChange),
    [cache, id],
  );
  const snapshot = () => (id === null ? EMPTY : cache.state(JSON.parse(id) as QueryKey));
  const state = useSyncExternalStore(subscribe, snapshot, snapshot) as QueryState<T>;

  const [previous, setPrevious] = useState<T | undefined>(undefined);
  if (state.data !== undefined && state.data !== previous) setPrevious(state.data);
  const reload = useCallback(() => {
    if (id !== null) cache.invalidate(JSON.parse(id) as QueryKey);
  }, [cache, id]);
  return { ...state, data: state.data ?? (id === null ? undefined : previous), reload };
}
