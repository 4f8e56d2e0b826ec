/**
 * Multi-tenant queries (issue #11; Loki's `X-Scope-OrgID: a|b`) against the real server, with real
 * pushes to two tenants: merged log queries (order, limit, the `__tenant_id__` label), metric
 * queries grouped by tenant, the `__tenant_id__` matcher, labels and series, max_query_series over
 * the merged result, the routes that refuse several tenants, gateway mode without the flag, tokens,
 * and the CLI's `--org-id 'a|b'`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { waitFor } from '../helpers/wait-for.js';

// Inside the last hour, so the default reject_old_samples accepts them; 1 ms apart, interleaved.
const BASE_MS = Date.now() - 10 * 60_000;
const ns = (ms: number) => `${BigInt(BASE_MS + ms) * 1_000_000n}`;

async function push(url: string, tenant: string, streams: unknown[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant, ...headers },
    body: JSON.stringify({ streams }),
  });
}

/** Tenant a: job=x at +1, +3 ms. Tenant b: job=x at +2, +4 ms and job=y at +5 ms. */
async function pushTwoTenants(url: string, headers: (tenant: string) => Record<string, string> = () => ({})): Promise<void> {
  const a = await push(url, 'a', [{ stream: { job: 'x' }, values: [[ns(1), 'a1'], [ns(3), 'a2']] }], headers('a'));
  assert.equal(a.status, 204, await a.text());
  const b = await push(url, 'b', [
    { stream: { job: 'x' }, values: [[ns(2), 'b1'], [ns(4), 'b2']] },
    { stream: { job: 'y' }, values: [[ns(5), 'b3']] },
  ], headers('b'));
  assert.equal(b.status, 204, await b.text());
}

async function get(url: string, path: string, orgId: string, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const u = new URL(url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u, { headers: { 'X-Scope-OrgID': orgId, ...headers } });
  const text = await res.text();
  return { status: res.status, text, json: res.status === 200 ? (JSON.parse(text) as any) : undefined };
}

const WINDOW = { start: ns(-60_000), end: ns(60_000) };

/** Entries of a streams result as `line@tenant`, in the order the response lists them by time. */
function entries(body: any, direction: 'forward' | 'backward'): string[] {
  const all: Array<[bigint, string]> = [];
  for (const s of body.data.result) for (const [ts, line] of s.values) all.push([BigInt(ts), `${line}@${s.stream.__tenant_id__}`]);
  all.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0) * (direction === 'forward' ? 1 : -1));
  return all.map(([, l]) => l);
}

async function gatewayServer(flag: boolean, extra: Record<string, unknown> = {}): Promise<RunningServer> {
  return startServer({ auth_enabled: true, query: { multi_tenant_queries_enabled: flag }, ...extra });
}

test('a|b log queries merge both tenants: order and limit over the merged result, every stream labelled __tenant_id__', async (t) => {
  const s = await gatewayServer(true);
  t.after(async () => (await s.close(), removeDir(s.dir)));
  await pushTwoTenants(s.url);

  const back = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', limit: '3', direction: 'backward', ...WINDOW });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(entries(back.json, 'backward'), ['b2@b', 'a2@a', 'b1@b'], 'the 3 newest across both tenants');
  for (const st of back.json.data.result) assert.ok(['a', 'b'].includes(st.stream.__tenant_id__), JSON.stringify(st.stream));
  assert.equal(back.json.data.stats.summary.totalEntriesReturned, 3);

  const fwd = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', limit: '3', direction: 'forward', ...WINDOW });
  assert.deepEqual(entries(fwd.json, 'forward'), ['a1@a', 'b1@b', 'a2@a'], 'the 3 oldest across both tenants');

  // The matcher chooses tenants and is not a stream matcher: alone, it selects all of a tenant.
  const onlyA = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{__tenant_id__="a"}', ...WINDOW });
  assert.deepEqual(entries(onlyA.json, 'forward'), ['a1@a', 'a2@a']);
  const notA = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job=~".+", __tenant_id__!="a"} |= "b"', ...WINDOW });
  assert.deepEqual(entries(notA.json, 'forward'), ['b1@b', 'b2@b', 'b3@b']);
  const none = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{__tenant_id__="c"}', ...WINDOW });
  assert.deepEqual(none.json.data.result, [], 'a tenant outside the header is never read');

  // One tenant (or a duplicate) is an ordinary query: no __tenant_id__ label, as in Loki.
  for (const orgId of ['a', 'a|a']) {
    const single = await get(s.url, '/loki/api/v1/query_range', orgId, { query: '{job="x"}', ...WINDOW });
    assert.deepEqual(single.json.data.result.map((st: any) => [st.stream.job, st.stream.__tenant_id__]), [['x', undefined]], orgId);
  }
  // Grafana's categorize-labels form keeps the tenant among the stream labels.
  const grafana = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', ...WINDOW }, { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' });
  assert.deepEqual(grafana.json.data.result.map((st: any) => st.stream.__tenant_id__).sort(), ['a', 'b']);
});

