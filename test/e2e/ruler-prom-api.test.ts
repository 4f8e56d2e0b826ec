/**
 * The ruler end to end: a real server on port 0 evaluates rule groups put in place through Loki's
 * ruler API (YAML as users write them, 1s interval, templates in labels and annotations) over logs
 * pushed through the push API, and serves Prometheus' rules and alerts API per tenant, in the exact shape
 * Grafana's alert list reads (checked field by field, keys in Prometheus' order).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RecordingAlertSink } from '../helpers/ruler-stand-ins.js';
import { waitFor } from '../helpers/wait-for.js';
import { removeDir, startServer, type RunningServer } from './helpers/server.js';

let srv: RunningServer;
const sink = new RecordingAlertSink();
const COUNT = 'sum by (job) (count_over_time({job="e2e"} |= "error" [5m]))';

/** Rule groups as users write them, put in place through Loki's ruler API (POST YAML, 202). */
const RULES: Array<[tenant: string, namespace: string, yaml: string]> = [
  [
    'team-a',
    'payments',
    `
name: errors
interval: 1s
limit: 5
rules:
  - alert: ErrorsSeen
    expr: ${COUNT} > 0
    labels:
      severity: page
      team: '{{ $labels.job }}-oncall'
    annotations:
      summary: '{{ $value }} errors in {{ $labels.job }} ({{ humanize 1234567 }})'
      link: '{{ $externalURL }}/x'
  - alert: ErrorsForAnHour
    expr: ${COUNT} > 0
    for: 1h
    keep_firing_for: 1m
  - alert: NeverFires
    expr: ${COUNT} > 1000
  - alert: Broken
    # One series per line once parsed: more than limits.max_query_series (1) allows, so it fails each time.
    expr: count_over_time({job="e2e"} | pattern "<_> <word>" [5m]) > 0
`,
  ],
  [
    'team-a',
    'payments',
    `
name: recorded
interval: 1s
rules:
  - record: job:errors:count5m
    expr: ${COUNT}
    labels:
      source: ruler
`,
  ],
  ['team-a', 'zz-other', `{name: quiet, interval: 1s, rules: [{alert: Quiet, expr: '${COUNT} > 1000'}]}`],
  ['team-b', 'payments', `{name: errors, interval: 1s, rules: [{alert: TeamB, expr: '${COUNT} > 0'}]}`],
];

async function push(tenant: string, lines: string[]): Promise<void> {
  const ts = (BigInt(Date.now()) * 1_000_000n).toString();
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant },
    body: JSON.stringify({ streams: [{ stream: { job: 'e2e' }, values: lines.map((l) => [ts, l]) }] }),
  });
  assert.equal(res.status, 204, await res.text());
}

async function get(path: string, tenant = 'team-a'): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(srv.url + path, { headers: { 'X-Scope-OrgID': tenant } });
  const text = await res.text();
  return { status: res.status, text, json: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined };
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

before(async () => {
  srv = await startServer({ auth_enabled: true, limits: { max_query_series: 1 }, ruler: { external_labels: { cluster: 'eu-1' }, external_url: 'https://logs.example.com' } }, { ruler: { alerts: sink } });
  for (const [tenant, namespace, yaml] of RULES) {
    const res = await fetch(`${srv.url}/loki/api/v1/rules/${namespace}`, { method: 'POST', headers: { 'Content-Type': 'application/yaml', 'X-Scope-OrgID': tenant }, body: yaml });
    assert.equal(res.status, 202, await res.text());
  }
  await push('team-a', ['level=error a', 'level=error b']);
  await push('team-b', ['level=error c']);
  await waitFor('team-a\'s groups evaluated with the pushed lines', async () => {
    const alerts = (await get('/prometheus/api/v1/alerts')).json.data.alerts;
    const groups = (await get('/prometheus/api/v1/rules')).json.data.groups;
    return alerts.length === 2 && groups.every((g: { lastEvaluation: string }) => g.lastEvaluation !== '0001-01-01T00:00:00Z');
  });
});

after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

