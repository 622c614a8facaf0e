import { describe, expect, it } from 'vitest';
import { createDesktopApi } from '../src/desktop/api';
import { ConflictError, isHostError } from '../src/desktop/errors';
import { installTestBridge } from '../src/desktop/test-bridge';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const ok = (body: unknown, status = 200) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('desktop api', () => {
  it('writes documents with expected_mtime and types a 409 conflict', async () => {
    const { bridge, calls } = fakeBridge(() => errorResponse(409, 'conflict', 'the file changed on disk'));
    const api = createDesktopApi(bridge);
    const err = await api.documents.write('doc_1', 'text', '1700000000123456789').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(calls[0]).toMatchObject({ path: '/documents/doc_1', init: { method: 'PUT' } });
    // the mtime token stays a string: nanoseconds do not fit a JS number
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({ content: 'text', expected_mtime: '1700000000123456789' });
  });

  it('lists sessions with q and paging, escapes ids', async () => {
    const { bridge, calls } = fakeBridge(() => ok({ sessions: [], total: 0 }));
    const api = createDesktopApi(bridge);
    await api.sessions.list({ q: 'a b&c', limit: 20, offset: 40, include_archived: true });
    await api.sessions.list();
    expect(calls[0]!.path).toBe('/sessions?q=a+b%26c&limit=20&offset=40&include_archived=true');
    expect(calls[1]!.path).toBe('/sessions');
    await api.workspaces.tree('ws_1', 'src/a b').catch(() => undefined);
    expect(calls[2]!.path).toBe('/workspaces/ws_1/tree?path=src%2Fa+b');
    await api.sessions.get('../x').catch(() => undefined);
    expect(calls[3]!.path).toBe('/sessions/..%2Fx');
  });

  it('sends approvals, aborts and Last-Event-ID', async () => {
    const { bridge, calls } = fakeBridge((path) =>
      path.endsWith('/abort') ? ok({ aborted: true }) : path.includes('/approvals/') ? ok(null, 204) : ok({}),
    );
    const api = createDesktopApi(bridge);
    await api.agent.approve('ses_1', 'appr_1', false);
    expect(await api.agent.abort('ses_1')).toBe(true);
    await api.agent.resumeTurn('ses_1', 'turn_1:7');
    expect(calls[0]).toMatchObject({ path: '/sessions/ses_1/approvals/appr_1', init: { method: 'POST', body: '{"approved":false}' } });
    expect(calls[1]).toMatchObject({ path: '/sessions/ses_1/abort', init: { method: 'POST' } });
    expect(calls[1]!.init.body).toBeUndefined();
    expect(calls[2]!.init.headers?.['last-event-id']).toBe('turn_1:7');
  });

  it('maps an unreachable host to host_unreachable', async () => {
    const api = createDesktopApi({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      onHostState: () => () => undefined,
    });
    const err = await api.health().catch((e: unknown) => e);
    expect(isHostError(err, 'host_unreachable')).toBe(true);
  });
});

describe('test bridge', () => {
  it('adds the harness credentials to plain fetch and strips page-set ones', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const target = {} as { desktop?: unknown };
    const bridge = installTestBridge({
      baseUrl: 'http://127.0.0.1:4000/',
      authorization: 'Basic YWdlbnQ6cHc=',
      referer: 'http://127.0.0.1:5173/desktop/',
      target,
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init! });
        return ok({ sessions: [], total: 0 });
      },
    });
    expect(target.desktop).toBe(bridge);
    expect(Object.isFrozen(bridge)).toBe(true);
    await createDesktopApi(bridge).sessions.list({ q: 'x' });
    await bridge.fetch('/health', { headers: { Authorization: 'Basic evil', 'x-a': '1' } });
    expect(seen[0]!.url).toBe('http://127.0.0.1:4000/sessions?q=x');
    const h = seen[1]!.init.headers as Record<string, string>;
    expect(h.authorization).toBe('Basic YWdlbnQ6cHc=');
    expect(h.Authorization).toBeUndefined();
    expect(h.referer).toBe('http://127.0.0.1:5173/desktop/');
    expect(h['x-a']).toBe('1');
    const states: string[] = [];
    const off = bridge.onHostState((e) => states.push(e.state));
    bridge.emitHostState({ state: 'restarting' });
    off();
    bridge.emitHostState({ state: 'ready' });
    expect(states).toEqual(['restarting']);
  });
});
