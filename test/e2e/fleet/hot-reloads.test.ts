/**
 * Twenty hot reloads in a row under load (issue #13, "Tests with real parts"): twenty versions
 * rolled out one after another to three real agents while 2,000 lines/s flow. Each is applied hot:
 * the agent processes never restart, each version's label shows on the lines in order (no line
 * goes back to an older version), and every line is stored exactly once — no position lost or
 * moved back by a rebuild. Then `fleet rollback` to the tenth version brings its label back on all three.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentOf, checkExactlyOnce, controlSection, reloadsOf, fleet, fleetApplyApi, ok, waitForRev, openStand, REV_LABEL, remoteConfig, revRuns, runId,
  startAgents, startFleetServer, startFlow, waitForAgentsConnected, waitForLines, waitForRollout,
} from './harness.js';

const RELOADS = 20;

test('20 hot reloads in a row under 2,000 lines/s: every version in effect in order, agents never restarted, every line once', { timeout: 280_000 }, async (t) => {
  const stand = await openStand(t);
  if (!stand) return;
  const run = runId();
  const hosts = ['a', 'b', 'c'].map((x) => `e2e13-${run}-${x}`);
  // `fleet rollback` rolls out with the server's default window: short here, as the reloads' own.
  const server = await startFleetServer(stand, { fleet: { default_window: '1s' } });
  const agents = await startAgents(stand, server.url, hosts, controlSection('1s', '500ms'));
  const pids = agents.map((a) => a.child.proc.pid);
  const flow = await startFlow(stand, run, hosts);
  await waitForAgentsConnected(server.url, hosts);
  await waitForLines(server.url, flow, flow.ratePerContainer);

  const name = `shop-${run}`;
  const took: number[] = [];
  const versions: string[] = [];
  for (let i = 1; i <= RELOADS; i++) {
    const started = Date.now();
    // Through the fleet API `fleet apply` calls (the CLI itself is tried by the other scenarios and
    // by the rollback below): twenty CLI processes would be a third of this test's time.
    const rolloutId = await fleetApplyApi(server.url, {
      name,
      // Each version changes the label, and every other one the batching too: a pipeline change and
      // a shipper change alternate.
      config: remoteConfig(hosts, { client: { batch_wait: i % 2 ? '100ms' : '200ms', external_labels: { [REV_LABEL]: `v${i}` } } }),
      canary: '100%',
      window: '1s',
    });
    const { rollout, status } = await waitForRollout(server.url, rolloutId, 30_000, { cli: false });
    assert.equal(rollout.state, 'succeeded', `reload ${i}: ${JSON.stringify(rollout)}`);
    const v = String(agentOf(status, hosts[0]!)!.config_version);
    for (const h of hosts) assert.equal(String(agentOf(status, h)!.config_version), v, `reload ${i}: ${h} runs the new version`);
    assert.ok(!versions.includes(v), `reload ${i} is a new version (${v}), not one seen before`);
    versions.push(v);
    took.push(Date.now() - started);
    for (const a of agents) assert.ok(a.running(), `reload ${i}: the agent ${a.host} is still the process it was (hot reload, no restart)`);
  }
  const sorted = [...took].sort((a, b) => a - b);
  t.diagnostic(`${RELOADS} rollouts to 3 agents: median ${sorted[RELOADS >> 1]} ms, max ${sorted[RELOADS - 1]} ms (apply to succeeded, 1 s window)`);
  assert.deepEqual(agents.map((a) => a.child.proc.pid), pids);

  // And back: `fleet rollback` to the tenth version, stored as a new version and rolled out to all.
  const back = ok(await fleet(server.url, ['rollback', name, '--to', versions[9]!]), 'fleet rollback').stdout.trim();
  const { rollout: rb, status: afterRb } = await waitForRollout(server.url, back, 30_000);
  assert.equal(rb.state, 'succeeded', `rollback: ${JSON.stringify(rb)}`);
  // The rollback is stored as a new version with the tenth one's body (so the same hash): status may
  // name either number.
  for (const h of hosts) assert.ok([String(rb.version), versions[9]].includes(String(agentOf(afterRb, h)!.config_version)), `${h} runs the rolled-back version (${agentOf(afterRb, h)!.config_version})`);
  await waitForRev(server.url, flow, 'v10', 2 * flow.ratePerContainer);

  // One hot reload per version, on every agent: twenty, and the rollback.
  for (const a of agents) assert.equal(await reloadsOf(a), RELOADS + 1, `${a.host}: one reload per version`);

  const report = await checkExactlyOnce(server.url, flow, agents);
  t.diagnostic(`stored ${report.total} lines exactly once at ${report.rate} lines/s through ${RELOADS} reloads`);
  const expected = ['', ...Array.from({ length: RELOADS }, (_, i) => `v${i + 1}`), 'v10'];
  for (const c of flow.containers) {
    const runs = revRuns(report.byContainer[c.name]!);
    // Each version in turn, each on a run of lines, never back to an earlier one until the rollback.
    assert.deepEqual(runs.map(([v]) => v), expected, `${c.name}: ${JSON.stringify(runs)}`);
  }
});
