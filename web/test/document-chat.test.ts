// @vitest-environment jsdom
//
// A document window (`?doc=`) against a fake host: its chat lists that
// document's sessions, creates sessions that belong to it, and sends the
// editor's selection with the turn. The home window keeps every session.

import { EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../src/App';
import { loadMarkdown } from '../src/chat/Markdown';
import type { DesktopBridge } from '../src/desktop/types';
import { mountPerTest } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse, recordedBody, sseResponse } from './fixtures/turn';

const DOC = 'doc_1';
const TEXT = '# Plan\n\nSecond section.\n';

function json(v: unknown, status = 200) {
  return new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json' } });
}

const session = (id: string, title: string, extra: { doc_id?: string | null } = {}) => ({
  id,
  title,
  created_at_ms: 1,
  updated_at_ms: 1,
  archived: false,
  usage: { input_tokens: 0, output_tokens: 0 },
  code_languages: [],
  doc_id: null as string | null,
  ...extra,
});

function fakeHost(messages: unknown[] = []) {
  const sessions = [session('ses_doc', 'About the plan', { doc_id: DOC })];
  return fakeBridge((path, init) => {
    const method = init.method ?? 'GET';
    if (path === '/events') return new Response(new ReadableStream<Uint8Array>());
    if (path === `/documents/${DOC}`) return json({ doc_id: DOC, path: '/home/u/plan.md', content: TEXT, mtime: '1' });
    if (path === '/recent') return json({ entries: [] });
    if (path === '/workspaces') return json({ workspaces: [] });
    if (path.startsWith('/sessions?')) {
      const q = new URLSearchParams(path.slice('/sessions?'.length));
      const list = q.get('doc_id') ? sessions.filter((s) => s.doc_id === q.get('doc_id')) : [...sessions, session('ses_ws', 'Elsewhere')];
      return json({ sessions: list, total: list.length });
    }
    if (path === '/sessions' && method === 'POST') {
      const body = JSON.parse(init.body ?? '{}') as { doc_id?: string };
      const s = session(`ses_new${sessions.length}`, '', { doc_id: body.doc_id ?? null });
      sessions.unshift(s);
      return json(s);
    }
    if (/^\/sessions\/[^/]+\/messages$/.test(path)) return json({ messages });
    if (/^\/sessions\/[^/]+\/turns$/.test(path)) return sseResponse(recordedBody());
    return errorResponse(404, 'no_route', path);
  });
}

const dom = mountPerTest({ act: false });

// jsdom does no layout; CodeMirror measures text ranges.
const emptyRects = Object.assign([], { item: () => null }) as unknown as DOMRectList;
Range.prototype.getClientRects ??= () => emptyRects;
Range.prototype.getBoundingClientRect ??= () => new DOMRect();

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

function open(search: string, bridge: DesktopBridge) {
  window.history.replaceState(null, '', `/desktop/${search}`);
  Object.defineProperty(window, 'desktop', { value: bridge, configurable: true });
  flushSync(() => dom.root.render(createElement(App)));
}

const { button } = dom;

function view(): EditorView {
  const el = dom.container.querySelector<HTMLElement>('.cm-editor');
  const v = el && EditorView.findFromDOM(el);
  if (!v) throw new Error('no editor');
  return v;
}