test('a|b metric queries: sum by (__tenant_id__), per-series tenant labels, max_query_series over the merged result', async (t) => {
  // On the calling thread (workers: 0), where the view itself reads blocks and their stats; the
  // log query test above runs on the worker pool.
  const s = await gatewayServer(true, { limits: { max_query_series: 2 }, query: { multi_tenant_queries_enabled: true, workers: 0 } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  await pushTwoTenants(s.url);
  const at = { time: ns(30_000) };

  const byTenant = await get(s.url, '/loki/api/v1/query', 'a|b', { query: 'sum by (__tenant_id__) (count_over_time({job=~".+"}[1h]))', ...at });
  assert.equal(byTenant.status, 200, byTenant.text);
  const counts = Object.fromEntries(byTenant.json.data.result.map((r: any) => [r.metric.__tenant_id__, r.value[1]]));
  assert.deepEqual(counts, { a: '2', b: '3' });

  const range = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: 'count_over_time({job="x"}[1h])', step: '60', ...WINDOW });
  assert.equal(range.status, 200, range.text);
  assert.equal(range.json.data.resultType, 'matrix');
  assert.deepEqual(range.json.data.result.map((r: any) => `${r.metric.__tenant_id__}/${r.metric.job}`).sort(), ['a/x', 'b/x']);

  // a has 1 stream, b has 2: each tenant alone fits max_query_series (2), the merged 3 series do not.
  const q = 'count_over_time({job=~".+"}[1h])';
  assert.equal((await get(s.url, '/loki/api/v1/query', 'b', { query: q, ...at })).status, 200);
  const merged = await get(s.url, '/loki/api/v1/query', 'a|b', { query: q, ...at });
  assert.equal(merged.status, 400, merged.text);
  assert.match(merged.text, /series/);
  const narrowed = await get(s.url, '/loki/api/v1/query', 'a|b', { query: 'count_over_time({__tenant_id__="a"}[1h])', ...at });
  assert.deepEqual(narrowed.json.data.result.map((r: any) => `${r.metric.__tenant_id__}/${r.metric.job}`), ['a/x']);
});

