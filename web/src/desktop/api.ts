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
  ProviderSettings,
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

const seg = encodeURIComponent;

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

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
      configure: async (provider: ProviderId, settings: ProviderSettings) =>
        (await json<Schemas['ProviderList']>(`/providers/${seg(provider)}`, { method: 'PUT', json: settings }))
          .providers,
    },

    sessions: {
      create: (init: Schemas['CreateSession'] = {}) =>
        json<Session>('/sessions', { method: 'POST', json: init }),
      list: (q: SessionQuery = {}) => json<SessionPage>(`/sessions${query({ ...q })}`),
      get: (id: string) => json<Session>(`/sessions/${seg(id)}`),
      rename: (id: string, title: string) => json<Session>(`/sessions/${seg(id)}`, { method: 'PATCH', json: { title } satisfies Schemas['UpdateSession'] }),
      archive: (id: string, archived = true) =>
        json<Session>(`/sessions/${seg(id)}`, { method: 'PATCH', json: { archived } satisfies Schemas['UpdateSession'] }),
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
