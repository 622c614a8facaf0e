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
});
