#!/usr/bin/env node
// The renderer build's chunk report and entry-size budget.
//
//   node scripts/chunks.mjs            every file of dist/assets, raw and gzip
//   node scripts/chunks.mjs --check    only the budget line (the build runs this)
//   node scripts/chunks.mjs --json     the whole report as one JSON line
//   --dist DIR                          another build than web/dist
//
// The entry chunk is the module script dist/index.html loads; what the page
// fetches before its first render is that script, its modulepreloads and its
// stylesheets ("initial"). Exits 1 when the entry chunk is over the budget
// (200 kB gzip, 1 kB = 1,000 bytes) or dist is missing. Gzip is zlib level 9
// (`gzip -9`); the shell serves the files uncompressed over loopback, so the
// gzip size stands for "how much code", not for transfer time.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ENTRY_BUDGET_GZIP = 200_000;

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file of `dist/assets` with its raw and gzip size, and which of them
 * index.html loads up front. */
export function chunkReport({ dist = join(WEB, 'dist'), lazy = true } = {}) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = (re) => [...html.matchAll(re)].map((m) => m[1].replace(/^.*\/assets\//, ''));
  const entries = refs(/<script[^>]*type="module"[^>]*src="([^"]+)"/g);
  const preloads = refs(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g);
  const styles = refs(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g);
  if (entries.length !== 1) throw new Error(`dist/index.html: expected one module script, found ${entries.length}`);
  const initial = new Set([...entries, ...preloads, ...styles]);
  const assets = join(dist, 'assets');
  const files = readdirSync(assets)
    .filter((name) => statSync(join(assets, name)).isFile())
    .map((name) => ({ name, kind: name === entries[0] ? 'entry' : initial.has(name) ? 'initial' : 'lazy' }))
    .filter((f) => lazy || f.kind !== 'lazy')
    .map(({ name, kind }) => {
      const bytes = readFileSync(join(assets, name));
      return { name, kind, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  const sum = (list, key) => list.reduce((n, f) => n + f[key], 0);
  const entry = files.find((f) => f.kind === 'entry');
  if (!entry) throw new Error(`dist/assets has no ${entries[0]}`);
  const init = files.filter((f) => f.kind !== 'lazy');
  return {
    entry,
    initial: { files: init.length, raw: sum(init, 'raw'), gzip: sum(init, 'gzip') },
    total: { files: files.length, raw: sum(files, 'raw'), gzip: sum(files, 'gzip') },
    budget: ENTRY_BUDGET_GZIP,
    files,
  };
}

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;

function main(args) {
  let report;
  try {
    // The check needs only what index.html loads: milliseconds, not the
    // ~0.5 s of compressing every lazy chunk.
    const d = args.indexOf('--dist');
    report = chunkReport({
      lazy: !args.includes('--check'),
      ...(d >= 0 && args[d + 1] ? { dist: resolve(args[d + 1]) } : {}),
    });
  } catch (e) {
    console.error(`chunks: ${e instanceof Error ? e.message : e} (build first: npm --prefix web run build)`);
    return 1;
  }
  const { entry, initial, total, budget, files } = report;
  const ok = entry.gzip <= budget;
  const verdict = `entry chunk ${entry.name}: ${kb(entry.raw)} raw, ${kb(entry.gzip)} gzip (budget ${kb(budget)} gzip): ${ok ? 'ok' : 'OVER BUDGET'}`;
  if (args.includes('--json')) {
    console.log(JSON.stringify(report));
  } else if (args.includes('--check')) {
    (ok ? console.log : console.error)(`chunks: ${verdict}`);
  } else {
    const w = Math.max(...files.map((f) => f.name.length));
    console.log(`${'chunk'.padEnd(w)}  kind     ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}`);
    for (const f of files) {
      console.log(`${f.name.padEnd(w)}  ${f.kind.padEnd(7)}  ${kb(f.raw).padStart(10)}  ${kb(f.gzip).padStart(10)}`);
    }
    console.log(`\ninitial (entry, modulepreloads, stylesheets): ${initial.files} files, ${kb(initial.raw)} raw, ${kb(initial.gzip)} gzip`);
    console.log(`all: ${total.files} files, ${kb(total.raw)} raw, ${kb(total.gzip)} gzip`);
    console.log(verdict);
  }
  return ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
