/**
 * Keeps the folder rules of ../shared/design/architecture.md true: which folder of src/ may import
 * which. A failure names the file and the import that crosses a boundary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative, dirname, resolve, join } from 'node:path';
import { tsFiles } from '../helpers/source-files.js';

const SRC = new URL('../../src/', import.meta.url).pathname;
const UI = new URL('../../ui/', import.meta.url).pathname;

/** folder → folders it may import (besides itself). `util` is shared small utilities. */
const ALLOWED: Record<string, string[]> = {
  kit: [],
  util: ['kit'],
  api: ['util'],
  config: ['api', 'util', 'logql'],
  logql: ['api', 'util'],
  store: ['api', 'logql', 'util'],
  ingest: ['api', 'store', 'logql', 'util', 'http', 'config'],
  query: ['api', 'store', 'logql', 'util', 'http', 'config'],
  http: ['api', 'util'],
  agent: ['api', 'config', 'util', 'logql'],
  registry: ['api', 'util', 'http'],
  auth: ['api', 'util', 'http', 'config'],
  audit: ['api', 'util', 'http', 'store', 'auth'],
  rules: ['api', 'logql', 'util'],
  ruler: ['api', 'config', 'http', 'logql', 'query', 'rules', 'util'],
  notify: ['api', 'config', 'http', 'logql', 'util'],
  web: ['api', 'http', 'util'],
  lifecycle: ['api', 'http', 'logql', 'store', 'util'],
  fleet: ['api', 'config', 'http', 'logql', 'util'],
  health: ['api', 'http', 'rules', 'store', 'util'],
  app: ['*'],
  cli: ['api', 'config', 'util', 'app', 'rules', 'logql', 'auth', 'deploy', 'lifecycle', 'fleet'],
  deploy: ['api', 'config', 'util', 'fleet'],
};

test('imports respect the folder rules of the architecture guide', () => {
  const violations: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = relative(SRC, file).split('/')[0]!;
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not in the architecture guide's folder list; add it there and here`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      const target = relative(SRC, resolve(dirname(file), spec)).split('/')[0]!;
      if (target === from || target.startsWith('..')) continue;
      if (allowed.includes('*') || allowed.includes(target)) continue;
      violations.push(`src/${relative(SRC, file)} imports ${spec} (${from} → ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the browser code (ui/) takes only wire types from src/api, as type-only imports the bundler erases; src never imports ui/', () => {
  const violations: string[] = [];
  for (const file of tsFiles(UI)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = m[3] ?? m[4]!;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC)) continue;
      const typeOnly = m[2] !== undefined;
      if (!typeOnly || !target.startsWith(SRC + 'api/')) violations.push(`ui/${relative(UI, file)} imports ${spec}${typeOnly ? '' : ' (not type-only)'}`);
    }
  }
  for (const file of tsFiles(SRC)) {
    if (/from\s+['"][^'"]*\/ui\//.test(readFileSync(file, 'utf8'))) violations.push(`src/${relative(SRC, file)} imports ui/`);
  }
  assert.deepEqual(violations, []);
});

test('only src/cli/deploy.ts imports src/deploy, and dispatch loads it on demand, so neither the server nor the agent role loads the builders', () => {
  const importers = tsFiles(SRC)
    .filter((f) => !relative(SRC, f).startsWith('deploy/'))
    .filter((f) => /from\s+['"][^'"]*\/deploy\/[^'"]+['"]/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  assert.deepEqual(importers, ['cli/deploy.ts']);
  const dispatch = readFileSync(join(SRC, 'cli/dispatch.ts'), 'utf8');
  assert.doesNotMatch(dispatch, /from\s+['"]\.\/deploy\.js['"]/);
  assert.match(dispatch, /loadRole<DeployModule>\('\.\/deploy\.js'/);
});

test('only src/config reads process.env', () => {
  const offenders = tsFiles(SRC)
    .filter((f) => !relative(SRC, f).startsWith('config/'))
    .filter((f) => /process\.env/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  assert.deepEqual(offenders, []);
});
