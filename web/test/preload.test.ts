// The shell's preload as the shell runs it: generated/preload.js (the
// committed build of src/preload/preload.ts) inside the function that
// shell/src/renderer.rs wraps around it, evaluated in a fresh V8 context
// with a stand-in window. The GUI tests (shell/tests/gui.rs, windows.rs)
// run the same file in WebKit.

import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { folderChosenEvent, forbiddenHeaders, hostStateEvent, saveAsEvent } from '../src/desktop/constants.json';
import type { DesktopBridge, HostStateEvent } from '../src/desktop/types';

const PRELOAD = readFileSync(new URL('../generated/preload.js', import.meta.url), 'utf8');
const ORIGIN = 'http://127.0.0.1:4173';

interface Call {
  url: string;
  init: RequestInit & { headers?: Record<string, string> };
}

interface Page {
  window: Record<string, unknown> & { desktop?: DesktopBridge };
  calls: Call[];
  errors: unknown[];
  dispatch(name: string, detail: unknown): void;
  listeners: Map<string, Set<(e: unknown) => void>>;
}

/** Runs the preload in a page at `origin` + `pathname`; `top` says whether
 * it is the top frame. Every `fetch` answers `status`. */
function load({ origin = ORIGIN, pathname = '/desktop/', top = true, status = 202 } = {}): Page {
  const calls: Call[] = [];
  const errors: unknown[] = [];
  const listeners = new Map<string, Set<(e: unknown) => void>>();
  const window: Page['window'] = {
    fetch: (url: string, init: Call['init']) => {
      calls.push({ url, init });
      return Promise.resolve(new Response(null, { status }));
    },
    addEventListener: (name: string, listener: (e: unknown) => void) => {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)!.add(listener);
    },
    removeEventListener: (name: string, listener: (e: unknown) => void) => listeners.get(name)?.delete(listener),
  };
  window.top = top ? window : {};
  const context = createContext({
    window,
    location: { origin, pathname },
    console: { error: (e: unknown) => errors.push(e) },
  });
  // As shell/src/renderer.rs `preload_script` does.
  runInContext(`(function (__RENDERER_ORIGIN__) {\n${PRELOAD}})(${JSON.stringify(ORIGIN)});\n`, context);
  return {
    window,
    calls,
    errors,
    listeners,
    dispatch: (name, detail) => listeners.get(name)?.forEach((listener) => listener({ detail })),
  };
}

