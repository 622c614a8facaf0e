// @vitest-environment jsdom
//
// The renderer's screens and their pieces against a fake host: the API
// normalisers of the new routes, shortcuts, appearance, the splitter, the
// dialog's focus trap, the first-run guide, the model picker, the custom
// endpoint's connection test and the tool policy editor.

import { act, createElement, type ReactElement } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyAppearance, readAppearance, setAppearance } from '../src/components/appearance';
import { Dialog } from '../src/components/Dialog';
import { droppedPath, folderChooser } from '../src/components/nativeShell';
import { shortcutOf } from '../src/components/shortcuts';
import { Splitter } from '../src/components/Splitter';
import { createDesktopApi, toConnectionTest, toLocalServers, toModelList } from '../src/desktop/api';
import type { DesktopFetchInit, DesktopShell, ToolPolicy } from '../src/desktop/types';
import { DesktopProvider } from '../src/desktop-context';
import { FirstRun } from '../src/pages/FirstRun';
import { SessionBar } from '../src/pages/SessionBar';
import { CustomEndpoint, PolicyFields } from '../src/pages/Settings';
import { mountPerTest, until } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });

const dom = mountPerTest();
beforeEach(() => {
  localStorage.clear();
});
afterEach(() => {
  document.documentElement.removeAttribute('data-theme');
});

async function render(el: ReactElement) {
  await act(async () => dom.root.render(el));
}

const { button } = dom;

/** A fake host answering by `METHOD path`. */
function host(routes: Record<string, (init: DesktopFetchInit) => Response>) {
  const { bridge, calls } = fakeBridge((path, init) => {
    if (path === '/events') return new Response(new ReadableStream());
    const route = routes[`${init.method ?? 'GET'} ${path}`];
    return route ? route(init) : errorResponse(404, 'no_route', path);
  });
  return { bridge, calls, wrap: (el: ReactElement) => createElement(DesktopProvider, { bridge, children: el }) };
}

