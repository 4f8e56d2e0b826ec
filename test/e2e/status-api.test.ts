/**
 * The health monitor, `GET /api/v1/status` (issue #13), against the real server (port 0, temp data
 * dir): each component's figures move as a user would see them after pushes (some rejected), queries
 * (one stopped by query.timeout while it is seen in flight) and agents' reports through the sources
 * API; a disk threshold set just under the filesystem's real use makes the store warning, then
 * critical; a damaged block found by a query shows as quarantined; malformed parameters are a 400; the route needs no tenant, and a token with `read`.
 */
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { DAMAGED_T0, damagedDir } from './helpers/damaged.js';
import { waitFor } from '../helpers/wait-for.js';
import type { ComponentReport, StatusResponse } from '../../src/api/status.js';
import type { SourceReport, SourceStatus } from '../../src/api/sources.js';

type Figures = Record<string, any>;

async function status(url: string, query = '', headers: Record<string, string> = {}): Promise<StatusResponse> {
  const res = await fetch(`${url}/api/v1/status${query}`, { headers });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return JSON.parse(text) as StatusResponse;
}

function component(s: StatusResponse, name: string): ComponentReport & { figures: Figures } {
  const c = s.components.find((x) => x.name === name);
  assert.ok(c, `no component ${name} in ${s.components.map((x) => x.name).join(', ')}`);
  return c as ComponentReport & { figures: Figures };
}

async function push(url: string, lines: string[], labels: Record<string, string> = { app: 'shop' }): Promise<Response> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const values = lines.map((l, i) => [String(now - BigInt(lines.length - i) * 1_000_000n), l]);
  return fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: labels, values }] }) });
}

function source(id: string, over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: `docker:${id}`,
    kind: 'docker',
    container: `web-${id}`,
    container_id: id,
    labels: { container: `web-${id}` },
    state: 'tailing',
    lines_read: 10,
    lines_shipped: 10,
    bytes_shipped: 500,
    lines_dropped: 0,
    lag_seconds: 0,
    first_seen: new Date().toISOString(),
    ...over,
  };
}

async function report(url: string, agent: string, sources: SourceStatus[]): Promise<void> {
  const body: SourceReport = { agent: { id: agent, host: `${agent}.example`, version: '0.1.0', started_at: new Date().toISOString() }, sources };
  const res = await fetch(`${url}/api/v1/sources`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 204, await res.text());
}

async function server(t: { after(fn: () => Promise<void>): void }, overrides: Record<string, unknown> = {}): Promise<RunningServer> {
  const s = await startServer(overrides);
  t.after(async () => {
    await s.close();
    removeDir(s.dir);
  });
  return s;
}

// Legal but slow (seconds per line on RE2's NFA): stopped by query.timeout. As in query-safety.test.ts.
const SLOW = '{app="slow"} | line_format `{{ repeat 20000 "a" }}c` | regexp "(?P<x>(.{1,100}a){10})c"';

