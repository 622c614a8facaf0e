/// <reference types="vitest/config" />
import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

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
  plugins: [react()],
  // Code highlighting's worker (src/chat/highlight.worker.ts) loads each
  // language's grammar as its own chunk: an ES module worker. The markdown
  // parser's (src/chat/markdown.worker.ts) must not touch the DOM.
  worker: { format: 'es', plugins: () => [workerSafe] },
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
