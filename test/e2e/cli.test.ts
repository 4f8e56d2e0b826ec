/**
 * The CLI contract from the README, run as a user runs it (the built binary in a child process)
 * against the real server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startServer, removeDir, runCli, type RunningServer } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

const BIN = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');
let srv: RunningServer;

const cli = runCli;

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

test('push reads stdin one entry per line, query prints them back in each output format', async () => {
  const push = await cli(['push', '--addr', srv.url, '--labels', '{job="cli", env="test"}'], 'first line\nsecond line\nthird line with "quotes"\n');
  assert.equal(push.code, 0, push.stderr);

  const raw = await cli(['query', '--addr', srv.url, '{job="cli"}', '--since', '1h', '--output', 'raw']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.deepEqual(raw.stdout.trim().split('\n').sort(), ['first line', 'second line', 'third line with "quotes"']);

  const jsonl = await cli(['query', '--addr', srv.url, '{job="cli"} |= "second"', '--since', '1h', '--output', 'jsonl']);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const rows = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].line, 'second line');
  assert.equal(rows[0].labels.env, 'test');
  // Loki 3's ingest enrichment: service_name from job, detected_level (no level in the line) as metadata.
  assert.equal(rows[0].labels.service_name, 'cli');
  assert.equal(rows[0].labels.detected_level, 'unknown');

  const table = await cli(['query', '--addr', srv.url, '{job="cli"}', '--since', '1h', '--limit', '2', '--output', 'table']);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout.trim().split('\n').filter((l) => /line/.test(l)).length, 2);
});

test('labels, label values and series', async () => {
  await cli(['push', '--addr', srv.url, '--labels', '{job="cli2"}'], 'x\n');
  const names = await cli(['labels', '--addr', srv.url, '--since', '1h']);
  assert.equal(names.code, 0, names.stderr);
  assert.ok(names.stdout.split('\n').includes('job'));
  assert.ok(names.stdout.split('\n').includes('service_name'));
  const values = await cli(['labels', '--addr', srv.url, 'job', '--since', '1h']);
  assert.ok(values.stdout.split('\n').includes('cli2'));
  const series = await cli(['series', '--addr', srv.url, '{job="cli2"}', '--since', '1h']);
  assert.equal(series.code, 0, series.stderr);
  assert.match(series.stdout, /cli2/);
});

test('--tenant sets X-Scope-OrgID (ignored with auth off, as in Loki)', async () => {
  const r = await cli(['query', '--addr', srv.url, '--tenant', 'someone', '{job="cli"}', '--since', '1h', '--output', 'raw']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 3);
});

test('tail follows new entries until interrupted', async () => {
  // A line from before the tail started comes as history; the server subscribes before sending it,
  // so once it is printed, what is pushed next can only arrive live.
  await cli(['push', '--addr', srv.url, '--labels', '{job="cli-tail"}'], 'from history\n');
  const p = spawn(process.execPath, [BIN, 'tail', '--addr', srv.url, '{job="cli-tail"}', '--output', 'raw'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  await waitFor('the history line', () => out.includes('from history'));
  await cli(['push', '--addr', srv.url, '--labels', '{job="cli-tail"}'], 'live one\nlive two\n');
  await waitFor('the live lines', () => out.includes('live two'), { timeoutMs: 8000 }).catch(() => {
    // reported by the assertion below, with what was printed
  });
  p.kill('SIGINT');
  const code = await new Promise((r) => p.on('exit', r));
  assert.match(out, /from history\nlive one\nlive two/);
  assert.equal(code, 0);
});

test('bad input: unknown flags exit 2, bad LogQL reports the server\'s parse error', async () => {
  const flag = await cli(['query', '--addr', srv.url, '--bogus', '{job="cli"}']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /bogus/);
  const bad = await cli(['query', '--addr', srv.url, '{job="cli"} |=', '--since', '1h']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /parse error at line 1, col/);
  const unreachable = await cli(['labels', '--addr', 'http://127.0.0.1:1']);
  assert.equal(unreachable.code, 1);
  const badLabels = await cli(['push', '--addr', srv.url, '--labels', 'job=x'], 'x\n');
  assert.equal(badLabels.code, 2);
});

test('server: bad flags and bad config files fail fast with a clear message', async () => {
  const r = await cli(['server', '--listen', 'nonsense']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /invalid listen address/);
});
