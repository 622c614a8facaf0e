// @vitest-environment jsdom
//
// Model output and the user's messages rendered as markdown: raw HTML stays
// text, only http(s) links open (through the shell, never by navigating),
// remote images are placeholders, and a 1 MB reply does not freeze the
// page. Code is highlighted in the design tokens' colours, each readable
// (WCAG AA) on the code background in light and in dark.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UIMessage } from 'ai';
import { act, createElement } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExternalLinkContext, safeExternalUrl } from '../src/chat/links';
import { loadMarkdown, Markdown, MARKDOWN_LIMIT } from '../src/chat/Markdown';
import MarkdownImpl, { codeTheme } from '../src/chat/MarkdownImpl';
import { ChatMessage } from '../src/components/ChatMessage';
import { DesktopProvider } from '../src/desktop-context';
import { fakeBridge } from './fake-bridge';
import { InProcessWorker } from './inprocess-worker';

declare global {
  interface Window {
    __pwned?: number;
  }
}
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
// Highlighting and a streamed answer's block parsing run in workers; here
// the same modules run in-process (jsdom has no Worker).
(globalThis as { Worker?: unknown }).Worker = InProcessWorker;

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
    // A real <strong> (Streamdown's is a span needing Tailwind).
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.querySelector('table')?.textContent).toContain('1');
    const code = container.querySelector('pre code');
    expect(code?.textContent).toContain('fn main() {}');
    // Shown whole: no scroll box the keyboard cannot reach.
    expect((container.querySelector('[data-streamdown="code-block-body"]') as HTMLElement).style.maxHeight).toBe('');
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
    // The picture is drawn, not an emoji (a box where no emoji font is).
    expect(ph.querySelector('svg.icon[aria-hidden="true"]')).not.toBeNull();
    expect(ph.textContent).not.toMatch(/\p{Extended_Pictographic}/u);
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

describe('user messages', () => {
  function userMessage(text: string): UIMessage {
    return { id: 'u1', role: 'user', parts: [{ type: 'text', text }] };
  }

  /** The user's message as the chat shows it, markdown loaded. */
  async function renderUser(text: string, open = vi.fn(() => true)) {
    const host = fakeBridge(() => new Response('{}', { status: 404 }));
    await act(async () => {
      root.render(
        createElement(DesktopProvider, {
          bridge: host.bridge,
          children: createElement(ExternalLinkContext.Provider, {
            value: open,
            // Not finished: a user message is never a stream all the same.
            children: createElement(ChatMessage, {
              sessionId: 'ses_1',
              message: userMessage(text),
              finished: false,
              answered: {},
              onAnswer: () => {},
            }),
          }),
        }),
      );
    });
    await vi.waitFor(() => expect(container.querySelector('.message.user .md-body')).not.toBeNull());
    await act(async () => {
      await new Promise((r) => setTimeout(r, 50));
    });
    return { open, host };
  }

  it('renders headings, lists, code and http(s) links as the answers do', async () => {
    const { open } = await renderUser(
      '# Plan\n\n- one with `inline`\n- two\n\nSee [the docs](https://example.com/d).\n\n```ts\nconst answer = 42;\n```\n',
    );
    const msg = container.querySelector('.message.user')!;
    expect(msg.querySelector('.md-fallback')).toBeNull();
    expect(msg.querySelector('h1')?.textContent).toBe('Plan');
    expect(msg.querySelectorAll('li').length).toBe(2);
    expect(msg.querySelector(':not(pre) > code')?.textContent).toBe('inline');
    expect(msg.querySelector('pre code')?.textContent).toContain('const answer = 42;');
    const a = msg.querySelector('a.md-link')!;
    expect(a.getAttribute('href')).toBe('https://example.com/d');
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    a.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledWith('https://example.com/d');
  });

  it('keeps pasted <script>, <img onerror> and handlers as text, and never follows javascript:', async () => {
    const pasted = [
      '<script>window.__pwned=1</script>',
      '',
      'before <img src=x onerror="window.__pwned=1"> after',
      '',
      '<div onclick="window.__pwned=1">click</div>',
      '',
      'Then [run](javascript:window.__pwned=1) it.',
      '',
      '![cat](https://tracker.example/cat.png)',
    ].join('\n');
    const { open } = await renderUser(pasted);
    assertInert();
    const msg = container.querySelector('.message.user')!;
    expect(msg.textContent).toContain('<script>window.__pwned=1</script>');
    expect(msg.textContent).toContain('<img src=x onerror="window.__pwned=1">');
    expect(msg.textContent).toContain('<div onclick="window.__pwned=1">');
    expect(msg.querySelectorAll('a').length).toBe(0);
    const blocked = msg.querySelector('.md-link-blocked') as HTMLElement;
    expect(blocked.textContent).toBe('run');
    blocked.click();
    expect(open).not.toHaveBeenCalled();
    expect(msg.querySelector('.md-image')?.textContent).toContain('https://tracker.example/cat.png');
    expect(window.__pwned).toBeUndefined();
  });

  it('is rendered as written, not completed as a stream would be', async () => {
    await renderUser('**not closed and `open\nsecond line');
    const msg = container.querySelector('.message.user')!;
    expect(msg.querySelector('strong, code')).toBeNull();
    // One paragraph keeping its line break (p.text is white-space: pre-wrap).
    expect(msg.querySelector('p.text')?.textContent).toBe('**not closed and `open\nsecond line');
  });

  it('sent while the chat is open, shows as text in the render that adds it and as markdown right after', async () => {
    await loadMarkdown();
    const host = fakeBridge(() => new Response('{}', { status: 404 }));
    const tree = (addedSinceOpen: boolean) =>
      createElement(DesktopProvider, {
        bridge: host.bridge,
        children: createElement(ChatMessage, {
          sessionId: 'ses_1',
          message: userMessage('**sent**'),
          finished: true,
          answered: {},
          onAnswer: () => {},
          addedSinceOpen,
        }),
      });
    // Outside act: the render a Send's click makes (synchronous), and
    // then what React does of its own accord.
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    env.IS_REACT_ACT_ENVIRONMENT = false;
    try {
      flushSync(() => root.render(tree(true)));
      const msg = () => container.querySelector('.message.user')!;
      expect(msg().querySelector('.md-fallback')?.textContent).toBe('**sent**');
      expect(msg().querySelector('strong')).toBeNull();
      await vi.waitFor(() => expect(msg().querySelector('strong')?.textContent).toBe('sent'));
      expect(msg().querySelector('.md-fallback')).toBeNull();

      // A message the conversation opened with renders as markdown at once.
      flushSync(() => root.render(null));
      flushSync(() => root.render(tree(false)));
      expect(msg().querySelector('strong')?.textContent).toBe('sent');
    } finally {
      env.IS_REACT_ACT_ENVIRONMENT = true;
    }
  });

  it('a long message is truncated behind "Show all" too', async () => {
    await renderUser('x'.repeat(MARKDOWN_LIMIT + 10));
    expect(container.querySelector('.message.user .md-truncated')?.textContent).toContain('Show all');
  });
});

