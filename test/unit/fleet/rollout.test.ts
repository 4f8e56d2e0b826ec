/**
 * The rollout state machine (src/fleet/rollout.ts) with a test clock, through the real controller
 * and fleet.db: simulated agents (test/helpers/fleet-agents.ts) report in-process as the OpAMP
 * transport would pass their messages on. Every transition, the failure reasons, idempotence (a step
 * or a report twice changes nothing) and resuming from every persisted state after the fleet is
 * closed and opened again on the same database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createFleet, type Fleet } from '../../../src/fleet/fleet.js';
import { openFleetStore } from '../../../src/fleet/fleet-store.js';
import { configHash } from '../../../src/fleet/remote-config.js';
import { EMPTY_REMOTE_CONFIG } from '../../../src/fleet/controller.js';
import { createLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { SimAgent } from '../../helpers/fleet-agents.js';

const V1 = 'pipeline:\n  drop_healthchecks: true\n';
const V2 = 'client:\n  url: http://127.0.0.1:9/\n';
const SETTINGS = { staleAfterMs: 30_000, defaultWindowMs: 30_000, applyTimeoutMs: 60_000 };
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Rig {
  dir: string;
  clock: ManualClock;
  fleet: Fleet;
  /** Closes this fleet and opens a new one on the same database (a restart). */
  restart(): void;
  /** Moves the clock `ms` in 5 s steps, the `beating` agents heartbeating at each. */
  pass(ms: number, beating: SimAgent[]): Promise<void>;
}

function rig(t: TestContext, dir = mkdtempSync(join(tmpdir(), 'logwharf-fleet-'))): Rig {
  const clock = new ManualClock(T0);
  const open = () => createFleet(SETTINGS, { dataDir: dir, now: clock.now, timers: clock, tickMs: 1000 });
  const r: Rig = {
    dir,
    clock,
    fleet: open(),
    restart() {
      r.fleet.close();
      r.fleet = open();
      r.fleet.start();
    },
    async pass(ms, beating) {
      for (let left = ms; left > 0; left -= 5000) {
        await clock.advance(Math.min(5000, left));
        for (const a of beating) await a.heartbeat();
      }
    },
  };
  r.fleet.start();
  t.after(() => {
    r.fleet.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return r;
}

/** Agents that talk to whichever fleet the rig has now (it changes on restart). */
function agents(r: Rig, hosts: string[], extra: Partial<SimAgent['attrs']> = {}): SimAgent[] {
  const controller = { report: (x: Parameters<Fleet['controller']['report']>[0]) => r.fleet.controller.report(x) };
  return hosts.map((host) => new SimAgent(controller, { host, ...extra }));
}

async function helloAll(list: SimAgent[]): Promise<void> {
  for (const a of list) await a.hello();
}

test('canary → health window → the rest → succeeded; only the canary gets the version before the window passes', async (t) => {
  const r = rig(t);
  const fleet = agents(r, ['node-a', 'node-b', 'node-c']);
  await helloAll(fleet);
  const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', windowMs: 30_000, author: 'test' });
  assert.equal(res.version, 1);
  assert.equal(res.rollout?.phase, 'canary');
  const rollout = r.fleet.rollout(res.rollout!.id);
  assert.equal(rollout.steps!.length, 1, 'one canary recorded');
  const canary = fleet.find((a) => a.uid === rollout.steps![0]!.agent)!;
  const others = fleet.filter((a) => a !== canary);
  for (const a of fleet) await a.heartbeat();
  assert.deepEqual(canary.offered, [configHash(V1)], 'the canary is offered the version');
  assert.equal(canary.rcStatus, 'applied');
  assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'window', 'all canaries applied: the window starts');
  await r.pass(25_000, fleet);
  assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'window', 'still inside the window');
  for (const a of others) assert.deepEqual(a.offered, [], `${a.attrs.host} is not offered anything during the window`);
  await r.pass(10_000, fleet);
  const done = r.fleet.rollout(res.rollout!.id);
  assert.equal(done.phase, 'succeeded', JSON.stringify(done));
  assert.equal(done.state, 'succeeded');
  assert.deepEqual(done.steps!.map((s) => [s.wave, s.state]).sort(), [['canary', 'applied'], ['rest', 'applied'], ['rest', 'applied']]);
  for (const a of fleet) assert.equal(a.body, V1, a.attrs.host);
  assert.deepEqual(r.fleet.agents().map((a) => [a.host, a.config, a.config_version, a.healthy]), [
    ['node-a', 'base', 1, true],
    ['node-b', 'base', 1, true],
    ['node-c', 'base', 1, true],
  ]);
  assert.equal(r.fleet.history('base').good_version, 1);
  // An agent that joins later gets the good version at its first contact.
  const [late] = agents(r, ['node-d']);
  await late!.hello();
  assert.equal(late!.body, V1);
});

