/**
 * The stand of the control plane's scenarios on its own (issue #13, "Tests with real parts"): three
 * real agent processes against one real server, each collecting its own real Docker container, 2,000
 * lines/s in all — every line stored exactly once, under its container and its own agent's host.
 * The rollout scenarios next to this file add the control plane on top of exactly this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExactlyOnce, openStand, runId, startAgents, startFleetServer, startFlow, TOTAL_RATE, waitForLines } from './harness.js';

test('three agents, three containers, 2,000 lines/s: every line stored exactly once under its own host', { timeout: 240_000 }, async (t) => {
  const stand = await openStand(t);
  if (!stand) return;
  const run = runId();
  const hosts = ['a', 'b', 'c'].map((x) => `e2e13-${run}-${x}`);
  const server = await startFleetServer(stand);
  const agents = await startAgents(stand, server.url, hosts);
  const flow = await startFlow(stand, run, hosts);
  // About ten seconds of flow: 6,000 lines per container stored.
  await waitForLines(server.url, flow, 10 * flow.ratePerContainer);
  const report = await checkExactlyOnce(server.url, flow, agents);
  t.diagnostic(`stored ${report.total} lines exactly once (${JSON.stringify(report.lines)}), written at ${report.rate} lines/s`);
  assert.ok(report.total >= 3 * 10 * flow.ratePerContainer);
  // The writers kept their clock: the stand really runs at the rate the scenarios claim (with room
  // for a loaded machine's first and last partial second).
  assert.ok(report.rate >= TOTAL_RATE * 0.75, `the flow ran at ${report.rate} lines/s, not about ${TOTAL_RATE}`);
});
