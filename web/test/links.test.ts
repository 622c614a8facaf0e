import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkConfirm } from '../src/components/LinkConfirm';
import { createDesktopApi } from '../src/desktop/api';
import { linkQuestion, openLink, parseLinkRequest, visible } from '../src/desktop/links';
import { takeLinkRequests } from '../src/desktop/types';
import { fakeBridge } from './fake-bridge';

const SESSION = 'ses_0123456789abcdef0123456789abcdef';

describe('deep-link requests', () => {
  afterEach(() => {
    delete (globalThis as { window?: unknown }).window;
  });

  it('takes only well-formed requests', () => {
    expect(parseLinkRequest({ kind: 'workspace', path: '/home/u/src' })).toEqual({
      kind: 'workspace',
      path: '/home/u/src',
    });
    expect(parseLinkRequest({ kind: 'file', path: '/home/u/a.md' })).toEqual({ kind: 'file', path: '/home/u/a.md' });
    expect(parseLinkRequest({ kind: 'session', session: SESSION })).toEqual({ kind: 'session', session: SESSION });
    for (const bad of [
      null,
      'workspace',
      { kind: 'workspace' },
      { kind: 'workspace', path: 'relative' },
      { kind: 'workspace', path: 7 },
      { kind: 'file', path: '' },
      { kind: 'session', session: 'ses_0123' },
      { kind: 'session', session: SESSION.toUpperCase() },
      { kind: 'settings', path: '/x' },
      { kind: 'Workspace', path: '/x' },
    ]) {
      expect(parseLinkRequest(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('takes the queue the shell fills', () => {
    (globalThis as { window?: unknown }).window = { __desktopLinks: [{ kind: 'file', path: '/a' }] };
    expect(takeLinkRequests()).toEqual([{ kind: 'file', path: '/a' }]);
    expect(takeLinkRequests()).toEqual([]);
    (globalThis as { window?: unknown }).window = {};
    expect(takeLinkRequests()).toEqual([]);
  });

  it('asks with the full path, Cancel focused and Open not yet armed', () => {
    const path = '/home/user/projects/a very long folder name/with/many/levels/deep/inside/it';
    const html = renderToString(
      createElement(LinkConfirm, {
        request: { kind: 'workspace', path },
        waiting: 2,
        onOpen: () => {},
        onCancel: () => {},
      }),
    );
    expect(html).toContain('A link asks to open this folder as a workspace. Open it?');
    expect(html).toContain(path);
    expect(html).toContain('2 more links waiting');
    expect(html).toMatch(/<button[^>]*class="link-open"[^>]*disabled/);
    expect(html).toMatch(/class="link-cancel"/);
    expect(html).toContain('role="alertdialog"');
  });

  it('says what each kind of link asks for', () => {
    expect(linkQuestion({ kind: 'file', path: '/a/b.md' })).toMatchObject({
      question: 'A link asks to open this file. Open it?',
      subject: '/a/b.md',
    });
    expect(linkQuestion({ kind: 'session', session: SESSION })).toMatchObject({
      question: 'A link asks to open this session. Open it?',
      subject: SESSION,
    });
  });

  it('shows control and formatting characters instead of hiding them', () => {
    expect(visible('/home/u/\u202Etxt.exe')).toBe('/home/u/\\u{202e}txt.exe');
    expect(visible('/a\nb')).toBe('/a\\u{a}b');
    expect(visible('/home/u/café')).toBe('/home/u/café');
  });

  it('Open does what the link asked, through the host only for a workspace', async () => {
    const { bridge, calls } = fakeBridge(
      () =>
        new Response(JSON.stringify({ id: 'ws_1', path: '/w', name: 'w', pinned: false, last_opened_ms: 0 }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    );
    const api = createDesktopApi(bridge);
    const done: string[] = [];
    const actions = {
      openWorkspace: async (path: string) => {
        const ws = await api.workspaces.open(path);
        done.push(`workspace ${ws.id}`);
      },
      openFile: async (path: string) => void done.push(`file ${path}`),
      selectSession: (id: string) => void done.push(`session ${id}`),
    };
    await openLink({ kind: 'workspace', path: '/w' }, actions);
    await openLink({ kind: 'file', path: '/w/a.md' }, actions);
    await openLink({ kind: 'session', session: SESSION }, actions);
    expect(done).toEqual(['workspace ws_1', 'file /w/a.md', `session ${SESSION}`]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ path: '/workspaces', init: { method: 'POST' } });
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({ path: '/w' });
  });
});