function typeMessage(text: string) {
  const area = dom.container.querySelector('textarea')!;
  Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(area, text);
  area.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('a document window\'s chat', () => {
  it('lists the document\'s sessions, creates one for it and sends the selection with the turn', async () => {
    const host = fakeHost();
    open(`?doc=${DOC}`, host.bridge);
    await vi.waitFor(() => expect(dom.container.textContent).toContain('About the plan'));
    expect(dom.container.textContent).toContain('Chats about this document');
    expect(dom.container.textContent).not.toContain('Elsewhere');
    expect(host.calls.some((c) => c.path.startsWith('/sessions?') && c.path.includes(`doc_id=${DOC}`))).toBe(true);

    button('New session').click();
    await vi.waitFor(() => expect(dom.container.querySelector('textarea')).not.toBeNull());
    const created = host.calls.find((c) => c.path === '/sessions' && c.init.method === 'POST');
    expect(JSON.parse(created!.init.body!)).toEqual({ doc_id: DOC });

    await vi.waitFor(() => view());
    const at = TEXT.indexOf('Second');
    view().dispatch({ selection: EditorSelection.single(at, at + 'Second section'.length) });
    typeMessage('Tighten this');
    button('Send').click();
    await vi.waitFor(() => expect(host.calls.some((c) => c.path.endsWith('/turns'))).toBe(true));
    const turn = host.calls.find((c) => c.path.endsWith('/turns'))!;
    expect(JSON.parse(turn.init.body!)).toEqual({
      message: 'Tighten this',
      context: { doc_id: DOC, selection: { from: at, to: at + 'Second section'.length } },
    });

    // An empty selection is left out.
    await vi.waitFor(() => expect(button('Send')).toBeTruthy());
    view().dispatch({ selection: EditorSelection.single(3) });
    typeMessage('And now?');
    button('Send').click();
    await vi.waitFor(() => expect(host.calls.filter((c) => c.path.endsWith('/turns'))).toHaveLength(2));
    const second = host.calls.filter((c) => c.path.endsWith('/turns'))[1]!;
    expect(JSON.parse(second.init.body!)).toEqual({ message: 'And now?', context: { doc_id: DOC } });

    // Unsaved text above the selection: the host quotes from the file on
    // disk, so the offsets are the disk's.
    await vi.waitFor(() => expect(button('Send')).toBeTruthy());
    view().dispatch({ changes: { from: 0, insert: 'An intro line.\n' }, userEvent: 'input.type' });
    const draftAt = view().state.doc.toString().indexOf('Second');
    view().dispatch({ selection: EditorSelection.single(draftAt, draftAt + 'Second section'.length) });
    typeMessage('Once more');
    button('Send').click();
    await vi.waitFor(() => expect(host.calls.filter((c) => c.path.endsWith('/turns'))).toHaveLength(3));
    const third = host.calls.filter((c) => c.path.endsWith('/turns'))[2]!;
    expect(JSON.parse(third.init.body!).context).toEqual({
      doc_id: DOC,
      selection: { from: at, to: at + 'Second section'.length },
    });
  });

  it('the home window lists every session and sends no document context', async () => {
    const host = fakeHost();
    open('', host.bridge);
    await vi.waitFor(() => expect(dom.container.textContent).toContain('Elsewhere'));
    expect(dom.container.textContent).not.toContain('Chats about this document');
    expect(host.calls.some((c) => c.path.includes('doc_id='))).toBe(false);
    button('New session').click();
    await vi.waitFor(() => expect(dom.container.querySelector('textarea')).not.toBeNull());
    const created = host.calls.find((c) => c.path === '/sessions' && c.init.method === 'POST');
    expect(JSON.parse(created!.init.body!)).toEqual({});
    typeMessage('Hello');
    button('Send').click();
    await vi.waitFor(() => expect(host.calls.some((c) => c.path.endsWith('/turns'))).toBe(true));
    expect(JSON.parse(host.calls.find((c) => c.path.endsWith('/turns'))!.init.body!)).toEqual({ message: 'Hello' });
  });
  it('a sent message shows as text in the Send click\'s render and as markdown right after; those it opened with at once', async () => {
    const first = { id: 'm1', role: 'user', parts: [{ type: 'text', text: '**first**' }], metadata: { status: 'complete', created_at_ms: 1 } };
    const host = fakeHost([first]);
    await loadMarkdown();
    open('', host.bridge);
    await vi.waitFor(() => expect(dom.container.textContent).toContain('About the plan'));
    const users = () => [...dom.container.querySelectorAll('.message.user')];
    // How the message it opened with looked in the render that added it
    // (a MutationObserver answers in a microtask, before any other task).
    let opened: 'markdown' | 'text' | null = null;
    const watch = new MutationObserver(() => {
      if (opened === null && users()[0]) opened = users()[0]!.querySelector('strong') ? 'markdown' : 'text';
    });
    watch.observe(dom.container, { childList: true, subtree: true });
    dom.container.querySelector<HTMLButtonElement>('button.link[title="ses_doc"]')!.click();
    await vi.waitFor(() => expect(users()[0]?.querySelector('strong')?.textContent).toBe('first'));
    watch.disconnect();
    expect(opened).toBe('markdown');
    typeMessage('**sent**');
    button('Send').click();
    // The render that adds it: the AI SDK's store update, rendered by React
    // in a microtask. Microtasks only, so no task (a transition) runs.
    for (let i = 0; i < 50 && users().length < 2; i++) await Promise.resolve();
    expect(users()).toHaveLength(2);
    expect(users()[1]!.querySelector('.md-fallback')?.textContent).toBe('**sent**');
    expect(users()[1]!.querySelector('strong')).toBeNull();
    await vi.waitFor(() => expect(users()[1]!.querySelector('strong')?.textContent).toBe('sent'));
  });
});
