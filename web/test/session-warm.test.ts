// @vitest-environment jsdom
//
// A session's row, pointed at or focused, has the highlighting worker load
// the grammars of the languages the host lists for it (`code_languages`),
// before the session is opened; each language once per page.

import { act, createElement } from 'react';
import { expect, it, vi } from 'vitest';
import type { WorkerRequest } from '../src/chat/highlight-core';
import { DesktopProvider } from '../src/desktop-context';
import { SessionList } from '../src/pages/SessionList';
import { mountPerTest, until } from './dom';
import { fakeBridge } from './fake-bridge';

const dom = mountPerTest();

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

it('a row pointed at or focused warms its session’s languages, each once', async () => {
  const posted: WorkerRequest[] = [];
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
  const sessions = [session('ses_a', 'Rust and TS', ['rust', 'ts']), session('ses_b', 'TS and Go', ['ts', 'go']), session('ses_c', 'Prose', [])];
  const { bridge } = fakeBridge((path: string) => {
    if (path === '/events') return new Response(new ReadableStream());
    return new Response(JSON.stringify({ sessions, total: sessions.length }), { headers: { 'content-type': 'application/json' } });
  });
  const onSelect = vi.fn();
  await act(async () =>
    dom.root.render(createElement(DesktopProvider, { bridge, children: createElement(SessionList, { selected: null, onSelect }) })),
  );
  await until(() => expect(dom.container.querySelectorAll('button.link')).toHaveLength(3));
  const row = (id: string) => dom.container.querySelector<HTMLButtonElement>(`button.link[title="${id}"]`)!;
  expect(posted).toEqual([]);

  await act(async () => {
    row('ses_a').dispatchEvent(new MouseEvent('pointerover', { bubbles: true }));
  });
  expect(posted).toEqual([{ type: 'warm', blocks: [{ lang: 'rust', code: '' }, { lang: 'ts', code: '' }] }]);
  // Again, or a row of languages already asked for: nothing new.
  await act(async () => {
    row('ses_a').dispatchEvent(new MouseEvent('pointerout', { bubbles: true }));
    row('ses_a').dispatchEvent(new MouseEvent('pointerover', { bubbles: true }));
  });
  expect(posted).toHaveLength(1);
  // Focus (the keyboard's way there): only the language not yet asked for.
  await act(async () => row('ses_b').focus());
  expect(posted.at(-1)).toEqual({ type: 'warm', blocks: [{ lang: 'go', code: '' }] });
  // A session without code asks for nothing; nothing was opened.
  await act(async () => row('ses_c').focus());
  expect(posted).toHaveLength(2);
  expect(onSelect).not.toHaveBeenCalled();
});
