/**
 * The rule manager (src/ruler/manager.ts) over the real query service and a real store, driven by a
 * hand-moved clock: alert states over `for` and keep_firing_for, what is sent and when, limits,
 * missed iterations, failing rules, reloads, recording rules.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRuleManager, type RuleManager, type RuleManagerDeps } from '../../../src/ruler/manager.js';
import { groupOffsetMs, slotAfter, slotAtOrBefore } from '../../../src/ruler/schedule.js';
import { groupKey, type RuleGroup } from '../../../src/rules/model.js';
import type { QueryService } from '../../../src/query/service.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { waitFor } from '../../helpers/wait-for.js';
import {
  alerting,
  group,
  InMemoryRuleSource,
  metricValue,
  openTestStore,
  RecordingAlertSink,
  RecordingSampleSink,
  recording,
  Registry,
  silentLog,
  T0,
  writeLines,
  type TestStore,
} from './fixtures.js';

let ts: TestStore;

// Tenant "fake": {job="api"} logs an error line every second from T0-60s to T0+120s, {job="web"}
// logs "ok" lines from T0-60s to T0+600s. Tenant "other" has its own errors, never seen by "fake".
before(async () => {
  ts = await openTestStore();
  await writeLines(ts.store, 'fake', { job: 'api' }, T0 - 60_000, T0 + 120_000, 'level=error boom');
  await writeLines(ts.store, 'fake', { job: 'web' }, T0 - 60_000, T0 + 600_000, 'level=info ok');
  await writeLines(ts.store, 'other', { job: 'api' }, T0 - 60_000, T0 + 600_000, 'level=error other');
});

after(async () => {
  await ts.close();
});

const ERRORS = 'sum by (job) (count_over_time({job="api"} |= "error" [10s])) > 0';

interface Harness {
  clock: ManualClock;
  manager: RuleManager;
  source: InMemoryRuleSource;
  sink: RecordingAlertSink;
  samples: RecordingSampleSink;
  registry: Registry;
  stateDir: string;
  /** Moves the clock by `ms`, each evaluation it starts finishing before the next timer fires. */
  advance(ms: number): Promise<void>;
  /** The first slot of `g` after the clock's time. */
  firstSlot(g: RuleGroup): number;
}

async function harness(groups: RuleGroup[], opts: Partial<RuleManagerDeps> & { stateDir?: string; clock?: ManualClock } = {}): Promise<Harness> {
  const clock = opts.clock ?? new ManualClock(T0);
  const source = new InMemoryRuleSource(groups);
  const sink = (opts.alerts as RecordingAlertSink | undefined) ?? new RecordingAlertSink();
  const samples = new RecordingSampleSink();
  const registry = new Registry();
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'ruler-state-')));
  const manager = createRuleManager({
    repository: source,
    query: ts.query,
    alerts: sink,
    samples,
    externalUrl: 'http://logwharf.example:3100/',
    resendDelayMs: 60_000,
    stateDir,
    registry,
    log: silentLog,
    now: clock.now,
    timers: clock,
    ...opts,
  });
  await manager.start();
  return {
    clock,
    manager,
    source,
    sink,
    samples,
    registry,
    stateDir,
    async advance(ms) {
      await clock.advance(ms, () => manager.idle());
    },
    firstSlot(g) {
      return slotAfter(clock.now(), g.intervalMs, groupOffsetMs(groupKey(g.tenant, g.namespace, g.name), g.intervalMs));
    },
  };
}

function alertsOf(h: Harness, tenant = 'fake') {
  return h.manager.groups(tenant).flatMap((g) => g.rules.flatMap((r) => r.alerts));
}

