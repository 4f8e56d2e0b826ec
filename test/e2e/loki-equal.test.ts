/**
 * Results equal to Loki's (issue #12), over HTTP against the real server on port 0, with the
 * expected answers worked out by hand in the comments:
 * - a metric range query is evaluated at multiples of its step (start rounded down, end up), as
 *   Loki's query frontend does; instant and log queries keep their times;
 * - `0/0` and `x/0` are NaN samples, kept and written "NaN"; overflow is "+Inf" / "-Inf";
 * - a JSON key repeated in a line gives its last value, in log and metric queries, on the heads
 *   and on sealed blocks read by the query workers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

let srv: RunningServer;
// A whole minute ten minutes ago: multiples of 20 s (and of 60 s) fall on t0 + 0, 20, 40, 60.
const t0s = Math.floor(Date.now() / 60_000) * 60 - 600;
const ns = (s: number) => (BigInt(t0s + s) * 1_000_000_000n).toString();

before(async () => {
  // No labels added at ingest (service_name, detected_level), so the answers are the pushed labels.
  srv = await startServer({ limits: { discover_service_name: [], discover_log_levels: false } });
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      streams: [
        { stream: { job: 'al' }, values: [5, 15, 25, 35, 45].map((s) => [ns(s), `line at ${s}`]) },
        {
          stream: { job: 'j' },
          values: [
            [ns(1), '{"trace_id":"a","msg":"one","trace_id":"b"}'],
            [ns(2), '{"trace_id":"c","nested":{"k":"1","k":"2"},"trace_id":"b"}'],
            [ns(3), '{"trace_id":"z"}'],
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

async function q(path: string, params: Record<string, string>) {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  const text = await res.text();
  return { status: res.status, text, json: res.status === 200 ? JSON.parse(text) : undefined };
}

test('metric range queries are evaluated at multiples of the step; instant and log queries are not moved', async () => {
  // start t0+13 → t0+0, end t0+47 → t0+60. Windows (t-20, t]: t0+0 holds nothing (no point),
  // t0+20 holds 5 and 15 → 2, t0+40 holds 25 and 35 → 2, t0+60 holds 45 → 1.
  const r = await q('/loki/api/v1/query_range', { query: 'count_over_time({job="al"}[20s])', start: ns(13), end: ns(47), step: '20s' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.data.result[0].values, [
    [t0s + 20, '2'],
    [t0s + 40, '2'],
    [t0s + 60, '1'],
  ]);
  // A step that does not divide a minute: every point is a multiple of 7 s since the epoch, the
  // first at or before the start and within a step of it.
  const odd = await q('/loki/api/v1/query_range', { query: 'sum(count_over_time({job="al"}[1m]))', start: ns(13), end: ns(47), step: '7' });
  assert.equal(odd.status, 200, odd.text);
  const times: number[] = odd.json.data.result[0].values.map((p: [number, string]) => p[0]);
  assert.ok(times.every((t) => t % 7 === 0), `multiples of 7: ${times}`);
  assert.ok(times[0]! <= t0s + 13 && times[0]! > t0s + 13 - 7, `first point ${times[0]} for start ${t0s + 13}`);
  assert.ok(times.at(-1)! >= t0s + 47 && times.at(-1)! < t0s + 47 + 7, `last point ${times.at(-1)} for end ${t0s + 47}`);
  // Instant query at t0+13: (−7, 13] holds 5 → 1, at the time asked.
  const instant = await q('/loki/api/v1/query', { query: 'count_over_time({job="al"}[20s])', time: ns(13) });
  assert.deepEqual(instant.json.data.result[0].value, [t0s + 13, '1']);
  // A log query keeps its bounds: 15, 25, 35 and 45 are in [13, 47); 5 is not.
  const logs = await q('/loki/api/v1/query_range', { query: '{job="al"}', start: ns(13), end: ns(47), step: '20s', direction: 'forward' });
  assert.deepEqual(logs.json.data.result[0].values.map((v: [string, string]) => v[1]), ['line at 15', 'line at 25', 'line at 35', 'line at 45']);
});

test('NaN samples are returned as "NaN"; division by zero is NaN as in Loki; overflow is ±Inf', async () => {
  // vector(0)/0 at t0+0, 20, 40, 60: a NaN point at every step, none dropped.
  const range = await q('/loki/api/v1/query_range', { query: 'vector(0) / 0', start: ns(0), end: ns(60), step: '20' });
  assert.equal(range.status, 200, range.text);
  assert.deepEqual(range.json.data.result, [{ metric: {}, values: [0, 20, 40, 60].map((s) => [t0s + s, 'NaN']) }]);
  const at = ns(30);
  const instant = async (query: string) => {
    const r = await q('/loki/api/v1/query', { query, time: at });
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return r.json.data;
  };
  // count_over_time over (−30, 30]: 5, 15, 25 → 3; 3/0 is NaN in Loki (not +Inf), and kept.
  assert.deepEqual((await instant('count_over_time({job="al"}[1m]) / 0')).result, [{ metric: { job: 'al' }, value: [t0s + 30, 'NaN'] }]);
  assert.deepEqual((await instant('count_over_time({job="al"}[1m]) % 0')).result, [{ metric: { job: 'al' }, value: [t0s + 30, 'NaN'] }]);
  // count() counts the NaN sample; NaN > bool 1 is 0; a NaN sample fails a filter.
  assert.deepEqual((await instant('count(vector(0) / 0)')).result, [{ metric: {}, value: [t0s + 30, '1'] }]);
  assert.deepEqual((await instant('(vector(0) / 0) > bool 1')).result, [{ metric: {}, value: [t0s + 30, '0'] }]);
  assert.deepEqual((await instant('(vector(0) / 0) > 1')).result, []);
  // Scalars: 0/0 and 1/0 are NaN; 10^400 overflows to +Inf.
  const scalar = await instant('0 / 0');
  assert.equal(scalar.resultType, 'scalar');
  assert.deepEqual(scalar.result, [t0s + 30, 'NaN']);
  assert.equal((await instant('1 / 0')).result[1], 'NaN');
  assert.equal((await instant('10 ^ 400')).result[1], '+Inf');
  assert.deepEqual((await instant('-1 * vector(10) ^ 400')).result, [{ metric: {}, value: [t0s + 30, '-Inf'] }]);
});

test('a repeated JSON key gives its last value in log and metric queries, on heads and on sealed blocks', async () => {
  const check = async (where: string) => {
    const logs = await q('/loki/api/v1/query_range', { query: '{job="j"} | json', start: ns(0), end: ns(10), direction: 'forward' });
    assert.equal(logs.status, 200, logs.text);
    const labels = logs.json.data.result.map((s: any) => s.stream).sort((a: any, b: any) => a.trace_id.localeCompare(b.trace_id));
    // Lines 1 and 2 both end with trace_id "b" (line 2's nested k is "2"); line 3 has "z".
    assert.deepEqual(labels, [
      { job: 'j', trace_id: 'b', msg: 'one' },
      { job: 'j', trace_id: 'b', nested_k: '2' },
      { job: 'j', trace_id: 'z' },
    ], where);
    const param = await q('/loki/api/v1/query_range', { query: '{job="j"} | json t="trace_id", k="nested.k"', start: ns(0), end: ns(10) });
    const ts = param.json.data.result.map((s: any) => `${s.stream.t}/${s.stream.k}`).sort();
    assert.deepEqual(ts, ['b/', 'b/2', 'z/'], where);
    // sum by trace_id over (−30, 30]: b twice, z once.
    const m = await q('/loki/api/v1/query', { query: 'sum by (trace_id) (count_over_time({job="j"} | json [1m]))', time: ns(30) });
    const by = Object.fromEntries(m.json.data.result.map((s: any) => [s.metric.trace_id, s.value[1]]));
    assert.deepEqual(by, { b: '2', z: '1' }, where);
  };
  await check('heads');
  // Sealed into compressed blocks, read by the query pool's worker threads.
  await (srv.role.store as unknown as { flush(): Promise<void> }).flush();
  await check('sealed blocks');
});
