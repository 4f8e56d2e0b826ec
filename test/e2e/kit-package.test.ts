/**
 * `import … from 'logwharf/logger'` as a service installing the package gets it (issue #16): the
 * subpath resolves through package.json `exports` to the built kit, loads no native module and no
 * module of the server, and its logger writes the schema. The package is linked into a temporary
 * project's node_modules; the build (dist/, made by `npm test`) is what is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { tempDir, removeDir } from './helpers/server.js';
import { assertSchemaLine } from '../helpers/log-schema.js';

const run = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;

// Records every module URL the ESM loader resolves (hooks run on their own thread: they append to a file).
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, r.url + '\\n');
  return r;
}`;
const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);`;
const MAIN = `import { createRequire } from 'node:module';
const kit = await import('logwharf/logger');
kit.createLogger({ service: 'probe', version: '2.0.0', env: 'test' }).info({ step: 1 }, 'loaded');
const report = process.report.getReport();
console.error(JSON.stringify({
  exports: Object.keys(kit).sort(),
  addons: report.sharedObjects.filter((s) => s.endsWith('.node')),
  cjs: Object.keys(createRequire(import.meta.url).cache),
}));`;

test("import('logwharf/logger') from an installed package loads the kit and nothing of the server", { timeout: 60_000 }, async () => {
  assert.ok(existsSync(join(REPO, 'dist/kit/index.js')), 'dist/kit/index.js is missing: run npm run build');
  const dir = tempDir('logwharf-kit-pkg-');
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'logwharf'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), REGISTER);
    writeFileSync(join(dir, 'main.mjs'), MAIN);
    const log = join(dir, 'resolved.txt');
    const { stdout, stderr } = await run(process.execPath, ['--import', './register.mjs', 'main.mjs'], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '', RESOLVED_LOG: log } });
    const probe = JSON.parse(stderr.trim().split('\n').at(-1)!) as { exports: string[]; addons: string[]; cjs: string[] };
    for (const name of ['createLogger', 'getLogger', 'withContext', 'getContext', 'contextFromHeaders']) assert.ok(probe.exports.includes(name), `exports ${name}`);
    const line = assertSchemaLine(stdout.trim(), { versionAndEnv: true });
    assert.deepEqual([line.service, line.msg, line.step], ['probe', 'loaded', 1]);

    assert.deepEqual(probe.addons, [], 'no native addon is loaded');
    const dist = pathToFileURL(join(REPO, 'dist')).href + '/';
    const resolved = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(resolved.includes(pathToFileURL(join(REPO, 'dist/kit/index.js')).href), `the subpath resolves to dist/kit/index.js: ${resolved.join(' ')}`);
    const ours = resolved.filter((u) => u.startsWith(dist));
    assert.deepEqual(ours.filter((u) => !u.startsWith(dist + 'kit/')), [], 'only dist/kit of logwharf is loaded');
    // CommonJS dependencies (pino's) do not pass the ESM hooks: check them by package.
    const packages = new Set(probe.cjs.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean));
    for (const heavy of ['better-sqlite3', 'zstd-napi', 'snappy', '@node-rs/crc32', 're2js', 'ws', 'zod', 'yaml']) assert.ok(!packages.has(heavy), `${heavy} is not loaded`);
    assert.ok(packages.has('pino'), `pino is loaded: ${[...packages].join(', ')}`);
  } finally {
    removeDir(dir);
  }
});

test('package.json exports ./logger with its types, and the packed package carries them and the binary', { timeout: 60_000 }, async () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }>; bin: Record<string, string> };
  assert.deepEqual(pkg.exports['./logger'], { types: './dist/kit/index.d.ts', default: './dist/kit/index.js' });
  assert.equal(pkg.bin.logwharf, 'bin/logwharf');
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } });
  const files = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  for (const f of ['bin/logwharf', 'dist/cli/main.js', 'dist/kit/index.js', 'dist/kit/index.d.ts', 'dist/kit/logger.d.ts', 'docs/log-schema.md']) assert.ok(files.has(f), `${f} is packed`);
});
