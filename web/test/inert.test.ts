// @vitest-environment jsdom
//
// Document text and paths are untrusted: the renderer holds the bridge, so
// script running here would be a full compromise. The conflict view, the
// diff and the banners show them as text, never as HTML.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskChangeBanner } from '../src/components/DiskChangeBanner';
import { DiskGoneBanner } from '../src/components/DiskGoneBanner';
import { TextDiff } from '../src/components/TextDiff';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';
const EVIL = `# Notes\n\n${IMG}\n\n${SCRIPT}\n<b>bold?</b> &amp; &lt;\n`;

declare global {
  interface Window {
    __pwned?: number;
  }
}

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  delete window.__pwned;
});

function render(element: ReturnType<typeof createElement>) {
  act(() => root.render(element));
}

function expectInert() {
  expect(container.querySelectorAll('img, script, b').length).toBe(0);
  expect(document.querySelectorAll('img, script').length).toBe(0);
  expect(window.__pwned).toBeUndefined();
}

describe('untrusted text stays inert', () => {
  it('in the conflict banner and its diff (mine and theirs)', () => {
    render(
      createElement(DiskChangeBanner, {
        source: 'agent',
        mine: `mine\n${EVIL}`,
        theirs: `${EVIL}theirs ${IMG}\n`,
        onChoose: () => {},
      }),
    );
    expectInert();
    const text = container.textContent ?? '';
    expect(text).toContain('Changed on disk by the agent');
    expect(text).toContain(IMG);
    expect(text).toContain(SCRIPT);
    expect(text).toContain('<b>bold?</b> &amp; &lt;');
    expect(text).toContain(`theirs ${IMG}`);
    // Each line is one row of text.
    const rows = [...container.querySelectorAll('.diff-row')].map((r) => r.textContent);
    expect(rows.some((r) => r?.endsWith(`theirs ${IMG}`))).toBe(true);
  });

  it('in the diff view alone, whatever the lines hold', () => {
    render(createElement(TextDiff, { mine: SCRIPT, theirs: IMG }));
    expectInert();
    expect(container.querySelector('.diff-mine')?.textContent).toContain(SCRIPT);
    expect(container.querySelector('.diff-theirs')?.textContent).toContain(IMG);
  });

  it('in the banners that name paths', () => {
    const path = `/home/u/${IMG}${SCRIPT}.md`;
    render(
      createElement(DiskGoneBanner, {
        gone: { kind: 'moved', path },
        path: `/home/u/${SCRIPT}`,
        saving: false,
        onSave: () => {},
        onOpen: () => {},
      }),
    );
    expectInert();
    expect(container.querySelector('.moved-path')?.textContent).toBe(path);
    expect(container.querySelector('.open-moved')?.textContent).toBe(`Open ${path}`);
    render(createElement(DiskGoneBanner, { gone: { kind: 'removed' }, path, saving: false, onSave: () => {} }));
    expectInert();
    expect(container.textContent).toContain(path);
  });
});
