/**
 * The Alertmanager sender's request shape and queueing, against a recording HTTP server standing in
 * for an Alertmanager (the real one is in test/e2e/ruler/alertmanager-sender.test.ts): where it
 * posts, the tenant header, batches of 64, the bounded queue, and a bounded close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { PostableAlert } from '../../../src/api/alertmanager.js';
import { createAlertmanagerSender, type AlertmanagerSenderDeps } from '../../../src/ruler/alertmanager-sender.js';
import { alertmanagerAlertsUrls } from '../../../src/ruler/peer-url.js';
import { createLogger } from '../../../src/util/logger.js';
import { captureLog } from '../../helpers/log-capture.js';
import { repeatedKeys } from '../../helpers/json-keys.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/wait-for.js';

const alert = (i: number, name = 'HighErrors'): PostableAlert => ({ labels: { alertname: name, i: String(i) }, startsAt: '2026-01-01T00:00:00Z' });



function deps(extra: Partial<AlertmanagerSenderDeps> = {}): AlertmanagerSenderDeps {
  return { log: createLogger({ level: 'silent' }), registry: new Registry(), minBackoffMs: 20, maxBackoffMs: 100, flushTimeoutMs: 500, version: '1.2.3', ...extra };
}

test('ruler.alertmanager_url: comma-separated base URLs, a path is a prefix, a trailing slash or the alerts path itself are accepted', () => {
  assert.deepEqual(
    alertmanagerAlertsUrls(' http://am:9093, http://gw/alertmanager/ ,https://am2/api/v2/alerts,').map((u) => u.href),
    ['http://am:9093/api/v2/alerts', 'http://gw/alertmanager/api/v2/alerts', 'https://am2/api/v2/alerts'],
  );
  assert.throws(() => alertmanagerAlertsUrls(''), /ruler.alertmanager_url is empty/);
  assert.throws(() => alertmanagerAlertsUrls('am:9093'), /invalid ruler.alertmanager_url "am:9093"/);
  assert.throws(() => alertmanagerAlertsUrls('not a url'), /invalid ruler.alertmanager_url "not a url": want a URL/);
});

test('each tenant\'s alerts are posted as JSON to <prefix>/api/v2/alerts with its X-Scope-OrgID, User-Agent and basic auth from the URL', async (t) => {
  const am = await startWebhookReceiver();
  t.after(() => am.close());
  const base = am.url.replace('http://', 'http://ruler:s%3Acret@') + 'am';
  const s = createAlertmanagerSender({ alertmanager_url: base, alertmanager_timeout: '5s' }, deps());
  t.after(() => s.close());
  assert.deepEqual(s.urls, [`${am.url}am/api/v2/alerts`], 'credentials are not shown');
  await s.send('team-a', [alert(1)]);
  await waitFor('the first request', () => am.requests.length === 1);
  await s.send('team-b', [alert(2), alert(3)]);
  await waitFor('the second request', () => am.requests.length === 2);
  const [a, b] = am.requests;
  assert.equal(a!.method, 'POST');
  assert.equal(a!.path, '/am/api/v2/alerts');
  assert.equal(a!.headers['content-type'], 'application/json');
  assert.equal(a!.headers['x-scope-orgid'], 'team-a');
  assert.equal(a!.headers['user-agent'], 'logwharf-ruler/1.2.3');
  assert.equal(a!.headers.authorization, 'Basic ' + Buffer.from('ruler:s:cret').toString('base64'));
  assert.deepEqual(JSON.parse(a!.body.toString()), [alert(1)]);
  assert.equal(b!.headers['x-scope-orgid'], 'team-b');
  assert.deepEqual(JSON.parse(b!.body.toString()), [alert(2), alert(3)]);
});

test('ruler.external_labels are added to every alert that lacks them; an alert\'s own label wins', async (t) => {
  const am = await startWebhookReceiver();
  t.after(() => am.close());
  const s = createAlertmanagerSender({ alertmanager_url: am.url, alertmanager_timeout: '5s', external_labels: { cluster: 'eu-1', i: 'not-this' } }, deps());
  t.after(() => s.close());
  await s.send('t', [alert(1)]);
  await waitFor('the request', () => am.requests.length === 1);
  assert.deepEqual((JSON.parse(am.requests[0]!.body.toString()) as PostableAlert[])[0]!.labels, { cluster: 'eu-1', alertname: 'HighErrors', i: '1' });
});

test('queued alerts go in batches of at most 64, never mixing tenants', async (t) => {
  const am = await startWebhookReceiver({ respond: 'hang' });
  t.after(() => am.close());
  const s = createAlertmanagerSender({ alertmanager_url: am.url, alertmanager_timeout: '5s' }, deps());
  t.after(() => s.close());
  // The first request hangs until the timeout, so everything after it queues up behind it.
  await s.send('t1', [alert(0)]);
  await waitFor('the first request', () => am.requests.length === 1);
  am.respondWith(200);
  await s.send('t1', Array.from({ length: 100 }, (_, i) => alert(i + 1)));
  await s.send('t2', [alert(101)]);
  await s.send('t1', [alert(102)]);
  await waitFor('all batches', () => am.requests.length === 6, { timeoutMs: 15_000 });
  const batches = am.requests.slice(2).map((r) => ({ tenant: r.headers['x-scope-orgid'], n: (JSON.parse(r.body.toString()) as unknown[]).length }));
  assert.deepEqual(batches, [
    { tenant: 't1', n: 64 },
    { tenant: 't1', n: 36 },
    { tenant: 't2', n: 1 },
    { tenant: 't1', n: 1 },
  ]);
});

test('a full queue drops its oldest alerts and counts them; the newest are delivered', async (t) => {
  const am = await startWebhookReceiver({ respond: 503 });
  t.after(() => am.close());
  const registry = new Registry();
  const log = captureLog('warn');
  const s = createAlertmanagerSender(
    { alertmanager_url: am.url, alertmanager_timeout: '5s' },
    deps({ registry, queueCapacity: 10, maxBatch: 5, log: log.log }),
  );
  t.after(() => s.close());
  await s.send('t', [alert(0)]);
  await waitFor('a failed attempt', () => am.requests.length >= 1);
  // alert 0 is in flight (being retried); 1..15 queue up and 1..5 are pushed out.
  await s.send('t', Array.from({ length: 15 }, (_, i) => alert(i + 1)));
  assert.equal(await metricSum(registry, 'prometheus_notifications_dropped_total'), 5);
  assert.equal(await metricSum(registry, 'prometheus_notifications_queue_length'), 10);
  assert.equal(await metricSum(registry, 'prometheus_notifications_queue_capacity'), 10);
  am.respondWith(200);
  await waitFor('the queue to drain', async () => (await metricSum(registry, 'prometheus_notifications_queue_length')) === 0 && am.requests.filter((r) => r.body.includes('"i":"15"')).length > 0);
  const delivered = am.requests.slice(-3).flatMap((r) => (JSON.parse(r.body.toString()) as PostableAlert[]).map((a) => Number(a.labels.i)));
  assert.deepEqual(delivered, [0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  const dropLine = log.lines.find((l) => l.msg === 'alert queue full; dropped the oldest alerts');
  assert.deepEqual([dropLine?.alertmanager, dropLine?.count, dropLine?.component], [`${am.url}api/v2/alerts`, 5, 'alertmanager-sender']);
  for (const text of log.texts) assert.deepEqual(repeatedKeys(text), [], text);
  const retryLine = log.lines.find((l) => l.msg === 'error sending alerts to Alertmanager; retrying');
  assert.deepEqual([retryLine?.alertmanager, retryLine?.status, retryLine?.tenant, retryLine?.level], [`${am.url}api/v2/alerts`, 503, 't', 'warn']);
});

test('a 4xx is logged with the Alertmanager, status and tenant, counted, and not retried', async (t) => {
  const am = await startWebhookReceiver({ respond: 422 });
  t.after(() => am.close());
  const registry = new Registry();
  const log = captureLog('warn');
  const s = createAlertmanagerSender({ alertmanager_url: am.url, alertmanager_timeout: '5s' }, deps({ registry, log: log.log }));
  t.after(() => s.close());
  await s.send('team-x', [alert(1), alert(2)]);
  await waitFor('the refusal to be counted', async () => (await metricSum(registry, 'prometheus_notifications_dropped_total')) === 2);
  // A later send goes through the same loop: had the refused batch been retried, it would come first.
  am.respondWith(200);
  await s.send('team-x', [alert(3)]);
  await waitFor('the next request', () => am.requests.length === 2);
  assert.deepEqual(JSON.parse(am.requests[1]!.body.toString()), [alert(3)]);
  assert.equal(await metricSum(registry, 'prometheus_notifications_errors_total'), 2);
  assert.equal(await metricSum(registry, 'prometheus_notifications_sent_total'), 3);
  const line = log.lines.find((l) => l.level === 'error');
  assert.deepEqual([line?.alertmanager, line?.status, line?.tenant, line?.count], [`${am.url}api/v2/alerts`, 422, 'team-x', 2]);
  assert.match(String(line?.err), /422.*answering 422 as told/);
});

test('close() gives up on an Alertmanager that hangs within its flush bound, dropping and counting what is left', async (t) => {
  const am = await startWebhookReceiver({ respond: 'hang' });
  t.after(() => am.close());
  const registry = new Registry();
  const s = createAlertmanagerSender({ alertmanager_url: am.url, alertmanager_timeout: '60s' }, deps({ registry, flushTimeoutMs: 300, maxBatch: 2 }));
  await s.send('t', [alert(1), alert(2), alert(3)]);
  await waitFor('the first request', () => am.requests.length === 1);
  const started = Date.now();
  await s.close();
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 3_000, `close took ${took} ms`);
  assert.equal(await metricSum(registry, 'prometheus_notifications_dropped_total'), 3);
  await assert.rejects(s.send('t', [alert(4)]), /closed/);
});

test('close() delivers what is queued when the Alertmanager answers', async (t) => {
  const am = await startWebhookReceiver();
  t.after(() => am.close());
  const s = createAlertmanagerSender({ alertmanager_url: am.url, alertmanager_timeout: '5s' }, deps({ maxBatch: 2 }));
  await s.send('t', [alert(1), alert(2), alert(3), alert(4), alert(5)]);
  await s.close();
  assert.equal(am.requests.length, 3);
});
