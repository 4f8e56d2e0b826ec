/**
 * The built-in notifier end to end: the real server on port 0 with a real HTTP receiver, alerts
 * posted through Alertmanager's v2 API exactly as the ruler or Prometheus post them, on real time
 * with short intervals (group_wait 1s, group_interval 2s). Timing is asserted from arrival times;
 * the tests wait for what they expect instead of sleeping.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startChildServer, startCli, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startWebhookReceiver, delivered, attempts, failNext, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { waitFor } from '../helpers/wait-for.js';

const GW = 1000;
const GI = 2000;
// Timers fire a little late on a loaded machine; never early.
const LATE = 3000;

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  cleanups.push(() => r.close());
  return r;
}

function notifyConfig(recv: WebhookReceiver, over: { route?: Record<string, unknown>; webhook?: Record<string, unknown>; receiver?: Record<string, unknown> } = {}) {
  return {
    notify: {
      route: { receiver: 'team', group_by: ['alertname'], group_wait: '1s', group_interval: '2s', repeat_interval: '1h', ...over.route },
      receivers: [{ name: 'team', webhook_configs: [{ url: `${recv.url}hook`, ...over.webhook }], ...over.receiver }],
    },
  };
}

async function server(overrides: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer(overrides);
  cleanups.push(async () => {
    await s.close().catch(() => {});
    removeDir(s.dir);
  });
  return s;
}

/** POSTs alerts as the ruler does; anything but 200 fails the test unless `expect` says otherwise. */
async function postAlerts(url: string, alerts: unknown[], tenant?: string, expect = 200): Promise<Response> {
  const res = await fetch(`${url}/alertmanager/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(tenant ? { 'X-Scope-OrgID': tenant } : {}) }, body: JSON.stringify(alerts) });
  if (res.status !== expect) assert.fail(`POST alerts answered ${res.status}: ${await res.text()}`);
  return res;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The same alert resolved now (startsAt no later than endsAt, or the notifier refuses it). */
const resolved = (name: string, instance: string) => {
  const now = iso(Date.now());
  return alert(name, instance, { startsAt: now, endsAt: now });
};
const alert = (name: string, instance: string, extra: Record<string, unknown> = {}) => ({
  labels: { alertname: name, instance },
  annotations: { summary: `${name} on ${instance}` },
  startsAt: iso(Date.now()),
  endsAt: iso(Date.now() + 3_600_000),
  generatorURL: 'http://lw.example/explore?q=1',
  ...extra,
});

test('two alerts of a group arrive in one notification after group_wait; a new one after group_interval; resolved after that', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv));
  const t0 = Date.now();
  const res = await postAlerts(s.url, [alert('HighErrors', 'a'), alert('HighErrors', 'b')]);
  assert.equal(res.status, 200);
  const first = await waitFor('the first notification', () => delivered(recv)[0]);
  assert.ok(first.at - t0 >= GW, `group_wait honoured (${first.at - t0} ms)`);
  assert.ok(first.at - t0 < GW + LATE, `not much later than group_wait (${first.at - t0} ms)`);
  assert.equal(first.path, '/hook');
  assert.equal(first.body.alerts.length, 2);
  assert.equal(first.body.groupKey, '{}:{alertname="HighErrors"}');
  assert.equal(first.body.alerts[0].generatorURL, 'http://lw.example/explore?q=1');
  assert.equal(first.body.externalURL, `${s.url}/alertmanager`);

  await postAlerts(s.url, [alert('HighErrors', 'c')]);
  const second = await waitFor('the change', () => delivered(recv)[1]);
  const gap = second.at - first.at;
  assert.ok(gap >= GI - 50 && gap < GI + LATE, `a change waits for group_interval (${gap} ms)`);
  assert.equal(second.body.alerts.length, 3);

  await postAlerts(s.url, [resolved('HighErrors', 'c')]);
  const third = await waitFor('the resolved alert', () => delivered(recv)[2]);
  assert.equal(third.body.status, 'firing', 'two are still firing');
  const byInstance = Object.fromEntries(third.body.alerts.map((a: { labels: { instance: string }; status: string }) => [a.labels.instance, a.status]));
  assert.deepEqual(byInstance, { a: 'firing', b: 'firing', c: 'resolved' });
  assert.equal(delivered(recv).length, 3, 'no extra notification');
});

test('repeat_interval: an unchanged group is notified again after it, not before', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv, { route: { repeat_interval: '4s' } }));
  await postAlerts(s.url, [alert('Repeat', 'a')]);
  const first = await waitFor('first', () => delivered(recv)[0]);
  const second = await waitFor('the repeat', () => delivered(recv)[1], { timeoutMs: 15_000 });
  const gap = second.at - first.at;
  // Flushes happen every group_interval; the repeat goes out at the first one at least 4s later.
  assert.ok(gap >= 4000 - 50 && gap < 4000 + GI + LATE, `repeat after repeat_interval (${gap} ms)`);
  assert.deepEqual(second.body.alerts.map((a: { fingerprint: string }) => a.fingerprint), first.body.alerts.map((a: { fingerprint: string }) => a.fingerprint));
});

test('send_resolved false: resolving sends nothing, firing again is notified', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv, { webhook: { send_resolved: false } }));
  await postAlerts(s.url, [alert('Quiet', 'a')]);
  await waitFor('firing', () => delivered(recv).length === 1);
  await postAlerts(s.url, [resolved('Quiet', 'a')]);
  // A marker group posted now is notified after the resolved group's next flush would have been.
  await postAlerts(s.url, [alert('Marker', 'a', { startsAt: iso(Date.now() + GI) })]);
  await waitFor('the marker', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'Marker'), { timeoutMs: 15_000 });
  assert.deepEqual(delivered(recv).map((r) => [r.body.groupLabels.alertname, r.body.status]), [['Quiet', 'firing'], ['Marker', 'firing']]);
});

test('a silence suppresses; expiring it lets the alert through at the next group_interval', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv));
  const api = `${s.url}/alertmanager/api/v2`;
  const res = await fetch(`${api}/silences`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'Disk.*', isRegex: true, isEqual: true }], startsAt: iso(Date.now()), endsAt: iso(Date.now() + 3_600_000), createdBy: 'ops', comment: 'maintenance' }),
  });
  assert.equal(res.status, 200);
  const { silenceID } = (await res.json()) as { silenceID: string };
  await postAlerts(s.url, [alert('DiskFull', 'a'), alert('Other', 'a')]);
  await waitFor('the unsilenced group', () => delivered(recv).length === 1);
  assert.equal(delivered(recv)[0]!.body.groupLabels.alertname, 'Other');
  const listed = (await (await fetch(`${api}/alerts?filter=alertname%3D%22DiskFull%22`)).json()) as Array<{ status: { state: string; silencedBy: string[] } }>;
  assert.deepEqual(listed[0]!.status, { inhibitedBy: [], silencedBy: [silenceID], state: 'suppressed' });
  const hidden = (await (await fetch(`${api}/alerts?silenced=false`)).json()) as unknown[];
  assert.equal(hidden.length, 1, 'silenced=false leaves the silenced alert out');
  assert.match(await (await fetch(`${s.url}/metrics`)).text(), /^alertmanager_alerts\{state="suppressed"\} 1$/m);
  const expiredAt = Date.now();
  assert.equal((await fetch(`${api}/silence/${silenceID}`, { method: 'DELETE' })).status, 200);
  const got = await waitFor('the alert after the silence expired', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'DiskFull'));
  assert.ok(got.at - expiredAt < GI + LATE, `within a group_interval (${got.at - expiredAt} ms)`);
  const sil = (await (await fetch(`${api}/silence/${silenceID}`)).json()) as { status: { state: string } };
  assert.equal(sil.status.state, 'expired');
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^alertmanager_silences\{state="expired"\} 1$/m);
  assert.match(metrics, /^alertmanager_alerts\{state="active"\} 2$/m);
  assert.match(metrics, /^alertmanager_alerts\{state="suppressed"\} 0$/m);
});

test('restart: a group already notified is not notified again, one that was due is sent', async () => {
  const recv = await receiver();
  const dir = tempDir();
  cleanups.push(async () => removeDir(dir));
  const config = { data: dir, ...notifyConfig(recv) };
  const a = await startServer(config);
  await postAlerts(a.url, [alert('Sent', 'a')]);
  await waitFor('Sent notified', () => delivered(recv).length === 1);
  await postAlerts(a.url, [alert('Due', 'a')]);
  // Stopped inside Due's group_wait: it was accepted but not yet notified.
  await a.close();
  assert.equal(attempts(recv).length, 1);
  const b = await startServer(config);
  cleanups.push(() => b.close());
  await waitFor('Due notified after the restart', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'Due'));
  // A group posted now is notified after group_wait; a duplicate of Sent would have come before it
  // (restored groups whose alerts are older than group_wait flush at once).
  await postAlerts(b.url, [alert('After', 'a')]);
  await waitFor('After notified', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'After'));
  assert.deepEqual(attempts(recv).map((r) => r.body.groupLabels.alertname).sort(), ['After', 'Due', 'Sent']);
  const listed = (await (await fetch(`${b.url}/alertmanager/api/v2/alerts`)).json()) as unknown[];
  assert.equal(listed.length, 3, 'the alerts survived the restart');
});

test('killed with SIGKILL right after acknowledging an alert: it is notified after the restart, the earlier one is not repeated', async () => {
  const recv = await receiver();
  const dir = tempDir();
  cleanups.push(async () => removeDir(dir));
  const cfg = join(dir, 'logwharf.yaml');
  writeFileSync(cfg, stringify(notifyConfig(recv)));
  const a = await startChildServer(join(dir, 'data'), ['--config', cfg, '--log-level', 'warn']);
  cleanups.push(async () => {
    a.proc.kill('SIGKILL');
  });
  await postAlerts(a.url, [alert('Before', 'a')]);
  await waitFor('Before notified', () => delivered(recv).length === 1);
  assert.equal((await postAlerts(a.url, [alert('Acked', 'a')])).status, 200);
  a.proc.kill('SIGKILL');
  await a.exited;
  assert.equal(attempts(recv).length, 1, 'killed before Acked was due');
  const b = await startChildServer(join(dir, 'data'), ['--config', cfg, '--log-level', 'warn']);
  cleanups.push(async () => {
    b.proc.kill('SIGTERM');
    await b.exited;
  });
  await waitFor('Acked notified after the restart', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'Acked'));
  await postAlerts(b.url, [alert('After', 'a')]);
  await waitFor('After notified', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'After'));
  assert.deepEqual(attempts(recv).map((r) => r.body.groupLabels.alertname).sort(), ['Acked', 'After', 'Before']);
});

test('a receiver answering 503 is retried with backoff until delivered; attempts and failures are counted', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv));
  failNext(recv, 503, 503);
  await postAlerts(s.url, [alert('Flaky', 'a')]);
  await waitFor('delivered', () => delivered(recv).length === 1);
  assert.equal(attempts(recv).length, 3);
  const gaps = [attempts(recv)[1]!.at - attempts(recv)[0]!.at, attempts(recv)[2]!.at - attempts(recv)[1]!.at];
  // 250 ms then 500 ms, each with up to half taken off at random (jitter).
  assert.ok(gaps[0]! >= 120 && gaps[1]! >= 245 && gaps[1]! >= gaps[0]! - 10, `exponential backoff (${gaps})`);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^alertmanager_notifications_total\{integration="webhook"\} 3$/m);
  assert.match(metrics, /^alertmanager_notifications_failed_total\{integration="webhook"\} 2$/m);
  assert.match(metrics, /^alertmanager_notification_latency_seconds_count\{integration="webhook"\} 3$/m);
});

test('a receiver that hangs on one group does not delay another group', async () => {
  const recv = await receiver();
  const s = await server(notifyConfig(recv));
  recv.respondWith((q) => (q.body.toString('utf8').includes('"groupLabels":{"alertname":"Stuck"}') ? 'hang' : 200));
  const t0 = Date.now();
  await postAlerts(s.url, [alert('Stuck', 'a')]);
  await postAlerts(s.url, [alert('Fine', 'a')]);
  const fine = await waitFor('the other group', () => delivered(recv).find((r) => r.body.groupLabels.alertname === 'Fine'));
  assert.ok(fine.at - t0 < GW + LATE, `not delayed (${fine.at - t0} ms)`);
  await postAlerts(s.url, [alert('Fine', 'b')]);
  await waitFor('its next change too', () => delivered(recv).filter((r) => r.body.groupLabels.alertname === 'Fine').length === 2);
  assert.ok(attempts(recv).some((r) => r.body.groupLabels.alertname === 'Stuck'), 'the stuck group was attempted');
});

test('Slack-style incoming webhook: default title and text, templates, colour by status', async () => {
  // Slack itself is unreachable from here; a local HTTP server stands in for its incoming-webhook
  // endpoint and records what a Slack workspace would receive.
  const slack = await receiver();
  const s = await server({
    notify: {
      route: { receiver: 'chat', group_by: ['alertname'], group_wait: '1s', group_interval: '2s' },
      receivers: [
        {
          name: 'chat',
          slack_configs: [
            { api_url: `${slack.url}services/T0/B0/default`, channel: '#alerts', send_resolved: true },
            { api_url: `${slack.url}services/T0/B0/templated`, title: '{{ .Status }}: {{ .CommonLabels.alertname }} ({{ len .Alerts }})', text: '{{ range .Alerts }}{{ .Labels.instance }}={{ .Annotations.summary }};{{ end }}' },
          ],
        },
      ],
    },
  });
  await postAlerts(s.url, [alert('DiskFull', 'a'), alert('DiskFull', 'b')]);
  await waitFor('both Slack messages', () => delivered(slack).length === 2);
  const byPath = Object.fromEntries(delivered(slack).map((r) => [r.path.split('/').at(-1), r.body]));
  assert.deepEqual(byPath.default, {
    channel: '#alerts',
    username: 'logwharf',
    attachments: [{ color: 'danger', title: '[FIRING:2] DiskFull', text: '[firing] DiskFull on a\n[firing] DiskFull on b', fallback: '[FIRING:2] DiskFull' }],
  });
  assert.equal(byPath.templated.attachments[0].title, 'firing: DiskFull (2)');
  assert.equal(byPath.templated.attachments[0].text, 'a=DiskFull on a;b=DiskFull on b;');
  await postAlerts(s.url, [resolved('DiskFull', 'a'), resolved('DiskFull', 'b')]);
  const resolvedMsg = await waitFor('the resolved message', () => delivered(slack)[2]);
  assert.equal(resolvedMsg.path, '/services/T0/B0/default', 'only the config with send_resolved');
  assert.equal(resolvedMsg.body.attachments[0].color, 'good');
  assert.equal(resolvedMsg.body.attachments[0].title, '[RESOLVED] DiskFull');
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^alertmanager_notifications_total\{integration="slack"\} 3$/m);
});

test('a Slack template with a function we lack stops the server at start with the reason', async () => {
  await assert.rejects(
    startServer({ notify: { route: { receiver: 'chat' }, receivers: [{ name: 'chat', slack_configs: [{ api_url: 'http://127.0.0.1:9/x', title: '{{ .Status | toUpper }}' }] }] } }),
    /notify.receivers "chat" slack_configs title: .*toUpper/,
  );
});

test('a zero group_interval or repeat_interval is refused at start, as Alertmanager refuses it', async () => {
  for (const key of ['group_interval', 'repeat_interval']) {
    await assert.rejects(startServer({ notify: { route: { [key]: '0s' } } }), new RegExp(`notify.route.${key} cannot be zero`));
  }
});

test('tenants are separate: alerts, silences and groups per X-Scope-OrgID', async () => {
  const recv = await receiver();
  const s = await server({ auth_enabled: true, ...notifyConfig(recv) });
  const api = `${s.url}/alertmanager/api/v2`;
  assert.equal((await postAlerts(s.url, [alert('Mine', 'a')], 'team-a')).status, 200);
  await postAlerts(s.url, [alert('Mine', 'a')], undefined, 401); // no tenant, no access
  const get = async (path: string, tenant: string) => (await (await fetch(`${api}/${path}`, { headers: { 'X-Scope-OrgID': tenant } })).json()) as unknown[];
  assert.equal((await get('alerts', 'team-a')).length, 1);
  assert.equal((await get('alerts', 'team-b')).length, 0);
  assert.equal((await get('alerts/groups', 'team-a')).length, 1);
  assert.equal((await get('alerts/groups', 'team-b')).length, 0);
  // amtool's and Grafana's other parameters: receiver (an anchored regex), inhibited, unprocessed.
  assert.equal((await get('alerts?receiver=te.*&inhibited=false&unprocessed=false&active=true', 'team-a')).length, 1);
  assert.equal((await get('alerts?receiver=te', 'team-a')).length, 0, 'the receiver regex is anchored');
  assert.equal((await get('alerts/groups?receiver=other', 'team-a')).length, 0);
  assert.equal((await fetch(`${api}/alerts?receiver=(`, { headers: { 'X-Scope-OrgID': 'team-a' } })).status, 400);
  assert.deepEqual(await get('receivers', 'team-a'), [{ name: 'team' }]);
  await waitFor('team-a notified', () => delivered(recv).length === 1);
});

test('hostile input is refused with a 400 in Alertmanager style, and the server stays up', async () => {
  const recv = await receiver();
  const s = await server({ max_body_bytes: 64 * 1024, ...notifyConfig(recv) });
  const api = `${s.url}/alertmanager/api/v2`;
  const post = (path: string, body: string) => fetch(`${api}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const cases: Array<[Promise<Response>, number, RegExp]> = [
    [post('alerts', '{bad'), 400, /parsing alerts body failed/],
    [post('alerts', '{"labels":{"a":"b"}}'), 400, /expected a JSON array/],
    [post('alerts', '[{"labels":{}}]'), 400, /at least one label pair required/],
    [post('alerts', '[{"labels":{"a":"b"},"startsAt":"yesterday"}]'), 400, /startsAt "yesterday" is not an RFC 3339 time/],
    [post('alerts', JSON.stringify([{ labels: { a: 'b' }, startsAt: iso(Date.now()), endsAt: iso(Date.now() - 60_000) }])), 400, /start time must be before end time/],
    [post('alerts', JSON.stringify([{ labels: { kept: 'yes' } }, { labels: { a: 'b', 'x-y': 'c' } }, { labels: {} }])), 400, /^alert 1: invalid label name "x-y"; alert 2: at least one label pair required \(the 1 valid alert\(s\) were accepted\)$/],
    [post('alerts', JSON.stringify([{ labels: { a: 'x'.repeat(100 * 1024) } }])), 413, /exceeds the limit of 65536 bytes/],
    [fetch(`${api}/alerts?filter=${encodeURIComponent('a=~"("')}`), 400, /error parsing regexp/],
    [fetch(`${api}/alerts?filter=${encodeURIComponent('{a="b"')}`), 400, /bad matcher format/],
    [fetch(`${api}/alerts?active=maybe`), 400, /active must be true or false/],
    [fetch(`${api}/silences?filter=${encodeURIComponent('=x')}`), 400, /bad matcher format/],
    [post('silences', '[]'), 400, /must be a JSON object/],
    [post('silences', JSON.stringify({ matchers: [{ name: 'a', value: 'b', isRegex: false }], startsAt: 'now', endsAt: iso(Date.now()), createdBy: 'x', comment: 'y' })), 400, /startsAt "now" is not an RFC 3339 time/],
    [post('silences', JSON.stringify({ matchers: [{ name: 'a', value: 'b', isRegex: false }], startsAt: iso(Date.now() - 7200_000), endsAt: iso(Date.now() - 3600_000), createdBy: 'x', comment: 'y' })), 400, /end time can't be in the past/],
    [post('silences', JSON.stringify({ matchers: [{ name: 'a', value: '(', isRegex: true }], startsAt: iso(Date.now()), endsAt: iso(Date.now() + 60_000), createdBy: 'x', comment: 'y' })), 400, /error parsing regexp/],
    [fetch(`${api}/silence/not-a-uuid`), 400, /must be of type uuid/],
    [fetch(`${api}/silence/00000000-0000-0000-0000-000000000000`), 404, /not found/],
    [fetch(`${api}/silence/00000000-0000-0000-0000-000000000000`, { method: 'DELETE' }), 404, /not found/],
  ];
  for (const [p, status, why] of cases) {
    const res = await p;
    const text = await res.text();
    assert.equal(res.status, status, text);
    {
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(JSON.parse(text) as string, why);
    }
  }
  // As Alertmanager, the valid alert of a partly invalid request is kept; nothing else is.
  assert.deepEqual(((await (await fetch(`${api}/alerts`)).json()) as Array<{ labels: object }>).map((a) => a.labels), [{ kept: 'yes' }]);
  assert.equal((await fetch(`${s.url}/alertmanager/-/healthy`)).status, 200);
  assert.equal((await fetch(`${s.url}/alertmanager/-/ready`)).status, 200);

});

test('a damaged state file is moved aside and logged; the server starts and serves', async () => {
  const dir = tempDir();
  cleanups.push(async () => removeDir(dir));
  mkdirSync(join(dir, 'data', 'notify'), { recursive: true });
  writeFileSync(join(dir, 'data', 'notify', 'tenant-fake.json'), '{"version":1,"alerts":[{"torn');
  const srv = await startCli(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data')], 'logwharf server ready');
  cleanups.push(async () => {
    srv.proc.kill('SIGTERM');
    await srv.exited;
  });
  const url = srv.ready.address as string;
  assert.deepEqual(await (await fetch(`${url}/alertmanager/api/v2/alerts`)).json(), []);
  assert.equal((await postAlerts(url, [alert('New', 'a')])).status, 200);
  const aside = readdirSync(join(dir, 'data', 'notify')).filter((f) => f.startsWith('tenant-fake.json.damaged-'));
  assert.equal(aside.length, 1);
  const logged = srv.stdoutLines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.component === 'notify' && l.level === 'error');
  assert.ok(logged, 'the damage is logged');
  assert.match(String(logged.msg), /damaged notifier state file moved aside/);
  assert.equal(logged.moved_to, join(dir, 'data', 'notify', aside[0]!));
});