test('GET /prometheus/api/v1/rules: groups, rules and alerts in Prometheus\' shape', async () => {
  const { status, json } = await get('/prometheus/api/v1/rules');
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(json), ['status', 'data']);
  assert.equal(json.status, 'success');
  const groups = json.data.groups;
  assert.deepEqual(groups.map((g: any) => [g.file, g.name]), [['payments', 'errors'], ['payments', 'recorded'], ['zz-other', 'quiet']]);
  const [errors, recorded] = groups;
  assert.deepEqual(Object.keys(errors), ['name', 'file', 'rules', 'interval', 'limit', 'evaluationTime', 'lastEvaluation']);
  assert.equal(errors.interval, 1);
  assert.equal(errors.limit, 5);
  assert.equal(typeof errors.evaluationTime, 'number');
  assert.match(errors.lastEvaluation, RFC3339);
  assert.notEqual(errors.lastEvaluation, '0001-01-01T00:00:00Z');

  const [seen, hour, never, broken] = errors.rules;
  assert.deepEqual(Object.keys(seen), ['state', 'name', 'query', 'duration', 'keepFiringFor', 'labels', 'annotations', 'alerts', 'health', 'evaluationTime', 'lastEvaluation', 'type']);
  assert.equal(seen.state, 'firing');
  assert.equal(seen.name, 'ErrorsSeen');
  assert.equal(seen.query, `${COUNT} > 0`);
  assert.equal(seen.duration, 0);
  assert.equal(seen.keepFiringFor, 0);
  // The rule's own labels and annotations, as written (templates unrendered), as Prometheus shows them.
  assert.deepEqual(seen.labels, { severity: 'page', team: '{{ $labels.job }}-oncall' });
  assert.deepEqual(seen.annotations, { summary: '{{ $value }} errors in {{ $labels.job }} ({{ humanize 1234567 }})', link: '{{ $externalURL }}/x' });
  assert.equal(seen.health, 'ok');
  assert.equal(seen.type, 'alerting');
  assert.match(seen.lastEvaluation, RFC3339);
  assert.equal(seen.alerts.length, 1);
  const [alert] = seen.alerts;
  assert.deepEqual(Object.keys(alert), ['labels', 'annotations', 'state', 'activeAt', 'value']);
  // Labels and annotations rendered for the series; external labels are added only to what is sent.
  assert.deepEqual(alert.labels, { job: 'e2e', severity: 'page', team: 'e2e-oncall', alertname: 'ErrorsSeen' });
  assert.deepEqual(Object.keys(alert.labels), ['alertname', 'job', 'severity', 'team'], 'label sets in name order, as Prometheus marshals them');
  assert.deepEqual(Object.keys(seen.annotations), ['link', 'summary']);
  assert.deepEqual(alert.annotations, { summary: '2 errors in e2e (1.235M)', link: 'https://logs.example.com/x' });
  assert.equal(alert.state, 'firing');
  assert.match(alert.activeAt, RFC3339);
  assert.equal(alert.value, '2e+00');

  assert.equal(hour.state, 'pending');
  assert.equal(hour.duration, 3600);
  assert.equal(hour.keepFiringFor, 60);
  assert.equal(hour.alerts[0].state, 'pending');
  assert.equal(never.state, 'inactive');
  assert.deepEqual(never.alerts, []);
  assert.deepEqual(Object.keys(broken), ['state', 'name', 'query', 'duration', 'keepFiringFor', 'labels', 'annotations', 'alerts', 'health', 'lastError', 'evaluationTime', 'lastEvaluation', 'type']);
  assert.equal(broken.health, 'err');
  assert.match(broken.lastError, /maximum number of series \(1\) reached for a single query/);

  assert.deepEqual(recorded.rules, [
    {
      name: 'job:errors:count5m',
      query: COUNT,
      labels: { source: 'ruler' },
      health: 'ok',
      evaluationTime: recorded.rules[0].evaluationTime,
      lastEvaluation: recorded.rules[0].lastEvaluation,
      type: 'recording',
    },
  ]);
  assert.match(recorded.rules[0].lastEvaluation, RFC3339);
});

