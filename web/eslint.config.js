// `npm run lint`: ESLint with the React hooks rules (the React Compiler's
// checks included) over the renderer, its tests and its scripts.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  // Build output and generated files (checked by `npm run check:generated`).
  globalIgnores(['dist/', 'generated/', 'src/desktop/openapi.gen.ts']),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat['recommended-latest']],
  },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    // Node scripts and functions Playwright runs in the page: TypeScript
    // is not there to know their globals.
    rules: { 'no-undef': 'off' },
  },
]);
