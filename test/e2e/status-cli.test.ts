/**
 * `logwharf status` (issue #13) from the built CLI against the real server: the table and the JSON,
 * the exit code as the verdict (0 ok, 0 warning, 1 critical), and clear errors for a server that is
 * down, a bad URL, a URL that is not logwharf, and wrong flags (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, removeDir, runCli, type RunningServer } from './helpers/server.js';
import type { StatusResponse } from '../../src/api/status.js';

async function server(t: { after(fn: () => Promise<void>): void }, overrides: Record<string, unknown> = {}): Promise<RunningServer> {
  const s = await startServer(overrides);
  t.after(async () => {
    await s.close().catch(() => {});
    removeDir(s.dir);
  });
  return s;
}

test('a healthy server: a table with one row per component, exit 0; --output json is the API\'s answer', async (t) => {
  const s = await server(t);
  const r = await runCli(['status', '--addr', s.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^STATUS\s+COMPONENT\s+SUMMARY$/);
  assert.deepEqual(lines.slice(1, 8).map((l) => l.split(/\s+/).slice(0, 2).join(' ')), ['OK ingest', 'OK store', 'OK queries', 'OK ruler', 'OK notifier', 'OK agents', 'OK fleet']);
  assert.match(r.stdout, /^OK\s+fleet\s+0 managed agents: 0 connected, 0 stale, 0 unhealthy; 0 rollouts running$/m);
  assert.match(r.stdout, /^OK\s+store\s+disk [\d.]+% used, [\d.]+ [KMGT]?i?B free; data [\d.]+ [KMGT]?i?B; WAL [\d.]+ [KMGT]?i?B; retention 7d; 0 quarantined$/m);
  assert.match(r.stdout, /^OK\s+ruler\s+5 rules in 1 groups, 0 failing, 0 alerts firing$/m);
  assert.match(r.stdout, /^overall: OK \(checked \d{4}-\d\d-\d\dT/m);
  assert.doesNotMatch(r.stdout, /problems:/);

  const j = await runCli(['status', '--addr', s.url, '--output', 'json']);
  assert.equal(j.code, 0, j.stderr);
  const body = JSON.parse(j.stdout) as StatusResponse;
  assert.equal(body.status, 'ok');
  assert.deepEqual(body.components.map((c) => c.name), ['ingest', 'store', 'queries', 'ruler', 'notifier', 'agents', 'fleet']);

  const one = await runCli(['status', '--addr', s.url, '-o', 'json', '--component', 'store']);
  assert.deepEqual((JSON.parse(one.stdout) as StatusResponse).components.map((c) => c.name), ['store']);
});

test('warning exits 0 and lists the problem; critical exits 1', async (t) => {
  const probe = await server(t);
  const j = JSON.parse((await runCli(['status', '--addr', probe.url, '-o', 'json', '--component', 'store'])).stdout) as StatusResponse;
  const used = (j.components[0]!.figures as { disk: { used_percent: number } }).disk.used_percent;
  const below = Math.max(0, Math.floor(used) - 1);

  const warn = await server(t, { health: { disk_warning_percent: below, disk_critical_percent: 100 } });
  const w = await runCli(['status', '--addr', warn.url]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^WARNING\s+store\s+disk/m);
  assert.match(w.stdout, /^overall: WARNING/m);
  assert.match(w.stdout, /^problems:\n {2}WARNING\s+store\/disk_nearly_full: the filesystem of the data directory is [\d.]+% full/m);

  const crit = await server(t, { health: { disk_warning_percent: 0, disk_critical_percent: below } });
  const c = await runCli(['status', '--addr', crit.url]);
  assert.equal(c.code, 1, c.stdout + c.stderr);
  assert.match(c.stdout, /^CRITICAL\s+store\s+/m);
  assert.match(c.stdout, /^overall: CRITICAL/m);
  const cj = await runCli(['status', '--addr', crit.url, '--output', 'json']);
  assert.equal(cj.code, 1);
  assert.equal((JSON.parse(cj.stdout) as StatusResponse).status, 'critical');
});

test('a server that is down, a bad URL, a URL that is not logwharf and wrong flags say so', async (t) => {
  const s = await server(t);
  const url = s.url;
  await s.close();
  const down = await runCli(['status', '--addr', url]);
  assert.equal(down.code, 1);
  assert.equal(down.stdout, '');
  assert.match(down.stderr, new RegExp(`^error: cannot reach the server at ${url.replace(/[.]/g, '\\.')}: .*ECONNREFUSED.*is it running, and is --addr right\\?`));

  for (const [args, why] of [
    [['--addr', 'ftp://example'], /invalid address "ftp:\/\/example": the scheme must be http or https/],
    [['--addr', 'not a url'], /invalid address "not a url": want a URL/],
    [['--addr', url, '--output', 'yaml'], /--output: "yaml" is not one of table, json/],
    [['--addr', url, '--component', 'store,'], /--component: an empty name/],
    [['--addr', url, 'extra'], /status: takes no arguments, got "extra"/],
    [['--addr', url, '--bogus'], /status: Unknown option '--bogus'/],
  ] as const) {
    const r = await runCli(['status', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
    assert.match(r.stderr, /Run 'logwharf status --help' for usage/);
  }

  // Something else answering on the port (Loki, a proxy): it has no /api/v1/status.
  const other = createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  const notUs = await runCli(['status', '--addr', otherUrl]);
  assert.equal(notUs.code, 1);
  assert.match(notUs.stderr, new RegExp(`error: ${otherUrl.replace(/[.]/g, '\\.')} has no /api/v1/status: it is not a logwharf server`));

  // An unknown component is the server's 400, passed on.
  const live = await server(t);
  const unknown = await runCli(['status', '--addr', live.url, '--component', 'nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /400 Bad Request: unknown component "nope": known are ingest, store, queries, ruler, notifier, agents/);
});
