/**
 * Per-tenant overrides from the runtime-config file (issue #11), against the real server on port 0:
 * a capped tenant gets 429 while another pushes the same volume; rewriting the file applies without
 * a restart (the test waits for the reload on /metrics, never sleeps); a broken rewrite keeps the
 * overrides in force and says where it is wrong; a shorter per-tenant retention deletes only that
 * tenant's old data at compaction; per-tenant query limits; GET /runtime_config; and a bad file
 * stops `logwharf server` with the file, line and key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startServer, removeDir, tempDir, runCli, type RunningServer } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { LokiClient, LokiClientError } from '../../src/api/client.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { parseExposition, samplesOf } from '../helpers/exposition.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const NS_PER_MS = 1_000_000n;

/** A server whose runtime-config file is `text`, written before the start; `dir/overrides.yaml`. */
async function serverWith(t: { after(fn: () => Promise<void>): void }, text: string, config: Record<string, unknown> = {}, deps = {}): Promise<{ s: RunningServer; file: string }> {
  const dir = tempDir('logwharf-overrides-');
  const file = join(dir, 'runtime', 'overrides.yaml');
  mkdirSync(join(dir, 'runtime'));
  writeFileSync(file, text);
  // period 1h: a change must be noticed by watching the directory, not by the periodic check.
  const s = await startServer({ data: join(dir, 'data'), auth_enabled: true, runtime_config: { file, period: '1h' }, ...config }, deps);
  t.after(async () => {
    await s.close();
    removeDir(dir);
  });
  return { s, file };
}

async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await fetch(url + '/metrics');
  const samples = samplesOf(parseExposition(await res.text()), name, labels);
  return samples.length === 0 ? undefined : samples.reduce((a, s) => a + s.value, 0);
}

/** Waits until the server has judged `n` versions of the file with `result`. */
function reloads(url: string, result: 'success' | 'failure', n: number): Promise<number> {
  return waitFor(`runtime config reloads_total{result="${result}"} = ${n}`, async () => (await metric(url, 'logwharf_runtime_config_reloads_total', { result })) === n && n);
}

let seq = 0;
/** Pushes `entries` lines of `bytes` bytes each to one stream; the HTTP status. */
async function push(url: string, tenant: string, entries: number, bytes: number, tsNs = BigInt(Date.now()) * NS_PER_MS, labels: Record<string, string> = { job: 'load' }): Promise<number> {
  const client = new LokiClient({ addr: url, tenant });
  const values = Array.from({ length: entries }, (_, i) => ({ ts: tsNs + BigInt(i), line: `${++seq} `.padEnd(bytes, 'x') }));
  try {
    await client.push({ streams: [{ labels, entries: values }] });
    return 204;
  } catch (e) {
    if (e instanceof LokiClientError && e.status !== undefined) return e.status;
    throw e;
  }
}

async function lineCount(url: string, tenant: string, query: string, sinceNs: bigint): Promise<number> {
  const res = await new LokiClient({ addr: url, tenant }).queryRange(query, { start: sinceNs, end: BigInt(Date.now()) * NS_PER_MS + 1n, limit: 1000 });
  return (res.data.result as Array<{ values: unknown[] }>).reduce((n, s) => n + s.values.length, 0);
}

async function runtimeConfig(url: string, mode = ''): Promise<{ overrides: Record<string, Record<string, unknown>> }> {
  const res = await fetch(url + '/runtime_config' + (mode ? `?mode=${mode}` : ''));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseYaml(await res.text()) as { overrides: Record<string, Record<string, unknown>> };
}

