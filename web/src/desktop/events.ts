// The host's event stream, `GET /events` (docs/rfc/live-documents.md): one
// connection per window, shared by every component through `subscribe`.
//
// - Each frame's JSON `data` is parsed into a `HostEvent`; frames that are
//   not JSON objects with a known `type` are skipped (a newer host may send
//   types this page does not know).
// - The id of the last frame is kept; when the stream ends or fails the
//   client reconnects with `Last-Event-ID` after a capped, growing delay,
//   and the host replays what was missed or starts with `resync`.
// - A reconnect that cannot name a position (nothing was received yet) may
//   have missed events: listeners get a `resync` of our own then, too.
// - The connection runs while someone listens; it stops when the last
//   listener leaves and resumes (with the last id) when one comes back.

import { getDesktop } from './bridge';
import { jsonObject, sseEvents } from './sse';
import type { DesktopBridge, Schemas } from './types';

/** Who changed a document on disk: `agent`, `window` (a Save) or
 * `external`. */
export type DocumentChangeSource = Schemas['ChangeSource'];

/**
 * One event of `GET /events` (docs/rfc/live-documents.md), as generated
 * from the spec: `resync` (refetch what is shown), `document.changed
 * {doc_id, version, source}`, `document.removed {doc_id}`, `document.moved
 * {doc_id, path}`, `session.created/updated/deleted {session_id}`,
 * `turn.status {session_id, status}`, `recent.changed`, `workspace.changed`.
 */
export type HostEvent = Schemas['HostEvent'];

export type HostEventType = HostEvent['type'];

/** The events about one document. */
export type DocumentEvent = Extract<HostEvent, { doc_id: string }>;

const SOURCES: readonly string[] = ['agent', 'window', 'external'] satisfies DocumentChangeSource[];
const STATUSES: readonly string[] = ['idle', 'busy', 'waiting-for-approval', 'error'] satisfies Schemas['SessionStatus'][];

/** The event a frame's `data` holds, or `null` when it is not one this page
 * knows (malformed JSON, an unknown `type`, a missing field). */
export function parseHostEvent(data: string): HostEvent | null {
  const o = jsonObject(data);
  if (!o) return null;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : null);
  const docId = str('doc_id');
  const sessionId = str('session_id');
  switch (o.type) {
    case 'resync':
    case 'recent.changed':
    case 'workspace.changed':
      return { type: o.type };
    case 'document.changed': {
      const version = str('version');
      const source = str('source');
      if (docId === null || version === null || source === null || !SOURCES.includes(source)) return null;
      return { type: o.type, doc_id: docId, version, source: source as DocumentChangeSource };
    }
    case 'document.removed':
      return docId === null ? null : { type: o.type, doc_id: docId };
    case 'document.moved': {
      const path = str('path');
      return docId === null || path === null ? null : { type: o.type, doc_id: docId, path };
    }
    case 'session.created':
    case 'session.updated':
    case 'session.deleted':
      return sessionId === null ? null : { type: o.type, session_id: sessionId };
    case 'turn.status': {
      const status = str('status');
      if (sessionId === null || status === null || !STATUSES.includes(status)) return null;
      return { type: o.type, session_id: sessionId, status: status as Schemas['SessionStatus'] };
    }
    default:
      return null;
  }
}

export type HostEventListener = (event: HostEvent) => void;

/** Where the connection is. */
export type HostEventsState = 'idle' | 'connecting' | 'open' | 'waiting';

export interface HostEventsOptions {
  /** Defaults to `window.desktop`, looked up at each connect. */
  bridge?: DesktopBridge | (() => DesktopBridge);
  /** The first reconnect delay (ms); it doubles per failed try. */
  minDelayMs?: number;
  /** The longest reconnect delay (ms). */
  maxDelayMs?: number;
  /** A connection that lasted this long (ms) or delivered an event counts
   * as healthy: the next delay starts again from `minDelayMs`. */
  healthyAfterMs?: number;
  /** Waits `ms` or until `signal` aborts (tests pass a fake clock). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told about every connection state change (and every connect error). */
  onState?: (state: HostEventsState, error?: unknown) => void;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** The window's one subscription to `GET /events`. */
export class HostEvents {
  readonly #bridge: () => DesktopBridge;
  readonly #listeners = new Set<HostEventListener>();
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #healthyAfter: number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #onState: (state: HostEventsState, error?: unknown) => void;
  #lastId: string | undefined;
  /** Stops the running loop (and its current request or wait). */
  #run: AbortController | null = null;
  /** Cuts the current wait short (`reconnectNow`). */
  #wait: AbortController | null = null;
  #state: HostEventsState = 'idle';