test('a|b labels, label values and series carry __tenant_id__; other routes answer 400 naming themselves', async (t) => {
  const s = await gatewayServer(true);
  t.after(async () => (await s.close(), removeDir(s.dir)));
  await pushTwoTenants(s.url);

  const names = (await get(s.url, '/loki/api/v1/labels', 'a|b', WINDOW)).json.data as string[];
  assert.ok(names.includes('__tenant_id__') && names.includes('job'), names.join());
  assert.ok(!(await get(s.url, '/loki/api/v1/labels', 'a', WINDOW)).json.data.includes('__tenant_id__'));
  assert.deepEqual((await get(s.url, '/loki/api/v1/label/__tenant_id__/values', 'a|b', WINDOW)).json.data, ['a', 'b']);
  assert.deepEqual((await get(s.url, '/loki/api/v1/label/job/values', 'a|b', WINDOW)).json.data, ['x', 'y']);
  assert.deepEqual((await get(s.url, '/loki/api/v1/label/job/values', 'a|b', { ...WINDOW, query: '{__tenant_id__="a"}' })).json.data, ['x']);
  const series = await get(s.url, '/loki/api/v1/series', 'a|b', { ...WINDOW, 'match[]': '{job=~"x|y"}' });
  assert.deepEqual(
    series.json.data.map((l: any) => `${l.__tenant_id__}/${l.job}`).sort(),
    ['a/x', 'b/x', 'b/y'],
  );

  // Writes, the tail and the single-tenant reads refuse several tenants, naming the route.
  const pushed = await push(s.url, 'a|b', [{ stream: { job: 'x' }, values: [[ns(6), 'both?']] }]);
  assert.equal(pushed.status, 400);
  assert.match(await pushed.text(), /\/loki\/api\/v1\/push does not support multi-tenant requests/);
  const stats = await get(s.url, '/loki/api/v1/index/stats', 'a|b', { ...WINDOW, query: '{job="x"}' });
  assert.equal(stats.status, 400);
  assert.match(stats.text, /\/loki\/api\/v1\/index\/stats does not support multi-tenant requests/);
  const tail = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{job="x"}')}`, { headers: { 'X-Scope-OrgID': 'a|b' } });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    ws.once('open', () => (ws.close(), reject(new Error('the tail accepted two tenants'))));
    ws.once('error', () => undefined);
  });
  assert.match(tail, /^400 \/loki\/api\/v1\/tail does not support multi-tenant requests/);
  const empty = await get(s.url, '/loki/api/v1/query_range', 'a||b', { query: '{job="x"}', ...WINDOW });
  assert.equal(empty.status, 400);
  assert.match(empty.text, /empty tenant/);
  // Nothing was written anywhere by the refused push.
  const after = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"} |= "both?"', ...WINDOW });
  assert.deepEqual(after.json.data.result, []);
});

test('gateway mode without query.multi_tenant_queries_enabled answers a|b with 400; without auth the header names no tenant', async (t) => {
  const off = await gatewayServer(false);
  t.after(async () => (await off.close(), removeDir(off.dir)));
  await pushTwoTenants(off.url);
  const r = await get(off.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', ...WINDOW });
  assert.equal(r.status, 400);
  assert.match(r.text, /multi_tenant_queries_enabled/);
  assert.equal((await get(off.url, '/loki/api/v1/query_range', 'a', { query: '{job="x"}', ...WINDOW })).status, 200);

  const noAuth = await startServer();
  t.after(async () => (await noAuth.close(), removeDir(noAuth.dir)));
  assert.equal((await push(noAuth.url, 'a|b', [{ stream: { job: 'x' }, values: [[ns(1), 'to fake']] }])).status, 204);
  const fake = await get(noAuth.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', ...WINDOW });
  assert.deepEqual(fake.json.data.result.map((st: any) => [st.stream.job, st.stream.__tenant_id__]), [['x', undefined]], 'one tenant, "fake", and no __tenant_id__');
});

test('with tokens, a|b needs a token holding both tenants (403 otherwise, whatever exists); the CLI sends --org-id a|b as is', async (t) => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, [
    { role: 'write', tenants: ['a', 'b'] },
    { role: 'read', tenants: ['a'] },
    { role: 'read', tenants: ['a', 'b'] },
  ]);
  // Log queries on the calling thread here (the first test runs them on the worker pool).
  const s = await startServer({ data: dir, auth: { tokens_enabled: true }, query: { workers: 0 } });
  t.after(async () => (await s.close(), removeDir(dir)));
  const writer = tokens.secret('write', 'a', 'b');
  await pushTwoTenants(s.url, () => ({ Authorization: `Bearer ${writer}` }));
  const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

  const both = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', ...WINDOW }, bearer(tokens.secret('read', 'a', 'b')));
  assert.equal(both.status, 200, both.text);
  assert.deepEqual(entries(both.json, 'forward'), ['a1@a', 'b1@b', 'a2@a', 'b2@b']);

  const onlyA = tokens.secret('read', 'a');
  const refused = await get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', ...WINDOW }, bearer(onlyA));
  assert.equal(refused.status, 403);
  assert.doesNotMatch(refused.text, /b1|b2/);
  const unknown = await get(s.url, '/loki/api/v1/query_range', 'a|no-such-tenant', { query: '{job="x"}', ...WINDOW }, bearer(onlyA));
  assert.equal(unknown.status, 403);
  assert.equal(unknown.text, refused.text, 'the same answer whether the other tenant exists or not');
  const pushed = await push(s.url, 'a|b', [{ stream: { job: 'x' }, values: [[ns(6), 'both?']] }], bearer(writer));
  assert.equal(pushed.status, 400);
  assert.match(await pushed.text(), /push does not support multi-tenant requests/);

  // logcli's flag: the header goes as given, and the output shows each stream's tenant.
  const cli = await runCli(['query', '--addr', s.url, '--org-id', 'a|b', '--bearer-token', tokens.secret('read', 'a', 'b'), '{job="x"}', '--since', '1h', '--output', 'jsonl']);
  assert.equal(cli.code, 0, cli.stderr);
  const rows = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: string; labels: Record<string, string> });
  assert.deepEqual(rows.map((r) => `${r.line}@${r.labels.__tenant_id__}`).sort(), ['a1@a', 'a2@a', 'b1@b', 'b2@b']);
  const cliRefused = await runCli(['query', '--addr', s.url, '--org-id', 'a|b', '--bearer-token', onlyA, '{job="x"}', '--since', '1h']);
  assert.notEqual(cliRefused.code, 0);
  assert.match(cliRefused.stderr, /403|forbidden/);
});

