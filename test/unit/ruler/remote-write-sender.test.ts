/**
 * The remote-write sender's requests and retry rules, against a recording HTTP server standing in
 * for the receiver (the real Prometheus is in test/e2e/ruler/remote-write-sender.test.ts): the
 * protocol's headers and tenant, retry of 5xx and 429 (with Retry-After), the bounded queue, batches,
 * and a bounded close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import snappy from 'snappy';
import { ProtoReader } from '../../../src/api/push/protobuf.js';
import { createRemoteWriteSender, type RemoteWriteSenderDeps } from '../../../src/ruler/remote-write-sender.js';
import { createLogger } from '../../../src/util/logger.js';
import { captureLog } from '../../helpers/log-capture.js';
import { startWebhookReceiver, type ReceivedRequest } from '../../helpers/webhook-receiver.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/wait-for.js';


function deps(extra: Partial<RemoteWriteSenderDeps> = {}): RemoteWriteSenderDeps {
  return { log: createLogger({ level: 'silent' }), registry: new Registry(), minBackoffMs: 20, maxBackoffMs: 100, flushTimeoutMs: 500, version: '1.2.3', ...extra };
}

/** Sample count of a request: Sample messages are field 2 of each TimeSeries (field 1). */
function sampleCount(r: ReceivedRequest): number {
  const buf = snappy.uncompressSync(r.body, { asBuffer: true }) as Buffer;
  const rd = new ProtoReader(buf);
  let n = 0;
  while (rd.pos < rd.end) {
    rd.tag();
    const end = rd.lenEnd();
    while (rd.pos < end) {
      const tag = rd.tag();
      rd.pos = rd.lenEnd();
      if (tag >>> 3 === 2) n++;
    }
  }
  return n;
}

const series = (n: number, t0 = 1_000) => [{ labels: { __name__: 'x:rate', job: 'a' }, samples: Array.from({ length: n }, (_, i) => ({ t: t0 + i, v: i })) }];

test('requests carry the remote-write headers, the tenant, and the URL\'s path and query', async (t) => {
  const rx = await startWebhookReceiver({ respond: 204 });
  t.after(() => rx.close());
  const s = createRemoteWriteSender({ url: `${rx.url}api/v1/push?x=1`, timeout: '5s' }, deps());
  t.after(() => s.close());
  await s.write('team-a', series(2));
  const [r] = rx.requests;
  assert.equal(r!.method, 'POST');
  assert.equal(r!.path, '/api/v1/push?x=1');
  assert.equal(r!.headers['content-type'], 'application/x-protobuf');
  assert.equal(r!.headers['content-encoding'], 'snappy');
  assert.equal(r!.headers['x-prometheus-remote-write-version'], '0.1.0');
  assert.equal(r!.headers['user-agent'], 'logwharf-ruler/1.2.3');
  assert.equal(r!.headers['x-scope-orgid'], 'team-a');
  assert.equal(sampleCount(r!), 2);
  assert.equal(s.url, `${rx.url}api/v1/push?x=1`);
});

test('5xx and 429 are retried until accepted; the write then resolves', async (t) => {
  const rx = await startWebhookReceiver({ respond: 503 });
  t.after(() => rx.close());
  const registry = new Registry();
  const s = createRemoteWriteSender({ url: `${rx.url}api/v1/write`, timeout: '5s' }, deps({ registry }));
  t.after(() => s.close());
  const written = s.write('t', series(3));
  await waitFor('two failed attempts', () => rx.requests.length >= 2);
  rx.respondWith(429);
  const before429 = rx.requests.length;
  // The request after the switch was answered 429 (one in flight at the switch may have had either).
  await waitFor('a 429', () => rx.requests.length >= before429 + 2);
  rx.respondWith(204);
  await written;
  assert.ok(rx.requests.length >= 4);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_samples_total'), 3);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_retried_samples_total'), 3 * (rx.requests.length - 1));
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_failed_samples_total'), 0);
});

test('a 4xx rejects the write at once, counts its samples as failed, and is not sent again', async (t) => {
  const rx = await startWebhookReceiver({ respond: 400 });
  t.after(() => rx.close());
  const registry = new Registry();
  const log = captureLog('warn');
  const s = createRemoteWriteSender({ url: `${rx.url}api/v1/write`, timeout: '5s' }, deps({ registry, log: log.log }));
  t.after(() => s.close());
  await assert.rejects(s.write('t', series(4)), /refused 4 samples: POST \/api\/v1\/write: 400 Bad Request: answering 400 as told/);
  rx.respondWith(204);
  await s.write('t', series(1, 9_000));
  assert.equal(rx.requests.length, 2);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_failed_samples_total'), 4);
  const line = log.lines.find((l) => l.level === 'error');
  assert.deepEqual([line?.component, line?.url, line?.status, line?.tenant, line?.samples], ['remote-write-sender', `${rx.url}api/v1/write`, 400, 't', 4]);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_samples_total'), 1);
});

test('large writes go in requests of at most maxSamplesPerSend; a full queue drops the oldest samples, rejecting their writes', async (t) => {
  const rx = await startWebhookReceiver({ respond: 503 });
  t.after(() => rx.close());
  const registry = new Registry();
  const s = createRemoteWriteSender({ url: `${rx.url}api/v1/write`, timeout: '5s' }, deps({ registry, queueCapacity: 10, maxSamplesPerSend: 4 }));
  t.after(() => s.close());
  const first = s.write('t', series(2));
  await waitFor('the first attempt', () => rx.requests.length >= 1);
  // The first write's 2 samples are in flight; 12 more queue up behind them and the oldest 2 go.
  const old = s.write('t', series(2, 5_000));
  const big = s.write('t', series(10, 6_000));
  await assert.rejects(old, /2 samples dropped from the full queue/);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_dropped_samples_total'), 2);
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_pending_samples'), 10);
  rx.respondWith(204);
  await first;
  await big;
  const accepted = rx.requests.slice(-4).map(sampleCount);
  assert.deepEqual(accepted, [2, 4, 4, 2]);
});

test('close() stops retrying within its bound and rejects what was not delivered', async (t) => {
  const rx = await startWebhookReceiver({ respond: 'hang' });
  t.after(() => rx.close());
  const registry = new Registry();
  const s = createRemoteWriteSender({ url: `${rx.url}api/v1/write`, timeout: '60s' }, deps({ registry, flushTimeoutMs: 300 }));
  const pending = s.write('t', series(5));
  const outcome = pending.then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  await waitFor('the request', () => rx.requests.length === 1);
  const started = Date.now();
  await s.close();
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3_000, `close took ${took} ms`);
  assert.equal(await outcome, 'remote write: samples dropped at shutdown');
  assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_dropped_samples_total'), 5);
  await assert.rejects(s.write('t', series(1)), /closed/);
});

test('an invalid URL is refused when the sender is made', () => {
  assert.throws(() => createRemoteWriteSender({ url: 'prometheus:9090/api/v1/write', timeout: '5s' }, deps()), /invalid ruler.remote_write.url "prometheus:9090\/api\/v1\/write"/);
});