  constructor(options: HostEventsOptions = {}) {
    const bridge = options.bridge ?? getDesktop;
    this.#bridge = typeof bridge === 'function' ? bridge : () => bridge;
    this.#minDelay = options.minDelayMs ?? 250;
    this.#maxDelay = options.maxDelayMs ?? 10_000;
    this.#healthyAfter = options.healthyAfterMs ?? 5_000;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#onState = options.onState ?? (() => {});
  }

  /** The id of the last frame received (sent as `Last-Event-ID`). */
  get lastEventId(): string | undefined {
    return this.#lastId;
  }

  get state(): HostEventsState {
    return this.#state;
  }

  /** Listens to every event; the first listener starts the connection.
   * Returns the function that stops listening. */
  subscribe(listener: HostEventListener): () => void {
    // A wrapper, so that the same function subscribed twice is two listeners.
    const entry: HostEventListener = (e) => listener(e);
    this.#listeners.add(entry);
    if (!this.#run) this.#start();
    return () => {
      this.#listeners.delete(entry);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** Skips the current reconnect delay (e.g. the host is back after a
   * restart). Does nothing while connected. */
  reconnectNow(): void {
    this.#wait?.abort();
  }

  /** Stops the connection (listeners stay; a new `subscribe` restarts it). */
  close(): void {
    this.#stop();
  }

  #setState(state: HostEventsState, error?: unknown): void {
    this.#state = state;
    this.#onState(state, error);
  }

  #emit(event: HostEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (e) {
        // One listener's bug must not starve the others or the stream.
        console.error('host event listener failed', e);
      }
    }
  }

  #start(): void {
    const run = new AbortController();
    this.#run = run;
    void this.#loop(run.signal);
  }

  #stop(): void {
    this.#run?.abort();
    this.#run = null;
    this.#setState('idle');
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let attempts = 0;
    while (!signal.aborted) {
      const started = Date.now();
      let delivered = false;
      let error: unknown;
      // Without a position, a reconnect cannot know what it missed.
      const blind = attempts++ > 0 && this.#lastId === undefined;
      this.#setState('connecting');
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.#lastId !== undefined) headers['last-event-id'] = this.#lastId;
        const res = await this.#bridge().fetch('/events', { headers, signal });
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => {});
          throw new Error(`GET /events answered ${res.status}`);
        }
        this.#setState('open');
        if (blind) this.#emit({ type: 'resync' });
        const reader = sseEvents(res.body).getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done || signal.aborted) break;
            if (value.id !== undefined) this.#lastId = value.id;
            const event = parseHostEvent(value.data);
            if (!event) continue;
            delivered = true;
            this.#emit(event);
          }
        } finally {
          reader.cancel().catch(() => {});
        }
      } catch (e) {
        error = e;
      }
      if (signal.aborted) return;
      const healthy = delivered || Date.now() - started >= this.#healthyAfter;
      failures = healthy ? 0 : failures + 1;
      const delay = Math.min(this.#maxDelay, this.#minDelay * 2 ** Math.max(0, failures - 1));
      this.#setState('waiting', error);
      const wait = new AbortController();
      this.#wait = wait;
      const stop = () => wait.abort();
      signal.addEventListener('abort', stop, { once: true });
      await this.#sleep(delay, wait.signal);
      signal.removeEventListener('abort', stop);
      if (this.#wait === wait) this.#wait = null;
    }
  }
}

/** Whether `event` is about document `docId`. */
export function isDocumentEvent(event: HostEvent, docId: string): event is DocumentEvent {
  return 'doc_id' in event && event.doc_id === docId;
}
