/**
 * The Alertmanager sender against a real Alertmanager 0.25 (issue #9): what a user of Alertmanager
 * sees at their webhook — grouping, dedupe of the ruler's re-sends, resolution, a silence made with
 * amtool — and that an Alertmanager that is down, answers 5xx, hangs or refuses is retried or
 * dropped as it should be, without holding up the others.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { PostableAlert, WebhookMessage } from '../../../src/api/alertmanager.js';
import { createAlertmanagerSender, type AlertmanagerSender } from '../../../src/ruler/alertmanager-sender.js';
import { createLogger } from '../../../src/util/logger.js';
import { startAlertmanager, webhookConfig } from '../../helpers/alertmanager.js';
import { freePort } from '../../helpers/peer-process.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/wait-for.js';

const log = createLogger({ level: 'silent' });
// As the ruler sends a firing alert: valid for four resend delays, re-sent every minute. It starts
// now, so its new group waits group_wait before notifying (Alertmanager notifies a group at once
// when its first alert started longer ago, possibly before the rest of one POST is in).
const firing = (name: string, labels: Record<string, string> = {}): PostableAlert => ({
  labels: { alertname: name, ...labels },
  annotations: { summary: `${name} is firing` },
  startsAt: new Date().toISOString(),
  endsAt: new Date(Date.now() + 4 * 60_000).toISOString(),
  generatorURL: 'http://logwharf.test/explore',
});
const resolved = (a: PostableAlert): PostableAlert => ({ ...a, endsAt: new Date().toISOString() });


function sender(t: TestContext, url: string, opts: { timeout?: string; registry?: Registry } = {}): AlertmanagerSender {
  const s = createAlertmanagerSender(
    { alertmanager_url: url, alertmanager_timeout: opts.timeout ?? '5s' },
    { log, registry: opts.registry ?? new Registry(), minBackoffMs: 50, maxBackoffMs: 300, flushTimeoutMs: 1_000 },
  );
  t.after(() => s.close());
  return s;
}

test('alerts sent through the sender reach a real Alertmanager and its webhook as Alertmanager users expect', async (t) => {
  const hook = await startWebhookReceiver();
  t.after(() => hook.close());
  const am = await startAlertmanager(t, webhookConfig(hook.url));
  if (!am) return;
  t.after(() => am.close());
  const failWith = (e: unknown): never => {
    throw new Error(`${(e as Error).message}\nAlertmanager output:\n${am.output().slice(-3000)}`);
  };
  const messagesFor = (name: string): WebhookMessage[] => hook.received.filter((m) => m.groupLabels.alertname === name);
  const waitForMessages = (name: string, n: number, timeoutMs = 15_000) =>
    waitFor(`${n} webhook message(s) for ${name}`, () => messagesFor(name).length >= n && messagesFor(name), { timeoutMs }).catch(failWith);
  let markers = 0;
  /**
   * Proof that Alertmanager has had the chance to notify about everything sent before: two marker
   * alerts in groups of their own, each sent after the previous one was notified. A marker's group
   * waits group_wait (1s) before notifying; by then every other group has had a flush
   * (group_interval 1s) after what preceded the first marker.
   */
  const settle = async (s: AlertmanagerSender) => {
    for (let i = 0; i < 2; i++) {
      const name = `Marker${++markers}`;
      await s.send('fake', [firing(name)]);
      await waitForMessages(name, 1);
    }
  };

  const registry = new Registry();
  const s = sender(t, am.url, { registry });
  const pair = [firing('Grouped', { instance: 'a' }), firing('Grouped', { instance: 'b' })];

  await t.test('two alerts with the same alertname arrive as one grouped notification', async () => {
    await s.send('fake', pair);
    const [msg] = await waitForMessages('Grouped', 1);
    assert.equal(msg!.status, 'firing');
    assert.deepEqual(msg!.alerts.map((a) => a.labels.instance).sort(), ['a', 'b']);
    assert.equal(msg!.alerts[0]!.annotations.summary, 'Grouped is firing');
    assert.equal(msg!.alerts[0]!.generatorURL, 'http://logwharf.test/explore');
    // The sender counts an attempt once it has Alertmanager's answer, which may come after the webhook's.
    await waitFor('2 alerts counted as sent', async () => (await metricSum(registry, 'prometheus_notifications_sent_total', { alertmanager: `${am.url}/api/v2/alerts` })) === 2);
    assert.equal(await metricSum(registry, 'prometheus_notifications_errors_total'), 0);
  });

  await t.test('the ruler re-sending the same firing alerts does not notify again before repeat_interval', async () => {
    for (let i = 0; i < 3; i++) await s.send('fake', pair.map((a) => ({ ...a, endsAt: new Date(Date.now() + 4 * 60_000).toISOString() })));
    await settle(s);
    assert.equal(messagesFor('Grouped').length, 1, JSON.stringify(messagesFor('Grouped')));
    await waitFor('every alert sent counted', async () => (await metricSum(registry, 'prometheus_notifications_sent_total')) === 2 + 6 + 2);
  });

  await t.test('resolving the alerts (endsAt now) sends a resolved notification', async () => {
    await s.send('fake', pair.map(resolved));
    const msgs = await waitForMessages('Grouped', 2);
    const last = msgs[1]!;
    assert.equal(last.status, 'resolved');
    assert.deepEqual(
      last.alerts.map((a) => [a.labels.instance, a.status]).sort(),
      [
        ['a', 'resolved'],
        ['b', 'resolved'],
      ],
    );
  });

  await t.test('an alert matching a silence made with amtool is not delivered; another one is', async () => {
    const id = await am.amtool('silence', 'add', 'alertname=Silenced', '--comment=maintenance', '--duration=1h', '--author=test');
    assert.match(id, /^[0-9a-f-]{36}$/);
    await s.send('fake', [firing('Silenced'), firing('Audible')]);
    await waitForMessages('Audible', 1);
    const suppressed = await waitFor('Alertmanager to mark the silenced alert suppressed', async () => {
      const a = (await am.alerts()).find((x) => x.labels.alertname === 'Silenced');
      return a?.status.state === 'suppressed' && a;
    }).catch(failWith);
    assert.deepEqual(suppressed.status.silencedBy, [id]);
    await settle(s);
    assert.equal(messagesFor('Silenced').length, 0);
    assert.match(await am.amtool('silence', 'query', '-q'), new RegExp(id));
  });

  await t.test('alerts Alertmanager refuses (400) are dropped and counted, not retried; later alerts still go', async () => {
    const before = await metricSum(registry, 'prometheus_notifications_errors_total');
    await s.send('fake', [{ labels: {} }]);
    await waitFor('the refused alert to be counted as dropped', async () => (await metricSum(registry, 'prometheus_notifications_dropped_total')) === 1);
    assert.equal(await metricSum(registry, 'prometheus_notifications_errors_total'), before + 1);
    await s.send('fake', [firing('AfterRefusal')]);
    await waitForMessages('AfterRefusal', 1);
    // Refused once, never again: only the one failed attempt is counted.
    assert.equal(await metricSum(registry, 'prometheus_notifications_errors_total'), before + 1);
  });

  await t.test('while Alertmanager is down the alert is retried, errors are counted, and it is delivered once it is back', async () => {
    await am.stop();
    const reg = new Registry();
    const s2 = sender(t, am.url, { registry: reg });
    await s2.send('fake', [firing('WhileDown')]);
    await waitFor('failed attempts to be counted', async () => (await metricSum(reg, 'prometheus_notifications_errors_total', { alertmanager: `${am.url}/api/v2/alerts` })) >= 2);
    assert.equal(await metricSum(reg, 'prometheus_notifications_queue_length'), 0, 'the batch in flight is not in the queue');
    await am.restart();
    await waitForMessages('WhileDown', 1, 20_000);
    assert.equal(await metricSum(reg, 'prometheus_notifications_dropped_total'), 0);
  });

  await t.test('an Alertmanager answering 503 is retried until it accepts', async () => {
    let refused = 0;
    const proxy = await startProxy(am.url, () => refused++ < 2);
    t.after(() => proxy.close());
    const reg = new Registry();
    const s3 = sender(t, proxy.url, { registry: reg });
    await s3.send('fake', [firing('Flaky')]);
    await waitForMessages('Flaky', 1);
    const label = { alertmanager: `${proxy.url}/api/v2/alerts` };
    await waitFor('3 attempts counted', async () => (await metricSum(reg, 'prometheus_notifications_sent_total', label)) === 3);
    assert.equal(await metricSum(reg, 'prometheus_notifications_errors_total', label), 2);
  });

  await t.test('with one Alertmanager dead and one hanging, the live one still gets the alert promptly', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const hanging = await startWebhookReceiver({ respond: 'hang' });
    t.after(() => hanging.close());
    const reg = new Registry();
    const s4 = sender(t, `${dead},${hanging.url},${am.url}`, { registry: reg, timeout: '60s' });
    assert.equal(await metricSum(reg, 'prometheus_notifications_alertmanagers_discovered'), 3);
    await s4.send('fake', [firing('OneOfThree')]);
    // Far less than the 60 s timeout the hanging one holds its own queue for.
    await waitForMessages('OneOfThree', 1, 8_000);
    await waitFor('the dead one to be counted as failing', async () => (await metricSum(reg, 'prometheus_notifications_errors_total', { alertmanager: `${dead}/api/v2/alerts` })) >= 1);
    assert.equal(hanging.requests.length, 1, 'the hanging one is still on its first attempt');
  });
});

/** An HTTP proxy to `target` that answers 503 while `refuse()` says so. */
async function startProxy(target: string, refuse: () => boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refuse()) {
        res.writeHead(503).end('overloaded\n');
        return;
      }
      const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' };
      fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: Buffer.concat(chunks) }).then(
        async (r) => res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer())),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
