/**
 * Alert state across restarts (src/ruler/state-file.ts, src/ruler/restore.ts): a restarted ruler
 * neither re-fires nor forgets, a damaged state file is moved aside, and a group deleted while the
 * server was down has its firing alerts resolved.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createRuleManager, type RuleManager } from '../../../src/ruler/manager.js';
import { restoreAlerts } from '../../../src/ruler/restore.js';
import { groupOffsetMs, slotAfter } from '../../../src/ruler/schedule.js';
import { createStateStore, parseStateFile, stateFileName } from '../../../src/ruler/state-file.js';
import { groupKey, type RuleGroup } from '../../../src/rules/model.js';
import type { AlertInstance } from '../../../src/rules/alert-state.js';
import { createLogger, type Logger } from '../../../src/util/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { alerting, group, InMemoryRuleSource, openTestStore, RecordingAlertSink, Registry, silentLog, T0, writeLines, type TestStore } from './fixtures.js';

let ts: TestStore;

before(async () => {
  ts = await openTestStore();
  // Errors every second for ten minutes from T0-60s.
  await writeLines(ts.store, 'fake', { job: 'api' }, T0 - 60_000, T0 + 540_000, 'level=error boom');
});

after(async () => {
  await ts.close();
});

const EXPR = 'sum by (job) (count_over_time({job="api"} |= "error" [10s])) > 0';

function start(groups: RuleGroup[], stateDir: string, clock: ManualClock, sink: RecordingAlertSink, log: Logger = silentLog): { manager: RuleManager; ready: Promise<void>; advance: (ms: number) => Promise<void> } {
  const manager = createRuleManager({
    repository: new InMemoryRuleSource(groups),
    query: ts.query,
    alerts: sink,
    externalUrl: 'http://h:3100',
    resendDelayMs: 60_000,
    stateDir,
    registry: new Registry(),
    log,
    now: clock.now,
    timers: clock,
  });
  return { manager, ready: manager.start(), advance: (ms) => clock.advance(ms, () => manager.idle()) };
}

const alertsOf = (m: RuleManager): AlertInstance[] => m.groups().flatMap((g) => g.rules.flatMap((r) => r.alerts));

function firstSlot(g: RuleGroup, now: number): number {
  return slotAfter(now, g.intervalMs, groupOffsetMs(groupKey(g.tenant, g.namespace, g.name), g.intervalMs));
}

test('after a restart a firing alert is still firing with its startsAt, and is not re-sent before the resend delay', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const g = group('fake', 'ns', 'restart', [alerting('Errors', EXPR, { forMs: 20_000 })]);
  const clock = new ManualClock(T0);
  const sink1 = new RecordingAlertSink();
  const r1 = start([g], stateDir, clock, sink1);
  await r1.ready;
  const s1 = firstSlot(g, T0);
  await r1.advance(s1 - T0 + 20_000);
  const before = alertsOf(r1.manager)[0]!;
  assert.equal(before.state, 'firing');
  assert.equal(sink1.sent.length, 1);
  const startsAt = sink1.all()[0]!.startsAt;
  await r1.manager.close();
  assert.equal(sink1.sent.length, 1, 'closing resolves nothing');

  // Down for five seconds; the next process reads the saved state.
  await clock.advance(5_000);
  const sink2 = new RecordingAlertSink();
  const r2 = start([g], stateDir, clock, sink2);
  await r2.ready;
  assert.deepEqual(alertsOf(r2.manager), [before], 'served as it was before any evaluation');
  await r2.advance(10_000);
  const after1 = alertsOf(r2.manager)[0]!;
  assert.equal(after1.state, 'firing');
  assert.equal(after1.activeAt, before.activeAt);
  assert.equal(after1.firedAt, before.firedAt);
  assert.equal(sink2.sent.length, 0, 'not sent again before the resend delay');
  // A minute after the last send it is re-sent, with the same startsAt: the Alertmanager sees the same alert.
  await r2.advance(before.lastSentAt! + 60_000 - clock.now());
  assert.equal(sink2.sent.length, 1);
  assert.equal(sink2.all()[0]!.startsAt, startsAt);
  await r2.manager.close();
});

test('after a restart a pending alert keeps its activeAt and fires when `for` is reached', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const g = group('fake', 'ns', 'pending', [alerting('Errors', EXPR, { forMs: 60_000 })]);
  const clock = new ManualClock(T0);
  const r1 = start([g], stateDir, clock, new RecordingAlertSink());
  await r1.ready;
  const s1 = firstSlot(g, T0);
  await r1.advance(s1 - T0 + 10_000);
  assert.equal(alertsOf(r1.manager)[0]!.activeAt, s1);
  await r1.manager.close();
  await clock.advance(3_000);
  const sink = new RecordingAlertSink();
  const r2 = start([g], stateDir, clock, sink);
  await r2.ready;
  await r2.advance(s1 + 60_000 - clock.now());
  const a = alertsOf(r2.manager)[0]!;
  assert.equal(a.activeAt, s1);
  assert.equal(a.state, 'firing');
  assert.equal(a.firedAt, s1 + 60_000, 'for counted from the original activeAt');
  assert.equal(sink.sent.length, 1);
  await r2.manager.close();
});

test('a pending alert does not count an outage toward `for`; firing and resolved alerts are kept as they were', () => {
  const pending: AlertInstance = { labels: { alertname: 'A' }, annotations: {}, state: 'pending', value: 1, activeAt: 1_000 };
  const firing: AlertInstance = { ...pending, state: 'firing', firedAt: 2_000, lastSentAt: 2_000 };
  const resolved: AlertInstance = { ...firing, state: 'inactive', resolvedAt: 3_000 };
  // Restarted within one interval: nothing missed.
  assert.deepEqual(restoreAlerts([pending, firing, resolved], 10_000, 20_000, 10_000), [pending, firing, resolved]);
  // Down for ten minutes: the 9m50s without evaluations are not counted as pending.
  const [p, f, r] = restoreAlerts([pending, firing, resolved], 10_000, 620_000, 10_000);
  assert.equal(p!.activeAt, 1_000 + 600_000);
  assert.deepEqual([f, r], [firing, resolved]);
});

test('a damaged state file is moved aside and logged, and the ruler runs on', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const g = group('fake', 'ns', 'damaged', [alerting('Errors', EXPR)]);
  const file = stateFileName('fake', 'ns', 'damaged');
  await writeFile(join(stateDir, file), '{"version":1,"tenant":"fake","namespace":"ns","name":"dama');
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const clock = new ManualClock(T0);
  const sink = new RecordingAlertSink();
  const r = start([g], stateDir, clock, sink, log);
  await r.ready;
  const files = await readdir(stateDir);
  const aside = files.find((f) => f.startsWith(file + '.damaged-'));
  assert.ok(aside, `moved aside: ${files.join(', ')}`);
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'warn' && l.path === join(stateDir, file));
  assert.ok(logged, 'the move is logged with the file');
  assert.equal(logged.moved_to, join(stateDir, aside));
  await r.advance(10_000);
  assert.equal(alertsOf(r.manager)[0]!.state, 'firing');
  assert.equal(sink.sent.length, 1);
  // The group's state is written anew, and reads back.
  const saved = parseStateFile(await readFile(join(stateDir, file), 'utf8'));
  assert.equal(saved?.rules[0]!.alerts[0]!.state, 'firing');
  await r.manager.close();
});

test('a group deleted while the ruler was down has its firing alerts sent resolved at start', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const g = group('fake', 'ns', 'gone', [alerting('Errors', EXPR)]);
  const clock = new ManualClock(T0);
  const r1 = start([g], stateDir, clock, new RecordingAlertSink());
  await r1.ready;
  await r1.advance(10_000);
  const fired = alertsOf(r1.manager)[0]!;
  assert.equal(fired.state, 'firing');
  await r1.manager.close();
  const sink = new RecordingAlertSink();
  const r2 = start([], stateDir, clock, sink);
  await r2.ready;
  await r2.manager.idle();
  assert.equal(sink.sent.length, 1);
  const [resolved] = sink.all();
  assert.deepEqual(resolved!.labels, fired.labels);
  assert.equal(resolved!.startsAt, new Date(fired.firedAt!).toISOString());
  assert.equal(resolved!.endsAt, new Date(clock.now()).toISOString());
  assert.equal(resolved!.generatorURL, `http://h:3100/loki/api/v1/query_range?query=${encodeURIComponent(EXPR)}`);
  assert.deepEqual(await readdir(stateDir), [], 'its state file is gone');
  await r2.manager.close();
});

test('state files round-trip values JSON cannot hold (NaN, ±Inf) and reject a file for another group', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const text = JSON.stringify({
    version: 1,
    tenant: 'fake',
    namespace: 'ns',
    name: 'x',
    lastEvaluation: T0,
    rules: [{ key: 'k', expr: '1', alerts: [{ labels: { a: '1' }, annotations: {}, state: 'firing', value: '+Inf', activeAt: T0, firedAt: T0 }] }],
  });
  assert.equal(parseStateFile(text)!.rules[0]!.alerts[0]!.value, Infinity);
  assert.equal(parseStateFile(text.replace('"+Inf"', '"abc"')), undefined);
  assert.equal(parseStateFile(text.replace(',"firedAt":' + T0, '')), undefined, 'firing without firedAt');
  // A valid file under another group's name is not trusted either.
  await writeFile(join(stateDir, stateFileName('fake', 'ns', 'y')), text);
  const clock = new ManualClock(T0);
  const r = start([], stateDir, clock, new RecordingAlertSink());
  await r.ready;
  assert.ok((await readdir(stateDir)).some((f) => f.includes('.damaged-')));
  await r.manager.close();
});

test('state is written when a restart needs it: not for values alone, not for a group without alerts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ruler-state-'));
  const store = createStateStore({ dir, log: silentLog });
  const path = join(dir, stateFileName('fake', 'ns', 'g'));
  const firing: AlertInstance = { labels: { alertname: 'A' }, annotations: {}, state: 'firing', value: 1, activeAt: T0, firedAt: T0 };
  const g = (alerts: AlertInstance[], lastEvaluation: number) => ({ tenant: 'fake', namespace: 'ns', name: 'g', lastEvaluation, rules: alerts.length ? [{ key: 'k', expr: 'x', alerts }] : [] });
  await store.save(g([], T0));
  assert.deepEqual(await readdir(dir), [], 'no alerts, no file');
  await store.save(g([firing], T0));
  const text = await readFile(path, 'utf8');
  await store.save(g([{ ...firing, value: 7 }], T0 + 10_000));
  assert.equal(await readFile(path, 'utf8'), text, 'a new value and evaluation time alone do not rewrite a firing alert');
  await store.save(g([{ ...firing, value: 7, lastSentAt: T0 + 10_000 }], T0 + 10_000));
  assert.equal(parseStateFile(await readFile(path, 'utf8'))!.rules[0]!.alerts[0]!.value, 7, 'a send is written, with the value');
  const pending: AlertInstance = { labels: { alertname: 'B' }, annotations: {}, state: 'pending', value: 1, activeAt: T0 };
  await store.save(g([pending], T0 + 20_000));
  await store.save(g([pending], T0 + 30_000));
  assert.equal(parseStateFile(await readFile(path, 'utf8'))!.lastEvaluation, T0 + 30_000, 'while pending, each evaluation time is kept');
  await store.save(g([], T0 + 40_000));
  assert.deepEqual(await readdir(dir), [], 'the file goes when the last alert does');
});
