// @vitest-environment jsdom
//
// A session's row, when the pointer rests on it or it is focused, has the highlighting worker load
// the grammars of the languages the host lists for it (`code_languages`),
// before the session is opened; once the window is idle, so do the newest
// three sessions'. Each language once per page. A row pressed or rested on
// also has the session's messages loaded ahead, once.

import { act, createElement } from 'react';
import { beforeEach, expect, it, vi } from 'vitest';
import type { WorkerRequest } from '../src/chat/highlight-core';
import { mountPerTest, until } from './dom';
import { fakeBridge } from './fake-bridge';

const dom = mountPerTest();

/** The worker's requests, and what runs when the window is idle. */
let posted: WorkerRequest[];
/** The paths of the messages the page has asked the host for. */
let messagesAsked: () => string[];
let idle: (() => void)[];
beforeEach(() => {
  vi.resetModules(); // a page's worker and its languages asked for, afresh
  posted = [];
  idle = [];
  vi.stubGlobal(
    'Worker',
    class {
      postMessage(msg: WorkerRequest) {
        posted.push(msg);
      }
      addEventListener() {}
      removeEventListener() {}
    },
  );
  vi.stubGlobal('requestIdleCallback', (fn: () => void) => idle.push(fn));
  vi.stubGlobal('cancelIdleCallback', () => {});
});

/** The session list of a host that has `sessions`. */
async function renderList(sessions: unknown[]) {
  const { DesktopProvider } = await import('../src/desktop-context');
  const { SessionList } = await import('../src/pages/SessionList');
  const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  const { bridge, calls } = fakeBridge((path: string) => {
    if (path === '/events') return new Response(new ReadableStream());
    if (path.endsWith('/messages')) return json({ messages: [] });
    return json({ sessions, total: sessions.length });
  });
  messagesAsked = () => calls.map((c) => c.path).filter((p) => p.endsWith('/messages'));
  const onSelect = vi.fn();
  await act(async () =>
    dom.root.render(createElement(DesktopProvider, { bridge, children: createElement(SessionList, { selected: null, onSelect }) })),
  );
  await until(() => expect(dom.container.querySelectorAll('button.link')).toHaveLength(sessions.length));
  return onSelect;
}

const session = (id: string, title: string, code_languages: string[]) => ({
  id,
  title,
  workspace_id: null,
  doc_id: null,
  provider: null,
  model: null,
  model_chosen: false,
  created_at_ms: 1,
  updated_at_ms: 1,
  archived: false,
  usage: { input_tokens: 0, output_tokens: 0 },
  code_languages,
});

it('a row the pointer rests on, or focused, warms its session’s languages, each once', async () => {
  const sessions = [session('ses_a', 'Rust and TS', ['rust', 'ts']), session('ses_b', 'TS and Go', ['ts', 'go']), session('ses_c', 'Prose', [])];
  const onSelect = await renderList(sessions);
  const row = (id: string) => dom.container.querySelector<HTMLButtonElement>(`button.link[title="${id}"]`)!;
  expect(posted).toEqual([]);

  const rest = () => act(async () => new Promise((r) => setTimeout(r, 80)));
  const over = (id: string) => row(id).dispatchEvent(new MouseEvent('pointerover', { bubbles: true }));
  const out = (id: string) => row(id).dispatchEvent(new MouseEvent('pointerout', { bubbles: true }));
  // A pointer that only crosses the row loads nothing.
  await act(async () => {
    over('ses_a');
    out('ses_a');
  });
  await rest();
  expect(posted).toEqual([]);
  // One that rests on it does.
  await act(async () => over('ses_a'));
  await rest();
  expect(posted).toEqual([{ type: 'warm', blocks: [{ lang: 'rust', code: '' }, { lang: 'ts', code: '' }] }]);
  // Again, or a row of languages already asked for: nothing new.
  await act(async () => {
    out('ses_a');
    over('ses_a');
  });
  await rest();
  expect(posted).toHaveLength(1);
  // Focus (the keyboard's way there): only the language not yet asked for.
  await act(async () => row('ses_b').focus());
  expect(posted.at(-1)).toEqual({ type: 'warm', blocks: [{ lang: 'go', code: '' }] });
  // A session without code asks for nothing; nothing was opened.
  await act(async () => row('ses_c').focus());
  expect(posted).toHaveLength(2);
  expect(onSelect).not.toHaveBeenCalled();
  // When idle, the newest sessions' languages are all asked for already.
  for (const fn of idle) fn();
  expect(posted).toHaveLength(2);
});

it('once the window is idle, the newest three sessions’ languages are warmed, at most six', async () => {
  const sessions = [
    session('ses_1', 'one', ['rust', 'ts', 'a', 'b']),
    session('ses_2', 'two', ['ts', 'c', 'd', 'e']),
    session('ses_3', 'three', ['f']),
    session('ses_4', 'four, older', ['python']),
  ];
  await renderList(sessions);
  expect(posted).toEqual([]);
  expect(idle.length).toBeGreaterThan(0);
  for (const fn of idle) fn();
  expect(posted).toEqual([{ type: 'warm', blocks: ['rust', 'ts', 'a', 'b', 'c', 'd'].map((lang) => ({ lang, code: '' })) }]);
});

it('a row pressed, or rested on, has its session’s messages loaded ahead, once', async () => {
  const onSelect = await renderList([session('ses_a', 'A', []), session('ses_b', 'B', [])]);
  const row = (id: string) => dom.container.querySelector<HTMLButtonElement>(`button.link[title="${id}"]`)!;
  expect(messagesAsked()).toEqual([]);
  await act(async () => row('ses_a').dispatchEvent(new MouseEvent('pointerdown', { bubbles: true })));
  expect(messagesAsked()).toEqual(['/sessions/ses_a/messages']);
  await act(async () => row('ses_a').dispatchEvent(new MouseEvent('pointerdown', { bubbles: true })));
  expect(messagesAsked()).toHaveLength(1);
  // Resting on a row: its messages too; crossing one: nothing.
  await act(async () => {
    row('ses_b').dispatchEvent(new MouseEvent('pointerover', { bubbles: true }));
    row('ses_b').dispatchEvent(new MouseEvent('pointerout', { bubbles: true }));
  });
  await act(async () => new Promise((r) => setTimeout(r, 80)));
  expect(messagesAsked()).toHaveLength(1);
  await act(async () => row('ses_b').dispatchEvent(new MouseEvent('pointerover', { bubbles: true })));
  await act(async () => new Promise((r) => setTimeout(r, 80)));
  expect(messagesAsked()).toEqual(['/sessions/ses_a/messages', '/sessions/ses_b/messages']);
  expect(onSelect).not.toHaveBeenCalled();
});