function type(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('the new routes’ answers', () => {
  it('model lists: strings or objects, stale kept, junk dropped', () => {
    expect(toModelList({ models: ['a', { id: 'b', name: 'Bee' }, { id: 'c', name: 'c' }, 3, ''], stale: true })).toEqual({
      models: [{ id: 'a' }, { id: 'b', name: 'Bee' }, { id: 'c' }],
      stale: true,
    });
    expect(toModelList({ data: [{ id: 'x' }] })).toEqual({ models: [{ id: 'x' }], stale: false });
    expect(toModelList({ models: [{ id: 'y' }], stale: true, fetched_at_ms: 1, error: { code: 'provider_timeout', message: 'slow' } })).toEqual({
      models: [{ id: 'y' }],
      stale: true,
      error: { code: 'provider_timeout', message: 'slow' },
    });
    expect(toModelList(null)).toEqual({ models: [], stale: false });
  });

  it('local servers: base URL required, models normalised', () => {
    expect(
      toLocalServers({
        servers: [{ kind: 'ollama', base_url: 'http://127.0.0.1:11434/v1', models: ['llama3.2'] }, { kind: 'x' }],
      }),
    ).toEqual([{ kind: 'ollama', base_url: 'http://127.0.0.1:11434/v1', models: [{ id: 'llama3.2' }] }]);
  });

  it('connection tests: success with latency, failure with its code', () => {
    expect(toConnectionTest({ ok: true, latency_ms: 42 })).toEqual({ ok: true, latency_ms: 42 });
    expect(toConnectionTest({ ok: false, code: 'provider_unauthorized', message: 'no' })).toEqual({
      ok: false,
      code: 'provider_unauthorized',
      message: 'no',
    });
  });

  it('a refused test (HTTP error) is an answer with the stable code, and PATCH carries the model', async () => {
    const { bridge, calls } = fakeBridge((path) =>
      path.endsWith('/test') ? errorResponse(404, 'unknown_provider', 'no such provider') : json({ id: 'ses_1' }),
    );
    const api = createDesktopApi(bridge);
    expect(await api.providers.test('custom')).toEqual({ ok: false, code: 'unknown_provider', message: 'no such provider' });
    await api.sessions.update('ses_1', { provider: 'custom', model: 'm' });
    expect(calls.at(-1)).toMatchObject({ path: '/sessions/ses_1', init: { method: 'PATCH', body: '{"provider":"custom","model":"m"}' } });
  });
});

describe('shortcuts, appearance and the native shell', () => {
  it('maps keys to actions', () => {
    const k = (key: string, mods: Partial<KeyboardEvent> = {}) =>
      shortcutOf({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
    expect(k('n', { ctrlKey: true, altKey: true })).toBe('new-session');
    expect(k('l', { ctrlKey: true })).toBe('focus-chat');
    expect(k('L', { metaKey: true })).toBe('focus-chat');
    expect(k('1', { ctrlKey: true })).toBe('focus-sidebar');
    expect(k('F6')).toBe('next-pane');
    expect(k('F6', { shiftKey: true })).toBe('previous-pane');
    expect(k(',', { ctrlKey: true })).toBe('settings');
    expect(k('/', { ctrlKey: true })).toBe('shortcuts');
    expect(k('l')).toBeNull();
    expect(k('x', { ctrlKey: true })).toBeNull();
  });

  it('appearance: stored, applied as data-theme, System removes it', () => {
    expect(readAppearance()).toBe('system');
    setAppearance('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(readAppearance()).toBe('dark');
    document.documentElement.removeAttribute('data-theme');
    applyAppearance();
    expect(document.documentElement.dataset.theme).toBe('dark');
    setAppearance('system');
    expect(document.documentElement.hasAttribute('data-theme')).toBe(false);
    expect(localStorage.getItem('appearance')).toBeNull();
  });

  it('uses chooseFolder only when the shell has it; dropped paths must be absolute', async () => {
    const base = {} as DesktopShell;
    expect(folderChooser(null)).toBeNull();
    expect(folderChooser(base)).toBeNull();
    const chooser = folderChooser({ ...base, chooseFolder: async () => '/home/u/p' } as DesktopShell);
    expect(await chooser!()).toBe('/home/u/p');
    expect(droppedPath(new CustomEvent('x', { detail: { path: '/a/b' } }))).toBe('/a/b');
    expect(droppedPath(new CustomEvent('x', { detail: { path: 'rel' } }))).toBeNull();
    expect(droppedPath(new CustomEvent('x'))).toBeNull();
  });
});

describe('Splitter and Dialog', () => {
  it('the splitter resizes by keyboard, clamped', async () => {
    const onChange = vi.fn();
    await render(createElement(Splitter, { label: 'Resize', value: 200, min: 180, max: 240, side: 'left', onChange }));
    const sep = dom.container.querySelector<HTMLElement>('[role="separator"]')!;
    expect(sep.getAttribute('aria-valuenow')).toBe('200');
    expect(sep.tabIndex).toBe(0);
    act(() => void sep.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })));
    act(() => void sep.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', shiftKey: true, bubbles: true })));
    act(() => void sep.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true })));
    expect(onChange.mock.calls.map((c) => c[0])).toEqual([216, 180, 240]);
  });

  it('the dialog takes focus, keeps Tab inside, closes on Escape and gives focus back', async () => {
    const before = document.createElement('button');
    document.body.appendChild(before);
    before.focus();
    const onClose = vi.fn();
    await render(
      createElement(Dialog, {
        title: 'T',
        onClose,
        children: [createElement('button', { type: 'button', key: 1 }, 'One'), createElement('button', { type: 'button', key: 2 }, 'Two')],
      }),
    );
    const dialog = dom.container.querySelector<HTMLElement>('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const buttons = [...dialog.querySelectorAll('button')];
    expect(document.activeElement).toBe(buttons[0]); // Close
    buttons.at(-1)!.focus();
    act(() => void buttons.at(-1)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true })));
    expect(document.activeElement).toBe(buttons[0]);
    act(() => void buttons[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true, cancelable: true })));
    expect(document.activeElement).toBe(buttons.at(-1));
    act(() => void dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(onClose).toHaveBeenCalledOnce();
    dom.unmount();
    expect(document.activeElement).toBe(before);
    before.remove();
  });
});