test('a capped tenant gets 429 while another pushes the same volume; raising its cap applies without a restart; a broken rewrite keeps the cap in force', async (t) => {
  const captured = captureLog('info');
  // A burst of ~2 KB: a 5 KB push can never pass, as in Loki.
  const capped = 'overrides:\n  team-a:\n    ingestion_rate_mb: 0.001\n    ingestion_burst_size_mb: 0.002\n';
  const { s, file } = await serverWith(t, capped, {}, { log: captured.log });
  const since = BigInt(Date.now() - 60_000) * NS_PER_MS;
  assert.equal(await metric(s.url, 'logwharf_runtime_config_last_reload_successful'), 1);
  assert.equal(await metric(s.url, 'logwharf_runtime_config_reloads_total', { result: 'success' }), 1, 'the file read at start counts');

  assert.equal(await push(s.url, 'team-a', 5, 1000), 429, 'team-a is over its own burst');
  assert.equal(await push(s.url, 'team-b', 5, 1000), 204, 'team-b, with the defaults, pushes the same volume');
  assert.equal(await lineCount(s.url, 'team-a', '{job="load"}', since), 0, 'a 429 stores nothing');
  assert.equal(await lineCount(s.url, 'team-b', '{job="load"}', since), 5);

  // Raise team-a's cap, as an operator (or a ConfigMap update) would: atomically.
  await writeFileAtomic(file, 'overrides:\n  team-a:\n    ingestion_rate_mb: 10\n    ingestion_burst_size_mb: 20\n');
  await reloads(s.url, 'success', 2);
  assert.equal((await runtimeConfig(s.url, 'diff')).overrides['team-a']!.ingestion_rate_mb, 10);
  assert.equal(await push(s.url, 'team-a', 5, 1000), 204, 'the same push passes after the reload, without a restart');
  assert.equal(await lineCount(s.url, 'team-a', '{job="load"}', since), 5);

  // A broken rewrite (a misspelt key, next to a cap that would bite) is refused as a whole.
  await writeFileAtomic(file, 'overrides:\n  team-a:\n    ingestion_rate_mb: 0.001\n    ingestion_burst_mb: 0.001\n');
  await reloads(s.url, 'failure', 1);
  assert.equal(await metric(s.url, 'logwharf_runtime_config_last_reload_successful'), 0);
  assert.equal(await push(s.url, 'team-a', 5, 1000), 204, 'the overrides in force stay: team-a keeps its raised cap');
  assert.equal((await runtimeConfig(s.url, 'diff')).overrides['team-a']!.ingestion_rate_mb, 10);
  const refused = captured.lines.find((l) => l.msg === 'runtime config refused; the overrides in force stay');
  assert.ok(refused, 'the refusal is logged');
  assert.equal(refused.level, 'error');
  assert.equal(refused.file, file);
  assert.match(String(refused.err), /line 4: overrides\.team-a\.ingestion_burst_mb: unknown key/);

  // Fixed: applied again, and the gauge is back to 1.
  await writeFileAtomic(file, 'overrides:\n  team-a:\n    ingestion_rate_mb: 0.001\n    ingestion_burst_size_mb: 0.002\n');
  await reloads(s.url, 'success', 3);
  assert.equal(await metric(s.url, 'logwharf_runtime_config_last_reload_successful'), 1);
  assert.equal(await push(s.url, 'team-a', 5, 1000), 429, 'capped again by the fixed file');
  assert.equal(await push(s.url, 'team-b', 5, 1000), 204, 'team-b never affected');
});

test('a per-tenant retention_period shorter than the global one deletes that tenant\'s old data at compaction; the other keeps it', async (t) => {
  const { s } = await serverWith(t, 'overrides:\n  team-a:\n    retention_period: 1d\n', {
    retention: { period: '7d' },
    // Heads sealed and compaction run within a second, so the test waits for them, not for hours.
    storage: { max_block_age: '200ms', compaction_interval: '300ms' },
  });
  const threeDaysAgo = BigInt(Date.now() - 3 * 86_400_000) * NS_PER_MS;
  assert.equal(await push(s.url, 'team-a', 3, 50, threeDaysAgo), 204);
  assert.equal(await push(s.url, 'team-b', 3, 50, threeDaysAgo), 204);
  const since = threeDaysAgo - 3_600_000n * NS_PER_MS;
  // Both are sealed into blocks (retention acts on blocks), then a whole compaction runs after that.
  await waitFor('both heads sealed', async () => (await metric(s.url, 'logwharf_store_head_bytes')) === 0 && (await metric(s.url, 'logwharf_store_blocks'))! >= 1);
  const after = (await metric(s.url, 'logwharf_store_compactions_total')) ?? 0;
  await waitFor('a compaction after the seal', async () => ((await metric(s.url, 'logwharf_store_compactions_total')) ?? 0) >= after + 2);
  assert.equal(await lineCount(s.url, 'team-a', '{job="load"}', since), 0, 'team-a keeps 1d: its 3-day-old lines are gone');
  assert.equal(await lineCount(s.url, 'team-b', '{job="load"}', since), 3, 'team-b keeps the global 7d');
  assert.ok((await metric(s.url, 'logwharf_store_retention_deleted_blocks_total', { tenant: 'team-a' }))! >= 1);
  assert.equal(await metric(s.url, 'logwharf_store_retention_deleted_blocks_total', { tenant: 'team-b' }), undefined);
});

test('per-tenant max_query_series and max_entries_limit_per_query apply to that tenant only', async (t) => {
  const { s } = await serverWith(t, 'overrides:\n  team-a:\n    max_query_series: 2\n    max_entries_limit_per_query: 10\n');
  for (const tenant of ['team-a', 'team-b']) for (const app of ['x', 'y', 'z']) assert.equal(await push(s.url, tenant, 2, 20, undefined, { job: 'q', app }), 204);
  const metricQuery = 'sum by (app) (count_over_time({job="q"}[5m]))';
  const a = new LokiClient({ addr: s.url, tenant: 'team-a' });
  const b = new LokiClient({ addr: s.url, tenant: 'team-b' });
  await assert.rejects(a.query(metricQuery), (e: LokiClientError) => e.status === 400 && /maximum (number )?of series \(2\) reached for a single query/.test(e.message));
  assert.equal((await b.query(metricQuery)).data.result.length, 3, 'team-b has the default max_query_series');
  const start = BigInt(Date.now() - 600_000) * NS_PER_MS;
  await assert.rejects(a.queryRange('{job="q"}', { start, limit: 11 }), (e: LokiClientError) => e.status === 400 && /max_entries_limit_per_query \(11 > 10\)/.test(e.message));
  assert.equal((await b.queryRange('{job="q"}', { start, limit: 11 })).data.result.length, 3);
  // Logs Drilldown reads the tenant's limits too.
  const limits = async (tenant: string) => ((await (await fetch(s.url + '/loki/api/v1/drilldown-limits', { headers: { 'X-Scope-OrgID': tenant } })).json()) as { limits: Record<string, unknown> }).limits;
  assert.equal((await limits('team-a')).max_query_series, 2);
  assert.equal((await limits('team-b')).max_query_series, 500);
});

