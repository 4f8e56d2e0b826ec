/**
 * The shipper through a misbehaving front in front of the real server: 429 with Retry-After, 503,
 * dropped connections and requests that hang past the timeout are retried until every entry is
 * stored exactly once; a 400 drops its batch (counted) and later batches still flow; auth headers
 * reach the server side; a down server stops ready() once max inflight bytes are held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { removeDir, tempDir, type RunningServer } from '../helpers/server.js';
import { counts, item, metricValue, pushRequests, queryAll, shipperConfig, shipperDeps, serverWithFront, type Front } from './ship-helpers.js';

let server: RunningServer;
let front: Front;
serverWithFront((s, f) => {
  server = s;
  front = f;
});

test('429 (Retry-After), 503, dropped connections and hung requests are retried; every entry arrives once', async () => {
  const deps = shipperDeps();
  const shipper = createShipper(shipperConfig(front.url, { timeout: '300ms', batch_size: 2000, max_backoff: '2s' }), deps);
  const script: ('pass' | '429' | '503' | 'drop' | 'hang')[] = ['429', '503', 'drop', 'hang', 'pass', '503', 'pass', 'drop', 'pass', '429', 'pass', 'hang'];
  let retryAfterAt = 0;
  let retriedAt = 0;
  const base = front.seen.length;
  front.policy = (_req, n) => {
    const step = script[n - base - 1] ?? 'pass';
    if (step === '429') {
      if (retryAfterAt) retriedAt = retriedAt || Date.now();
      else retryAfterAt = Date.now();
      return { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' };
    }
    if (retryAfterAt && !retriedAt) retriedAt = Date.now();
    if (step === '503') return { status: 503, body: 'unavailable' };
    return step;
  };
  try {
    const items = [];
    for (let i = 0; i < 30; i++) items.push(item({ job: 'flaky', src: String(i % 4) }, `flaky ${i}`, 10, 20));
    const results = await Promise.all(items.map((it) => shipper.send(it)));
    for (const r of results) assert.deepEqual(r, { accepted: 10, dropped: 0 });
    assert.ok(retriedAt - retryAfterAt >= 950, `Retry-After: 1 honoured (${retriedAt - retryAfterAt} ms)`);
    const got = await queryAll(server.url, '{job="flaky"}');
    assert.equal(got.length, 300);
    for (const [line, n] of counts(got)) assert.equal(n, 1, `${line} stored once`);
    const failed = script.slice(0, front.seen.length - base).filter((s) => s !== 'pass').length;
    assert.ok(failed >= 5, `the front misbehaved ${failed} times`);
    const retries = await metricValue(deps.registry, 'logwharf_agent_retries_total');
    assert.equal(retries, failed, 'each failed attempt counted as a retry');
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_requests_total', { status: 'retry' }), retries);
  } finally {
    front.policy = () => 'pass';
    await shipper.close();
  }
});

test('400 drops that batch (counted, reason from the server); later items still flow', async () => {
  const deps = shipperDeps();
  const shipper = createShipper(shipperConfig(front.url), deps);
  let reject = true;
  front.policy = () => (reject ? { status: 400, body: 'entry too far behind for stream' } : 'pass');
  try {
    const r = await shipper.send(item({ job: 'rejected' }, 'bad', 7));
    assert.deepEqual(r, { accepted: 0, dropped: 7, reason: 'entry too far behind for stream' });
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_lines_dropped_total', { reason: 'rejected' }), 7);
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_requests_total', { status: 'rejected' }), 1);
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_retries_total'), 0, 'a 400 is not retried');
    reject = false;
    assert.deepEqual(await shipper.send(item({ job: 'rejected' }, 'good', 5)), { accepted: 5, dropped: 0 });
    const got = await queryAll(server.url, '{job="rejected"}');
    assert.deepEqual(got.map((g) => g.line), ['good 0', 'good 1', 'good 2', 'good 3', 'good 4']);
  } finally {
    front.policy = () => 'pass';
    await shipper.close();
  }
});

test('a real 400 from the server (entries too old) is dropped and counted', async () => {
  const deps = shipperDeps();
  const shipper = createShipper(shipperConfig(server.url), deps);
  const old = { streams: [{ labels: { job: 'tooold' }, entries: [{ ts: 1_000_000_000n, line: 'from 1970' }] }], lines: 1, bytes: 9 };
  const r = await shipper.send(old);
  assert.equal(r.dropped, 1);
  assert.match(r.reason ?? '', /old|reject/i);
  assert.deepEqual(await shipper.send(item({ job: 'tooold' }, 'fresh', 2)), { accepted: 2, dropped: 0 });
  await shipper.close();
});

test('basic auth (password and password_file) and bearer token (and file) reach the server side', async () => {
  const dir = tempDir('ship-auth-');
  try {
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'token'), 'tok-from-file\n');
    const cases: [Record<string, unknown>, string][] = [
      [{ basic_auth: { username: 'u', password: 'p' } }, 'Basic ' + Buffer.from('u:p').toString('base64')],
      [{ basic_auth: { username: 'u', password_file: join(dir, 'pw') } }, 'Basic ' + Buffer.from('u:s3cret').toString('base64')],
      [{ bearer_token: 'tok' }, 'Bearer tok'],
      [{ bearer_token_file: join(dir, 'token') }, 'Bearer tok-from-file'],
    ];
    for (const [client, want] of cases) {
      const shipper = createShipper(shipperConfig(front.url, { ...client, tenant_id: 'acme' }), shipperDeps());
      const n = front.seen.length;
      await shipper.send(item({ job: 'auth' }, 'auth', 1));
      assert.equal(front.seen[n]!.headers.authorization, want);
      assert.equal(front.seen[n]!.headers['x-scope-orgid'], 'acme');
      const res = await shipper.post('/api/v1/sources', Buffer.from('{}'));
      assert.equal(front.seen[n + 1]!.url, '/api/v1/sources');
      assert.equal(front.seen[n + 1]!.headers.authorization, want, 'post() (source reports) carries the same auth');
      assert.ok(res.status >= 200);
      await shipper.close();
    }
  } finally {
    removeDir(dir);
  }
});

test('server down: ready() waits once max inflight bytes are held; everything lands once it is back', async () => {
  const deps = shipperDeps();
  const shipper = createShipper(shipperConfig(front.url, { batch_size: 1000 }, { maxInflightBytes: 5000 }), deps);
  front.policy = () => ({ status: 503, body: 'down' });
  try {
    const sends = [];
    let blocked = false;
    for (let i = 0; i < 20 && !blocked; i++) {
      const state = await Promise.race([shipper.ready().then(() => 'ready'), new Promise((r) => setTimeout(() => r('blocked'), 300))]);
      if (state === 'blocked') blocked = true;
      else sends.push(shipper.send(item({ job: 'down' }, `down ${i}`, 10, 100)));
    }
    assert.ok(blocked, 'ready() stays pending');
    assert.equal(sends.length, 5, 'five 1000-byte items fill 5000 bytes');
    assert.equal(shipper.inflightBytes, 5000);
    const waiting = shipper.ready();
    front.policy = () => 'pass';
    await waiting;
    await Promise.all(sends);
    assert.equal(shipper.inflightBytes, 0);
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_inflight_bytes'), 0);
    const got = await queryAll(server.url, '{job="down"}');
    assert.equal(got.length, 50);
    for (const n of counts(got).values()) assert.equal(n, 1);
  } finally {
    front.policy = () => 'pass';
    await shipper.close();
  }
});

test('close() gives up after its timeout while the server is down: pending items reject saying so', async () => {
  const shipper = createShipper(shipperConfig(front.url), shipperDeps());
  front.policy = () => ({ status: 503 });
  try {
    const p = shipper.send(item({ job: 'closing' }, 'never', 3));
    const t0 = Date.now();
    await shipper.close({ flushTimeoutMs: 300 });
    assert.ok(Date.now() - t0 < 1500);
    await assert.rejects(p, /closed before the server acknowledged/);
    await assert.rejects(shipper.send(item({ job: 'closing' }, 'late', 1)), /closed/);
  } finally {
    front.policy = () => 'pass';
  }
});

test('close() flushes a partial batch at once instead of waiting for batch_wait', async () => {
  const shipper = createShipper(shipperConfig(front.url, { batch_wait: '10s' }), shipperDeps());
  const p = shipper.send(item({ job: 'flush' }, 'flush', 4));
  const t0 = Date.now();
  await shipper.close({ flushTimeoutMs: 5000 });
  assert.ok(Date.now() - t0 < 2000);
  assert.deepEqual(await p, { accepted: 4, dropped: 0 });
  assert.equal(pushRequests(front).length > 0, true);
  assert.equal((await queryAll(server.url, '{job="flush"}')).length, 4);
});