test('an alert is pending for `for`, then firing and sent once with its labels, then resolved and sent resolved', async () => {
  const g = group('fake', 'team-a', 'errors', [alerting('HighErrors', ERRORS, { forMs: 30_000, labels: { severity: 'page' }, annotations: { summary: 'errors in api' } })]);
  const h = await harness([g], { externalLabels: { cluster: 'eu-1', severity: 'ignored' } });
  try {
    const s1 = h.firstSlot(g);
    await h.advance(s1 - T0);
    let [a] = alertsOf(h);
    assert.equal(a?.state, 'pending');
    assert.equal(a.activeAt, s1);
    assert.deepEqual(a.labels, { alertname: 'HighErrors', job: 'api', severity: 'page' });
    assert.equal(a.value, 10);
    assert.equal(h.sink.sent.length, 0, 'pending alerts are not sent');

    await h.advance(20_000); // s1 + 20s: still pending
    assert.equal(alertsOf(h)[0]?.state, 'pending');
    await h.advance(10_000); // s1 + 30s: `for` reached
    [a] = alertsOf(h);
    assert.equal(a?.state, 'firing');
    assert.equal(a.firedAt, s1 + 30_000);
    assert.equal(h.sink.sent.length, 1);
    const [sent] = h.sink.all();
    assert.deepEqual(sent, {
      // External labels are added, never over the alert's own (severity stays "page").
      labels: { alertname: 'HighErrors', job: 'api', severity: 'page', cluster: 'eu-1' },
      annotations: { summary: 'errors in api' },
      startsAt: new Date(s1 + 30_000).toISOString(),
      // Four resend periods: max(interval 10s, resend delay 60s) × 4.
      endsAt: new Date(s1 + 30_000 + 240_000).toISOString(),
      generatorURL: `http://logwharf.example:3100/loki/api/v1/query_range?query=${encodeURIComponent(ERRORS)}`,
    });
    assert.equal(h.sink.sent[0]!.tenant, 'fake');

    await h.advance(50_000); // s1 + 80s: firing, not re-sent before the resend delay
    assert.equal(h.sink.sent.length, 1);
    await h.advance(10_000); // s1 + 90s: a minute after the first send
    assert.equal(h.sink.sent.length, 2);
    assert.equal(h.sink.all()[1]!.startsAt, sent!.startsAt);

    // The lines stop at T0+120s; the 10s window is empty from T0+130s on.
    const resolveAt = slotAfter(T0 + 129_999, 10_000, s1 % 10_000);
    await h.advance(resolveAt - h.clock.now());
    [a] = alertsOf(h);
    assert.equal(a?.state, 'inactive');
    assert.equal(a.resolvedAt, resolveAt);
    const last = h.sink.all().at(-1)!;
    assert.equal(last.endsAt, new Date(resolveAt).toISOString());
    assert.equal(last.startsAt, sent!.startsAt);
    const sends = h.sink.sent.length;
    await h.advance(10_000);
    assert.equal(h.sink.sent.length, sends, 'a resolution is sent once');
    assert.equal(await metricValue(h.registry, 'logwharf_ruler_alerts', { tenant: 'fake', state: 'firing' }), undefined);
  } finally {
    await h.manager.close();
  }
});

test('labels and annotations are rendered from the rule\'s templates for each series', async () => {
  const rule = alerting('Templated', 'sum by (job) (count_over_time({job=~"api|web"}[10s])) > 0', {
    labels: { team: '{{ $labels.job }}-team', severity: '{{ if gt $value 5.0 }}page{{ else }}ticket{{ end }}', dropped: '' },
    annotations: {
      summary: '{{ $labels.job }}: {{ $value }} lines ({{ humanize 12345 }})',
      where: '{{ $externalLabels.cluster }} {{ $externalURL }}',
      broken: '{{ nosuchfunc }}',
    },
  });
  const h = await harness([group('fake', 'ns', 'tpl', [rule])], { externalLabels: { cluster: 'eu-1' } });
  try {
    await h.advance(10_000);
    const byJob = Object.fromEntries(alertsOf(h).map((a) => [a.labels.job, a]));
    assert.deepEqual(byJob.api!.labels, { job: 'api', team: 'api-team', severity: 'page', alertname: 'Templated' });
    assert.deepEqual(byJob.api!.annotations, {
      summary: 'api: 10 lines (12.35k)',
      where: 'eu-1 http://logwharf.example:3100/',
      broken: byJob.api!.annotations.broken,
    });
    // A template that does not compile shows Prometheus' error text instead of failing the rule.
    assert.match(byJob.api!.annotations.broken!, /^<error expanding template: error parsing template __alert_Templated: /);
    assert.equal(h.manager.groups()[0]!.rules[0]!.health, 'ok');
    assert.equal(byJob.web!.labels.team, 'web-team');
    // What is sent carries the rendered labels, plus the external ones.
    const sent = h.sink.all().find((a) => a.labels.job === 'web')!;
    assert.deepEqual(sent.labels, { job: 'web', team: 'web-team', severity: 'page', alertname: 'Templated', cluster: 'eu-1' });
  } finally {
    await h.manager.close();
  }
});

