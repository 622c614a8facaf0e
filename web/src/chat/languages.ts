// Shiki's bundled languages' aliases (vite.config.ts's virtual module), for
// both sides of the highlighting: the code plugin on the main thread
// (highlight.ts) and the worker's warm-up (highlight-core.ts), which both
// take languages as code fences write them.

import { languageAliases } from 'virtual:shiki-languages';

const aliases: Record<string, string> = languageAliases;

/** An alias becomes its language's id; anything else is kept, trimmed and lower-cased. */
export function resolveLanguage(language: string): string {
  const lang = language.trim().toLowerCase();
  return aliases[lang] ?? lang;
}