describe('code colours follow the design tokens', () => {
  // (jsdom's URL is not one node:fs takes.)
  const css = (file: string) => readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../src', file), 'utf8');
  /** The custom properties set in the first block after `selector`. */
  function block(source: string, selector: string): Map<string, string> {
    const at = source.indexOf(selector);
    expect(at, selector).toBeGreaterThanOrEqual(0);
    const body = source.slice(source.indexOf('{', at) + 1, source.indexOf('}', at));
    return new Map([...body.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
  }
  function luminance(hex: string): number {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a: string, b: string): number {
    const [la, lb] = [luminance(a), luminance(b)];
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  /** The custom properties the theme's token colours read. */
  const themeVars = [
    ...new Set(
      [...JSON.stringify(codeTheme).matchAll(/"foreground":"var\((--[\w-]+)\)"/g)].map((m) => m[1]!),
    ),
  ];

  it('every colour of the Shiki theme is a token', () => {
    const colours = [...JSON.stringify(codeTheme).matchAll(/"(?:foreground|background|editor\.\w+)":"([^"]+)"/g)];
    expect(colours.length).toBeGreaterThan(5);
    for (const [, colour] of colours) expect(colour).toMatch(/^var\(--color-[\w-]+\)$/);
    expect(themeVars).toContain('--color-code-keyword');
    expect(themeVars).toContain('--color-text');
  });

  it('each token is defined light and dark (one light-dark() pair, which the system or the chosen scheme picks) with AA contrast on the code background', () => {
    const styles = css('styles.css');
    const root = block(styles, ':root {');
    // The scheme decides: the system's, or the one Settings chose.
    expect(styles).toMatch(/:root \{\s*color-scheme: light dark;/);
    expect(styles).toContain(":root[data-theme='light'] { color-scheme: light; }");
    expect(styles).toContain(":root[data-theme='dark'] { color-scheme: dark; }");
    const pair = (v: string) => {
      const m = /^light-dark\((#[0-9a-f]{6}), (#[0-9a-f]{6})\)$/.exec(root.get(v) ?? '');
      expect(m, `${v} is light-dark(#light, #dark): ${root.get(v)}`).not.toBeNull();
      return { light: m![1]!, dark: m![2]! };
    };
    const bg = pair('--color-code-bg');
    for (const scheme of ['light', 'dark'] as const) {
      for (const v of themeVars) {
        const colour = pair(v)[scheme];
        expect(contrast(colour, bg[scheme]), `${v} ${colour} on ${bg[scheme]} in ${scheme}`).toBeGreaterThanOrEqual(4.5);
      }
    }
    // Light-on-dark and dark-on-light.
    expect(luminance(bg.dark)).toBeLessThan(0.05);
    expect(luminance(bg.light)).toBeGreaterThan(0.8);
  });

  it('a highlighted token carries its token colour, which chat.css applies', async () => {
    await render('```ts\nconst answer = 42; // the answer\n```\n');
    const tokens = () => [...container.querySelectorAll<HTMLElement>('pre code span span')];
    await vi.waitFor(
      () => expect(tokens().find((t) => t.textContent === 'const')?.style.getPropertyValue('--sdm-c')).toBe('var(--color-code-keyword)'),
      { timeout: 5000 },
    );
    const comment = tokens().find((t) => t.textContent?.includes('the answer'))!;
    expect(comment.style.getPropertyValue('--sdm-c')).toBe('var(--color-code-comment)');
    expect(tokens().find((t) => t.textContent === '42')?.style.getPropertyValue('--sdm-c')).toBe('var(--color-code-constant)');
    // Streamdown's own classes are Tailwind's, which this app does not ship.
    expect(css('chat/chat.css')).toMatch(/code-block-body'\] code > span > span \{\s*color: var\(--sdm-c/);
  });
});