test('a|b over a damaged block of the second tenant: the rest with a warning, and that block quarantined (stream ids map back)', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  // a and b each get their stream 1; b's first block is damaged. In the a|b view b's stream has
  // another id than in the store, so quarantining it proves the reference was mapped back.
  const lines = (tenant: string, from: number) => Array.from({ length: 50 }, (_, i) => [ns(from + i), `${tenant} ${from + i}`]);
  for (const [tenant, from] of [['a', 0], ['b', 100], ['b', 200]] as const) {
    const srv = await gatewayServer(true, { data: dir });
    assert.equal((await push(srv.url, tenant, [{ stream: { job: 'x' }, values: lines(tenant, from) }])).status, 204);
    await srv.close(); // a clean shutdown seals a block
  }
  const tenantsDir = join(dir, 'tenants');
  const bDir = readdirSync(tenantsDir).find((d) => readFileSync(join(tenantsDir, d, 'tenant'), 'utf8') === 'b')!;
  const seg = join(tenantsDir, bDir, 'blocks', readdirSync(join(tenantsDir, bDir, 'blocks')).sort()[0]!);
  // Inside the first block's payload (its 40-byte header comes first).
  const bytes = readFileSync(seg).subarray(60, 76);
  const fd = openSync(seg, 'r+');
  writeSync(fd, Buffer.from(bytes.map((x) => x ^ 0xff)), 0, bytes.length, 60);
  closeSync(fd);

  // No compaction meanwhile: it would find and quarantine the block itself.
  const s = await gatewayServer(true, { data: dir, storage: { compaction_interval: '24h' } });
  t.after(() => s.close());
  const q = () => get(s.url, '/loki/api/v1/query_range', 'a|b', { query: '{job="x"}', limit: '1000', ...WINDOW });
  const first = await q();
  assert.equal(first.status, 200, first.text);
  const got = entries(first.json, 'forward');
  assert.equal(got.length, 100);
  assert.ok(got.every((l) => /^a \d+@a$/.test(l) || /^b 2\d\d@b$/.test(l)), 'a whole, b without its damaged block');
  assert.match(first.json.warnings?.[0] ?? '', /1 damaged block\(s\) skipped/);
  // The block leaves the index first, then its copy and report land in the quarantine.
  await waitFor('the damaged block quarantined', () => existsSync(join(dir, 'quarantine')) && readdirSync(join(dir, 'quarantine')).some((f) => f.endsWith('.json')));
  const after = await q();
  assert.equal(after.json.warnings, undefined, 'later queries no longer meet it');
  assert.equal(entries(after.json, 'forward').length, 100);
});