test('drilldown-limits reports each tenant\'s retention_period in force, as Loki prints durations, and follows a reload', async (t) => {
  const { s, file } = await serverWith(t, 'overrides:\n  team-a:\n    retention_period: 30d\n  team-b:\n    retention_period: 0s\n', { retention: { period: '14d', streams: [] } });
  const retention = async (tenant: string) =>
    ((await (await fetch(s.url + '/loki/api/v1/drilldown-limits', { headers: { 'X-Scope-OrgID': tenant } })).json()) as { limits: { retention_period: string } }).limits.retention_period;
  // Loki's model.Duration: 30d stays 30d (weeks only when exact), 14d is 2w, 0s is "kept forever".
  assert.equal(await retention('team-a'), '30d');
  assert.equal(await retention('team-b'), '0s');
  assert.equal(await retention('team-c'), '2w', 'a tenant without overrides has retention.period');
  writeFileSync(file, 'overrides:\n  team-a:\n    retention_period: 36h\n');
  await reloads(s.url, 'success', 2);
  assert.equal(await retention('team-a'), '1d12h');
  assert.equal(await retention('team-b'), '2w', 'its override is gone with the rewrite');
});

test('GET /runtime_config: each tenant in full, or only what differs with mode=diff; with tokens, only the caller\'s tenants and only for admins', async (t) => {
  const dir = tempDir('logwharf-overrides-');
  mkdirSync(join(dir, 'data'));
  const tokens = createTestTokens(join(dir, 'data'), [{ role: 'admin', tenants: ['team-b'] }, { role: 'read', tenants: ['team-b'] }]);
  const file = join(dir, 'overrides.yaml');
  writeFileSync(file, 'overrides:\n  team-a:\n    max_line_size: 100\n  team-b:\n    retention_stream:\n      - selector: \'{ns="dev"}\'\n        period: 1d\n');
  const s = await startServer({ data: join(dir, 'data'), auth: { tokens_enabled: true }, limits: { max_query_series: 50 }, runtime_config: { file } });
  t.after(async () => (await s.close(), removeDir(dir)));
  const get = (query: string, token: string) => fetch(s.url + '/runtime_config' + query, { headers: { Authorization: `Bearer ${token}`, 'X-Scope-OrgID': 'team-a' } });

  const full = parseYaml(await (await get('', tokens.secret('admin', 'team-b'))).text()) as { overrides: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(full.overrides), ['team-b'], 'team-b\'s admin sees nothing of team-a, whatever X-Scope-OrgID says');
  const b = full.overrides['team-b']!;
  assert.deepEqual(b.retention_stream, [{ selector: '{ns="dev"}', priority: 0, period: '1d' }]);
  assert.equal(b.max_query_series, 50, 'the server\'s limits fill what the tenant does not set');
  assert.equal(b.ingestion_rate_mb, 4, 'Loki\'s defaults fill what neither sets');
  assert.equal(b.retention_period, '7d');
  const diff = parseYaml(await (await get('?mode=diff', tokens.secret('admin', 'team-b'))).text()) as unknown;
  assert.deepEqual(diff, { overrides: { 'team-b': { retention_stream: [{ selector: '{ns="dev"}', priority: 0, period: '1d' }] } } });
  assert.equal((await get('?mode=bogus', tokens.secret('admin', 'team-b'))).status, 400);
  assert.equal((await get('', tokens.secret('read', 'team-b'))).status, 403, 'admin only');
  assert.equal((await fetch(s.url + '/runtime_config')).status, 401);
});

test('a bad runtime-config file stops the start, naming the file, the line and the key', async (t) => {
  const dir = tempDir('logwharf-overrides-');
  t.after(() => removeDir(dir));
  const file = join(dir, 'overrides.yaml');
  writeFileSync(file, 'overrides:\n  team-a:\n    max_line_size: 1000\n    ingestion_rate_mb: -2\n');
  const cfg = join(dir, 'server.yaml');
  writeFileSync(cfg, `runtime_config:\n  file: ${file}\n`);
  // The binary, as a user starts it.
  const r = await runCli(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--config', cfg]);
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(`invalid configuration in ${file}: line 4: overrides.team-a.ingestion_rate_mb:`), r.stderr);
  // A file that is not there at all.
  writeFileSync(cfg, `runtime_config:\n  file: ${join(dir, 'missing.yaml')}\n`);
  const missing = await runCli(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--config', cfg]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read runtime config file .*missing\.yaml: ENOENT/);
});