test('keep_firing_for keeps a firing alert firing after its series is gone, then resolves it', async () => {
  const g = group('fake', 'team-a', 'sticky', [alerting('Sticky', ERRORS, { keepFiringForMs: 30_000 })]);
  const h = await harness([g], { clock: new ManualClock(T0 + 100_000) });
  try {
    const s1 = h.firstSlot(g);
    await h.advance(s1 - h.clock.now());
    assert.equal(alertsOf(h)[0]?.state, 'firing', 'for 0s fires at once');
    const gone = slotAfter(T0 + 129_999, 10_000, s1 % 10_000); // first slot with an empty window
    await h.advance(gone - h.clock.now());
    let [a] = alertsOf(h);
    assert.equal(a?.state, 'firing');
    assert.equal(a.keepFiringSince, gone);
    await h.advance(20_000);
    assert.equal(alertsOf(h)[0]?.state, 'firing');
    await h.advance(10_000); // keep_firing_for (30s) over
    [a] = alertsOf(h);
    assert.equal(a?.state, 'inactive');
    assert.equal(a.resolvedAt, gone + 30_000);
  } finally {
    await h.manager.close();
  }
});

test('tenants are evaluated apart: a rule sees only its own tenant\'s logs', async () => {
  const expr = 'sum by (job) (count_over_time({job="api"} [10s])) > 0';
  const fake = group('fake', 'ns', 'g', [alerting('Any', expr)]);
  const other = group('other', 'ns', 'g', [alerting('Any', expr)]);
  const h = await harness([fake, other], { clock: new ManualClock(T0 + 300_000) });
  try {
    await h.advance(10_000);
    assert.equal(alertsOf(h, 'fake').length, 0, "fake's api lines ended at T0+120s");
    assert.equal(alertsOf(h, 'other').length, 1);
    assert.ok(h.sink.sent.every((s) => s.tenant === 'other'));
    assert.equal(await metricValue(h.registry, 'logwharf_ruler_alerts', { tenant: 'other', state: 'firing' }), 1);
  } finally {
    await h.manager.close();
  }
});

test('a group over its limit fails the rule and clears its alerts, as Prometheus does', async () => {
  const expr = 'sum by (job) (count_over_time({job=~"api|web"} [10s])) > 0'; // two series
  const g = group('fake', 'ns', 'limited', [alerting('TwoSeries', expr)], { limit: 1 });
  const ok = group('fake', 'ns', 'roomy', [alerting('TwoSeries', expr)], { limit: 2 });
  const h = await harness([g, ok]);
  try {
    await h.advance(10_000);
    const [limited, roomy] = [h.manager.groups().find((x) => x.group.name === 'limited')!, h.manager.groups().find((x) => x.group.name === 'roomy')!];
    assert.equal(limited.rules[0]!.health, 'err');
    assert.equal(limited.rules[0]!.lastError, 'exceeded limit of 1 with 2 alerts');
    assert.equal(limited.rules[0]!.alerts.length, 0);
    assert.equal(roomy.rules[0]!.health, 'ok');
    assert.equal(roomy.rules[0]!.alerts.length, 2);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_evaluation_failures_total', { tenant: 'fake', rule_group: 'ns;limited' }), 1);
    assert.equal(h.sink.all().filter((a) => a.labels.alertname === 'TwoSeries').length, 2, 'only the group within its limit sends');
  } finally {
    await h.manager.close();
  }
});

test('a failing rule is counted and logged; the group\'s other rules and other groups still run', async () => {
  const g = group('fake', 'ns', 'mixed', [
    alerting('Broken', '{job="api"}'), // a log query: no instant evaluation
    alerting('Matrix', 'count_over_time({job="api"}[10s])[1m:10s]'.replace('[1m:10s]', '') + ' > 0'),
  ]);
  const h = await harness([g], { clock: new ManualClock(T0 + 50_000) });
  try {
    await h.advance(10_000);
    await h.advance(10_000);
    const [broken, works] = h.manager.groups()[0]!.rules;
    assert.equal(broken!.health, 'err');
    assert.match(broken!.lastError, /log queries are not supported as an instant query type/);
    assert.equal(works!.health, 'ok');
    assert.equal(works!.alerts.length, 1);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_evaluations_total', { tenant: 'fake', rule_group: 'ns;mixed' }), 4);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_evaluation_failures_total', { tenant: 'fake', rule_group: 'ns;mixed' }), 2);
  } finally {
    await h.manager.close();
  }
});

