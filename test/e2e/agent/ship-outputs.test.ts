/**
 * The shipper against the real logwharf server: every output and encoding lands each entry
 * exactly once with its labels, metadata and nanosecond timestamp; tenants; batching by size and
 * by wait, measured as requests through a pass-through front.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { counts, item, metricValue, pushRequests, queryAll, shipperConfig, shipperDeps, serverWithFront, type Front } from './ship-helpers.js';

let server: RunningServer;
let front: Front;
serverWithFront((s, f) => {
  server = s;
  front = f;
});

async function roundTrip(name: string, client: Record<string, unknown>): Promise<void> {
  const deps = shipperDeps();
  const shipper = createShipper(shipperConfig(front.url, client), deps);
  const a = item({ job: name, container: 'a' }, `${name} a`, 50, 0, { trace_id: 'abc' });
  const b = item({ job: name, container: 'b' }, `${name} b`, 30);
  const before = front.seen.length;
  const [ra, rb] = await Promise.all([shipper.send(a), shipper.send(b)]);
  assert.deepEqual(ra, { accepted: 50, dropped: 0 });
  assert.deepEqual(rb, { accepted: 30, dropped: 0 });
  await shipper.close();
  const got = await queryAll(server.url, `{job="${name}"}`);
  assert.equal(got.length, 80);
  for (const n of counts(got).values()) assert.equal(n, 1);
  const sent = [...a.streams[0]!.entries, ...b.streams[0]!.entries].map((e) => e.ts.toString()).sort();
  assert.deepEqual(got.map((g) => g.ts).sort(), sent, 'nanosecond timestamps arrive exactly');
  const first = got.find((g) => g.line === `${name} a 0`)!;
  assert.equal(first.labels.container, 'a');
  assert.equal(first.metadata?.trace_id, 'abc');
  const reqs = front.seen.slice(before);
  assert.equal(reqs.length, 1, 'two items within batch_wait go in one request');
  assert.equal(reqs[0]!.headers['user-agent'], 'logwharf-agent/9.9.9-test');
  assert.equal(reqs[0]!.url, '/loki/api/v1/push');
  assert.equal(await metricValue(deps.registry, 'logwharf_agent_requests_total', { status: 'success' }), 1);
  lastHeaders = reqs[0]!.headers;
}
let lastHeaders: Record<string, unknown> = {};

test('protobuf + snappy by default', async () => {
  await roundTrip('proto', {});
  assert.equal(lastHeaders['content-type'], 'application/x-protobuf');
  assert.equal(lastHeaders['content-encoding'], undefined);
});

test('JSON encoding', async () => {
  await roundTrip('json', { encoding: 'json' });
  assert.equal(lastHeaders['content-type'], 'application/json');
});

test('gzip on top of protobuf and of JSON', async () => {
  await roundTrip('gzproto', { compression: 'gzip' });
  assert.equal(lastHeaders['content-encoding'], 'gzip');
  await roundTrip('gzjson', { compression: 'gzip', encoding: 'json' });
  assert.equal(lastHeaders['content-encoding'], 'gzip');
});

test('a full push URL is used as it is', async () => {
  const shipper = createShipper(shipperConfig(front.url + '/loki/api/v1/push'), shipperDeps());
  const before = front.seen.length;
  await shipper.send(item({ job: 'fullurl' }, 'full', 3));
  await shipper.close();
  assert.equal(front.seen[before]!.url, '/loki/api/v1/push');
  assert.equal((await queryAll(server.url, '{job="fullurl"}')).length, 3);
});

test('tenant_id goes out as X-Scope-OrgID and the entries land in that tenant only', async () => {
  const authed = await startServer({ auth_enabled: true });
  try {
    const shipper = createShipper(shipperConfig(authed.url, { tenant_id: 'team-a' }), shipperDeps());
    assert.deepEqual(await shipper.send(item({ job: 'tenant' }, 'tenant line', 10)), { accepted: 10, dropped: 0 });
    await shipper.close();
    assert.equal((await queryAll(authed.url, '{job="tenant"}', { tenant: 'team-a' })).length, 10);
    assert.equal((await queryAll(authed.url, '{job="tenant"}', { tenant: 'team-b' })).length, 0);

    // Without a tenant the server refuses (401): a final rejection, counted, not retried forever.
    const deps = shipperDeps();
    const anon = createShipper(shipperConfig(authed.url), deps);
    const r = await anon.send(item({ job: 'tenant' }, 'anon', 4));
    assert.equal(r.accepted, 0);
    assert.equal(r.dropped, 4);
    assert.match(r.reason ?? '', /org|tenant/i);
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_lines_dropped_total', { reason: 'rejected' }), 4);
    await anon.close();
  } finally {
    await authed.close();
    removeDir(authed.dir);
  }
});

test('OTLP output lands with its labels and metadata', async () => {
  const shipper = createShipper(shipperConfig(front.url, { output: 'otlp' }), shipperDeps());
  const before = front.seen.length;
  const docker = item({ container: 'web', host: 'h1', stream: 'stdout', service_name: 'shop' }, 'otlp docker', 5, 0, { trace_id: 't1' });
  const k8s = item({ namespace: 'prod', pod: 'api-1', container: 'api', service_name: 'api' }, 'otlp k8s', 4);
  await Promise.all([shipper.send(docker), shipper.send(k8s)]);
  await shipper.close();
  assert.equal(front.seen[before]!.url, '/otlp/v1/logs');
  assert.equal(front.seen[before]!.headers['content-type'], 'application/x-protobuf');

  const d = await queryAll(server.url, '{service_name="shop"}');
  assert.equal(d.length, 5);
  assert.equal(d[0]!.labels.container_name, 'web', 'container → container.name, an index label');
  assert.equal(d[0]!.metadata?.host_name, 'h1', 'host → host.name: structured metadata, as Loki maps it');
  assert.equal(d[0]!.metadata?.trace_id, 't1');
  assert.deepEqual(d.map((x) => x.ts), docker.streams[0]!.entries.map((e) => e.ts.toString()));

  const k = await queryAll(server.url, '{k8s_namespace_name="prod", k8s_pod_name="api-1", k8s_container_name="api"}');
  assert.equal(k.length, 4);
  assert.equal(k[0]!.labels.service_name, 'api');
});

test('batching by size: items are cut into requests of about batch_size bytes', async () => {
  const shipper = createShipper(shipperConfig(front.url, { batch_size: 10_000, batch_wait: '5s' }), shipperDeps());
  const before = pushRequests(front).length;
  const sends = [];
  // 20 items of 10 × 100-byte lines = 1000 bytes each: 2 requests of 10 items, without waiting 5 s.
  for (let i = 0; i < 20; i++) sends.push(shipper.send(item({ job: 'bysize', src: String(i % 3) }, `size ${i}`, 10, 100)));
  const t0 = Date.now();
  await Promise.all(sends);
  assert.ok(Date.now() - t0 < 2000, 'full batches do not wait for batch_wait');
  assert.equal(pushRequests(front).length - before, 2);
  await shipper.close();
  assert.equal((await queryAll(server.url, '{job="bysize"}')).length, 200);
});

test('batching by wait: a partial batch goes out after batch_wait', async () => {
  const shipper = createShipper(shipperConfig(front.url, { batch_wait: '300ms' }), shipperDeps());
  const before = pushRequests(front).length;
  const t0 = Date.now();
  const sends = [shipper.send(item({ job: 'bywait' }, 'wait a', 5))];
  await new Promise((r) => setTimeout(r, 100));
  sends.push(shipper.send(item({ job: 'bywait' }, 'wait b', 5)));
  await Promise.all(sends);
  const took = Date.now() - t0;
  assert.ok(took >= 290 && took < 1500, `acknowledged after ~batch_wait (${took} ms)`);
  assert.equal(pushRequests(front).length - before, 1, 'one request for both items');
  await shipper.close();
  const got = await queryAll(server.url, '{job="bywait"}');
  assert.equal(got.length, 10);
  assert.deepEqual(got.map((g) => g.line).slice(0, 2), ['wait a 0', 'wait a 1'], 'per-stream order kept');
});