test('a percentage canary is at least one agent and is chosen the same way for the same rollout', async (t) => {
  const r = rig(t);
  const fleet = agents(r, Array.from({ length: 10 }, (_, i) => `n${i}`));
  await helloAll(fleet);
  for (const a of fleet) a.policy = 'ignore';
  const res = r.fleet.apply({ name: 'base', body: V1, canary: '25%', author: 'test' });
  const steps = r.fleet.rollout(res.rollout!.id).steps!;
  assert.equal(steps.length, 3, 'ceil(25% of 10)');
  // The choice is recorded: a restart reads the same agents back.
  r.restart();
  assert.deepEqual(r.fleet.rollout(res.rollout!.id).steps!.map((s) => s.agent), steps.map((s) => s.agent));
});

test('a canary that reports FAILED rolls the rollout back with its reason; agents outside the canary are untouched', async (t) => {
  const r = rig(t);
  const fleet = agents(r, ['node-a', 'node-b', 'node-c']);
  await helloAll(fleet);
  const v1 = r.fleet.apply({ name: 'base', body: V1, canary: '100%', windowMs: 10_000, author: 'test' });
  await r.pass(15_000, fleet);
  assert.equal(r.fleet.rollout(v1.rollout!.id).phase, 'succeeded');
  for (const a of fleet) a.policy = 'fail';
  const v2 = r.fleet.apply({ name: 'base', body: V2, canary: '1', author: 'test' });
  for (const a of fleet) await a.heartbeat();
  const ended = r.fleet.rollout(v2.rollout!.id);
  assert.equal(ended.state, 'rolled_back');
  assert.match(ended.reason, /canary [0-9a-f]{32} \(node-.\) failed to apply the version: health window: pushes to client.url failed/);
  assert.deepEqual(ended.steps!.map((s) => s.state), ['reverted']);
  const canary = fleet.find((a) => a.uid === ended.steps![0]!.agent)!;
  for (const a of fleet.filter((x) => x !== canary)) assert.deepEqual(a.offered, [configHash(V1)], `${a.attrs.host} never saw version 2`);
  // The canary is offered the last good version again, and applies it.
  canary.policy = 'apply';
  await canary.heartbeat();
  assert.deepEqual(canary.offered, [configHash(V1), configHash(V2), configHash(V1)]);
  assert.equal(canary.body, V1);
  assert.equal(r.fleet.history('base').good_version, 1);
});

test('a canary that turns unhealthy, or goes stale, inside the window rolls back; before any good version the empty configuration is offered', async (t) => {
  for (const how of ['unhealthy', 'stale', 'disconnected'] as const) {
    await t.test(how, async (t2) => {
      const r = rig(t2);
      const fleet = agents(r, ['node-a', 'node-b']);
      await helloAll(fleet);
      const res = r.fleet.apply({ name: 'base', body: V2, canary: '1', windowMs: 60_000, author: 'test' });
      for (const a of fleet) await a.heartbeat();
      assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'window');
      const canary = fleet.find((a) => a.offered.length > 0)!;
      const other = fleet.find((a) => a !== canary)!;
      await r.pass(10_000, fleet);
      if (how === 'unhealthy') {
        canary.healthy = false;
        await canary.heartbeat();
      } else if (how === 'disconnected') {
        await canary.disconnect();
      } else {
        await r.pass(35_000, [other]);
      }
      const ended = r.fleet.rollout(res.rollout!.id);
      assert.equal(ended.state, 'rolled_back', JSON.stringify(ended));
      assert.match(ended.reason, how === 'unhealthy' ? /turned unhealthy \(shipping failed: push to/ : how === 'stale' ? /went stale/ : /disconnected/);
      assert.match(ended.reason, /within the health window/);
      assert.deepEqual(other.offered, []);
      canary.healthy = true;
      if (how !== 'disconnected') {
        await canary.heartbeat();
        assert.equal(canary.offered.at(-1), configHash(EMPTY_REMOTE_CONFIG), 'no good version yet: the agent goes back to its own file');
      }
    });
  }
});

