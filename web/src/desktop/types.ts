// The contract between the renderer and the native shell's preload.
//
// The shell defines a frozen `window.desktop` before any page script runs
// (main frame, renderer origin, under /desktop only). It is deliberately
// tiny: one transport primitive (`fetch`), one event feed (`onHostState`)
// and a handful of window actions (`shell`). Everything typed lives on top
// of it in ./api.ts. The contract: docs/rfc/bridge.md.

/** Options of `window.desktop.fetch`; a strict subset of `RequestInit`. */
export interface DesktopFetchInit {
  /** HTTP method; defaults to `GET`. */
  method?: string;
  /** Request body, already serialised (the API speaks JSON). */
  body?: string;
  /** Extra request headers, e.g. `content-type`, `last-event-id`. The preload
   * drops `authorization`, `host`, `origin`, `referer` and `cookie`; the
   * shell's Rust side adds the credentials and the Referer the host needs. */
  headers?: Record<string, string>;
  /** Aborting stops the request or the reading of its body. */
  signal?: AbortSignal;
}

/** State of the host process as the shell's supervisor sees it. */
export type HostState = 'ready' | 'restarting' | 'failed';

/** Payload of the `desktop:host-state` event. */
export interface HostStateEvent {
  state: HostState;
  /** Human-readable detail (never a secret), e.g. why the host failed. */
  message?: string;
}

/** Name of the DOM event the preload may also dispatch on `window`
 * (`CustomEvent<HostStateEvent>`); `onHostState` is the typed way to listen. */
export const HOST_STATE_EVENT = 'desktop:host-state';

/** What a deep link (`agent-host://…`) asks for. Any web page can fire such a
 * link, so the shell opens nothing itself: it brings the home window forward
 * and hands the request to the page, which shows the user the full path (or
 * session id) and acts only when they choose Open. */
export type LinkRequest =
  | { kind: 'workspace'; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'session'; session: string };

/** Name of the DOM event the shell dispatches on the home window's page for
 * each deep link. The shell first appends the `LinkRequest` to
 * `window.__desktopLinks`, so a page that mounts later still finds it:
 * handlers take the queue's items (`takeLinkRequests`). */
export const LINK_EVENT = 'desktop:link';

/** Takes (and removes) the deep-link requests the shell has queued, as they
 * came (unchecked: see `parseLinkRequest`). */
export function takeLinkRequests(): unknown[] {
  const queue = (window as unknown as { __desktopLinks?: unknown[] }).__desktopLinks;
  return Array.isArray(queue) ? queue.splice(0) : [];
}

/** Name of the DOM event the shell dispatches on a document window's page
 * when the user closes the window (or quits) while the page reported
 * unsaved changes. The page asks what to do and then calls
 * `desktop.shell.close()` — or keeps the window open. */
export const CLOSE_REQUESTED_EVENT = 'desktop:close-requested';

/** What the page may ask of the native shell (not the host). Every call goes
 * through the same custom scheme and Origin check as `fetch`; it resolves
 * once the shell took the request. Only the real shell offers it. */
export interface DesktopShell {
  /** Opens an absolute path in its own document window, or focuses the
   * window that already shows it. */
  open(path: string): Promise<void>;
  /** Shows the native File > Open dialog. */
  openDialog(): Promise<void>;
  /** Reports whether this window's document has unsaved changes, so closing
   * the window asks first (`desktop:close-requested`). */
  setDirty(dirty: boolean): Promise<void>;
  /** Closes this window now (the page has dealt with its changes). */
  close(): Promise<void>;
  /** Quits the app; windows with unsaved changes are asked first. */
  quit(): Promise<void>;
}

/** `window.desktop`, implemented by the shell's preload (and, for browser
 * tests only, by ./test-bridge.ts). */
