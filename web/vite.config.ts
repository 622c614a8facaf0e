/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The shell loads the renderer by URL under /desktop/ (the host's Referer
// guard only admits pages below that root).
export default defineConfig({
  base: '/desktop/',
  plugins: [react()],
  // Code highlighting's worker (src/chat/highlight.worker.ts) loads each
  // language's grammar as its own chunk: an ES module worker.
  worker: { format: 'es' },
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
