import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { fakeBridge } from './fake-bridge';

describe('App shell', () => {
  afterEach(() => {
    delete (globalThis as { window?: unknown }).window;
  });

  it('says so honestly when window.desktop is missing', () => {
    (globalThis as { window?: unknown }).window = {};
    expect(renderToString(createElement(App))).toContain('must be opened by the desktop app');
  });

  it('renders the work view with a bridge', () => {
    const { bridge } = fakeBridge(() => new Response('{}'));
    (globalThis as { window?: unknown }).window = { desktop: bridge };
    const html = renderToString(createElement(App));
    expect(html).toContain('Workspaces');
    expect(html).toContain('Sessions');
    expect(html).toContain('Provider keys');
  });

  it('a document window (?doc=) opens on its document, and the shell offers Open…', () => {
    const { bridge } = fakeBridge(() => new Response('{}'));
    const shellCalls: string[] = [];
    const shell = {
      open: async (path: string) => void shellCalls.push(`open ${path}`),
      openDialog: async () => void shellCalls.push('dialog'),
      setDirty: async (dirty: boolean) => void shellCalls.push(`dirty ${dirty}`),
      close: async () => void shellCalls.push('close'),
      quit: async () => void shellCalls.push('quit'),
    };
    (globalThis as { window?: unknown }).window = {
      desktop: { ...bridge, shell },
      location: { search: '?doc=doc_123' },
    };
    const html = renderToString(createElement(App));
    expect(html).not.toContain('Welcome back');
    expect(html).toContain('Open…');
  });

  it('without the native shell there is no Open… button and no document', () => {
    const { bridge } = fakeBridge(() => new Response('{}'));
    (globalThis as { window?: unknown }).window = { desktop: bridge, location: { search: '' } };
    const html = renderToString(createElement(App));
    expect(html).toContain('Welcome back');
    expect(html).not.toContain('Open…');
  });
});