test('GET /prometheus/api/v1/rules filters: type, rule_name[], rule_group[], file[]', async () => {
  const names = async (query: string) => {
    const { status, json } = await get('/prometheus/api/v1/rules' + query);
    assert.equal(status, 200);
    return json.data.groups.map((g: any) => `${g.file}/${g.name}:` + g.rules.map((r: any) => r.name).join(','));
  };
  assert.deepEqual(await names('?type=record'), ['payments/recorded:job:errors:count5m']);
  assert.deepEqual(await names('?type=ALERT&file[]=zz-other'), ['zz-other/quiet:Quiet']);
  assert.deepEqual(await names('?rule_name[]=ErrorsSeen&rule_name[]=Quiet'), ['payments/errors:ErrorsSeen', 'zz-other/quiet:Quiet']);
  assert.deepEqual(await names('?rule_group[]=recorded'), ['payments/recorded:job:errors:count5m']);
  // Loki reads the names without brackets; both are accepted.
  assert.deepEqual(await names('?rule_group=quiet'), ['zz-other/quiet:Quiet']);
  assert.deepEqual(await names('?type=record&rule_group[]=quiet'), []);
  const bad = await get('/prometheus/api/v1/rules?type=bogus');
  assert.equal(bad.status, 400);
  // Prometheus' error envelope, which Grafana's alert list decodes.
  const err = JSON.parse(bad.text) as { status: string; errorType: string; error: string };
  assert.deepEqual([err.status, err.errorType], ['error', 'bad_data']);
  assert.match(err.error, /not supported value "bogus"/);
});

test('GET /prometheus/api/v1/alerts lists the tenant\'s active alerts', async () => {
  const { status, json } = await get('/prometheus/api/v1/alerts');
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(json), ['status', 'data']);
  assert.deepEqual(Object.keys(json.data), ['alerts']);
  const byName = Object.fromEntries(json.data.alerts.map((a: any) => [a.labels.alertname, a]));
  assert.deepEqual(Object.keys(byName).sort(), ['ErrorsForAnHour', 'ErrorsSeen']);
  assert.deepEqual(byName.ErrorsForAnHour, {
    labels: { job: 'e2e', alertname: 'ErrorsForAnHour' },
    annotations: {},
    state: 'pending',
    activeAt: byName.ErrorsForAnHour.activeAt,
    value: '2e+00',
  });
});

test('tenants see only their own rules and alerts', async () => {
  const b = await get('/prometheus/api/v1/rules', 'team-b');
  assert.deepEqual(b.json.data.groups.map((g: any) => g.name), ['errors']);
  assert.deepEqual(b.json.data.groups[0].rules.map((r: any) => r.name), ['TeamB']);
  await waitFor('team-b\'s alert', async () => (await get('/prometheus/api/v1/alerts', 'team-b')).json.data.alerts.length === 1);
  const c = await get('/prometheus/api/v1/rules', 'team-c');
  assert.deepEqual(c.json, { status: 'success', data: { groups: [] } });
  const noTenant = await fetch(srv.url + '/prometheus/api/v1/rules');
  assert.equal(noTenant.status, 401);
});

test('firing alerts are handed to the sink with external labels and a generatorURL on the external URL', async () => {
  const sent = await waitFor('ErrorsSeen sent', () => sink.sent.find((s) => s.tenant === 'team-a' && s.alerts.some((a) => a.labels.alertname === 'ErrorsSeen')));
  const a = sent.alerts.find((x) => x.labels.alertname === 'ErrorsSeen')!;
  assert.deepEqual(a.labels, { job: 'e2e', severity: 'page', team: 'e2e-oncall', alertname: 'ErrorsSeen', cluster: 'eu-1' });
  assert.equal(a.annotations?.summary, '2 errors in e2e (1.235M)');
  assert.equal(a.generatorURL, `https://logs.example.com/loki/api/v1/query_range?query=${encodeURIComponent(`${COUNT} > 0`)}`);
  const metrics = await (await fetch(srv.url + '/metrics')).text();
  assert.match(metrics, /^prometheus_rule_evaluations_total\{tenant="team-a",rule_group="payments;errors"\} \d+/m);
  assert.match(metrics, /^prometheus_rule_evaluation_failures_total\{tenant="team-a",rule_group="payments;errors"\} [1-9]/m);
  assert.match(metrics, /^logwharf_ruler_alerts\{tenant="team-a",state="firing"\} 1$/m);
  assert.match(metrics, /^logwharf_ruler_alerts\{tenant="team-a",state="pending"\} 1$/m);
});
