// The committed files of web/ that are made from other sources:
//
// - src/desktop/openapi.gen.ts: the host API's types, from
//   docs/rfc/openapi.json (openapi-typescript);
// - generated/preload.js: the shell's preload, from src/preload/preload.ts
//   (vite.preload.config.ts), compiled into agent-shell by shell/build.rs.
//
// `node scripts/generate.mjs` (npm run gen) writes them.
// `node scripts/generate.mjs --check` (npm run check:generated, part of
// npm test) makes them in a temp directory and fails when a committed one
// is missing or differs, so a stale file cannot pass CI.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { build } from 'vite';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = resolve(web, '../docs/rfc/openapi.json');
const API_TYPES = resolve(web, 'src/desktop/openapi.gen.ts');
const PRELOAD = resolve(web, 'generated/preload.js');

const API_BANNER = `// Generated from docs/rfc/openapi.json by \`npm --prefix web run gen\`
// (openapi-typescript): do not edit. Import the types through ./types.ts.
`;

/** The API types as TypeScript source. */
async function apiTypes() {
  const spec = JSON.parse(await readFile(SPEC, 'utf8'));
  // The host names operations after its handlers, so ids repeat across
  // routes (`list`, `pin`, `forget`, `delete`), which would collide in
  // openapi-typescript's `operations` map. Without ids every operation is
  // typed inline under its path instead.
  for (const item of Object.values(spec.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (operation && typeof operation === 'object') delete operation.operationId;
    }
  }
  return API_BANNER + astToString(await openapiTS(spec));
}

/** The preload as built by vite.preload.config.ts into `outDir`. */
async function preload(outDir) {
  await build({
    configFile: resolve(web, 'vite.preload.config.ts'),
    root: web,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: false },
  });
  return readFile(join(outDir, 'preload.js'), 'utf8');
}

async function main() {
  const check = process.argv.includes('--check');
  const temp = await mkdtemp(join(tmpdir(), 'web-generate-'));
  try {
    const made = [
      [API_TYPES, await apiTypes()],
      [PRELOAD, await preload(temp)],
    ];
    const stale = [];
    for (const [file, text] of made) {
      if (check) {
        const committed = await readFile(file, 'utf8').catch(() => null);
        if (committed !== text) stale.push(relative(web, file));
      } else {
        await writeFile(file, text);
      }
    }
    if (stale.length > 0) {
      console.error(
        `stale generated files: ${stale.join(', ')}\n` +
          'their sources changed (docs/rfc/openapi.json, src/preload/, src/desktop/constants.json):\n' +
          'run `npm --prefix web run gen` and commit the result',
      );
      process.exitCode = 1;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

await main();
