/**
 * End to end through the real server on port 0: push over HTTP, then every read endpoint, checked
 * against what Loki answers for the same requests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

let srv: RunningServer;
// Timestamps inside the last hour so Loki's default limits (reject_old_samples) accept them.
const base = BigInt(Date.now() - 30 * 60_000) * 1_000_000n;
const ns = (offsetMs: number, extraNs = 0n) => (base + BigInt(offsetMs) * 1_000_000n + extraNs).toString();

async function push(body: unknown, headers: Record<string, string> = {}) {
  return fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function get(path: string, params: Record<string, string | string[]> = {}, headers: Record<string, string> = {}) {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.searchParams.append(k, x);
  const res = await fetch(u, { headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

before(async () => {
  srv = await startServer();
  const res = await push({
    streams: [
      {
        stream: { job: 'api', env: 'prod' },
        values: [
          [ns(1, 123n), 'level=info msg="started" user=alice'],
          [ns(2), 'level=error msg="payment declined" user=bob status=502', { trace_id: 'abc123' }],
          [ns(3), '{"level":"warn","msg":"slow","duration":"1.5s","user":"carol"}'],
        ],
      },
      { stream: { job: 'web', env: 'prod' }, values: [[ns(4), 'GET /index.html 200']] },
      { stream: { job: 'web', env: 'dev' }, values: [[ns(5), 'GET /health 200']] },
    ],
  });
  assert.equal(res.status, 204, await res.text());
});

after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

const range = () => ({ start: ns(-1000), end: ns(10_000) });

test('query_range returns entries newest first with exact nanosecond timestamps', async () => {
  const r = await get('/loki/api/v1/query_range', { query: '{job="api"}', ...range() });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'success');
  assert.equal(r.json.data.resultType, 'streams');
  const values = r.json.data.result.flatMap((s: any) => s.values);
  assert.equal(values.length, 3);
  const tss = values.map((v: any) => v[0]).sort();
  assert.deepEqual(tss, [ns(1, 123n), ns(2), ns(3)]);
  assert.ok(r.json.data.stats.summary.totalLinesProcessed >= 3);
});

test('structured metadata joins the stream labels by default and is categorised on request', async () => {
  const plain = await get('/loki/api/v1/query_range', { query: '{job="api"} |= "declined"', ...range() });
  assert.equal(plain.json.data.result.length, 1);
  // Loki 3 adds service_name at ingest and detected_level (here from the logfmt level) as structured metadata.
  assert.deepEqual(plain.json.data.result[0].stream, { job: 'api', env: 'prod', service_name: 'api', trace_id: 'abc123', detected_level: 'error' });
  assert.deepEqual(plain.json.data.result[0].values, [[ns(2), 'level=error msg="payment declined" user=bob status=502']]);

  const cat = await get('/loki/api/v1/query_range', { query: '{job="api"} |= "declined" | logfmt', ...range() }, { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' });
  assert.equal(cat.status, 200, cat.text);
  assert.deepEqual(cat.json.data.encodingFlags, ['categorize-labels']);
  const s = cat.json.data.result[0];
  assert.deepEqual(s.stream, { job: 'api', env: 'prod', service_name: 'api' });
  const [ts, line, extra] = s.values[0];
  assert.equal(ts, ns(2));
  assert.match(line, /payment declined/);
  assert.deepEqual(extra.structuredMetadata, { trace_id: 'abc123', detected_level: 'error' });
  assert.equal(extra.parsed.level, 'error');
  assert.equal(extra.parsed.user, 'bob');
});

test('direction, limit and the log pipeline', async () => {
  const fwd = await get('/loki/api/v1/query_range', { query: '{env="prod"}', direction: 'forward', limit: '2', ...range() });
  const vals = fwd.json.data.result.flatMap((s: any) => s.values.map((v: any) => v[0])).sort();
  assert.deepEqual(vals, [ns(1, 123n), ns(2)]);

  const bwd = await get('/loki/api/v1/query_range', { query: '{env="prod"}', limit: '1', ...range() });
  assert.deepEqual(bwd.json.data.result.flatMap((s: any) => s.values.map((v: any) => v[0])), [ns(4)]);

  const json = await get('/loki/api/v1/query_range', { query: '{job="api"} | json | duration > 1s | line_format "{{.user}} was {{.level | ToUpper}}"', ...range() });
  assert.equal(json.status, 200, json.text);
  const lines = json.json.data.result.flatMap((s: any) => s.values.map((v: any) => v[1]));
  assert.deepEqual(lines, ['carol was WARN']);

  const re = await get('/loki/api/v1/query_range', { query: '{job=~"api|web", env!="dev"} |~ "(?i)GET|DECLINED" != "health"', ...range() });
  const got = re.json.data.result.flatMap((s: any) => s.values.map((v: any) => v[1])).sort();
  assert.deepEqual(got, ['GET /index.html 200', 'level=error msg="payment declined" user=bob status=502']);
});

test('errors: parse errors carry line and column, bad parameters name the parameter', async () => {
  const bad = await get('/loki/api/v1/query_range', { query: '{job="api"} |= ', ...range() });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /parse error at line 1, col \d+/);

  const badStart = await get('/loki/api/v1/query_range', { query: '{job="api"}', start: 'yesterday' });
  assert.equal(badStart.status, 400);
  assert.match(badStart.text, /start/);

  const inverted = await get('/loki/api/v1/query_range', { query: '{job="api"}', start: ns(10), end: ns(1) });
  assert.equal(inverted.status, 400);

  const tooMany = await get('/loki/api/v1/query_range', { query: '{job="api"}', limit: '100000', ...range() });
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.text, /max_entries_limit_per_query/);

  const noMatchers = await get('/loki/api/v1/query_range', { query: '{job=~".*"}', ...range() });
  assert.equal(noMatchers.status, 400);

  const unknown = await get('/loki/api/v1/nope');
  assert.equal(unknown.status, 404);
});

test('labels, label values (with query), series and index stats', async () => {
  const labels = await get('/loki/api/v1/labels', range());
  assert.deepEqual(labels.json, { status: 'success', data: ['env', 'job', 'service_name'] });

  const values = await get('/loki/api/v1/label/job/values', range());
  assert.deepEqual(values.json.data, ['api', 'web']);

  const filtered = await get('/loki/api/v1/label/env/values', { ...range(), query: '{job="web"}' });
  assert.deepEqual(filtered.json.data, ['dev', 'prod']);
  const filtered2 = await get('/loki/api/v1/label/job/values', { ...range(), query: '{env="dev"}' });
  assert.deepEqual(filtered2.json.data, ['web']);

  const series = await get('/loki/api/v1/series', { 'match[]': ['{job="web"}', '{job="api"}'], ...range() });
  assert.equal(series.json.status, 'success');
  const sets = series.json.data.map((s: any) => JSON.stringify(s)).sort();
  assert.deepEqual(sets, [
    JSON.stringify({ env: 'dev', job: 'web', service_name: 'web' }),
    JSON.stringify({ env: 'prod', job: 'api', service_name: 'api' }),
    JSON.stringify({ env: 'prod', job: 'web', service_name: 'web' }),
  ]);

  const stats = await get('/loki/api/v1/index/stats', { query: '{env="prod"}', ...range() });
  assert.equal(stats.json.streams, 2);
  assert.equal(stats.json.entries, 4);
  assert.ok(stats.json.bytes > 0);
});

test('index volume groups bytes by the selector labels or targetLabels', async () => {
  const v = await get('/loki/api/v1/index/volume', { query: '{env=~".+"}', ...range() });
  assert.equal(v.status, 200, v.text);
  assert.equal(v.json.data.resultType, 'vector');
  const byEnv = Object.fromEntries(v.json.data.result.map((r: any) => [r.metric.env, Number(r.value[1])]));
  assert.deepEqual(Object.keys(byEnv).sort(), ['dev', 'prod']);
  assert.equal(byEnv.dev, 'GET /health 200'.length);

  const t = await get('/loki/api/v1/index/volume', { query: '{env=~".+"}', targetLabels: 'job', ...range() });
  const byJob = Object.fromEntries(t.json.data.result.map((r: any) => [r.metric.job, Number(r.value[1])]));
  assert.equal(byJob.web, 'GET /health 200'.length + 'GET /index.html 200'.length);

  const vr = await get('/loki/api/v1/index/volume_range', { query: '{job="web"}', step: '60', ...range() });
  assert.equal(vr.json.data.resultType, 'matrix');
  assert.ok(vr.json.data.result[0].values.length >= 1);
});

test('format_query, buildinfo, ready and metrics', async () => {
  const f = await get('/loki/api/v1/format_query', { query: '{job="api"}|="x"|json' });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.json.data, '{job="api"} |= "x" | json');
  const b = await get('/loki/api/v1/status/buildinfo');
  assert.match(b.json.version, /^\d+\.\d+\.\d+/);
  const ready = await get('/ready');
  assert.equal(ready.status, 200);
  const m = await get('/metrics');
  assert.match(m.text, /logwharf_request_duration_seconds_bucket/);
  assert.match(m.text, /logwharf_process_cpu_seconds_total/);
});

test('POST form bodies are accepted like query strings', async () => {
  const body = new URLSearchParams({ query: '{job="web"}', ...range() });
  const res = await fetch(srv.url + '/loki/api/v1/query_range', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  assert.equal(res.status, 200);
  const j = (await res.json()) as any;
  assert.equal(j.data.result.flatMap((s: any) => s.values).length, 2);
});