describe('the preload', () => {
  it('is one strict script that imports nothing and holds no origin', () => {
    const lines = PRELOAD.split('\n').filter((l) => !l.startsWith('//'));
    expect(lines[0]).toBe('"use strict";');
    expect(PRELOAD).not.toMatch(/^\s*(import|export)\b|\brequire\(|\bimport\(/m);
    expect(PRELOAD).not.toContain('127.0.0.1');
    expect(PRELOAD).toContain('__RENDERER_ORIGIN__');
  });

  it('defines window.desktop only in the top frame at the renderer origin under /desktop', () => {
    for (const pathname of ['/desktop', '/desktop/', '/desktop/sessions/x']) {
      expect(load({ pathname }).window.desktop, pathname).toBeDefined();
    }
    for (const pathname of ['/desktopX', '/desktop.html', '/', '/other/desktop/']) {
      expect(load({ pathname }).window.desktop, pathname).toBeUndefined();
    }
    expect(load({ origin: 'http://127.0.0.1:4174' }).window.desktop).toBeUndefined();
    expect(load({ origin: 'http://localhost:4173' }).window.desktop).toBeUndefined();
    expect(load({ top: false }).window.desktop).toBeUndefined();
  });

  it('freezes window.desktop and its shell, and the property cannot be replaced', () => {
    const { window } = load();
    const descriptor = Object.getOwnPropertyDescriptor(window, 'desktop')!;
    expect(descriptor).toMatchObject({ writable: false, enumerable: true, configurable: false });
    const desktop = window.desktop!;
    expect(Object.isFrozen(desktop)).toBe(true);
    expect(Object.isFrozen(desktop.shell)).toBe(true);
    expect(Object.keys(desktop)).toEqual(['fetch', 'onHostState', 'shell']);
    expect(Object.keys(desktop.shell!)).toEqual([
      'open',
      'openDialog',
      'saveDialog',
      'chooseFolder',
      'openExternal',
      'setDirty',
      'close',
      'quit',
    ]);
  });

  it('fetch goes to hostapi://host without the forbidden headers, whatever the page did since', async () => {
    const page = load();
    const desktop = page.window.desktop!;
    page.window.fetch = () => {
      throw new Error('the page replaced fetch');
    };
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'last-event-id': '7' };
    for (const name of forbiddenHeaders) {
      headers[name] = 'x';
      headers[name.toUpperCase()] = 'x';
    }
    const answer = await desktop.fetch('/sessions?q=1', { method: 'POST', body: '{}', headers });
    expect(answer.status).toBe(202);
    expect(page.calls).toHaveLength(1);
    const [{ url, init }] = page.calls as [Call];
    expect(url).toBe('hostapi://host/sessions?q=1');
    expect(init).toEqual({
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json', 'last-event-id': '7' },
      signal: undefined,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'unsafe-url',
      mode: 'cors',
    });

    const signal = new AbortController().signal;
    await desktop.fetch('/health', { signal });
    expect(page.calls[1]!.init).toMatchObject({ method: 'GET', body: undefined, headers: {}, signal });
  });

  it('fetch rejects a path that is not a string starting with "/"', async () => {
    const page = load();
    const fetch = page.window.desktop!.fetch as (path: unknown) => Promise<Response>;
    for (const path of ['health', 'hostapi://host/health', '', 42, undefined]) {
      await expect(fetch(path)).rejects.toMatchObject({ name: 'TypeError', message: 'path must start with "/"' });
    }
    expect(page.calls).toHaveLength(0);
  });

  it('onHostState listens to the host-state event, survives a throwing callback and unsubscribes', () => {
    const page = load();
    const seen: HostStateEvent[] = [];
    const stop = page.window.desktop!.onHostState((e) => seen.push(e));
    page.window.desktop!.onHostState(() => {
      throw new Error('boom');
    });
    page.dispatch(hostStateEvent, { state: 'restarting' });
    expect(seen).toEqual([{ state: 'restarting' }]);
    expect(page.errors).toHaveLength(1);
    stop();
    page.dispatch(hostStateEvent, { state: 'ready' });
    expect(seen).toHaveLength(1);
  });

  it('saveDialog asks the shell and resolves with the path its one answer event brings', async () => {
    const page = load();
    const shell = page.window.desktop!.shell!;
    const chosen = shell.saveDialog('plan.md');
    page.dispatch(saveAsEvent, { path: '/home/me/copy.md' });
    await expect(chosen).resolves.toBe('/home/me/copy.md');
    const cancelled = shell.saveDialog('../x');
    page.dispatch(saveAsEvent, { path: null });
    await expect(cancelled).resolves.toBeNull();
    // Each call listens for one answer only.
    expect(page.listeners.get(saveAsEvent)?.size ?? 0).toBe(0);
    expect(page.calls.map((c) => [c.url, c.init.body])).toEqual([
      ['hostapi://shell/save-dialog', '{"name":"plan.md"}'],
      ['hostapi://shell/save-dialog', '{"name":"../x"}'],
    ]);
    const refused = load({ status: 400 }).window.desktop!.shell!.saveDialog('a.md');
    await expect(refused).rejects.toThrow('save-dialog');
  });

  it('chooseFolder asks the shell and resolves with the folder its one answer event brings', async () => {
    const page = load();
    const shell = page.window.desktop!.shell!;
    const chosen = shell.chooseFolder();
    // Another dialog's answer is not this one's.
    page.dispatch(saveAsEvent, { path: '/home/me/copy.md' });
    page.dispatch(folderChosenEvent, { path: '/home/me/project' });
    await expect(chosen).resolves.toBe('/home/me/project');
    const cancelled = shell.chooseFolder();
    page.dispatch(folderChosenEvent, { path: null });
    await expect(cancelled).resolves.toBeNull();
    const malformed = shell.chooseFolder();
    page.dispatch(folderChosenEvent, { path: 42 });
    await expect(malformed).resolves.toBeNull();
    expect(page.listeners.get(folderChosenEvent)?.size ?? 0).toBe(0);
    expect(page.calls.map((c) => [c.url, c.init.body])).toEqual([
      ['hostapi://shell/folder-dialog', '{}'],
      ['hostapi://shell/folder-dialog', '{}'],
      ['hostapi://shell/folder-dialog', '{}'],
    ]);
    const refusedPage = load({ status: 400 });
    await expect(refusedPage.window.desktop!.shell!.chooseFolder()).rejects.toThrow('folder-dialog');
    expect(refusedPage.listeners.get(folderChosenEvent)?.size ?? 0).toBe(0);
  });

  it('openExternal posts the URL as a string and rejects when the shell refuses it', async () => {
    const page = load();
    await page.window.desktop!.shell!.openExternal('https://example.com/a');
    await page.window.desktop!.shell!.openExternal(7 as unknown as string);
    expect(page.calls.map((c) => [c.url, c.init.body])).toEqual([
      ['hostapi://shell/open-external', '{"url":"https://example.com/a"}'],
      ['hostapi://shell/open-external', '{"url":"7"}'],
    ]);
    const refused = load({ status: 400 }).window.desktop!.shell!;
    await expect(refused.openExternal('javascript:alert(1)')).rejects.toThrow(
      'the shell refused open-external (400)',
    );
  });

  it('shell actions post JSON to hostapi://shell/ and reject on any answer but 2xx', async () => {
    const page = load();
    const shell = page.window.desktop!.shell!;
    await shell.open(42 as unknown as string);
    await shell.openDialog();
    await shell.setDirty('yes' as unknown as boolean);
    await shell.setDirty(true);
    await shell.close();
    await shell.quit();
    expect(page.calls.map((c) => [c.url, c.init.body])).toEqual([
      ['hostapi://shell/open', '{"path":"42"}'],
      ['hostapi://shell/open-dialog', '{}'],
      ['hostapi://shell/dirty', '{"dirty":false}'],
      ['hostapi://shell/dirty', '{"dirty":true}'],
      ['hostapi://shell/close', '{}'],
      ['hostapi://shell/quit', '{}'],
    ]);
    expect(page.calls[0]!.init).toEqual({
      method: 'POST',
      body: '{"path":"42"}',
      headers: { 'content-type': 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'unsafe-url',
      mode: 'cors',
    });

    const refused = load({ status: 400 }).window.desktop!.shell!;
    await expect(refused.close()).rejects.toThrow('the shell refused close (400)');
  });
});