test('a canary that does not apply within the apply timeout rolls back', async (t) => {
  const r = rig(t);
  const fleet = agents(r, ['node-a']);
  await helloAll(fleet);
  fleet[0]!.policy = 'ignore';
  const res = r.fleet.apply({ name: 'base', body: V1, author: 'test' });
  await r.pass(55_000, fleet);
  assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'canary');
  await r.pass(10_000, fleet);
  const ended = r.fleet.rollout(res.rollout!.id);
  assert.equal(ended.state, 'rolled_back');
  assert.match(ended.reason, /did not apply version 1 within 60s/);
});

test('a failure in the rest wave rolls every offered agent back; an agent leaving during the rest is skipped', async (t) => {
  const r = rig(t);
  const fleet = agents(r, ['node-a', 'node-b', 'node-c']);
  await helloAll(fleet);
  const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', windowMs: 5000, author: 'test' });
  for (const a of fleet) await a.heartbeat();
  const canary = fleet.find((a) => a.offered.length > 0)!;
  const [bad, leaving] = fleet.filter((a) => a !== canary);
  bad!.policy = 'fail';
  await leaving!.disconnect();
  await r.pass(10_000, [canary, bad!]);
  const ended = r.fleet.rollout(res.rollout!.id);
  assert.equal(ended.state, 'rolled_back', JSON.stringify(ended));
  assert.match(ended.reason, /failed to apply version 1/);
  assert.deepEqual(Object.fromEntries(ended.steps!.map((s) => [s.host, s.state])), { [canary.attrs.host]: 'reverted', [bad!.attrs.host]: 'reverted' });
});

test('no connected agent matching: the rollout fails and nothing becomes good', async (t) => {
  const r = rig(t);
  await helloAll(agents(r, ['node-a'], { role: 'db' }));
  const res = r.fleet.apply({ name: 'web', body: V1, selector: 'role=web', author: 'test' });
  assert.equal(res.rollout?.state, 'failed');
  assert.match(res.rollout!.reason, /no connected agent matches configuration "web" \(selector role=web\)/);
  assert.equal(r.fleet.history('web').good_version, null);
});

test('replaying a report or a tick changes nothing', async (t) => {
  const r = rig(t);
  const fleet = agents(r, ['node-a', 'node-b']);
  await helloAll(fleet);
  const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', windowMs: 5000, author: 'test' });
  const snapshot = () => JSON.stringify({ agents: r.fleet.agents(), rollout: r.fleet.rollout(res.rollout!.id), summary: r.fleet.summary() });
  for (const a of fleet) await a.heartbeat();
  const canary = fleet.find((a) => a.offered.length > 0)!;
  // The very same APPLIED status report again, at the same instant.
  const applied = { instanceUid: canary.uid, sequenceNum: 99, remoteConfigStatus: { lastRemoteConfigHash: configHash(V1), status: 'applied' as const, errorMessage: '' } };
  await r.fleet.controller.report(applied);
  const once = snapshot();
  await r.fleet.controller.report(applied);
  r.fleet.tick();
  r.fleet.tick();
  assert.equal(snapshot(), once);
  // A replayed FAILED for a hash the agent no longer runs, after the window, does not undo the success.
  await r.pass(10_000, fleet);
  assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'succeeded');
  const done = snapshot();
  r.fleet.tick();
  await r.fleet.controller.report({ instanceUid: canary.uid, sequenceNum: 100 });
  assert.equal(snapshot(), done);
});

