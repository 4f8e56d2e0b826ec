/**
 * Grafana Logs Drilldown's endpoints end to end (issue #3 §2): a real server on port 0, lines pushed
 * over HTTP, each endpoint asked as Logs Drilldown asks it. Expectations are worked out by hand from
 * the pushed lines in the comments.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

let srv: RunningServer;
// A whole minute, twenty minutes ago, so step buckets are exact.
const t0s = Math.floor(Date.now() / 60_000) * 60 - 1200;
const ns = (s: number) => (BigInt(t0s + s) * 1_000_000_000n).toString();
const iso = (s: number) => new Date((t0s + s) * 1000).toISOString();

before(async () => {
  srv = await startServer();
  const api: Array<[string, string]> = [];
  // api: 6 logfmt lines, two shapes: "GET <path> ..." ×4 and "db slow ..." ×2.
  for (let i = 0; i < 4; i++) api.push([ns(i * 20), `level=info method=GET path=/users/${i} status=${200 + (i % 2)} duration=${10 + i}ms`]);
  for (let i = 0; i < 2; i++) api.push([ns(90 + i * 5), `level=warn msg="db slow" table=t${i} took=${i + 1}.5s`]);
  const web: Array<[string, string, Record<string, string>]> = [];
  // web: 3 JSON lines with structured metadata.
  for (let i = 0; i < 3; i++) web.push([ns(30 + i), JSON.stringify({ level: 'error', req: { method: 'POST', bytes: `${i + 1}KB` }, ok: i === 0 }), { trace_id: `tr${i}` }]);
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      streams: [
        { stream: { service_name: 'api', cluster: 'c1', pod: 'api-1' }, values: api },
        { stream: { service_name: 'web', cluster: 'c1', pod: 'web-1', pid: '4242' }, values: web },
        { stream: { service_name: 'web', cluster: 'c1', pod: 'web-2', pid: '4343' }, values: [[ns(40), 'plain words only']] },
        // worker: JSON lines with a message, and aligned spacing.
        {
          stream: { service_name: 'worker' },
          values: [
            [ns(1), JSON.stringify({ level: 'info', msg: 'job alpha done', n: 1 })],
            [ns(2), JSON.stringify({ level: 'info', msg: 'job beta done', n: 2 })],
            [ns(3), 'INFO  [main] started  worker 1'],
            [ns(4), 'INFO  [main] started  worker 2'],
          ],
        },
      ],
    }),
  });
  assert.equal(res.status, 204, await res.text());
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

async function get(path: string, params: Record<string, string> = {}) {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  const text = await res.text();
  return { status: res.status, text, json: res.status === 200 ? JSON.parse(text) : undefined };
}

const range = { start: iso(-60), end: iso(600) };

test('detected_labels: cardinality per stream label; id-like pid dropped; empty query means every stream', async () => {
  const r = await get('/loki/api/v1/detected_labels', { ...range, query: '' });
  assert.equal(r.status, 200, r.text);
  // cluster {c1} (kept: a static label), pod {api-1, web-1, web-2}, service_name {api, web, worker};
  // pid {4242, 4343} is all numbers → dropped as Loki does.
  assert.deepEqual(r.json, {
    detectedLabels: [
      { label: 'cluster', cardinality: 1 },
      { label: 'pod', cardinality: 3 },
      { label: 'service_name', cardinality: 3 },
    ],
  });
  const web = await get('/loki/api/v1/detected_labels', { ...range, query: '{service_name="web"}' });
  assert.deepEqual(web.json.detectedLabels.find((l: any) => l.label === 'pod'), { label: 'pod', cardinality: 2 });
});

test('detected_fields: logfmt fields with types and cardinality', async () => {
  const r = await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="api"}' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.limit, 1000);
  const f = Object.fromEntries(r.json.fields.map((x: any) => [x.label, x]));
  // level {info, warn}; status {200, 201}; duration {10ms..13ms}; path 4 values; took {1.5s, 2.5s}.
  assert.deepEqual(f.level, { label: 'level', type: 'string', cardinality: 2, parsers: ['logfmt'] });
  assert.deepEqual(f.status, { label: 'status', type: 'int', cardinality: 2, parsers: ['logfmt'] });
  assert.deepEqual(f.duration, { label: 'duration', type: 'duration', cardinality: 4, parsers: ['logfmt'] });
  assert.equal(f.path.cardinality, 4);
  assert.equal(f.took.type, 'duration');
  assert.equal(f.msg.cardinality, 1);
  // The query Logs Drilldown sends once a parser is known: the same fields, not doubled.
  const parsed = await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="api"} | json | logfmt | drop __error__, __error_details__' });
  assert.equal(parsed.status, 200, parsed.text);
  assert.deepEqual(parsed.json.fields, r.json.fields);
});

test('detected_fields: JSON fields with jsonPath, structured metadata with parsers null, line_limit', async () => {
  const r = await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="web"}' });
  assert.equal(r.status, 200, r.text);
  const f = Object.fromEntries(r.json.fields.map((x: any) => [x.label, x]));
  assert.deepEqual(f.req_bytes, { label: 'req_bytes', type: 'bytes', cardinality: 3, parsers: ['json'], jsonPath: ['req', 'bytes'] });
  assert.deepEqual(f.trace_id, { label: 'trace_id', type: 'string', cardinality: 3, parsers: null });
  // detected_level, added at ingest: "error" from the JSON lines' level, "unknown" for the plain line.
  assert.deepEqual(f.detected_level, { label: 'detected_level', type: 'string', cardinality: 2, parsers: null });
  assert.equal(f.ok.type, 'boolean');
  // The newest line only ("plain words only", at +40 s): no fields parsed from it, only its detected_level.
  const one = await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="web"}', line_limit: '1' });
  assert.deepEqual(one.json.fields, [{ label: 'detected_level', type: 'string', cardinality: 1, parsers: null }]);
  const level = await get('/loki/api/v1/detected_field/detected_level/values', { ...range, query: '{service_name="web"}', line_limit: '1' });
  assert.deepEqual(level.json.values, ['unknown']);
  const limited = await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="web"}', limit: '2' });
  assert.equal(limited.json.fields.length, 2);
  assert.equal(limited.json.limit, 2);
});

test('detected_fields: errors answer 400', async () => {
  assert.equal((await get('/loki/api/v1/detected_fields', { ...range, query: '' })).status, 400);
  assert.equal((await get('/loki/api/v1/detected_fields', { ...range, query: 'count_over_time({a="b"}[1m])' })).status, 400);
  assert.equal((await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="api"}', line_limit: '0' })).status, 400);
  assert.equal((await get('/loki/api/v1/detected_fields', { ...range, query: '{service_name="api"}', line_limit: '999999' })).status, 400);
});

test('detected_field/<name>/values: distinct values, sorted; the query pipeline applies', async () => {
  const r = await get('/loki/api/v1/detected_field/level/values', { ...range, query: '{service_name="api"}' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { values: ['info', 'warn'], limit: 1000 });
  const filtered = await get('/loki/api/v1/detected_field/status/values', { ...range, query: '{service_name="api"} |= "GET" | logfmt | status > 200' });
  assert.deepEqual(filtered.json.values, ['201']);
  const none = await get('/loki/api/v1/detected_field/nope/values', { ...range, query: '{service_name="api"}' });
  assert.deepEqual(none.json.values, []);
});

test('patterns: Drain patterns with counts per step bucket', async () => {
  const r = await get('/loki/api/v1/patterns', { ...range, query: '{service_name="api"}', step: '60s' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'success');
  // GET lines at +0, +20, +40, +60 s: buckets t0 (3) and t0+60 (1). db slow at +90, +95: bucket t0+60 (2).
  // Each pattern carries its lines' detected_level (from the logfmt level), as Loki 3.5 answers.
  assert.deepEqual(r.json.data, [
    { level: 'info', pattern: 'level=info method=GET path=<_> status=<_> duration=<_>', samples: [[t0s, 3], [t0s + 60, 1]] },
    { level: 'warn', pattern: 'level=warn msg="db slow" table=<_> took=<_>', samples: [[t0s + 60, 2]] },
  ]);
  // Logs Drilldown filters with a pattern as `|> "<pattern>"`: each must match exactly its lines.
  for (const p of r.json.data) {
    const total = p.samples.reduce((n: number, s: [number, number]) => n + s[1], 0);
    const lines = await get('/loki/api/v1/query_range', { ...range, query: `{service_name="api"} |> \`${p.pattern}\``, limit: '100' });
    assert.equal(lines.status, 200, lines.text);
    const n = lines.json.data.result.reduce((k: number, st: any) => k + st.values.length, 0);
    assert.equal(n, total, p.pattern);
  }
  // JSON lines are mined on their message; spacing is kept. Both still filter their own lines.
  const w = await get('/loki/api/v1/patterns', { ...range, query: '{service_name="worker"}', step: '60s' });
  assert.deepEqual(w.json.data.map((p: any) => p.pattern).sort(), ['<_>job <_> done<_>', 'INFO  [main] started  worker <_>'].sort());
  for (const p of w.json.data) {
    const lines = await get('/loki/api/v1/query_range', { ...range, query: `{service_name="worker"} |> \`${p.pattern}\``, limit: '100' });
    assert.equal(lines.json.data.result.reduce((k: number, st: any) => k + st.values.length, 0), 2, p.pattern);
  }
  const empty = await get('/loki/api/v1/patterns', { ...range, query: '{service_name="nope"}' });
  assert.deepEqual(empty.json, { status: 'success', data: [] });
});

test('drilldown-limits: Loki shape', async () => {
  const r = await get('/loki/api/v1/drilldown-limits');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.pattern_ingester_enabled, true);
  assert.equal(typeof r.json.version, 'string');
  for (const k of ['discover_log_levels', 'discover_service_name', 'log_level_fields', 'max_entries_limit_per_query', 'max_query_series', 'query_timeout', 'retention_period', 'volume_enabled']) {
    assert.ok(k in r.json.limits, k);
  }
  assert.equal(r.json.limits.max_entries_limit_per_query, 5000);
  assert.equal(r.json.limits.query_timeout, '1m');
});
