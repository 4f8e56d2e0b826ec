#!/usr/bin/env node
// Bundles the web UI (ui/) into dist/ui with esbuild: content-hashed assets under dist/ui/assets,
// index.html pointing at them, and a .gz and .br copy of every text file so the server sends
// compressed bytes without compressing per request. Fails when the first page's JavaScript is over
// the budget of issue #10 (300 KB after gzip).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const OUT = 'dist/ui';
const BUDGET_JS_GZIP_BYTES = 300 * 1024;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const result = await build({
  entryPoints: { app: 'ui/main.tsx' },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(OUT, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  loader: { '.svg': 'file', '.png': 'file' },
});
const outputs = Object.keys(result.metafile.outputs);
const asset = (ext) => {
  const f = outputs.find((o) => o.endsWith(ext) && basename(o).startsWith('app-'));
  return f ? '/' + relative(OUT, f) : undefined;
};
const js = asset('.js');
const css = asset('.css');
if (!js) throw new Error('esbuild produced no app-*.js');
let html = readFileSync('ui/index.html', 'utf8');
html = html.replace('<!--app-css-->', css ? `<link rel="stylesheet" href="${css}">` : '');
html = html.replace('<!--app-js-->', `<script type="module" src="${js}"></script>`);
writeFileSync(join(OUT, 'index.html'), html);

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
})(OUT);
let jsGzip = 0;
for (const f of files) {
  if (!/\.(js|css|html|svg|json|map)$/.test(f)) continue;
  const raw = readFileSync(f);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(f + '.gz', gz);
  writeFileSync(f + '.br', brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  if (f.endsWith('.js')) jsGzip += gz.length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`ui: ${relative('.', join(OUT, js))} (${files.length} files); JavaScript ${kb(jsGzip)} after gzip (budget ${kb(BUDGET_JS_GZIP_BYTES)})`);
if (jsGzip > BUDGET_JS_GZIP_BYTES) {
  console.error(`error: the UI's JavaScript is ${kb(jsGzip)} after gzip, over the budget of ${kb(BUDGET_JS_GZIP_BYTES)}`);
  process.exit(1);
}