test('resumes from every persisted state after the fleet is closed and opened again', async (t) => {
  // pending: the crash came between the apply's transaction and its first step.
  await t.test('pending', async (t2) => {
    const r = rig(t2);
    const fleet = agents(r, ['node-a']);
    await helloAll(fleet);
    r.fleet.close();
    const store = openFleetStore(join(r.dir, 'fleet.db'), createLogger({ level: 'silent' }));
    store.putConfig('base', '', T0);
    store.addVersion({ name: 'base', body: V1, hash: configHash(V1), selector: '', created_ms: T0, author: 'test', comment: '', offered: null });
    const id = store.addRollout({ name: 'base', version: 1, from_version: null, phase: 'pending', canary: '1', window_ms: 5000, timeout_ms: 60_000, created_ms: T0 });
    store.close();
    r.restart();
    assert.equal(r.fleet.rollout(id).phase, 'canary', 'the start tick takes the step');
    await r.pass(10_000, fleet);
    assert.equal(r.fleet.rollout(id).phase, 'succeeded');
  });
  for (const phase of ['canary', 'window', 'rest'] as const) {
    await t.test(phase, async (t2) => {
      const r = rig(t2);
      const fleet = agents(r, ['node-a', 'node-b', 'node-c']);
      await helloAll(fleet);
      for (const a of fleet) a.policy = 'ignore';
      const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', windowMs: 20_000, author: 'test' });
      const id = res.rollout!.id;
      if (phase !== 'canary') {
        for (const a of fleet) a.policy = 'apply';
        for (const a of fleet) await a.heartbeat();
        assert.equal(r.fleet.rollout(id).phase, 'window');
        await r.pass(10_000, fleet);
      }
      if (phase === 'rest') {
        for (const a of fleet) a.policy = 'ignore';
        await r.pass(15_000, fleet);
      }
      assert.equal(r.fleet.rollout(id).phase, phase);
      const before = r.fleet.rollout(id);
      r.restart();
      assert.deepEqual(r.fleet.rollout(id), before, 'reopened as it was');
      for (const a of fleet) a.policy = 'apply';
      await r.pass(35_000, fleet);
      const done = r.fleet.rollout(id);
      assert.equal(done.phase, 'succeeded', JSON.stringify(done));
      for (const a of fleet) assert.equal(a.body, V1);
      // The window was counted from its recorded start, not from the restart.
      if (phase === 'window') assert.equal(Date.parse(done.steps!.find((s) => s.wave === 'rest')!.offered_at), Date.parse(before.phase_since) + 20_000);
    });
  }
});

test('a canary that disconnects before applying, and a rest agent that never applies, roll back', async (t) => {
  await t.test('canary disconnects', async (t2) => {
    const r = rig(t2);
    const fleet = agents(r, ['node-a', 'node-b']);
    await helloAll(fleet);
    for (const a of fleet) a.policy = 'ignore';
    const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', author: 'test' });
    const canary = fleet.find((a) => a.uid === r.fleet.rollout(res.rollout!.id).steps![0]!.agent)!;
    await canary.disconnect();
    const ended = r.fleet.rollout(res.rollout!.id);
    assert.equal(ended.state, 'rolled_back');
    assert.match(ended.reason, /^canary [0-9a-f]{32} \(node-.\) disconnected$/);
  });
  await t.test('rest timeout', async (t2) => {
    const r = rig(t2);
    const fleet = agents(r, ['node-a', 'node-b']);
    await helloAll(fleet);
    const res = r.fleet.apply({ name: 'base', body: V1, canary: '1', windowMs: 5000, author: 'test' });
    for (const a of fleet) await a.heartbeat();
    const other = fleet.find((a) => a.offered.length === 0)!;
    other.policy = 'ignore';
    await r.pass(10_000, fleet);
    assert.equal(r.fleet.rollout(res.rollout!.id).phase, 'rest');
    await r.pass(60_000, fleet);
    const ended = r.fleet.rollout(res.rollout!.id);
    assert.equal(ended.state, 'rolled_back');
    assert.match(ended.reason, new RegExp(`agent ${other.uid} \\(${other.attrs.host}\\) did not apply version 1 within 60s`));
    assert.equal(r.fleet.history('base').good_version, null);
  });
});
