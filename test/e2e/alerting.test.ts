/**
 * Alerting end to end, the way a user sets it up: a rule group POSTed through Loki's ruler API, log
 * lines pushed through the push API, the real server on port 0 evaluating every second, and the alert
 * arriving at a real HTTP receiver — through the built-in notifier, and through a real Alertmanager
 * 0.25 — then resolving when the errors stop. A recording rule's samples reach a real Prometheus 2.42
 * through remote write and are read back from its query API.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startAlertmanager, webhookConfig } from '../helpers/alertmanager.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait-for.js';
import type { WebhookMessage } from '../../src/api/alertmanager.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function server(overrides: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer({ ruler: { evaluation_interval: '1s', ...(overrides.ruler as object) }, ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'ruler')) });
  cleanups.push(async () => {
    await s.close();
    removeDir(s.dir);
  });
  return s;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  cleanups.push(() => r.close());
  return r;
}

// A 10s window, so the alert resolves 10 s after the last error line instead of a minute.
const GROUP = `name: payments
rules:
  - alert: PaymentErrors
    expr: sum by (app) (count_over_time({app="pay"} |= "ERROR" [10s])) > 2
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.app }} logged {{ $value }} errors in 10s"
`;

async function postRules(url: string, namespace: string, yaml: string): Promise<void> {
  const res = await fetch(`${url}/loki/api/v1/rules/${namespace}`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml });
  assert.equal(res.status, 202, await res.text());
}

async function pushErrors(url: string, n: number): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const values = Array.from({ length: n }, (_, i) => [String(now + BigInt(i)), `ERROR card declined order=${i}`]);
  const res = await fetch(`${url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { app: 'pay' }, values }] }),
  });
  assert.equal(res.status, 204, await res.text());
}

/**
 * Pushes an error line every 300 ms until `until` holds: the rule's 10 s window then holds errors
 * whenever it is evaluated, however late a loaded machine runs the evaluation.
 */
async function pushErrorsUntil(url: string, what: string, until: () => boolean): Promise<void> {
  await waitFor(what, async () => {
    if (until()) return true;
    await pushErrors(url, 1);
    return false;
  }, { timeoutMs: 30_000, intervalMs: 300 });
}

function alertsWith(r: WebhookReceiver, status: 'firing' | 'resolved'): Array<WebhookMessage['alerts'][number]> {
  return r.received.flatMap((m) => m.alerts).filter((a) => a.labels.alertname === 'PaymentErrors' && a.status === status);
}

test('a rule posted through the ruler API fires to the built-in notifier\'s webhook, then resolves', async () => {
  const hook = await receiver();
  const s = await server({
    ruler: { external_labels: { cluster: 'eu-1' } },
    notify: {
      route: { receiver: 'team', group_by: ['alertname', 'app'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'team', webhook_configs: [{ url: hook.url }] }],
    },
  });
  await postRules(s.url, 'shop', GROUP);
  await pushErrorsUntil(s.url, 'the firing alert at the webhook', () => alertsWith(hook, 'firing').length > 0);
  const firing = alertsWith(hook, 'firing')[0]!;
  assert.deepEqual(firing.labels, { alertname: 'PaymentErrors', app: 'pay', severity: 'page', cluster: 'eu-1' });
  assert.match(firing.annotations.summary!, /^pay logged \d+ errors in 10s$/);
  assert.ok(Number(/\d+/.exec(firing.annotations.summary!)![0]) > 2, 'the value in the summary is the one that crossed the threshold');
  const gen = new URL(firing.generatorURL);
  assert.equal(gen.origin, new URL(s.url).origin, 'the generator URL opens the query on this server');
  assert.equal(gen.searchParams.get('query'), 'sum by (app) (count_over_time({app="pay"} |= "ERROR" [10s])) > 2');
  const msg = hook.received.find((m) => m.alerts.some((a) => a.status === 'firing'))!;
  assert.equal(msg.version, '4');
  assert.equal(msg.receiver, 'team');
  assert.deepEqual(msg.groupLabels, { alertname: 'PaymentErrors', app: 'pay' });

  // The alert is listed where Grafana's alert list and amtool look.
  const prom = (await (await fetch(`${s.url}/prometheus/api/v1/alerts`)).json()) as { data: { alerts: Array<{ state: string; labels: Record<string, string> }> } };
  assert.deepEqual(prom.data.alerts.map((a) => [a.labels.alertname, a.state]), [['PaymentErrors', 'firing']]);
  const am = (await (await fetch(`${s.url}/alertmanager/api/v2/alerts`)).json()) as Array<{ labels: Record<string, string>; status: { state: string } }>;
  assert.deepEqual(am.map((a) => [a.labels.alertname, a.status.state]), [['PaymentErrors', 'active']]);

  // No more errors: 10 s later the count drops under the threshold and the resolution is sent.
  await waitFor('the resolved alert at the webhook', () => alertsWith(hook, 'resolved').length > 0, { timeoutMs: 40_000 });
  assert.equal(alertsWith(hook, 'firing').length, 1, 'the firing alert was sent once (repeat_interval 1h), not on every evaluation');
});

test('with ruler.alertmanager_url the alert goes through a real Alertmanager to its webhook, and resolves', async (t) => {
  const hook = await receiver();
  const am = await startAlertmanager(t, webhookConfig(hook.url, { group_by: ['alertname'] }));
  if (!am) return;
  cleanups.push(() => am.close());
  const s = await server({ ruler: { alertmanager_url: am.url, external_labels: { cluster: 'eu-1' } } });
  await postRules(s.url, 'shop', GROUP);
  await pushErrorsUntil(s.url, 'the firing alert through Alertmanager', () => alertsWith(hook, 'firing').length > 0);
  const firing = alertsWith(hook, 'firing')[0]!;
  assert.deepEqual(firing.labels, { alertname: 'PaymentErrors', app: 'pay', severity: 'page', cluster: 'eu-1' });
  assert.match(firing.annotations.summary!, /^pay logged \d+ errors in 10s$/);
  assert.match(firing.generatorURL, /\/loki\/api\/v1\/query_range\?query=/);
  // The built-in notifier got nothing: an Alertmanager is configured.
  const builtIn = (await (await fetch(`${s.url}/alertmanager/api/v2/alerts`)).json()) as unknown[];
  assert.deepEqual(builtIn, []);

  await waitFor('the resolved alert through Alertmanager', () => alertsWith(hook, 'resolved').length > 0, { timeoutMs: 40_000 });
});

test('a recording rule writes its samples to a real Prometheus through remote write', async (t) => {
  const prom = await startPrometheus(t);
  if (!prom) return;
  cleanups.push(() => prom.close());
  const s = await server({ ruler: { remote_write: { url: prom.writeUrl }, external_labels: { cluster: 'eu-1' } } });
  await pushErrors(s.url, 3);
  await postRules(
    s.url,
    'shop',
    `name: recorded
rules:
  - record: app:errors:count10m
    expr: sum by (app) (count_over_time({app="pay"} |= "ERROR" [10m]))
    labels:
      source: logs
`,
  );
  let got: Awaited<ReturnType<typeof prom.query>> = [];
  await waitFor('the recorded series in Prometheus', async () => {
    got = await prom.query('app:errors:count10m', Date.now());
    return got.length > 0;
  }, { timeoutMs: 30_000 });
  assert.deepEqual(got[0]!.metric, { __name__: 'app:errors:count10m', app: 'pay', source: 'logs', cluster: 'eu-1' });
  assert.equal(got[0]!.value[1], '3');
});
