import { defineConfig } from 'vite';

// The shell's preload (src/preload/preload.ts) as one self-contained IIFE,
// generated/preload.js, which shell/src/renderer.rs compiles in. Written
// only by `npm run gen` (scripts/generate.mjs); `npm test` fails when the
// committed file is not what this build makes.
export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'generated',
    emptyOutDir: false,
    copyPublicDir: false,
    // Readable: it is injected into every renderer window as is.
    minify: false,
    target: 'es2022',
    lib: {
      entry: 'src/preload/preload.ts',
      formats: ['iife'],
      // Required for an IIFE; the preload exports nothing, so no global.
      name: 'desktopPreload',
      fileName: () => 'preload.js',
    },
    rollupOptions: {
      output: {
        // The whole script is strict (the shell wraps it in a function
        // whose body then starts with this directive).
        strict: true,
        banner: '// Generated from src/preload/preload.ts by `npm --prefix web run gen`: do not edit.',
      },
    },
  },
});
