/// <reference types="vitest/config" />
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// Streamdown's code block body, which Streamdown loads lazily from its own
// chunk; the markdown loader (src/chat/Markdown.tsx) loads it alongside the
// renderer. The file's name carries a hash: found, not written here.
const streamdownDist = fileURLToPath(new URL('./node_modules/streamdown/dist/', import.meta.url));
const highlightedBody = readdirSync(streamdownDist).find((f) => /^highlighted-body-[\w-]+\.js$/.test(f));
if (!highlightedBody) throw new Error(`no highlighted-body-*.js in ${streamdownDist}: has Streamdown changed?`);

// Shiki's bundled languages as data (ids, and aliases to ids) for the main
// thread (src/chat/highlight.ts) and the highlighting worker's warm-up
// (src/chat/languages.ts): importing shiki/langs on the main thread would
// make every grammar a chunk of the main build, next to the worker's.
const SHIKI_LANGUAGES = 'virtual:shiki-languages';
const shikiLanguages: Plugin = {
  name: 'shiki-languages',
  resolveId: (id) => (id === SHIKI_LANGUAGES ? `\0${SHIKI_LANGUAGES}` : null),
  async load(id) {
    if (id !== `\0${SHIKI_LANGUAGES}`) return null;
    const { bundledLanguagesInfo } = await import('shiki/langs');
    const ids = bundledLanguagesInfo.map((info) => info.id);
    const aliases = Object.fromEntries(
      bundledLanguagesInfo.flatMap((info) => (info.aliases ?? []).map((alias) => [alias, info.id])),
    );
    return `export const languageIds = ${JSON.stringify(ids)};\nexport const languageAliases = ${JSON.stringify(aliases)};\n`;
  },
};

// Workers have no `document`. micromark decodes character references with
// decode-named-character-reference, whose "browser" build asks the DOM; its
// plain build (the one Node and workers resolve) carries the table itself.
const workerSafe: Plugin = {
  name: 'worker-safe-modules',
  enforce: 'pre',
  resolveId(id) {
    if (id === 'decode-named-character-reference') return createRequire(import.meta.url).resolve(id);
    return null;
  },
};

// The shell loads the renderer by URL under /desktop/ (the host's Referer
// guard only admits pages below that root).
export default defineConfig({
  base: '/desktop/',
  plugins: [react(), shikiLanguages],
  resolve: { alias: { 'streamdown/highlighted-body': streamdownDist + highlightedBody } },
  // Code highlighting's worker (src/chat/highlight.worker.ts) loads each
  // language's grammar as its own chunk: an ES module worker. The markdown
  // parser's (src/chat/markdown.worker.ts) must not touch the DOM.
  worker: { format: 'es', plugins: () => [workerSafe, shikiLanguages] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
  },
});
