/**
 * The default self-monitoring rules (issue #13) on the real server, with short intervals: an agent
 * registered through the sources API that stops reporting fires "LogwharfAgentStale" naming it,
 * delivered by the built-in notifier to a real webhook receiver, and resolves when it reports again;
 * a healthy server (its agent reporting) fires nothing over many evaluations. The rules are visible
 * through the ruler API, replaced by a namespace of the same name written through it, back when that
 * is deleted, and absent with `health.default_rules: false`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { waitFor } from '../helpers/wait-for.js';
import { startAlertmanager, webhookConfig } from '../helpers/alertmanager.js';
import type { StatusResponse } from '../../src/api/status.js';
import type { SourceReport } from '../../src/api/sources.js';

const AUDIT = { 'X-Scope-OrgID': 'logwharf-audit' };

async function server(t: { after(fn: () => Promise<void>): void }, overrides: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer(overrides);
  t.after(async () => {
    await s.close().catch(() => {});
    removeDir(s.dir);
  });
  return s;
}

async function receiver(t: { after(fn: () => Promise<void>): void }): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  t.after(() => r.close());
  return r;
}

/** Short intervals: a health record every second, stale after 2 s, notifications within a second or two. */
function fastConfig(recv: WebhookReceiver): Record<string, unknown> {
  return {
    registry: { stale_after: '2s' },
    health: { record_interval: '1s' },
    notify: {
      route: { receiver: 'ops', group_by: ['alertname', 'agent'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'ops', webhook_configs: [{ url: `${recv.url}hook` }] }],
    },
  };
}

async function report(url: string, agent: string): Promise<void> {
  const body: SourceReport = {
    agent: { id: agent, host: `${agent}.example`, version: '0.1.0', started_at: '2026-12-01T00:00:00Z' },
    sources: [{ id: `file:/var/log/${agent}.log`, kind: 'file', file: `/var/log/${agent}.log`, labels: { job: agent }, state: 'tailing', lines_read: 5, lines_shipped: 5, bytes_shipped: 100, lines_dropped: 0, lag_seconds: 0, first_seen: '2026-12-01T00:00:00Z' }],
  };
  const res = await fetch(`${url}/api/v1/sources`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 204, await res.text());
}

/** An agent reporting every 500 ms (a quarter of stale_after), as the real agent reports every interval. */
function keepReporting(url: string, agent: string): () => void {
  const timer = setInterval(() => void report(url, agent).catch(() => {}), 500);
  return () => clearInterval(timer);
}

async function iterations(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^prometheus_rule_group_iterations_total\{[^}]*rule_group="[^"]*logwharf[^"]*self-monitoring"[^}]*\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

async function alerts(url: string): Promise<Array<{ labels: Record<string, string>; state: string }>> {
  const res = await fetch(`${url}/prometheus/api/v1/alerts`, { headers: AUDIT });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }).data.alerts;
}

test('an agent that stops reporting fires LogwharfAgentStale to the webhook, naming it; it resolves when the agent reports again', { timeout: 60_000 }, async (t) => {
  const recv = await receiver(t);
  const s = await server(t, fastConfig(recv));
  const stopHealthy = keepReporting(s.url, 'node-ok');
  t.after(stopHealthy);
  await report(s.url, 'node-gone');

  const firing = await waitFor('the stale alert at the webhook', () =>
    recv.received.find((m) => m.status === 'firing' && m.alerts.some((a) => a.labels.alertname === 'LogwharfAgentStale')), { timeoutMs: 30_000 });
  const a = firing.alerts.find((x) => x.labels.alertname === 'LogwharfAgentStale')!;
  assert.deepEqual(
    { agent: a.labels.agent, host: a.labels.host, tenant: a.labels.tenant, severity: a.labels.severity },
    { agent: 'node-gone', host: 'node-gone.example', tenant: 'fake', severity: 'warning' },
  );
  assert.equal(a.annotations.summary, 'Agent node-gone on node-gone.example (tenant fake) stopped reporting');
  // Only the stale agent: the one still reporting is not named, and nothing else fired.
  const names = new Set(recv.received.flatMap((m) => m.alerts.map((x) => `${x.labels.alertname}/${x.labels.agent ?? ''}`)));
  assert.deepEqual([...names], ['LogwharfAgentStale/node-gone']);

  // The agent is back: its problem records stop, and the alert resolves within the rule's window.
  const stopGone = keepReporting(s.url, 'node-gone');
  t.after(stopGone);
  const resolved = await waitFor('the stale alert resolved at the webhook', () =>
    recv.received.find((m) => m.status === 'resolved' && m.alerts.some((x) => x.labels.agent === 'node-gone')), { timeoutMs: 30_000 });
  assert.equal(resolved.alerts[0]!.labels.alertname, 'LogwharfAgentStale');
});