describe('first run', () => {
  it('lists local servers and one click configures the custom provider', async () => {
    const h = host({
      'GET /local-models': () =>
        json({ servers: [{ kind: 'ollama', base_url: 'http://127.0.0.1:11434/v1', models: [{ id: 'llama3.2' }, { id: 'qwen3' }] }] }),
      'PATCH /providers/custom': () => json({ providers: [] }),
    });
    await render(h.wrap(createElement(FirstRun)));
    await until(() => expect(dom.container.textContent).toContain('http://127.0.0.1:11434/v1'));
    await act(async () => button('Use Ollama').click());
    await until(() => expect(h.calls.some((c) => c.path === '/providers/custom')).toBe(true));
    const put = h.calls.find((c) => c.path === '/providers/custom')!;
    expect(JSON.parse(put.init.body!)).toEqual({ base_url: 'http://127.0.0.1:11434/v1', default_model: 'llama3.2' });
  });

  it('says when no local server answers, and saves a pasted key without keeping it', async () => {
    const h = host({
      'GET /local-models': () => json({ servers: [] }),
      'PUT /secrets/openrouter': () => json({ provider: 'openrouter', present: true }),
    });
    await render(h.wrap(createElement(FirstRun)));
    await until(() => expect(dom.container.textContent).toContain('None found'));
    const input = dom.container.querySelector<HTMLInputElement>('input[type="password"]')!;
    await act(async () => type(input, 'sk-or-1'));
    await act(async () => button('Save key').click());
    await until(() => expect(h.calls.some((c) => c.path === '/secrets/openrouter')).toBe(true));
    expect(input.value).toBe('');
  });
});