test('every component is listed, ok on a quiet server; pushes, rejects, queries, a timeout and agents move their figures', async (t) => {
  // 5 s: under tsx a worker compiles the engine at its first query (about a second on a loaded
  // machine), which the ordinary query must not exceed; the slow one needs far longer.
  const cfgDir = tempDir();
  t.after(async () => removeDir(cfgDir));
  writeFileSync(join(cfgDir, 'runtime.yaml'), 'overrides:\n  team-a:\n    retention_period: 30d\n  team-b:\n    ingestion_rate_mb: 8\n');
  const s = await server(t, { limits: { max_line_size: 200 }, query: { timeout: '5s' }, registry: { stale_after: '1h' }, runtime_config: { file: join(cfgDir, 'runtime.yaml') } });

  const quiet = await status(s.url);
  assert.deepEqual(quiet.components.map((c) => c.name), ['ingest', 'store', 'queries', 'ruler', 'notifier', 'agents', 'fleet']);
  assert.equal(quiet.status, 'ok', JSON.stringify(quiet.components.filter((c) => c.status !== 'ok')));
  assert.ok(Math.abs(Date.parse(quiet.checked_at) - Date.now()) < 60_000);
  for (const c of quiet.components) assert.deepEqual(c.problems, [], c.name);
  assert.equal(component(quiet, 'queries').figures.requests, 0);
  assert.equal(component(quiet, 'agents').figures.agents, 0);
  const store0 = component(quiet, 'store').figures;
  assert.ok(store0.disk.total_bytes > 0 && store0.disk.free_bytes > 0 && store0.disk.free_bytes <= store0.disk.total_bytes, JSON.stringify(store0.disk));
  assert.ok(store0.disk.used_percent > 0 && store0.disk.used_percent < 100);
  assert.equal(store0.data_dir, s.dir);
  assert.deepEqual(store0.retention, { period: '7d', stream_rules: 0, tenant_overrides: 1 }, 'team-a overrides its retention, team-b only a limit');
  assert.equal(store0.quarantined_files, 0);
  // The default rules are loaded: 5 rules, none failing.
  assert.equal(component(quiet, 'ruler').figures.rules, 5);

  // Ingest: 300 lines accepted, 2 refused as too long.
  assert.equal((await push(s.url, Array.from({ length: 300 }, (_, i) => `level=info msg="order ${i} paid"`))).status, 204);
  assert.equal((await push(s.url, ['x'.repeat(500), 'y'.repeat(500)])).status, 400);
  // The slow stream for the timeout below: each line is seconds of work, ten are far beyond 5 s.
  assert.equal((await push(s.url, Array.from({ length: 10 }, (_, i) => `line ${i}`), { app: 'slow' })).status, 204);

  // Queries: one ordinary query, then one that query.timeout stops, seen in flight while it runs.
  const q = await fetch(s.url + '/loki/api/v1/query_range?' + new URLSearchParams({ query: '{app="shop"} |= "paid"', limit: '10' }));
  assert.equal(q.status, 200, await q.text());
  const slow = fetch(s.url + '/loki/api/v1/query_range?' + new URLSearchParams({ query: SLOW, limit: '10' })).then((r) => r.status);
  const during = await waitFor('the slow query in flight', async () => {
    const st = await status(s.url, '?component=queries');
    return component(st, 'queries').figures.in_flight >= 1 && st;
  });
  assert.equal(during.components.length, 1);
  assert.equal(await slow, 504);

  // Agents: one reporting with a failing source, through the sources API as an agent reports.
  await report(s.url, 'node-1', [source('aaa'), source('bbb', { state: 'error', last_error: 'open: permission denied', lag_seconds: 12 })]);

  const after = await status(s.url);
  const ingest = component(after, 'ingest');
  assert.ok(ingest.figures.lines_per_second > 0, JSON.stringify(ingest.figures));
  assert.ok(ingest.figures.bytes_per_second > ingest.figures.lines_per_second);
  assert.deepEqual(ingest.figures.rejected, { line_too_long: 2 });
  assert.deepEqual(ingest.figures.rejected_since_start, { line_too_long: 2 });
  assert.equal(ingest.status, 'warning');
  assert.equal(ingest.problems[0]!.check, 'ingest_rejects');
  assert.match(ingest.problems[0]!.message, /^2 entries rejected in the last \d+s \(line_too_long 2\)/);

  const queries = component(after, 'queries');
  assert.ok(queries.figures.requests >= 2, JSON.stringify(queries.figures));
  assert.ok(queries.figures.p50_seconds > 0 && queries.figures.p99_seconds >= queries.figures.p50_seconds, JSON.stringify(queries.figures));
  assert.equal(queries.figures.in_flight, 0);
  assert.equal(queries.figures.timeouts, 1);
  assert.equal(queries.status, 'warning');
  assert.deepEqual(queries.problems.map((p) => p.check), ['query_timeouts']);

  const store = component(after, 'store').figures;
  assert.ok(store.wal_bytes > 0, 'the pushes are in the WAL');
  assert.ok(store.head_bytes > 0, 'and in the heads, not sealed yet');
  assert.ok(store.data_bytes > 0);

  const agents = component(after, 'agents');
  assert.deepEqual(
    { agents: agents.figures.agents, reporting: agents.figures.reporting, stale: agents.figures.stale, failing: agents.figures.sources_failing, lag: agents.figures.max_lag_seconds },
    { agents: 1, reporting: 1, stale: 0, failing: 1, lag: 0 },
    'the failing source is not being read: its lag does not count',
  );
  assert.deepEqual(agents.figures.sources, { tailing: 1, draining: 0, finished: 0, error: 1, stopped: 0 });
  assert.equal(agents.figures.coverage_percent, 100);
  assert.equal(agents.status, 'warning');
  assert.deepEqual(agents.problems.map((p) => [p.check, p.subject]), [['sources_failing', { tenant: 'fake' }]]);
  assert.match(agents.problems[0]!.message, /1 source\(s\) of tenant fake failing: docker:bbb \(open: permission denied\)/);

  assert.equal(after.status, 'warning', 'the worst component');

  // The levels are on /metrics too.
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(metrics, /^logwharf_component_status\{component="agents"\} 1$/m);
  assert.match(metrics, /^logwharf_component_status\{component="ruler"\} 0$/m);
  assert.match(metrics, /^logwharf_query_timeouts_total 1$/m);
});