test('a group still evaluating at its next slot misses it (counted, never queued); other groups keep running', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started = 0;
  // A seam, not a mock: the real service, with the slow group's query held until the test says.
  const query: QueryService = {
    range: (req) => ts.query.range(req),
    async instant(req) {
      if (req.query.includes('web')) {
        started++;
        await held;
      }
      return ts.query.instant(req);
    },
  };
  const slow = group('fake', 'ns', 'slow', [alerting('Web', 'sum(count_over_time({job="web"}[10s])) > 0')]);
  const fast = group('fake', 'ns', 'fast', [alerting('Api', ERRORS)]);
  const h = await harness([slow, fast], { query, clock: new ManualClock(T0 + 20_000) });
  try {
    // After each timer, the fast group's evaluation (if one was due) finishes before time moves on.
    const fastOffset = groupOffsetMs(groupKey('fake', 'ns', 'fast'), 10_000);
    const fastDone = () => {
      const slot = slotAtOrBefore(h.clock.now(), 10_000, fastOffset);
      return slot < T0 + 20_000 || h.manager.groups().find((g) => g.group.name === 'fast')!.lastEvaluation === slot;
    };
    const settle = () => waitFor('the fast group to run meanwhile', fastDone);
    await h.clock.advance(10_000, settle); // both groups' first slots: slow starts and hangs
    assert.equal(started, 1);
    await h.clock.advance(20_000, settle); // two more slots of each group
    const slowLabels = { tenant: 'fake', rule_group: 'ns;slow' };
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_iterations_missed_total', slowLabels), 2);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_iterations_total', slowLabels), 3);
    release();
    await h.manager.idle();
    assert.equal(started, 1, 'missed slots were not queued');
    await h.advance(10_000);
    assert.equal(started, 2);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_iterations_missed_total', slowLabels), 2);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_iterations_missed_total', { tenant: 'fake', rule_group: 'ns;fast' }), undefined);
  } finally {
    release();
    await h.manager.close();
  }
});

test('a send that fails is retried at the next evaluation', async () => {
  const g = group('fake', 'ns', 'retry', [alerting('Api', ERRORS)]);
  const h = await harness([g], { clock: new ManualClock(T0 + 20_000) });
  try {
    h.sink.failing = true;
    await h.advance(10_000);
    assert.equal(alertsOf(h)[0]?.state, 'firing');
    assert.equal(alertsOf(h)[0]?.lastSentAt, undefined);
    h.sink.failing = false;
    await h.advance(10_000);
    assert.equal(h.sink.sent.length, 1);
  } finally {
    await h.manager.close();
  }
});

test('rule changes apply without restart: unchanged groups keep their alerts, removed ones are resolved', async () => {
  const keep = group('fake', 'ns', 'keep', [alerting('Api', ERRORS, { forMs: 20_000 })]);
  const drop = group('fake', 'ns', 'drop', [alerting('Api2', ERRORS)]);
  const h = await harness([keep, drop], { clock: new ManualClock(T0) });
  try {
    await h.advance(10_000);
    const pendingSince = alertsOf(h).find((a) => a.labels.alertname === 'Api')!.activeAt;
    assert.equal(h.sink.sent.length, 1, 'Api2 fired');
    const added = group('fake', 'ns', 'added', [recording('job:errors:count10s', 'sum by (job) (count_over_time({job="api"}[10s]))', { team: 'a' })]);
    h.source.set([keep, added]);
    await h.manager.idle();
    assert.deepEqual(h.manager.groups().map((g) => g.group.name), ['added', 'keep']);
    const resolved = h.sink.all().at(-1)!;
    assert.equal(resolved.labels.alertname, 'Api2');
    assert.equal(resolved.endsAt, new Date(h.clock.now()).toISOString(), 'sent resolved at removal');
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_rules', { tenant: 'fake', rule_group: 'ns;drop' }), undefined);
    await h.advance(10_000);
    assert.equal(alertsOf(h).find((a) => a.labels.alertname === 'Api')!.activeAt, pendingSince, 'unchanged group kept its pending alert');
    // The new recording rule writes its series with __name__, its labels and the external labels.
    const w = h.samples.written.at(-1)!;
    assert.equal(w.tenant, 'fake');
    assert.deepEqual(w.series.map((s) => s.labels), [{ __name__: 'job:errors:count10s', job: 'api', team: 'a' }]);
    assert.equal(w.series[0]!.samples[0]!.v, 10);
    // Editing a rule's expression keeps the rule's alerts (same name and labels).
    const edited = group('fake', 'ns', 'keep', [alerting('Api', ERRORS.replace('> 0', '> 1'), { forMs: 20_000 })]);
    h.source.set([edited, added]);
    await h.manager.idle();
    await h.advance(10_000);
    const a = alertsOf(h).find((x) => x.labels.alertname === 'Api')!;
    assert.equal(a.activeAt, pendingSince);
    assert.equal(a.state, 'firing');
  } finally {
    await h.manager.close();
  }
});

