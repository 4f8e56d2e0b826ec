/**
 * `GET /api/v1/status/overview` (the Overview page's server health) over HTTP against the real
 * server: the tenant's ingest rate after a push, query latency once queries ran, disk used by the
 * data directory, and the configured retention rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from './helpers/server.js';
import type { OverviewStatus } from '../../src/web/overview-status.js';

async function push(url: string, tenant: string, n: number) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const values = Array.from({ length: n }, (_, i) => [String(now - BigInt(n - i) * 1_000_000n), `level=info msg="line ${i}"`]);
  const res = await fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant },
    body: JSON.stringify({ streams: [{ stream: { app: 'shop' }, values }] }),
  });
  assert.equal(res.status, 204);
}

async function status(url: string, tenant?: string): Promise<{ status: number; body: OverviewStatus }> {
  const res = await fetch(url + '/api/v1/status/overview', { headers: tenant ? { 'X-Scope-OrgID': tenant } : {} });
  const text = await res.text();
  return { status: res.status, body: res.ok ? (JSON.parse(text) as OverviewStatus) : (text as unknown as OverviewStatus) };
}

test('the overview status reports the tenant ingest rate, query latency, disk used and retention', async (t) => {
  const s = await startServer({
    auth_enabled: true,
    retention: { period: '48h', streams: [{ selector: '{app="shop"}', period: '720h', priority: 2 }] },
  });
  t.after(async () => (await s.close(), removeDir(s.dir)));

  assert.equal((await status(s.url)).status, 401, 'the route needs a tenant like every data route');

  const before = await status(s.url, 'team-a');
  assert.equal(before.status, 200);
  assert.equal(before.body.queryLatency.requests, 0);
  assert.equal(before.body.queryLatency.p50Seconds, null);

  await push(s.url, 'team-a', 200);
  const res = await fetch(s.url + '/loki/api/v1/query_range?' + new URLSearchParams({ query: '{app="shop"}', limit: '10' }), { headers: { 'X-Scope-OrgID': 'team-a' } });
  assert.equal(res.status, 200);

  const a = (await status(s.url, 'team-a')).body;
  assert.ok(a.ingest.linesPerSecond > 0, `lines/s ${a.ingest.linesPerSecond}`);
  assert.ok(a.ingest.bytesPerSecond > a.ingest.linesPerSecond, 'each line has more than one byte');
  assert.ok(a.ingest.storeEntriesPerSecond > 0);
  assert.ok(a.queryLatency.requests >= 1);
  assert.ok(a.queryLatency.p50Seconds !== null && a.queryLatency.p50Seconds > 0);
  assert.ok(a.queryLatency.p99Seconds !== null && a.queryLatency.p99Seconds >= a.queryLatency.p50Seconds);
  assert.ok('usedBytes' in a.disk, JSON.stringify(a.disk));
  assert.ok(a.disk.usedBytes > 0 && a.disk.files > 0);
  assert.deepEqual(a.retention, { period: '48h', streams: [{ selector: '{app="shop"}', period: '720h', priority: 2 }], compactionInterval: '10m' });

  // Another tenant's ingest is not this tenant's.
  const b = (await status(s.url, 'team-b')).body;
  assert.equal(b.ingest.linesPerSecond, 0);
  assert.equal(b.ingest.bytesPerSecond, 0);
});