test('a disk threshold just under the filesystem\'s real use makes the store warning, then critical', async (t) => {
  const probe = await server(t);
  const used = component(await status(probe.url), 'store').figures.disk.used_percent as number;
  // The real use, measured a moment ago, less a margin for files written meanwhile by other processes.
  const below = Math.max(0, Math.floor(used) - 1);

  const warn = await server(t, { health: { disk_warning_percent: below, disk_critical_percent: 100 } });
  const w = await status(warn.url);
  const ws = component(w, 'store');
  assert.equal(ws.status, 'warning', JSON.stringify(ws));
  assert.equal(ws.problems[0]!.check, 'disk_nearly_full');
  assert.match(ws.problems[0]!.message, new RegExp(`is [\\d.]+% full \\(warning at ${below}%\\), [\\d.]+ [KMGT]?i?B free`));
  assert.equal(w.status, 'warning');

  const crit = await server(t, { health: { disk_warning_percent: 0, disk_critical_percent: below } });
  const c = await status(crit.url);
  assert.equal(component(c, 'store').status, 'critical');
  assert.equal(component(c, 'store').problems[0]!.status, 'critical');
  assert.equal(c.status, 'critical');
  assert.equal(component(c, 'ingest').status, 'ok', 'the other components keep their own level');
});

test('a damaged block found by a query is counted and its quarantine makes the store warning', async (t) => {
  const dir = await damagedDir();
  const s = await server(t, { data: dir });
  const before = component(await status(s.url), 'store');
  assert.equal(before.status, 'ok');
  assert.equal(before.figures.quarantined_files, 0);
  const q = await fetch(s.url + '/loki/api/v1/query_range?' + new URLSearchParams({ query: '{job="damaged"}', start: String(DAMAGED_T0 - 1n), end: String(DAMAGED_T0 + 1_000_000_000n), limit: '1000' }));
  assert.equal(q.status, 200, await q.text());
  const store = await waitFor('the quarantined block in the status', async () => {
    const c = component(await status(s.url), 'store');
    // The damaged bytes are moved aside first, then counted: wait for both.
    return c.figures.quarantined_files >= 1 && c.figures.corruptions_since_start >= 1 && c;
  });
  assert.equal(store.figures.corruptions_since_start, 1);
  assert.equal(store.status, 'warning');
  assert.deepEqual(store.problems.map((p) => p.check), ['damaged_data_quarantined']);
  assert.match(store.problems[0]!.message, new RegExp(`^1 damaged file\\(s\\) in ${dir.replace(/[.]/g, '\\.')}/quarantine`));
});

test('malformed parameters are a 400 that says what is wrong; component= narrows the answer', async (t) => {
  const s = await server(t);
  for (const [query, why] of [
    ['?component=nope', /unknown component "nope": known are ingest, store, queries, ruler, notifier, agents/],
    ['?component=store,nope,zzz', /unknown component "nope", "zzz"/],
    ['?component=', /component: an empty name/],
    ['?component=store,,agents', /component: an empty name/],
  ] as const) {
    const res = await fetch(`${s.url}/api/v1/status${query}`);
    const text = await res.text();
    assert.equal(res.status, 400, `${query}: ${text}`);
    assert.match(text, why, query);
  }
  const two = await status(s.url, '?component=agents&component=store,agents');
  assert.deepEqual(two.components.map((c) => c.name), ['store', 'agents']);
  const post = await fetch(`${s.url}/api/v1/status`, { method: 'POST' });
  assert.equal(post.status, 405);
  await post.text();
});

test('tenantless: no X-Scope-OrgID needed with auth_enabled; with tokens a read token is enough and none is a 401', async (t) => {
  const gw = await server(t, { auth_enabled: true });
  assert.equal((await status(gw.url)).components.length, 7);

  const dir = tempDir();
  const tokens = createTestTokens(dir, [{ role: 'read', tenants: ['team-a'] }]);
  const s = await server(t, { data: dir, auth: { tokens_enabled: true } });
  const token = tokens.secret('read', 'team-a');
  const none = await fetch(`${s.url}/api/v1/status`);
  assert.equal(none.status, 401);
  await none.text();
  assert.equal((await status(s.url, '', { Authorization: `Bearer ${token}` })).components.length, 7);
});
