/**
 * The fleet controller's cost (issue #13), in-process on a real fleet.db: what one agent message
 * costs the server (a bare heartbeat, and a status report that runs the rollouts), memory per known
 * agent, and how long a rollout to every agent takes from `apply` to `succeeded` when the agents
 * answer at once (canary 1, window 0: the server's own work, without OpAMP's heartbeat interval).
 * Simulated agents (test/helpers/fleet-agents.ts) report through the controller as the OpAMP
 * transport would pass their messages on.
 *
 *   node --import tsx bench/fleet.bench.ts   # AGENTS=100,1000 ROUNDS=5
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFleet } from '../src/fleet/fleet.js';
import { SimAgent } from '../test/helpers/fleet-agents.js';
import { median, percentile } from './harness.js';

const SIZES = (process.env.AGENTS ?? '100,1000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

for (const n of SIZES) {
  const heartbeat: number[] = [];
  const rolloutMs: number[] = [];
  const perAgentBytes: number[] = [];
  const statusReport: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'logwharf-fleet-bench-'));
    const fleet = createFleet({ staleAfterMs: 90_000, defaultWindowMs: 0, applyTimeoutMs: 120_000 }, { dataDir: dir, tickMs: 1000 });
    fleet.start();
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const agents = Array.from({ length: n }, (_, i) => new SimAgent(fleet.controller, { host: `node-${round}-${i}`, cluster: 'bench' }));
    for (const a of agents) await a.hello();
    global.gc?.();
    perAgentBytes.push((process.memoryUsage().rss - rss0) / n);
    // Bare heartbeats: the common message.
    for (const a of agents) {
      const t0 = process.hrtime.bigint();
      await a.heartbeat();
      heartbeat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    // A rollout to all of them; every status report runs the rollouts.
    const t0 = performance.now();
    const res = fleet.apply({ name: 'base', body: 'pipeline:\n  drop_healthchecks: true\n', canary: '1', windowMs: 0, author: 'bench' });
    const id = res.rollout!.id;
    for (;;) {
      for (const a of agents) {
        const before = a.offered.length;
        const s0 = process.hrtime.bigint();
        await a.heartbeat();
        // A heartbeat that brought an offer also carried the agent's APPLIED report.
        if (a.offered.length > before) statusReport.push(Number(process.hrtime.bigint() - s0) / 1e6 / 2);
      }
      if (fleet.rollout(id).state !== 'running') break;
    }
    rolloutMs.push(performance.now() - t0);
    if (fleet.rollout(id).state !== 'succeeded') throw new Error(`rollout ended ${fleet.rollout(id).state}`);
    fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `${n} agents, ${ROUNDS} rounds: heartbeat median ${median(heartbeat).toFixed(3)} ms p99 ${percentile(heartbeat, 99).toFixed(3)} ms; ` +
      `offer+status median ${median(statusReport).toFixed(3)} ms p99 ${percentile(statusReport, 99).toFixed(3)} ms; ` +
      `rollout to all ${median(rolloutMs).toFixed(0)} ms (rounds ${Math.min(...rolloutMs).toFixed(0)}–${Math.max(...rolloutMs).toFixed(0)}); ` +
      `RSS per agent ~${(median(perAgentBytes) / 1024).toFixed(1)} KiB`,
  );
}