describe('model picker', () => {
  const session = { id: 'ses_1', title: 't', provider: 'openrouter', model: null, created_at_ms: 0, updated_at_ms: 0, archived: false, usage: { input_tokens: 1200, output_tokens: 34 }, code_languages: [] };
  const providers = { providers: [{ provider: 'openrouter', available: true, base_url: 'x', default_model: 'd', has_key: true }] };

  it('lists the provider’s models, shows usage, and stores a choice with PATCH', async () => {
    const h = host({
      'GET /sessions/ses_1': () => json(session),
      'GET /providers': () => json(providers),
      'GET /providers/openrouter/models': () => json({ models: [{ id: 'a/one' }, { id: 'b/two' }], stale: false }),
      'PATCH /sessions/ses_1': (init) => json({ ...session, ...JSON.parse(init.body!) }),
    });
    await render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' })));
    await until(() => expect(dom.container.querySelectorAll('#session-model option')).toHaveLength(3));
    expect(dom.container.textContent).toContain('1.2k tokens');
    const select = dom.container.querySelector<HTMLSelectElement>('#session-model')!;
    await act(async () => {
      select.value = 'b/two';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until(() => expect(h.calls.some((c) => c.init.method === 'PATCH')).toBe(true));
    expect(JSON.parse(h.calls.find((c) => c.init.method === 'PATCH')!.init.body!)).toEqual({ provider: 'openrouter', model: 'b/two' });
    expect(JSON.parse(localStorage.getItem('models:openrouter')!)).toEqual([{ id: 'a/one' }, { id: 'b/two' }]);
  });

  it('a stale list from the host: its code, and that list', async () => {
    const h = host({
      'GET /sessions/ses_1': () => json(session),
      'GET /providers': () => json(providers),
      'GET /providers/openrouter/models': () =>
        json({ models: [{ id: 'cached/one' }], stale: true, fetched_at_ms: 1, error: { code: 'provider_unreachable', message: 'x' } }),
    });
    await render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' })));
    await until(() => expect(dom.container.textContent).toContain('Provider unavailable (provider_unreachable)'));
    expect([...dom.container.querySelectorAll('#session-model option')].map((o) => o.textContent)).toEqual(['Provider default', 'cached/one']);
  });

  it('a provider that is down: the stable code, and the last known list', async () => {
    localStorage.setItem('models:openrouter', JSON.stringify([{ id: 'kept/model' }]));
    const h = host({
      'GET /sessions/ses_1': () => json(session),
      'GET /providers': () => json(providers),
      'GET /providers/openrouter/models': () => errorResponse(502, 'provider_down', 'unreachable'),
    });
    await render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' })));
    await until(() => expect(dom.container.textContent).toContain('Provider unavailable (provider_down)'));
    expect([...dom.container.querySelectorAll('#session-model option')].map((o) => o.textContent)).toEqual(['Provider default', 'kept/model']);
  });
});

describe('settings', () => {
  it('Test connection saves the endpoint and shows success or the stable code', async () => {
    let answer: unknown = { ok: true, latency_ms: 12 };
    const h = host({
      'GET /providers': () => json({ providers: [{ provider: 'custom', available: false, base_url: null, default_model: null, has_key: false }] }),
      'PATCH /providers/custom': () => json({ providers: [] }),
      'POST /providers/custom/test': () => json(answer),
    });
    await render(h.wrap(createElement(CustomEndpoint)));
    await act(async () => type(dom.container.querySelector<HTMLInputElement>('#custom-url')!, 'http://127.0.0.1:8080/v1'));
    await act(async () => button('Test connection').click());
    await until(() => expect(dom.container.textContent).toContain('Connected in 12 ms'));
    expect(JSON.parse(h.calls.find((c) => c.path === '/providers/custom')!.init.body!)).toMatchObject({ base_url: 'http://127.0.0.1:8080/v1' });
    answer = { ok: false, code: 'provider_unauthorized', message: 'the key was refused' };
    await act(async () => button('Test connection').click());
    await until(() => expect(dom.container.textContent).toContain('Failed: provider_unauthorized'));
  });

  it('the policy editor sets permissions and orders command patterns', async () => {
    const initial: ToolPolicy = {
      tools: { read_file: 'allow', run_command: 'ask' },
      commands: [
        { pattern: 'rm *', permission: 'deny' },
        { pattern: 'cargo test*', permission: 'allow' },
      ],
      read_only_paths: ['~/.cargo'],
    };
    const onSave = vi.fn<(p: ToolPolicy) => Promise<void>>(async () => {});
    await render(createElement(PolicyFields, { initial, onSave }));
    const deny = dom.container.querySelector<HTMLInputElement>('input[name="tool-web_fetch"][value="deny"]')!;
    await act(async () => deny.click());
    await act(async () => button('↓').click()); // the first pattern moves down
    await act(async () => button('Add pattern').click());
    const inputs = dom.container.querySelectorAll<HTMLInputElement>('.command-rules input');
    await act(async () => type(inputs[2]!, 'git status'));
    await act(async () => button('Save policy').click());
    await until(() => expect(onSave).toHaveBeenCalledOnce());
    expect(onSave.mock.calls[0]![0]).toEqual({
      tools: { read_file: 'allow', run_command: 'ask', web_fetch: 'deny' },
      commands: [
        { pattern: 'cargo test*', permission: 'allow' },
        { pattern: 'rm *', permission: 'deny' },
        { pattern: 'git status', permission: 'ask' },
      ],
      read_only_paths: ['~/.cargo'],
    });
    await until(() => expect(dom.container.textContent).toContain('Saved.'));
  });
});

describe('opening things', () => {
  it('with the native folder chooser the path field is only a fallback, tucked away', async () => {
    const { WorkspacePicker } = await import('../src/pages/WorkspacePicker');
    const h = host({ 'GET /workspaces': () => json({ workspaces: [] }) });
    const onChooseFolder = vi.fn();
    await render(h.wrap(createElement(WorkspacePicker, { selected: null, onSelect: () => {}, onOpenFile: () => {}, onChooseFolder })));
    await act(async () => button('Open folder…').click());
    expect(onChooseFolder).toHaveBeenCalledOnce();
    const input = dom.container.querySelector('input[aria-label="Folder path"]')!;
    expect(input.closest('details')).not.toBeNull();
  });

  it('without it the path field is there as before', async () => {
    const { WorkspacePicker } = await import('../src/pages/WorkspacePicker');
    const h = host({ 'GET /workspaces': () => json({ workspaces: [] }) });
    await render(h.wrap(createElement(WorkspacePicker, { selected: null, onSelect: () => {}, onOpenFile: () => {} })));
    expect(dom.container.querySelector('input[aria-label="Folder path"]')!.closest('details')).toBeNull();
    expect(dom.container.textContent).not.toContain('Open folder…');
  });
});
