// The markdown parser of Streamdown's default remark plugins, with nothing
// else: remark-parse plus remark-gfm's syntax (its micromark extensions; with
// the same options as `defaultRemarkPlugins.gfm`). Every other remark plugin
// Streamdown and MarkdownImpl use (code meta, raw HTML as text) transforms
// the tree after parsing and runs on the main thread with the rest of the
// pipeline (blocks.tsx), so this module decides no question of safety: it
// turns characters into a syntax tree, which markdown.worker.ts does off the
// main thread. test/markdown-blocks.test.ts checks it is the same parser.

import type { Root } from 'mdast';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';

const parser = unified().use(remarkParse).use(remarkGfm, {}).freeze();

/** One markdown block (one of Streamdown's) as an mdast tree. */
export function parseMarkdownBlock(text: string): Root {
  return parser.parse(text);
}
