// The contract between the renderer and the native shell's preload.
//
// The shell defines a frozen `window.desktop` before any page script runs
// (main frame, renderer origin, under /desktop only). It is deliberately
// tiny: one transport primitive (`fetch`), one event feed (`onHostState`)
// and a handful of window actions (`shell`). Everything typed lives on top
// of it in ./api.ts. The contract: docs/rfc/bridge.md; its constants are
// in ./constants.json, which the shell's build reads too.

import {
  closeRequestedEvent,
  folderDroppedEvent,
  hostStateEvent,
  linkEvent,
  linkQueue,
  showShortcutsEvent,
} from './constants.json';
import type { components, paths } from './openapi.gen';

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
export const HOST_STATE_EVENT = hostStateEvent;

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
export const LINK_EVENT = linkEvent;

/** Takes (and removes) the deep-link requests the shell has queued, as they
 * came (unchecked: see `parseLinkRequest`). */
export function takeLinkRequests(): unknown[] {
  const queue = (window as unknown as Record<string, unknown>)[linkQueue];
  return Array.isArray(queue) ? queue.splice(0) : [];
}

/** Name of the DOM event the shell dispatches on a document window's page
 * when the user closes the window (or quits) while the page reported
 * unsaved changes. The page asks what to do and then calls
 * `desktop.shell.close()` — or keeps the window open. */
export const CLOSE_REQUESTED_EVENT = closeRequestedEvent;

/** Payload of the `desktop:folder-dropped` event: an absolute folder path. */
export interface FolderDroppedEvent {
  path: string;
}

/** Name of the DOM event (`CustomEvent<FolderDroppedEvent>`) the shell
 * dispatches on a window's page when the user drops a folder on the window
 * (the first one, when several are dropped). The page opens it as a
 * workspace. Dropped files are not the page's: each opens in its own
 * document window, as File > Open does. */
export const FOLDER_DROPPED_EVENT = folderDroppedEvent;

/** Name of the DOM event (`CustomEvent`, no detail) the shell dispatches on
 * the focused window's page for Help > Keyboard Shortcuts (F1). The page
 * shows its list of shortcuts. */
export const SHOW_SHORTCUTS_EVENT = showShortcutsEvent;

/** What the page may ask of the native shell (not the host). Every call goes
 * through the same custom scheme and Origin check as `fetch`; it resolves
 * once the shell took the request. Only the real shell offers it. */
export interface DesktopShell {
  /** Opens an absolute path in its own document window, or focuses the
   * window that already shows it. */
  open(path: string): Promise<void>;
  /** Shows the native File > Open dialog. */
  openDialog(): Promise<void>;
  /** Shows a native Save As dialog proposing `name`; the chosen absolute
   * path, or null when cancelled. Nothing is written: the page writes. */
  saveDialog(name: string): Promise<string | null>;
  /** Shows a native folder chooser; the chosen absolute folder path, or null
   * when cancelled (to open a workspace, say). */
  chooseFolder(): Promise<string | null>;
  /** Opens an `http:` or `https:` URL in the system browser (never in this
   * window). Rejects when the shell refuses the URL: anything but a full
   * `http(s)://host/...` URL without credentials. */
  openExternal(url: string): Promise<void>;
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
}

// ---------------------------------------------------------------------------
// Host API shapes, generated from docs/rfc/openapi.json (./openapi.gen.ts,
// `npm run gen`; `npm test` fails when it is stale). Version tokens
// (`mtime`) are decimal strings of nanoseconds: never convert them to
// numbers. Where the spec only says `string` and the page relies on the
// documented values, the alias narrows it (`ProviderId`, `MessageStatus`).

/** Every schema of the host API, by its name in the spec. */
export type Schemas = components['schemas'];
export type DocumentInfo = Schemas['DocumentInfo'];
export type DocumentContent = Schemas['DocumentContent'];
export type WriteResult = Schemas['WriteResult'];
export type RecentFile = Schemas['RecentFile'];
export type Workspace = Schemas['Workspace'];
export type EntryKind = Schemas['EntryKind'];
export type DirEntry = Schemas['DirEntry'];
export type DirListing = Schemas['DirListing'];
export type FileContent = Schemas['FileContent'];
export type Permission = Schemas['Permission'];
export type ToolPolicy = Schemas['ToolPolicy'];
/** Presence of a provider key. There is deliberately no field for the key. */
export type SecretPresence = Schemas['SecretPresence'];
export type ProviderStatus = Schemas['ProviderStatus'];
export type ProviderSettingsPatch = Schemas['ProviderSettingsPatch'];
export type Usage = Schemas['Usage'];
export type Session = Schemas['Session'];
export type SessionPage = Schemas['SessionPage'];
export type SessionStatus = Schemas['SessionStatus'];
export type Health = Schemas['Health'];
/** What a turn changed (`GET /sessions/{id}/turns/{turn_id}/changes`). */
export type TurnChanges = Schemas['TurnChanges'];
/** One file a turn changed, with its unified diff. */
export type ChangedFile = Schemas['ChangedFile'];
/** What a revert did; its `revert_id` is reverted to undo the undo. */
export type Reverted = Schemas['Reverted'];
/** What the user is looking at, sent with a turn: the document and its
 * selection (UTF-16 offsets, as CodeMirror counts). */
export type TurnContext = Schemas['TurnContextBody'];
export type TextSelection = Schemas['SelectionBody'];
/** The query of `GET /sessions`. */
export type SessionQuery = NonNullable<paths['/sessions']['get']['parameters']['query']>;

/** The providers the host knows (`provider` fields and path segments). */
export type ProviderId = 'openrouter' | 'ai-gateway' | 'custom';

/** The `status` of a stored message (`MessageMetadata.status`). */
export type MessageStatus = 'complete' | 'streaming' | 'aborted' | 'error' | 'interrupted';

/** A turn's tokens, and its cost in US dollars when the provider reported
 * one for every call (`metadata.usage` of a stored answer). */
export type MessageUsage = Schemas['MessageUsage'];

/** Metadata the host attaches to stored messages (`GET .../messages`). */
export type StoredMessageMetadata = Omit<Schemas['MessageMetadata'], 'status'> & { status: MessageStatus };

/** The options of `POST /sessions/{id}/turns` besides the message, and the
 * signal that stops reading the answer. */
export type StartTurnOptions = Omit<Schemas['StartTurn'], 'message' | 'provider'> & {
  provider?: ProviderId;
  signal?: AbortSignal;
};
