/**
 * A rollout with a canary of one, then all, while 2,000 lines/s flow (issue #13, "Tests with real
 * parts"): `logwharf fleet apply --canary 1 --window 5s` against three real agents; fleet status
 * shows one agent on the new version for the window and then all three; the new configuration is
 * visibly in effect on all three (its external label on their lines, the canary's first by at least
 * the window), the switch is clean (every line after it carries the label), and every line is
 * stored exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentOf, checkExactlyOnce, clusterOf, fleetNow, reloadsOf, controlSection, firstTimeOf, fleet, fleetApply, openStand, fleetStatus, ok, REV_LABEL,
  remoteConfig, revRuns, runId, scratchDir, startAgents, startFleetServer, startFlow, waitForAgentsConnected, waitForLines, waitForRev,
  type FleetStatus,
} from './harness.js';
import { waitFor } from '../../helpers/wait-for.js';

const WINDOW_MS = 5000;

test('canary of one, then all, under 2,000 lines/s: the new config on all three agents, every line once', { timeout: 240_000 }, async (t) => {
  const stand = await openStand(t);
  if (!stand) return;
  const run = runId();
  const hosts = ['a', 'b', 'c'].map((x) => `e2e13-${run}-${x}`);
  const files = scratchDir(stand);
  const server = await startFleetServer(stand);
  const agents = await startAgents(stand, server.url, hosts, controlSection('2s'));
  const flow = await startFlow(stand, run, hosts);
  const before = await waitForAgentsConnected(server.url, hosts);
  await waitForLines(server.url, flow, 2 * flow.ratePerContainer);

  const rev = `r-${run}`;
  const name = `shop-${run}`;
  const applied = Date.now();
  const { rolloutId } = await fleetApply(server.url, files, {
    name,
    config: remoteConfig(hosts, { client: { external_labels: { [REV_LABEL]: rev } } }),
    canary: '1',
    window: `${WINDOW_MS / 1000}s`,
    // The agents' own attribute (control.attributes), as an operator targets a cluster.
    selector: `cluster=${clusterOf(hosts[0]!)}`,
  });
  t.diagnostic(`rollout ${rolloutId} of ${name}`);

  // Follow the rollout through fleet status: how many agents run a version other than the one they
  // started with, while it runs.
  const changed = (s: FleetStatus) => hosts.filter((h) => agentOf(s, h)?.config_version !== agentOf(before, h)?.config_version);
  const seen: Array<{ at: number; changed: string[]; state: string }> = [];
  const final = await waitFor(
    `rollout ${rolloutId} to finish`,
    async () => {
      const s = await fleetNow(server.url);
      const r = s.rollouts.find((x) => String(x.id) === rolloutId);
      seen.push({ at: Date.now() - applied, changed: changed(s), state: r?.state ?? '(absent)' });
      return r && r.state !== 'running' ? { r, s } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  // What a user sees once it ended: `fleet status --output json`.
  final.s = await fleetStatus(server.url);
  // [ms after apply, state, agents on the new version] at every change seen.
  const changes = seen.filter((x, i) => i === 0 || x.state !== seen[i - 1]!.state || x.changed.length !== seen[i - 1]!.changed.length);
  t.diagnostic(`rollout ${rolloutId} as sampled: ${JSON.stringify(changes.map((x) => [x.at, x.state, x.changed.length]))}`);
  assert.equal(final.r.state, 'succeeded', `rollout ended ${JSON.stringify(final.r)}`);
  const canaryPhase = seen.filter((x) => x.state === 'running' && x.changed.length === 1);
  assert.ok(canaryPhase.length > 0, 'fleet status showed exactly one agent on the new version while the rollout ran (the canary)');
  assert.ok(!seen.some((x) => x.state === 'running' && x.changed.length > 1 && x.at < WINDOW_MS), 'no second agent got it before the window passed');
  const canaryHost = canaryPhase[0]!.changed[0]!;
  for (const h of hosts) {
    const a = agentOf(final.s, h)!;
    assert.notEqual(a.config_version, agentOf(before, h)?.config_version, `${h} runs the new version`);
    assert.equal(a.config_version, agentOf(final.s, canaryHost)!.config_version, `${h} runs the canary's version`);
    assert.equal(a.healthy, true, `${h} is healthy`);
  }
  const history = JSON.parse(ok(await fleet(server.url, ['history', name, '--output', 'json']), 'fleet history').stdout) as { good_version: number | null; versions: Array<{ version: number }> };
  assert.deepEqual(history.versions.map((v) => v.version), [agentOf(final.s, canaryHost)!.config_version], 'fleet history: the one version rolled out');
  assert.equal(history.good_version, agentOf(final.s, canaryHost)!.config_version, 'fleet history: it is the good version');

  // Each agent changed its configuration once, hot (its own counter), for the one version.
  for (const a of agents) assert.equal(await reloadsOf(a), 1, `${a.host} hot-reloaded once`);

  // Let lines flow under the new configuration, then count every one.
  await waitForRev(server.url, flow, rev, flow.ratePerContainer);
  const report = await checkExactlyOnce(server.url, flow, agents);
  t.diagnostic(`stored ${report.total} lines exactly once at ${report.rate} lines/s; canary ${canaryHost}`);

  const firstLabelled: Record<string, number> = {};
  for (const c of flow.containers) {
    const runs = revRuns(report.byContainer[c.name]!);
    // Lines written before the rollout have no label, every line after the switch has it: one clean cut.
    assert.deepEqual(runs.map(([v]) => v), ['', rev], `${c.name} switched once and for good: ${JSON.stringify(runs)}`);
    firstLabelled[c.host] = firstTimeOf(report.byContainer[c.name]!, rev)!;
  }
  for (const h of hosts.filter((x) => x !== canaryHost)) {
    const gap = firstLabelled[h]! - firstLabelled[canaryHost]!;
    assert.ok(gap >= WINDOW_MS * 0.8, `${h} took the config ${gap} ms after the canary, less than the ${WINDOW_MS} ms window`);
  }
});
