/**
 * The server killed with SIGKILL in the middle of a rollout (issue #13, "Tests with real parts"):
 * the canary runs the new version and the health window is open when the server dies; restarted on
 * the same data directory (and port, which the agents know), it resumes the durable rollout from
 * fleet.db and finishes it: all three agents on the new version, the rollout succeeded once (not
 * started twice, no second version), and every line the agents sent meanwhile stored exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentOf, checkExactlyOnce, controlSection, fleetNow, reloadsOf, fleet, fleetApply, openStand, ok, REV_LABEL, remoteConfig,
  revRuns, runId, scratchDir, startAgents, startFleetServer, startFlow, waitForAgentsConnected, waitForLines, waitForRev, waitForRollout,
} from './harness.js';
import { waitFor } from '../../helpers/wait-for.js';

const WINDOW_MS = 10_000;

test('kill -9 of the server inside the canary window: after a restart on the same data dir the rollout finishes, every line once', { timeout: 240_000 }, async (t) => {
  const stand = await openStand(t);
  if (!stand) return;
  const run = runId();
  const hosts = ['a', 'b', 'c'].map((x) => `e2e13-${run}-${x}`);
  const files = scratchDir(stand);
  const server = await startFleetServer(stand);
  const agents = await startAgents(stand, server.url, hosts, controlSection('2s'));
  const flow = await startFlow(stand, run, hosts);
  const before = await waitForAgentsConnected(server.url, hosts);
  await waitForLines(server.url, flow, flow.ratePerContainer);

  const name = `shop-${run}`;
  const rev = `k-${run}`;
  const { rolloutId } = await fleetApply(server.url, files, {
    name,
    config: remoteConfig(hosts, { client: { external_labels: { [REV_LABEL]: rev } } }),
    canary: '1',
    window: `${WINDOW_MS / 1000}s`,
  });
  const canaryAt = await waitFor(
    'the canary on the new version',
    async () => {
      const s = await fleetNow(server.url);
      const changed = hosts.filter((h) => agentOf(s, h)?.config_version !== agentOf(before, h)?.config_version);
      const state = s.rollouts.find((r) => String(r.id) === rolloutId)?.state;
      return changed.length === 1 ? { host: changed[0]!, version: agentOf(s, changed[0]!)!.config_version, at: Date.now(), state } : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  assert.equal(canaryAt.state, 'running', 'the rollout is still in its canary window');
  await server.kill9();
  const killedAfter = Date.now() - canaryAt.at;
  assert.ok(killedAfter < WINDOW_MS, `killed ${killedAfter} ms after the canary took the config: inside the ${WINDOW_MS} ms window`);
  t.diagnostic(`server killed ${killedAfter} ms into the canary window (canary ${canaryAt.host})`);
  await server.restart();

  const { rollout, status } = await waitForRollout(server.url, rolloutId, 60_000);
  assert.equal(rollout.state, 'succeeded', `after the restart the rollout ended ${JSON.stringify(rollout)}`);
  for (const h of hosts) {
    assert.equal(agentOf(status, h)!.config_version, canaryAt.version, `${h} runs the rolled-out version`);
    assert.equal(agentOf(status, h)!.healthy, true, `${h} is healthy`);
  }
  // Resumed, not repeated: one rollout of this config, one version stored by the apply.
  const ofThis = status.rollouts.filter((r) => String(r.id) === rolloutId);
  assert.equal(ofThis.length, 1, 'the rollout is listed once');
  assert.equal(status.rollouts.filter((r) => r.state === 'running').length, 0, 'nothing left running');
  const history = JSON.parse(ok(await fleet(server.url, ['history', name, '--output', 'json']), 'fleet history').stdout) as { good_version: number | null; versions: Array<{ version: number }> };
  assert.deepEqual(history.versions.map((v) => v.version), [canaryAt.version], 'one version stored');
  assert.equal(history.good_version, canaryAt.version, 'the rolled-out version is the good one');

  // Resumed without a second effect on the agents either: each reloaded once, the canary too (the
  // restarted server asked for their full state and offered the same version again).
  for (const a of agents) assert.equal(await reloadsOf(a), 1, `${a.host} hot-reloaded once`);

  await waitForRev(server.url, flow, rev, flow.ratePerContainer);
  const report = await checkExactlyOnce(server.url, flow, agents);
  t.diagnostic(`stored ${report.total} lines exactly once at ${report.rate} lines/s across the kill`);
  for (const c of flow.containers) {
    assert.deepEqual(revRuns(report.byContainer[c.name]!).map(([v]) => v), ['', rev], `${c.name} switched once and for good`);
  }
});
