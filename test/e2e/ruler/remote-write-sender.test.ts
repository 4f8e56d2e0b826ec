/**
 * Recording rules' samples reach a real Prometheus 2.42 through remote write (issue #9): written by
 * the sender, read back through Prometheus' own query API with their values and labels; and a
 * request Prometheus refuses (an out-of-order sample: 400) is dropped and counted, not retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createRemoteWriteSender } from '../../../src/ruler/remote-write-sender.js';
import { createLogger } from '../../../src/util/logger.js';
import { metricSum } from '../../helpers/metrics.js';
import { startPrometheus } from '../../helpers/prometheus.js';


test('samples written through the sender are read back from a real Prometheus; a refused request is dropped and counted', async (t) => {
  const prom = await startPrometheus(t);
  if (!prom) return;
  t.after(() => prom.close());
  const registry = new Registry();
  const s = createRemoteWriteSender(
    { url: prom.writeUrl, timeout: '10s' },
    { log: createLogger({ level: 'silent' }), registry, minBackoffMs: 50, maxBackoffMs: 200, flushTimeoutMs: 1_000 },
  );
  t.after(() => s.close());
  const withOutput = (e: unknown): never => {
    throw new Error(`${(e as Error).message}\nPrometheus output:\n${prom.output().slice(-3000)}`);
  };
  // Recent times: Prometheus only appends into its head block, which starts at its first sample.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const name = 'logwharf:errors:rate1m';

  await t.test('two series, three samples: Prometheus answers them by name at their times', async () => {
    await s
      .write('fake', [
        { labels: { __name__: name, container: 'api', env: 'prod' }, samples: [{ t: now - 30_000, v: 1.5 }, { t: now - 15_000, v: 2.5 }] },
        { labels: { env: 'prod', __name__: name, container: 'web', empty: '' }, samples: [{ t: now - 15_000, v: 7 }] },
      ])
      .catch(withOutput);
    const at15 = await prom.query(name, now - 15_000);
    assert.deepEqual(
      at15.map((r) => [r.metric, r.value[1]]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        [{ __name__: name, container: 'api', env: 'prod' }, '2.5'],
        [{ __name__: name, container: 'web', env: 'prod' }, '7'],
      ],
    );
    const at30 = await prom.query(name, now - 30_000);
    assert.deepEqual(
      at30.map((r) => [r.metric.container, r.value]),
      [['api', [(now - 30_000) / 1000, '1.5']]],
    );
    assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_samples_total'), 3);
  });

  await t.test('an out-of-order sample is refused with 400: write() rejects, the samples are counted as failed, nothing is retried', async () => {
    await assert.rejects(s.write('fake', [{ labels: { __name__: name, container: 'api', env: 'prod' }, samples: [{ t: now - 60_000, v: 99 }] }]), /refused 1 samples: .*400.*out of order/i);
    assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_failed_samples_total'), 1);
    assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_retried_samples_total'), 0);
    // The next write goes through, and the refused value never appears.
    await s.write('fake', [{ labels: { __name__: name, container: 'api', env: 'prod' }, samples: [{ t: now - 5_000, v: 3 }] }]);
    const api = await prom.query(`${name}{container="api"}`, now - 5_000);
    assert.deepEqual(api.map((r) => r.value[1]), ['3']);
    const old = await prom.query(`${name}{container="api"}`, now - 60_000);
    assert.deepEqual(old, [], 'the refused sample was not stored');
    assert.equal(await metricSum(registry, 'logwharf_ruler_remote_write_samples_total'), 4);
  });

  await t.test('ruler.external_labels are added to every series that lacks them', async () => {
    const s2 = createRemoteWriteSender(
      { url: prom.writeUrl, timeout: '10s', external_labels: { cluster: 'eu-1', env: 'not-this' } },
      { log: createLogger({ level: 'silent' }), registry: new Registry(), flushTimeoutMs: 1_000 },
    );
    t.after(() => s2.close());
    await s2.write('fake', [{ labels: { __name__: 'logwharf:ext', env: 'prod' }, samples: [{ t: now - 10_000, v: 1 }] }]);
    const got = await prom.query('logwharf:ext', now - 10_000);
    assert.deepEqual(got.map((r) => r.metric), [{ __name__: 'logwharf:ext', cluster: 'eu-1', env: 'prod' }]);
  });
});
