/**
 * Metric queries end to end (issue #3): what Grafana sends first — the data source health check and
 * a log-volume style aggregation — with expectations worked out by hand in the comments.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

let srv: RunningServer;
// A whole second ten minutes ago, so sample times are exact integers of seconds.
// A whole minute: range queries are evaluated at multiples of their step, as in Loki.
const t0s = Math.floor(Date.now() / 60_000) * 60 - 600;
const ns = (s: number) => (BigInt(t0s + s) * 1_000_000_000n).toString();

before(async () => {
  srv = await startServer();
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      streams: [
        { stream: { job: 'm', level: 'error' }, values: [[ns(0), 'e0 took=1s'], [ns(10), 'e1 took=2s'], [ns(20), 'e2 took=6s']] },
        { stream: { job: 'm', level: 'info' }, values: [[ns(5), 'i0 took=100ms'], [ns(15), 'i1 took=x']] },
      ],
    }),
  });
  assert.equal(res.status, 204, await res.text());
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

async function q(path: string, params: Record<string, string>) {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  const text = await res.text();
  return { status: res.status, text, json: res.status === 200 ? JSON.parse(text) : undefined };
}

test('Grafana health check: instant vector(1)+vector(1) is a vector with value "2"', async () => {
  const r = await q('/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: ns(30) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'success');
  assert.equal(r.json.data.resultType, 'vector');
  assert.equal(r.json.data.result.length, 1);
  assert.deepEqual(r.json.data.result[0].metric, {});
  assert.equal(r.json.data.result[0].value[1], '2');
  assert.equal(r.json.data.result[0].value[0], t0s + 30);
});

test('instant count_over_time per stream and summed by level', async () => {
  // Window (t0-30s, t0+30s]: error has entries at 0, 10, 20 → 3; info at 5, 15 → 2.
  const r = await q('/loki/api/v1/query', { query: 'count_over_time({job="m"}[1m])', time: ns(30) });
  assert.equal(r.status, 200, r.text);
  const byLevel = Object.fromEntries(r.json.data.result.map((s: any) => [s.metric.level, s.value[1]]));
  assert.deepEqual(byLevel, { error: '3', info: '2' });

  // rate = count / 60 s: error 3/60 = 0.05; info 2/60.
  const rate = await q('/loki/api/v1/query', { query: 'sum by (level) (rate({job="m"}[1m]))', time: ns(30) });
  const rates = Object.fromEntries(rate.json.data.result.map((s: any) => [s.metric.level, Number(s.value[1])]));
  assert.equal(rates.error, 0.05);
  assert.ok(Math.abs(rates.info - 2 / 60) < 1e-12);
});

test('range query: left-open windows at each step', async () => {
  // [10s] windows: at t0+10: (t0, t0+10] holds 5 (info) and 10 (error) → 2 (the entry at t0 is out);
  // at t0+20: (t0+10, t0+20] holds 15 and 20 → 2.
  const r = await q('/loki/api/v1/query_range', { query: 'sum(count_over_time({job="m"}[10s]))', start: ns(10), end: ns(20), step: '10' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.resultType, 'matrix');
  assert.equal(r.json.data.result.length, 1);
  assert.deepEqual(r.json.data.result[0].values, [
    [t0s + 10, '2'],
    [t0s + 20, '2'],
  ]);
});

test('unwrap with duration() and a post-filter on conversion errors', async () => {
  // logfmt took: error 1s, 2s, 6s → max 6; info 0.1s and "x" (a SampleExtractionErr, filtered out) → 0.1.
  const r = await q('/loki/api/v1/query', {
    query: 'max_over_time({job="m"} | logfmt | unwrap duration(took) | __error__="" [1m]) by (level)',
    time: ns(30),
  });
  assert.equal(r.status, 200, r.text);
  const byLevel = Object.fromEntries(r.json.data.result.map((s: any) => [s.metric.level, Number(s.value[1])]));
  assert.deepEqual(byLevel, { error: 6, info: 0.1 });
});

test('log volume as Grafana asks for it', async () => {
  const r = await q('/loki/api/v1/query_range', {
    query: 'sum by (level, detected_level) (count_over_time({job="m"} | drop __error__ [10s]))',
    start: ns(10),
    end: ns(20),
    step: '10',
  });
  assert.equal(r.status, 200, r.text);
  const series = Object.fromEntries(r.json.data.result.map((s: any) => [s.metric.level, s.values]));
  // error: (0,10] → 1 (at 10); (10,20] → 1 (at 20). info: (0,10] → 1 (at 5); (10,20] → 1 (at 15).
  assert.deepEqual(series.error, [[t0s + 10, '1'], [t0s + 20, '1']]);
  assert.deepEqual(series.info, [[t0s + 10, '1'], [t0s + 20, '1']]);
  // detected_level, added at ingest from each stream's level label, groups the same way.
  assert.deepEqual(r.json.data.result.map((s: any) => s.metric).sort((a: any, b: any) => a.level.localeCompare(b.level)), [
    { level: 'error', detected_level: 'error' },
    { level: 'info', detected_level: 'info' },
  ]);
});

test('sealed blocks give the same answers through the worker threads', async () => {
  const before = await q('/loki/api/v1/query', { query: 'sum by (level) (count_over_time({job="m"}[1m]))', time: ns(30) });
  const logsBefore = await q('/loki/api/v1/query_range', { query: '{job="m"} |= "took"', start: ns(-1), end: ns(60) });
  // Seal every head into compressed blocks on disk: queries now read files in worker threads.
  await (srv.role.store as unknown as { flush(): Promise<void> }).flush();
  const after = await q('/loki/api/v1/query', { query: 'sum by (level) (count_over_time({job="m"}[1m]))', time: ns(30) });
  assert.deepEqual(after.json.data.result, before.json.data.result);
  const logsAfter = await q('/loki/api/v1/query_range', { query: '{job="m"} |= "took"', start: ns(-1), end: ns(60) });
  assert.deepEqual(logsAfter.json.data.result, logsBefore.json.data.result);
  assert.equal(logsAfter.json.data.result.flatMap((s: any) => s.values).length, 5);
});
