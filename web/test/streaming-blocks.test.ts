// A streaming answer's blocks (MarkdownImpl's streamingBlocks): the text
// split as it is, the incomplete markdown at its end completed in the last
// block only, must give the blocks Streamdown's own order gives (the whole
// text completed, then split), at every point of a stream; but where that
// order took a marker far from the end for one at the end, the end as a
// reader would complete it.

import remend from 'remend';
import { parseMarkdownIntoBlocks } from 'streamdown';
import { describe, expect, it } from 'vitest';
import { streamingBlocks } from '../src/chat/MarkdownImpl';
import { parseMarkdownBlock } from '../src/chat/markdown-parse';

const answer = [
  '# A heading',
  'A paragraph with **bold**, _emphasis_, `code`, ~~struck~~ and a [link](https://example.com/a_b).',
  'Setext heading\n---',
  '- a list\n- with **two** items\n  - and one nested\n\n1. ordered\n2. list',
  '> a quote\n> over two lines',
  '| a | b |\n| - | - |\n| `1` | **2** |',
  '```ts\nconst x: number = 1; // **not bold**\nconsole.log(`${x}`);\n```',
  '---',
  'An image ![alt](https://example.com/i.png) and <b>html</b>.',
  '    indented code\n    more',
  'The end, with a trailing *emphasis*.',
].join('\n\n');

/** A block as what it renders: its syntax tree, without source positions
 * (a trailing newline more or less is the same block). */
const tree = (block: string) => JSON.stringify(parseMarkdownBlock(block), (key, value: unknown) => (key === 'position' ? undefined : value));

describe('a streaming answer split, then its end completed', () => {
  it('gives the blocks Streamdown’s own order gives, at every point of the stream', () => {
    // As the chat does: the text growing, one render after another (the
    // split reuses its last result when the text only grew).
    const ours: string[][] = [];
    for (let at = 1; at <= answer.length; at++) ours.push(streamingBlocks(answer.slice(0, at)));
    const differ: string[] = [];
    for (let at = 1; at <= answer.length; at++) {
      parseMarkdownIntoBlocks('\0'); // from scratch, not from the last split
      const theirs = parseMarkdownIntoBlocks(remend(answer.slice(0, at)));
      const mine = ours[at - 1]!;
      // The same text, or else the same syntax trees.
      const same =
        mine.length === theirs.length && mine.every((block, i) => block === theirs[i] || tree(block) === tree(theirs[i]!));
      if (!same) differ.push(answer.slice(Math.max(0, at - 30), at));
    }
    expect(differ).toEqual([]);
  });

  it('complete the end alone, not with markers above it: a `***` rule is no emphasis', () => {
    // remend over the whole text counts the rule's three asterisks: it left
    // the emphasis being written open, then closed one that was not.
    expect(streamingBlocks('***\n\nThe end, *em').at(-1)).toBe('The end, *em*');
    expect(streamingBlocks('***\n\nThe end, *emphasis*.').at(-1)).toBe('The end, *emphasis*.');
  });
});

