// Typed helpers over `window.desktop.fetch` (docs/rfc/http-api.md,
// sessions.md, stream.md). Every non-2xx answer throws a HostError (or its
// subclasses ConflictError / ProviderDownError); a host that cannot be
// reached at all throws HostError `host_unreachable`.

import type { UIMessage } from 'ai';
import { getDesktop } from './bridge';
import { HostError, hostErrorFromResponse } from './errors';
import type {
  DesktopBridge,
  DesktopFetchInit,
  DirListing,
  DocumentContent,
  DocumentInfo,
  FileContent,
  Health,
  ProviderId,
  ProviderSettingsPatch,
  RecentFile,
  Reverted,
  Schemas,
  SecretPresence,
  Session,
  SessionPage,
  SessionQuery,
  StartTurnOptions,
  StoredMessageMetadata,
  ToolPolicy,
  TurnChanges,
  Workspace,
  WriteResult,
} from './types';

export type StoredUIMessage = UIMessage<StoredMessageMetadata>;

// Models, the connection test and local servers: their generated shapes
// (ModelListBody, ConnectionTest, LocalServers) narrowed to what the page
// shows; the normalisers drop entries without an id or base URL. A
// session's provider and model go through `PATCH /sessions/{id}`.

/** One model a provider offers. */
export interface ModelInfo {
  id: string;
  name?: string;
}

/** `GET /providers/{provider}/models`: the (cached) list; `stale` when the
 * provider failed just now and this is the last list it gave (`error` says
 * why, with the provider's stable code). */
export interface ModelList {
  models: ModelInfo[];
  stale: boolean;
  error?: { code: string; message: string };
}

/** `POST /providers/{provider}/test`. */
export type ConnectionTest = { ok: true; latency_ms: number } | { ok: false; code: string; message: string };

/** A local OpenAI-compatible server `GET /local-models` found on loopback. */
export interface LocalServer {
  /** e.g. `ollama`, `llama.cpp`, `lm-studio`, `vllm`. */
  kind: string;
  base_url: string;
  models: ModelInfo[];
}

/** What `PATCH /sessions/{id}` takes (the provider narrowed to the ids). */
export type SessionUpdate = Omit<Schemas['UpdateSession'], 'provider'> & { provider?: ProviderId };

type Loose = Record<string, unknown>;

function toModel(m: unknown): ModelInfo | null {
  if (typeof m === 'string') return m ? { id: m } : null;
  if (m && typeof m === 'object') {
    const o = m as Loose;
    const id = typeof o.id === 'string' ? o.id : typeof o.name === 'string' ? o.name : typeof o.model === 'string' ? o.model : null;
    if (!id) return null;
    const name = typeof o.name === 'string' && o.name !== id ? o.name : undefined;
    return name ? { id, name } : { id };
  }
  return null;
}

function toModels(list: unknown): ModelInfo[] {
  return Array.isArray(list) ? list.map(toModel).filter((m): m is ModelInfo => m !== null) : [];
}

/** Normalises `GET /providers/{p}/models`. */
export function toModelList(body: unknown): ModelList {
  const o = (body && typeof body === 'object' ? body : {}) as Loose;
  const list = Array.isArray(body) ? body : (o.models ?? o.data);
  const err = o.error && typeof o.error === 'object' ? (o.error as Loose) : null;
  const out: ModelList = { models: toModels(list), stale: o.stale === true };
  if (err && typeof err.code === 'string') out.error = { code: err.code, message: typeof err.message === 'string' ? err.message : '' };
  return out;
}

/** Normalises `GET /local-models`. */
export function toLocalServers(body: unknown): LocalServer[] {
  const o = (body && typeof body === 'object' ? body : {}) as Loose;
  const list = Array.isArray(body) ? body : (o.servers ?? o.local_models ?? o.found ?? []);
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: unknown) => {
    if (!s || typeof s !== 'object') return [];
    const x = s as Loose;
    const base = typeof x.base_url === 'string' ? x.base_url : typeof x.url === 'string' ? x.url : null;
    if (!base) return [];
    const kind = [x.kind, x.server, x.name, x.id].find((v): v is string => typeof v === 'string') ?? 'local';
    return [{ kind, base_url: base, models: toModels(x.models) }];
  });
}

