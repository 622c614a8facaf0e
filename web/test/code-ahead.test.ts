// @vitest-environment jsdom
//
// A conversation's code is highlighted ahead of its render with the code
// blocks highlight-worker.ts's `closedCodeBlocks` finds in its text; the
// work is used only if that is exactly what Streamdown's code blocks then
// ask the highlighter for (language and code). Rendered here as the chat
// renders a stored message.

import { act, createElement } from 'react';
import { Streamdown, type CodeHighlighterPlugin, type HighlightOptions } from 'streamdown';
import { expect, it, vi } from 'vitest';
import { closedCodeBlocks } from '../src/chat/highlight-worker';
import { ExternalLinkContext } from '../src/chat/links';
import { codeTheme, streamdownProps } from '../src/chat/MarkdownImpl';
import { mountPerTest } from './dom';

const mount = mountPerTest();

const message = [
  'Here is **the answer**. A paragraph first.',
  '',
  '```ts',
  'export function answer(items: number[]): number {',
  '  // sum the items',
  '  return items.reduce((total, item) => total + item, 0);',
  '}',
  '',
  'console.log(answer([1, 2, 3]));',
  '```',
  '',
  '- a list item',
  '',
  '~~~python title="x.py"',
  'def f():',
  '    """Doc."""',
  '    return 1',
  '',
  '',
  '~~~',
  '',
  '````md',
  'An example:',
  '```bash',
  'ls -la',
  '```',
  '````',
  '',
  '```',
  'no language',
  '```',
  '',
  'The end.',
].join('\n');

it('asks ahead for the code Streamdown’s code blocks then ask for', async () => {
  const asked: { language: string; code: string }[] = [];
  const spy: CodeHighlighterPlugin = {
    name: 'shiki',
    type: 'code-highlighter',
    supportsLanguage: () => true,
    getSupportedLanguages: () => [],
    getThemes: () => [codeTheme, codeTheme],
    highlight: (options: HighlightOptions) => {
      asked.push({ language: options.language, code: options.code });
      return null;
    },
  };
  act(() => {
    mount.root.render(
      createElement(
        ExternalLinkContext.Provider,
        { value: () => true },
        createElement(Streamdown, { ...streamdownProps, plugins: { code: spy }, mode: 'static', children: message }),
      ),
    );
  });
  const ahead = closedCodeBlocks(message);
  expect(ahead.map((b) => b.language)).toEqual(['ts', 'python', 'md', '']);
  // The code block's body is a lazy component: it asks once loaded.
  await vi.waitFor(async () => {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(asked.length).toBeGreaterThanOrEqual(ahead.length);
  });
  const unique = [...new Map(asked.map((a) => [JSON.stringify(a), a])).values()];
  expect(unique).toEqual(ahead);
});