export interface DesktopBridge {
  /**
   * Sends a request to the host API. `path` is the API path with its query
   * string, starting with `/` (e.g. `/sessions?q=x`); the preload routes it to
   * `hostapi://host/<path>`, which the Rust side forwards to the host with the
   * credentials. The page never learns the host's port or password.
   *
   * Resolves with the host's response as is (status, headers, and a body
   * that streams: `text/event-stream` answers arrive frame by frame). A host
   * that is restarting or unreachable is an answer too (503
   * `host_restarting`, 502 `bridge_host_unavailable`, JSON errors). Rejects
   * only when the bridge itself fails (a `TypeError`, like `fetch`) or the
   * signal aborted (an `AbortError`).
   */
  fetch(path: string, init?: DesktopFetchInit): Promise<Response>;
  /**
   * Subscribes to host state changes (`desktop:host-state`); returns the
   * function that unsubscribes. The preload calls `cb` on every transition,
   * e.g. `restarting` while the supervisor respawns a crashed host, `ready`
   * once it answers again, `failed` when it gave up.
   */
  onHostState(cb: (event: HostStateEvent) => void): () => void;
  /** Window and app actions; absent in the browser test bridge, where
   * documents open inside the page instead. */
  shell?: DesktopShell;
}

declare global {
  interface Window {
    /** Defined by the shell's preload; absent in a plain browser. */
    readonly desktop?: DesktopBridge;
  }
  interface WindowEventMap {
    'desktop:host-state': CustomEvent<HostStateEvent>;
    'desktop:link': Event;
  }
}

// ---------------------------------------------------------------------------
// Host API shapes (docs/rfc/openapi.json). Version tokens (`mtime`) are
// decimal strings of nanoseconds: never convert them to numbers.

export interface DocumentInfo {
  doc_id: string;
  path: string;
  name: string;
}

export interface DocumentContent {
  doc_id: string;
  path: string;
  content: string;
  mtime: string;
}

export interface WriteResult {
  mtime: string;
}

export interface RecentFile {
  doc_id: string;
  path: string;
  pinned: boolean;
  last_opened_ms: number;
}

export interface Workspace {
  id: string;
  path: string;
  name: string;
  pinned: boolean;
  last_opened_ms: number;
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  kind: EntryKind;
  size: number;
  mtime: string;
}

export interface DirListing {
  path: string;
  entries: DirEntry[];
  truncated: boolean;
}

export interface FileContent {
  path: string;
  content: string;
  mtime: string;
}

export type Permission = 'allow' | 'ask' | 'deny';

export interface ToolPolicy {
  tools: Record<string, Permission>;
  commands?: { pattern: string; permission: Permission }[];
}

export type ProviderId = 'openrouter' | 'ai-gateway' | 'custom';

/** Presence of a provider key. There is deliberately no field for the key. */
export interface SecretPresence {
  provider: string;
  present: boolean;
  store?: 'keyring' | 'file' | null;
}

export interface ProviderStatus {
  provider: string;
  available: boolean;
  base_url: string;
  default_model: string;
  has_key: boolean;
}

export interface ProviderSettings {
  base_url?: string | null;
  default_model?: string | null;
  first_chunk_timeout_ms?: number | null;
  idle_timeout_ms?: number | null;
  max_retries?: number | null;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface Session {
  id: string;
  title: string;
  created_at_ms: number;
  updated_at_ms: number;
  archived: boolean;
  usage: Usage;
  model?: string | null;
  provider?: string | null;
  workspace_id?: string | null;
}

export interface SessionPage {
  sessions: Session[];
  total: number;
}

export interface SessionQuery {
  q?: string;
  limit?: number;
  offset?: number;
  include_archived?: boolean;
}

export type MessageStatus = 'complete' | 'streaming' | 'aborted' | 'error' | 'interrupted';

/** Metadata the host attaches to stored messages (`GET .../messages`). */
export interface StoredMessageMetadata {
  status: MessageStatus;
  created_at_ms: number;
}

export type SessionStatus = 'idle' | 'busy' | 'waiting-for-approval' | 'error';

export interface StartTurnOptions {
  provider?: ProviderId;
  model?: string;
  max_steps?: number;
  signal?: AbortSignal;
}

export interface Health {
  status: string;
  version: string;
  protocol: number;
  uptime_ms: number;
}