/** Normalises `POST /providers/{p}/test`. */
export function toConnectionTest(body: unknown): ConnectionTest {
  const o = (body && typeof body === 'object' ? body : {}) as Loose;
  if (o.ok === true) return { ok: true, latency_ms: typeof o.latency_ms === 'number' ? o.latency_ms : 0 };
  const err = (o.error && typeof o.error === 'object' ? o.error : o) as Loose;
  return {
    ok: false,
    code: typeof err.code === 'string' ? err.code : 'unknown',
    message: typeof err.message === 'string' ? err.message : '',
  };
}

const seg = encodeURIComponent;

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The options of `POST /sessions/{id}/turns/retry`: a turn's options,
 * and the text of the question the caller means to retry. */
export type RetryTurnOptions = StartTurnOptions & { expected_message?: string };

export function createDesktopApi(bridge: DesktopBridge | (() => DesktopBridge) = getDesktop) {
  const desktop = typeof bridge === 'function' ? bridge : () => bridge;

  /** Sends a request; returns the response when it is 2xx, throws otherwise. */
  async function raw(path: string, init: DesktopFetchInit & { json?: unknown } = {}): Promise<Response> {
    const { json, ...rest } = init;
    const req: DesktopFetchInit = { ...rest };
    if (json !== undefined) {
      req.body = JSON.stringify(json);
      req.headers = { 'content-type': 'application/json', ...rest.headers };
    }
    let res: Response;
    try {
      res = await desktop().fetch(path, req);
    } catch (e) {
      if (e instanceof HostError) throw e;
      if (e instanceof Error && e.name === 'AbortError') throw e;
      throw new HostError('host_unreachable', 'The host could not be reached.');
    }
    if (!res.ok) throw await hostErrorFromResponse(res);
    return res;
  }

  async function json<T>(path: string, init: DesktopFetchInit & { json?: unknown } = {}): Promise<T> {
    const res = await raw(path, init);
    return (await res.json()) as T;
  }

  async function empty(path: string, init: DesktopFetchInit & { json?: unknown } = {}): Promise<void> {
    const res = await raw(path, init);
    await res.body?.cancel();
  }

  return {
    /** Low-level access for callers that need the Response (streams). */
    raw,

    health: () => json<Health>('/health'),

    documents: {
      /** Opens an absolute path; also marks it recent. */
      open: (path: string) => json<DocumentInfo>('/documents', { method: 'POST', json: { path } satisfies Schemas['OpenPathRequest'] }),
      read: (docId: string) => json<DocumentContent>(`/documents/${seg(docId)}`),
      /** Writes only if the file is still at `expectedMtime`; otherwise throws
       * ConflictError and the file is untouched. Returns the new mtime. */
      write: (docId: string, content: string, expectedMtime: string) =>
        json<WriteResult>(`/documents/${seg(docId)}`, {
          method: 'PUT',
          json: { content, expected_mtime: expectedMtime } satisfies Schemas['WriteDocumentRequest'],
        }),
      /** Writes the document's file again after it was removed (or renamed
       * away) on disk, at its path: `recreate`, which the host refuses with
       * a ConflictError when a file is there again by now. */
      /** Save As: creates a new file at the absolute `path` with `content`
       * (its folder must exist; an existing file is never replaced, a
       * ConflictError) and registers it. */
      create: (path: string, content: string) =>
        json<DocumentInfo>('/documents', {
          method: 'POST',
          json: { path, content } satisfies Schemas['OpenDocumentRequest'],
        }),
      recreate: (docId: string, content: string) =>
        json<WriteResult>(`/documents/${seg(docId)}`, {
          method: 'PUT',
          json: { content, recreate: true } satisfies Schemas['WriteDocumentRequest'],
        }),
    },

    recent: {
      list: async () => (await json<Schemas['RecentList']>('/recent')).entries,
      touch: (docId: string) => json<RecentFile>('/recent', { method: 'POST', json: { doc_id: docId } satisfies Schemas['TouchRecentRequest'] }),
      pin: (docId: string, pinned: boolean) =>
        json<RecentFile>(`/recent/${seg(docId)}/pin`, { method: 'PUT', json: { pinned } satisfies Schemas['PinRequest'] }),
      forget: (docId: string) => empty(`/recent/${seg(docId)}`, { method: 'DELETE' }),
    },

    workspaces: {
      list: async () => (await json<Schemas['WorkspaceList']>('/workspaces')).workspaces,
      open: (path: string) => json<Workspace>('/workspaces', { method: 'POST', json: { path } satisfies Schemas['OpenPathRequest'] }),
      pin: (id: string, pinned: boolean) =>
        json<Workspace>(`/workspaces/${seg(id)}/pin`, { method: 'PUT', json: { pinned } satisfies Schemas['PinRequest'] }),
      forget: (id: string) => empty(`/workspaces/${seg(id)}`, { method: 'DELETE' }),
      tree: (id: string, path = '') => json<DirListing>(`/workspaces/${seg(id)}/tree${query({ path })}`),
      read: (id: string, path: string) => json<FileContent>(`/workspaces/${seg(id)}/file${query({ path })}`),
      /** Without `expectedMtime` it creates or overwrites. */
      write: (id: string, path: string, content: string, expectedMtime?: string) =>
        json<WriteResult>(`/workspaces/${seg(id)}/file`, {
          method: 'PUT',
          json: (expectedMtime === undefined
            ? { path, content }
            : { path, content, expected_mtime: expectedMtime }) satisfies Schemas['WriteFileRequest'],
        }),
      policy: (id: string) => json<ToolPolicy>(`/workspaces/${seg(id)}/policy`),
      setPolicy: (id: string, policy: ToolPolicy) =>
        json<ToolPolicy>(`/workspaces/${seg(id)}/policy`, { method: 'PUT', json: policy }),
    },

    /** Presence only: no call returns a key. */
    secrets: {
      list: async () => (await json<Schemas['SecretList']>('/secrets')).providers,
      get: (provider: ProviderId) => json<SecretPresence>(`/secrets/${seg(provider)}`),
      /** Stores a key; the answer is its presence, never the key. */
      set: (provider: ProviderId, key: string) =>
        json<SecretPresence>(`/secrets/${seg(provider)}`, { method: 'PUT', json: { key } satisfies Schemas['SetSecretRequest'] }),
      remove: (provider: ProviderId) => json<SecretPresence>(`/secrets/${seg(provider)}`, { method: 'DELETE' }),
    },

    providers: {
      list: async () => (await json<Schemas['ProviderList']>('/providers')).providers,
      /** Changes the settings `patch` names (PATCH: the others are kept;
       * `null` puts one back to its default). */
      update: async (provider: ProviderId, patch: ProviderSettingsPatch) =>
        (await json<Schemas['ProviderList']>(`/providers/${seg(provider)}`, { method: 'PATCH', json: patch })).providers,
      /** The provider's models (the host caches the list; `stale` when it is
       * the last known list). HostError with the provider's stable code when
       * it cannot be asked and nothing is cached. */
      models: async (provider: ProviderId, refresh = false) =>
        toModelList(await json<Schemas['ModelListBody']>(`/providers/${seg(provider)}/models${query({ refresh: refresh || undefined })}`)),
      /** One small request to the provider as configured; a failure is an
       * answer (`{ok:false, code}`), not a throw. */
      test: async (provider: ProviderId): Promise<ConnectionTest> => {
        try {
          return toConnectionTest(await json<Schemas['ConnectionTest']>(`/providers/${seg(provider)}/test`, { method: 'POST' }));
        } catch (e) {
          if (e instanceof HostError) return { ok: false, code: e.code, message: e.message };
          throw e;
        }
      },
    },

    /** OpenAI-compatible servers listening on this machine's loopback. */
    localModels: async () => toLocalServers(await json<Schemas['LocalServers']>('/local-models')),

    sessions: {
      create: (init: Schemas['CreateSession'] = {}) =>
        json<Session>('/sessions', { method: 'POST', json: init }),
      list: (q: SessionQuery = {}) => json<SessionPage>(`/sessions${query({ ...q })}`),
      get: (id: string) => json<Session>(`/sessions/${seg(id)}`),
      rename: (id: string, title: string) => json<Session>(`/sessions/${seg(id)}`, { method: 'PATCH', json: { title } satisfies Schemas['UpdateSession'] }),
      archive: (id: string, archived = true) =>
        json<Session>(`/sessions/${seg(id)}`, { method: 'PATCH', json: { archived } satisfies Schemas['UpdateSession'] }),
      /** Sets the session's provider and model (later turns use them). */
      update: (id: string, patch: SessionUpdate) => json<Session>(`/sessions/${seg(id)}`, { method: 'PATCH', json: patch }),
      delete: (id: string) => empty(`/sessions/${seg(id)}`, { method: 'DELETE' }),
      /** Stored messages in the AI SDK UIMessage shape. */
      messages: async (id: string) =>
        (await json<{ messages: StoredUIMessage[] }>(`/sessions/${seg(id)}/messages`)).messages,
    },

    /** What each turn changed on disk, and undoing it (live-documents.md). */
    changes: {
      /** Per file: status, counts and a unified diff. HostError
       * `checkpoint_pruned` (410) when its checkpoint is gone. */
      ofTurn: (sessionId: string, turnId: string) =>
        json<TurnChanges>(`/sessions/${seg(sessionId)}/turns/${seg(turnId)}/changes`),
      /** Restores every file the turn changed. Throws ChangedSinceError (409,
       * with the files) unless `force`; HostError `checkpoint_pruned` (410). */
      revertTurn: (sessionId: string, turnId: string, force = false) =>
        json<Reverted>(`/sessions/${seg(sessionId)}/turns/${seg(turnId)}/revert`, {
          method: 'POST',
          json: (force ? { force } : {}) satisfies Schemas['RevertRequest'],
        }),
      /** Reverts a recorded change set, e.g. a revert (the undo's redo). */
      revertChange: (sessionId: string, changeId: string, force = false) =>
        json<Reverted>(`/sessions/${seg(sessionId)}/changes/${seg(changeId)}/revert`, {
          method: 'POST',
          json: (force ? { force } : {}) satisfies Schemas['RevertRequest'],
        }),
    },

    agent: {
      /** Starts a turn; resolves with the `text/event-stream` response once the
       * host accepted it. Refusals throw before any stream: ProviderDownError,
       * HostError `run_in_flight` / `unknown_session`. */
      startTurn: (sessionId: string, message: string, opts: StartTurnOptions = {}) => {
        const { signal, ...rest } = opts;
        return raw(`/sessions/${seg(sessionId)}/turns`, {
          method: 'POST',
          json: { message, ...rest } satisfies Schemas['StartTurn'],
          headers: { accept: 'text/event-stream' },
          signal,
        });
      },
      /** Answers the session's last user message again because its answer
       * failed (`error`/`interrupted`): the host supersedes the failed answer
       * and does not store the question again; the same stream as
       * `startTurn`. `expected_message`: the question the caller means.
       * Refusals throw before any stream: HostError `nothing_to_retry` (the
       * last answer did not fail, or answered another message),
       * `retry_after_changes` (the failed turn changed files: send a new
       * message), `run_in_flight`, ProviderDownError. */
      retryTurn: (sessionId: string, opts: RetryTurnOptions = {}) => {
        const { signal, ...rest } = opts;
        return raw(`/sessions/${seg(sessionId)}/turns/retry`, {
          method: 'POST',
          json: rest satisfies Schemas['RetryTurn'],
          headers: { accept: 'text/event-stream' },
          signal,
        });
      },
      /** Resumes the latest turn after `lastEventId` (from its start without). */
      resumeTurn: (sessionId: string, lastEventId?: string, signal?: AbortSignal) => {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        return raw(`/sessions/${seg(sessionId)}/stream`, { headers, signal });
      },
      /** The only way to stop a turn (closing the stream only stops reading). */
      abort: async (sessionId: string) =>
        (await json<Schemas['AbortResult']>(`/sessions/${seg(sessionId)}/abort`, { method: 'POST' })).aborted,
      approve: (sessionId: string, approvalId: string, approved: boolean) =>
        empty(`/sessions/${seg(sessionId)}/approvals/${seg(approvalId)}`, { method: 'POST', json: { approved } satisfies Schemas['ApprovalAnswer'] }),
    },
  };
}

export type DesktopApi = ReturnType<typeof createDesktopApi>;