test('a rule removed from a group has its firing alerts sent resolved; the group\'s other rules keep theirs', async () => {
  const both = group('fake', 'ns', 'g', [alerting('A', ERRORS), alerting('B', ERRORS)]);
  const h = await harness([both], { clock: new ManualClock(T0 + 20_000) });
  try {
    await h.advance(10_000);
    const a = alertsOf(h).find((x) => x.labels.alertname === 'A')!;
    assert.equal(h.sink.all().length, 2);
    h.source.set([group('fake', 'ns', 'g', [alerting('A', ERRORS)])]);
    await h.manager.idle();
    const resolved = h.sink.all().at(-1)!;
    assert.equal(resolved.labels.alertname, 'B');
    assert.equal(resolved.endsAt, new Date(h.clock.now()).toISOString());
    assert.deepEqual(alertsOf(h), [a]);
  } finally {
    await h.manager.close();
  }
});

test('a recording rule over its limit writes nothing', async () => {
  const g = group('fake', 'ns', 'rec', [recording('jobs:count', 'sum by (job) (count_over_time({job=~"api|web"}[10s]))')], { limit: 1 });
  const h = await harness([g], { externalLabels: { cluster: 'eu-1' } });
  try {
    await h.advance(10_000);
    assert.equal(h.samples.written.length, 0);
    assert.equal(h.manager.groups()[0]!.rules[0]!.lastError, 'exceeded limit of 1 with 2 series');
    h.source.set([group('fake', 'ns', 'rec', g.rules, { limit: 0 })]);
    await h.manager.idle();
    await h.advance(10_000);
    assert.deepEqual(
      h.samples.written[0]!.series.map((s) => s.labels),
      [
        { __name__: 'jobs:count', job: 'api', cluster: 'eu-1' },
        { __name__: 'jobs:count', job: 'web', cluster: 'eu-1' },
      ],
    );
  } finally {
    await h.manager.close();
  }
});

test('group metrics: interval, rules, last evaluation, evaluations', async () => {
  const g = group('fake', 'ns', 'm', [alerting('Api', ERRORS), recording('r', 'sum(count_over_time({job="web"}[10s]))')], { intervalMs: 20_000 });
  const h = await harness([g]);
  try {
    const labels = { tenant: 'fake', rule_group: 'ns;m' };
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_interval_seconds', labels), 20);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_rules', labels), 2);
    const s1 = h.firstSlot(g);
    await h.advance(s1 - T0);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_last_evaluation_timestamp_seconds', labels), s1 / 1000);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_evaluations_total', labels), 2);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_iterations_total', labels), 1);
    assert.equal(await metricValue(h.registry, 'prometheus_rule_group_last_evaluation_samples', labels), 2);
    const text = await h.registry.metrics();
    assert.match(text, /^prometheus_rule_evaluation_duration_seconds\{quantile="0.5"\} /m);
    assert.match(text, /^prometheus_rule_group_last_duration_seconds\{tenant="fake",rule_group="ns;m"\} /m);
  } finally {
    await h.manager.close();
  }
});

test('groups are spread over their interval by a stable offset', () => {
  const offsets = new Set<number>();
  for (let i = 0; i < 100; i++) offsets.add(Math.floor(groupOffsetMs(groupKey('fake', 'ns', `g${i}`), 60_000) / 6_000));
  assert.ok(offsets.size >= 8, `100 groups fall into ${offsets.size} of 10 six-second buckets`);
  assert.equal(groupOffsetMs(groupKey('t', 'n', 'g'), 60_000), groupOffsetMs(groupKey('t', 'n', 'g'), 60_000));
});

