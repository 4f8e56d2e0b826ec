/**
 * The notifier's timing on an injected clock, delivering to a real HTTP receiver: group_wait before
 * the first notification, group_interval for changes, repeat_interval for unchanged groups, resolved
 * notifications (and none without send_resolved), silences, retries with backoff, and the
 * notification log across a restart on the same data directory.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { serverConfigSchema } from '../../../src/config/server.js';
import { createNotifier, type Notifier } from '../../../src/notify/notifier.js';
import { captureLog, type CapturedLog } from '../../helpers/log-capture.js';
import { metricSum } from '../../helpers/metrics.js';
import { repeatedKeys } from '../../helpers/json-keys.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startWebhookReceiver, delivered, attempts, failNext, type WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../helpers/wait-for.js';
import { readFileSync } from 'node:fs';
import { stateFile } from '../../../src/notify/state-file.js';
import { removeDir, tempDir } from '../../e2e/helpers/server.js';

const GW = 30_000;
const GI = 300_000;
const RI = 3_600_000;

let dir: string;
let clock: ManualClock;
let recv: WebhookReceiver;
let registry: Registry;
const open: Notifier[] = [];
/** The notifier's JSON log lines. */
let logged: CapturedLog;

function notifier(webhook: Record<string, unknown> = {}, route: Record<string, unknown> = {}, receiver?: Record<string, unknown>): Notifier {
  const config = serverConfigSchema.parse({
    data: dir,
    notify: {
      route: { receiver: 'hook', group_by: ['alertname'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h', ...route },
      receivers: [receiver ?? { name: 'hook', webhook_configs: [{ url: `${recv.url}hook`, ...webhook }] }],
    },
  }).notify;
  registry = new Registry();
  const n = createNotifier(config, { dataDir: dir, externalUrl: () => 'http://lw.example:3100', log: logged.log, registry, now: clock.now, timers: clock, random: () => 1 });
  open.push(n);
  return n;
}

const iso = (ms: number) => new Date(ms).toISOString();
// An explicit end far ahead, as the ruler sends: without one an alert resolves after resolve_timeout (5m).
const firing = (name: string, instance: string) => ({ labels: { alertname: name, instance }, annotations: { summary: `${name} on ${instance}` }, startsAt: iso(clock.now()), endsAt: iso(clock.now() + 24 * RI) });

/** The alerts in the tenant's persisted state (the store drops a resolved alert once it was notified). */
function persistedAlerts(tenant = 'fake'): unknown[] {
  return (JSON.parse(readFileSync(stateFile(dir, tenant), 'utf8')) as { alerts: unknown[] }).alerts;
}

const metric = (name: string, integration = 'webhook') => metricSum(registry, name, { integration });

/** Lets the I/O and promise callbacks that timers started run (HTTP to the receiver, file writes begin). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

/** Moves the clock, letting what each timer started get going before the next fires. */
async function advance(ms: number): Promise<void> {
  await settle();
  await clock.advance(ms, settle);
  await settle();
}

/** Nothing more reaches the receiver: every flush the clock started has finished without sending. */
async function assertNothingNew(n: number): Promise<void> {
  await advance(0);
  assert.equal(attempts(recv).length, n, `expected no new notification, got ${JSON.stringify(attempts(recv).slice(n).map((r) => r.body))}`);
}

beforeEach(async () => {
  dir = tempDir('notify-unit-');
  clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  recv = await startWebhookReceiver();
  logged = captureLog('info');
});

afterEach(async () => {
  for (const n of open.splice(0)) await n.close();
  await recv.close();
  removeDir(dir);
});

test('a new group waits group_wait, then sends its alerts in one webhook message', async () => {
  const n = notifier();
  const t0 = clock.now();
  await n.send('fake', [firing('HighErrors', 'a'), firing('HighErrors', 'b')]);
  await advance(GW - 1);
  await assertNothingNew(0);
  await advance(1);
  const msg = (await waitFor('the first notification', () => delivered(recv)[0])).body;
  assert.equal(msg.version, '4');
  assert.equal(msg.status, 'firing');
  assert.equal(msg.receiver, 'hook');
  assert.equal(msg.groupKey, '{}:{alertname="HighErrors"}');
  assert.deepEqual(msg.groupLabels, { alertname: 'HighErrors' });
  assert.deepEqual(msg.commonLabels, { alertname: 'HighErrors' });
  assert.equal(msg.externalURL, 'http://lw.example:3100/alertmanager');
  assert.equal(msg.truncatedAlerts, 0);
  assert.deepEqual(msg.alerts.map((a: { labels: { instance: string } }) => a.labels.instance).sort(), ['a', 'b']);
  assert.equal(msg.alerts[0].startsAt, iso(t0));
  assert.equal(msg.alerts[0].endsAt, '0001-01-01T00:00:00Z');
  assert.match(msg.alerts[0].fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(await metric('alertmanager_notifications_total'), 1);
});

test('changes wait for group_interval; an unchanged group repeats after repeat_interval', async () => {
  const n = notifier();
  await n.send('fake', [firing('HighErrors', 'a')]);
  await advance(GW);
  await waitFor('first', () => delivered(recv).length === 1);
  await n.send('fake', [firing('HighErrors', 'b')]);
  await advance(GI - 1);
  await assertNothingNew(1);
  await advance(1);
  const second = await waitFor('the change after group_interval', () => delivered(recv)[1]);
  assert.equal(second.body.alerts.length, 2);
  // Nothing changes now: ticks every group_interval send nothing until repeat_interval has passed.
  for (let t = GI; t < RI; t += GI) await advance(GI);
  await assertNothingNew(2);
  await advance(GI);
  const third = await waitFor('the repeat', () => delivered(recv)[2]);
  assert.equal(third.body.alerts.length, 2);
});

test('a resolved alert is sent as resolved at the next group_interval, then the group is gone', async () => {
  const n = notifier();
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('firing', () => delivered(recv).length === 1);
  await n.send('fake', [{ ...firing('Disk', 'a'), endsAt: iso(clock.now()) }]);
  assert.deepEqual(n.alerts('fake'), [], 'a resolved alert is not listed');
  await advance(GI);
  const msg = (await waitFor('resolved', () => delivered(recv)[1])).body;
  assert.equal(msg.status, 'resolved');
  assert.equal(msg.alerts[0].status, 'resolved');
  assert.equal(msg.alerts[0].endsAt, iso(clock.now() - GI));
  await waitFor('the group removed', () => n.groups('fake').length === 0 && true);
  await advance(RI * 2);
  await assertNothingNew(2);
});

test('with send_resolved false, resolving sends nothing, and a later firing is notified again', async () => {
  const n = notifier({ send_resolved: false });
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('firing', () => delivered(recv).length === 1);
  await n.send('fake', [{ ...firing('Disk', 'a'), endsAt: iso(clock.now()) }]);
  await advance(GI);
  await waitFor('the resolved alert dropped', () => persistedAlerts().length === 0);
  await assertNothingNew(1);
  // It fires again later: a new group, notified after group_wait.
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('firing again', () => delivered(recv).length === 2);
});

test('a silenced group sends nothing; when the silence expires the alert goes out at the next interval', async () => {
  const n = notifier();
  const id = await n.putSilence('fake', {
    matchers: [{ name: 'alertname', value: 'Disk', isRegex: false, isEqual: true }],
    startsAt: iso(clock.now()),
    endsAt: iso(clock.now() + 10 * 60_000),
    createdBy: 'test',
    comment: 'maintenance',
  });
  await n.send('fake', [firing('Disk', 'a')]);
  await n.send('other-tenant', [firing('Disk', 'a')]);
  assert.deepEqual(n.alerts('fake')[0]!.status, { inhibitedBy: [], silencedBy: [id], state: 'suppressed' });
  assert.equal(n.alerts('other-tenant')[0]!.status.state, 'active', "a silence is one tenant's only");
  await advance(GW);
  await waitFor('the other tenant notified', () => delivered(recv).length === 1);
  await advance(GI);
  await assertNothingNew(1);
  await n.expireSilence('fake', id);
  assert.equal(n.silence('fake', id).status.state, 'expired');
  await advance(GI);
  const msg = await waitFor('sent after the silence expired', () => delivered(recv)[1]);
  assert.equal(msg.body.alerts[0].labels.alertname, 'Disk');
});

test('a receiver answering 5xx is retried with growing backoff, counted, then delivered', async () => {
  // random() = 1 takes the top of the backoff's jitter: exactly 250 ms, then 500 ms.
  const n = notifier();
  failNext(recv, 503, 502);
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('first failure counted', async () => (await metric('alertmanager_notifications_failed_total')) === 1);
  const t1 = clock.now();
  await advance(249);
  assert.equal(attempts(recv).length, 1, 'no retry before the first backoff (250ms)');
  await advance(1);
  await waitFor('second failure counted', async () => (await metric('alertmanager_notifications_failed_total')) === 2);
  await advance(499);
  assert.equal(attempts(recv).length, 2, 'the second backoff is twice the first');
  await advance(1);
  await waitFor('delivered', () => delivered(recv).length === 1);
  assert.equal(clock.now() - t1, 750);
  assert.equal(await metric('alertmanager_notifications_total'), 3);
  assert.equal(await metric('alertmanager_notifications_failed_total'), 2);
  const failures = logged.lines.filter((l) => l.msg === 'notify attempt failed, retrying');
  assert.deepEqual(
    failures.map((l) => [l.level, l.component, l.tenant, l.receiver, l.group, l.integration, l.attempt, l.status, l.retryInMs]),
    [
      ['warn', 'notify', 'fake', 'hook', '{}:{alertname="Disk"}', 'webhook', 1, 503, 250],
      ['warn', 'notify', 'fake', 'hook', '{}:{alertname="Disk"}', 'webhook', 2, 502, 500],
    ],
  );
  assert.match(String(failures[0]!.err), /503 Service Unavailable/);
  for (const text of logged.texts) assert.deepEqual(repeatedKeys(text), [], text);
  assert.ok(logged.lines.some((l) => l.msg === 'notification delivered after retries' && l.attempt === 3));
});

test('a 4xx is not retried; the next group_interval tries again', async () => {
  const n = notifier();
  failNext(recv, 400);
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('failure counted', async () => (await metric('alertmanager_notifications_failed_total')) === 1);
  await advance(GI - 1);
  assert.equal(attempts(recv).length, 1);
  await advance(1);
  await waitFor('delivered at the next interval', () => delivered(recv).length === 1);
});

test('after a restart the notification log prevents a duplicate, and a due notification is still sent', async () => {
  const a = notifier();
  await a.send('fake', [firing('Sent', 'a'), firing('Due', 'a')]);
  // Only the Sent group's wait has passed when the notifier stops.
  await advance(GW);
  await waitFor('Sent group notified', () => delivered(recv).length === 2);
  const before = recv.requests.length;
  await a.send('fake', [firing('Late', 'a')]);
  await advance(GW / 2);
  await a.close();
  const b = notifier();
  assert.equal(b.alerts('fake').length, 3, 'alerts survive the restart');
  await advance(GW);
  const got = await waitFor('the due group', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'Late'));
  assert.equal(got.body.alerts.length, 1);
  await advance(GI);
  assert.deepEqual(attempts(recv).slice(before).map((r) => r.body.groupLabels.alertname), ['Late'], 'groups already notified are not notified again');
});

test('max_alerts truncates the message and counts the rest', async () => {
  const n = notifier({ max_alerts: 2 });
  await n.send('fake', ['a', 'b', 'c'].map((i) => firing('Many', i)));
  await advance(GW);
  const msg = (await waitFor('sent', () => delivered(recv)[0])).body;
  assert.equal(msg.alerts.length, 2);
  assert.equal(msg.truncatedAlerts, 1);
});

test('group_by ["..."] makes one group per label set', async () => {
  const n = notifier({}, { group_by: ['...'] });
  await n.send('fake', [firing('X', 'a'), firing('X', 'b')]);
  await advance(GW);
  await waitFor('two notifications', () => delivered(recv).length === 2);
  assert.deepEqual(delivered(recv).map((r) => r.body.groupLabels.instance).sort(), ['a', 'b']);
});

test('an alert sent without endsAt resolves after resolve_timeout (5m) unless re-sent', async () => {
  const n = notifier({}, { group_interval: '1m' });
  await n.send('fake', [{ labels: { alertname: 'Quiet', instance: 'a' } }]);
  await n.send('fake', [{ labels: { alertname: 'Kept', instance: 'a' } }]);
  assert.equal(n.alerts('fake')[0]!.endsAt, iso(clock.now() + 5 * 60_000));
  await advance(GW);
  await waitFor('both notified', () => delivered(recv).length === 2);
  for (let i = 0; i < 5; i++) {
    await n.send('fake', [{ labels: { alertname: 'Kept', instance: 'a' } }]);
    await advance(60_000);
  }
  const resolved = await waitFor('Quiet resolved', () => delivered(recv).find((r) => r.body.status === 'resolved'));
  assert.equal(resolved.body.groupLabels.alertname, 'Quiet');
  assert.deepEqual(n.alerts('fake').map((a) => a.labels.alertname), ['Kept']);
});

test('expired silences are dropped after the 120h retention by the periodic maintenance, and stay dropped after a restart', async () => {
  const n = notifier();
  const id = await n.putSilence('fake', { matchers: [{ name: 'a', value: 'b', isRegex: false }], startsAt: iso(clock.now()), endsAt: iso(clock.now() + 60_000), createdBy: 'x', comment: 'y' });
  await advance(60_000 + 120 * 3_600_000 - 15 * 60_000);
  assert.equal(n.silence('fake', id).status.state, 'expired', 'kept during the retention');
  await advance(30 * 60_000);
  assert.throws(() => n.silence('fake', id), /silence not found/);
  await waitFor('the state file rewritten', () => (JSON.parse(readFileSync(stateFile(dir, 'fake'), 'utf8')) as { silences: unknown[] }).silences.length === 0);
  await n.close();
  assert.deepEqual(notifier().silences('fake'), []);
});

test("a Slack URL's secret path never appears in errors or logs", async () => {
  const n = notifier({}, {}, { name: 'hook', slack_configs: [{ api_url: `${recv.url}services/T000/B000/sEcReTtOkEn` }] });
  failNext(recv, 404);
  await n.send('fake', [firing('Disk', 'a')]);
  await advance(GW);
  await waitFor('failure counted', async () => (await metric('alertmanager_notifications_failed_total', 'slack')) === 1);
  const line = logged.lines.find((l) => l.integration === 'slack' && l.status === 404);
  assert.ok(line, 'the failure is logged');
  assert.match(String(line.err), /\/<secret>: 404/);
  assert.ok(logged.texts.every((t) => !t.includes('sEcReTtOkEn')), 'the token is in no log line');
});
