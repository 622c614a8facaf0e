// @vitest-environment jsdom
//
// Model output rendered as markdown: raw HTML stays text, only http(s)
// links open (through the shell, never by navigating), remote images are
// placeholders, and a 1 MB reply does not freeze the page.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExternalLinkContext, safeExternalUrl } from '../src/chat/links';
import { Markdown, MARKDOWN_LIMIT } from '../src/chat/Markdown';
import MarkdownImpl from '../src/chat/MarkdownImpl';

declare global {
  interface Window {
    __pwned?: number;
  }
}
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
beforeEach(() => {
  // jsdom has no scrolling; Streamdown scrolls code blocks.
  Element.prototype.scrollTo ??= function () {};
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
  delete window.__pwned;
});

async function render(text: string, open = vi.fn(() => true), streaming = false) {
  await act(async () => {
    root.render(
      createElement(ExternalLinkContext.Provider, { value: open }, createElement(MarkdownImpl, { text, streaming })),
    );
  });
  // Highlighting and block parsing settle asynchronously.
  await act(async () => {
    await new Promise((r) => setTimeout(r, 50));
  });
  return open;
}

function assertInert() {
  expect(window.__pwned).toBeUndefined();
  expect(container.querySelectorAll('script, iframe, img, object, embed, svg[onload]').length).toBe(0);
  for (const el of container.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) expect(attr.startsWith('on')).toBe(false);
  }
}

describe('markdown', () => {
  it('renders GFM: headings, emphasis, tables and fenced code as code', async () => {
    await render('# Title\n\nSome **bold** text.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n');
    expect(container.querySelector('h1')?.textContent).toBe('Title');
    expect(container.querySelector("strong, [data-streamdown=\"strong\"]")?.textContent).toBe("bold");
    expect(container.querySelector('table')?.textContent).toContain('1');
    const code = container.querySelector('pre code');
    expect(code?.textContent).toContain('fn main() {}');
  });

  it('renders an unterminated code block while streaming', async () => {
    await render('Here:\n\n```js\nconst x = 1;\n', undefined, true);
    expect(container.querySelector('pre code')?.textContent).toContain('const x = 1;');
  });

  it('keeps <script>, <img onerror>, <iframe> and inline handlers as text', async () => {
    const evil = [
      '<script>window.__pwned=1</script>',
      '',
      'before <img src=x onerror="window.__pwned=1"> after',
      '',
      '<iframe src="https://evil.example/"></iframe>',
      '',
      '<div onclick="window.__pwned=1">click</div>',
      '',
      '<svg onload="window.__pwned=1"></svg>',
    ].join('\n');
    await render(evil);
    assertInert();
    expect(container.textContent).toContain('<script>window.__pwned=1</script>');
    expect(container.textContent).toContain('<img src=x onerror="window.__pwned=1">');
    expect(container.textContent).toContain('<iframe');
  });

  it('never follows javascript:, data: or file: links', async () => {
    const open = await render(
      '[a](javascript:window.__pwned=1) [b](data:text/html,<script>x</script>) [c](file:///etc/passwd) [d](JAVASCRIPT:alert(1))',
    );
    expect(container.querySelectorAll('a').length).toBe(0);
    expect(container.querySelectorAll('.md-link-blocked').length).toBe(4);
    for (const span of container.querySelectorAll('.md-link-blocked')) (span as HTMLElement).click();
    expect(open).not.toHaveBeenCalled();
    assertInert();
    expect(container.textContent).toContain('a');
  });

  it('opens http(s) links through the shell and never navigates the window', async () => {
    const open = await render('See [the docs](https://example.com/docs?q=1).');
    const a = container.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/docs?q=1');
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    a.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledWith('https://example.com/docs?q=1');
  });

  it('does not load remote images: a placeholder with the alt text, the URL and a button', async () => {
    const open = await render('![a cat](https://tracker.example/cat.png)');
    expect(container.querySelectorAll('img').length).toBe(0);
    const ph = container.querySelector('.md-image')!;
    expect(ph.textContent).toContain('a cat');
    expect(ph.textContent).toContain('https://tracker.example/cat.png');
    act(() => (ph.querySelector('button') as HTMLButtonElement).click());
    expect(open).toHaveBeenCalledWith('https://tracker.example/cat.png');
  });

  it('a data: or javascript: image is a placeholder without an open button', async () => {
    await render('![x](data:image/png;base64,AAAA) ![y](javascript:alert(1))');
    expect(container.querySelectorAll('img').length).toBe(0);
    expect(container.querySelectorAll('.md-image button').length).toBe(0);
  });
});

describe('safeExternalUrl', () => {
  it('admits http(s) only', () => {
    expect(safeExternalUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(safeExternalUrl('http://a.example')).toBe('http://a.example/');
    for (const bad of ['javascript:alert(1)', ' javascript:x', 'data:text/html,x', 'file:///etc/passwd', '/relative', 'about:blank', 'https://u:p@a.example/', '']) {
      expect(safeExternalUrl(bad)).toBeNull();
    }
  });
});

describe('long messages', () => {
  it('a 1 MB reply renders quickly, truncated with "Show all", shown all as plain text', async () => {
    const line = '- item with `code` and **bold** <img src=x onerror="window.__pwned=1">\n';
    const big = line.repeat(Math.ceil(1_000_000 / line.length));
    const t0 = performance.now();
    await act(async () => {
      root.render(createElement(Markdown, { text: big }));
    });
    expect(container.querySelector('.md-truncated')?.textContent).toContain('Show all');
    const showAll = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Show all')!;
    act(() => showAll.click());
    expect(container.querySelector('pre.md-long')?.textContent?.length).toBe(big.length);
    expect(performance.now() - t0).toBeLessThan(5000);
    assertInert();
    expect(MARKDOWN_LIMIT).toBeLessThan(big.length);
  });

  it('malformed markdown (unbalanced fences, brackets, emphasis) renders', async () => {
    const bad = '```\n'.repeat(301) + '[[[[(((' + '**_~~'.repeat(2000) + '\n|a|\n|-|-|-|\n' + '> '.repeat(5000);
    await render(bad, undefined, true);
    expect(container.textContent?.length).toBeGreaterThan(0);
    assertInert();
  });
});