test('with ruler.alertmanager_url the stale-agent alert reaches a real Alertmanager, and the notifier component names it', { timeout: 60_000 }, async (t) => {
  const hook = await receiver(t);
  const am = await startAlertmanager(t, webhookConfig(`${hook.url}hook`, { group_by: ['alertname', 'agent'] }));
  if (!am) return;
  t.after(() => am.close());
  const s = await server(t, { registry: { stale_after: '2s' }, health: { record_interval: '1s' }, ruler: { alertmanager_url: am.url } });
  const stop = keepReporting(s.url, 'node-ok');
  t.after(stop);
  await report(s.url, 'node-gone');
  const inAm = await waitFor('the stale alert in Alertmanager', async () => (await am.alerts()).find((a) => a.labels.alertname === 'LogwharfAgentStale'), { timeoutMs: 30_000 });
  assert.equal(inAm.labels.agent, 'node-gone');
  await waitFor('Alertmanager\'s webhook', () => hook.received.find((m) => m.alerts.some((a) => a.labels.agent === 'node-gone')), { timeoutMs: 30_000 });
  const st = (await (await fetch(`${s.url}/api/v1/status?component=notifier`)).json()) as StatusResponse;
  const notifier = st.components[0]!;
  assert.equal(notifier.figures.target, am.url);
  assert.ok((notifier.figures.attempted as number) >= 1, JSON.stringify(notifier.figures));
  assert.equal(notifier.figures.failed, 0);
});

test('a disk fuller than health.disk_critical_percent fires LogwharfDiskNearlyFull with severity critical', { timeout: 60_000 }, async (t) => {
  const recv = await receiver(t);
  // 0 % is crossed by any real filesystem: the threshold, not the disk, is what the test moves.
  await server(t, { ...fastConfig(recv), health: { record_interval: '1s', disk_warning_percent: 0, disk_critical_percent: 0 } });
  const msg = await waitFor('the disk alert at the webhook', () =>
    recv.received.find((m) => m.status === 'firing' && m.alerts.some((a) => a.labels.alertname === 'LogwharfDiskNearlyFull')), { timeoutMs: 30_000 });
  const a = msg.alerts.find((x) => x.labels.alertname === 'LogwharfDiskNearlyFull')!;
  assert.equal(a.labels.severity, 'critical');
  assert.equal(a.labels.status, 'critical');
  // Nothing else is wrong with this server.
  assert.deepEqual(new Set(recv.received.flatMap((m) => m.alerts.map((x) => x.labels.alertname))), new Set(['LogwharfDiskNearlyFull']));
});

test('a healthy server fires nothing over ten evaluations of the default rules', { timeout: 60_000 }, async (t) => {
  const recv = await receiver(t);
  const s = await server(t, fastConfig(recv));
  const stop = keepReporting(s.url, 'node-ok');
  t.after(stop);
  const start = await iterations(s.url);
  await waitFor('ten evaluations of the self-monitoring group', async () => (await iterations(s.url)) >= start + 10, { timeoutMs: 40_000 });
  // The records are there (the rules had something to read), and all say ok.
  const q = await fetch(`${s.url}/loki/api/v1/query_range?` + new URLSearchParams({ query: 'sum by (status) (count_over_time({log_type="health"} | json [1m]))', step: '60' }), { headers: AUDIT });
  const body = (await q.json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
  assert.deepEqual(body.data.result.map((r) => r.metric.status), ['ok']);
  assert.deepEqual(await alerts(s.url), [], 'no alert pending or firing');
  assert.deepEqual(recv.requests, [], 'no notification');
});

test('the default rules are listed by the ruler API, replaced by an API namespace of the same name, back when it is deleted; off by config', async (t) => {
  const s = await server(t, { health: { record_interval: '30s' } });
  const list = async () => {
    const res = await fetch(`${s.url}/loki/api/v1/rules`, { headers: AUDIT });
    return { status: res.status, text: await res.text() };
  };
  const before = await list();
  assert.equal(before.status, 200);
  assert.match(before.text, /^logwharf:\n {4}- name: self-monitoring\n {6}interval: 30s\n/);
  for (const name of ['LogwharfAgentStale', 'LogwharfSourcesFailing', 'LogwharfCoverageBelow100', 'LogwharfDiskNearlyFull', 'LogwharfComponentCritical']) assert.ok(before.text.includes(`alert: ${name}`), name);
  assert.match(before.text, /\[1m30s\]|\[90s\]/, 'the window is three recording rounds');

  const put = await fetch(`${s.url}/loki/api/v1/rules/logwharf`, {
    method: 'POST',
    headers: { ...AUDIT, 'Content-Type': 'application/yaml' },
    body: 'name: mine\nrules:\n  - alert: OnlyDisk\n    expr: sum(count_over_time({log_type="health", component="store"} | json | check="disk_nearly_full" [5m])) > 0\n',
  });
  assert.equal(put.status, 202, await put.text());
  const overridden = await list();
  assert.match(overridden.text, /^logwharf:\n {4}- name: mine\n/);
  assert.doesNotMatch(overridden.text, /self-monitoring/);

  const del = await fetch(`${s.url}/loki/api/v1/rules/logwharf`, { method: 'DELETE', headers: AUDIT });
  assert.equal(del.status, 202, await del.text());
  assert.match((await list()).text, /^logwharf:\n {4}- name: self-monitoring\n/);

  const off = await server(t, { health: { default_rules: false } });
  const res = await fetch(`${off.url}/loki/api/v1/rules`, { headers: AUDIT });
  const text = await res.text();
  assert.doesNotMatch(text, /self-monitoring/, `${res.status} ${text}`);
});
