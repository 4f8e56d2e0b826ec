/**
 * What the audit log (issue #11) costs an admin action: latency of sequential rule-group writes
 * (`POST /loki/api/v1/rules/:namespace`, an admin route whose answer now waits for its audit record's
 * fsync) with an admin token, against this build and, when BASE names another build's checkout
 * (its dist/ built), against that one, alternating rounds so machine noise hits both alike. One
 * keep-alive connection: the per-request cost, not capacity.
 *
 *   npm run build && BASE=/path/to/checkout-before node --import tsx bench/audit.bench.ts   # ROUNDS=3 REQUESTS=300
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { keepAliveRequest as call, median, percentile, startLogwharf } from './harness.js';
import { openTokenStore, tokenDbPath } from '../src/auth/token-store.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 300);
const WARMUP = 30;
const HERE = new URL('../', import.meta.url).pathname;
const BUILDS: Array<[string, string]> = [['this build', HERE], ...(process.env.BASE ? [['base', process.env.BASE] as [string, string]] : [])];

const GROUP = 'name: g\nrules:\n  - record: x:count1m\n    expr: sum(count_over_time({app="web"}[1m]))\n';

async function measure(repo: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-audit-bench-'));
  const store = openTokenStore(tokenDbPath(join(dir, 'data')));
  const { token } = store.create({ name: 'bench', role: 'admin', tenants: ['bench'] }, Date.now());
  store.close();
  const config = join(dir, 'server.yaml');
  writeFileSync(config, 'log_level: warn\nui:\n  enabled: false\nauth:\n  tokens_enabled: true\n');
  const lw = await startLogwharf('server', ['--data', join(dir, 'data'), '--config', config], repo);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < REQUESTS + WARMUP; i++) {
      const t0 = process.hrtime.bigint();
      const status = await call(agent, lw.url, 'POST', `/loki/api/v1/rules/ns${i % 20}`, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/yaml' }, GROUP);
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      if (status !== 202) throw new Error(`rule write answered ${status}`);
      if (i >= WARMUP) out.push(us);
    }
  } finally {
    agent.destroy();
    await lw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const medians = new Map<string, number[]>(BUILDS.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, repo] of r % 2 === 0 ? BUILDS : [...BUILDS].reverse()) {
    const m = await measure(repo);
    medians.get(name)!.push(median(m));
    console.log(`round ${r + 1} ${name}: rule-group write median ${median(m).toFixed(0)} µs (p99 ${percentile(m, 99).toFixed(0)})`);
  }
}
for (const [name, list] of medians) console.log(`${name}: median of round medians ${median(list).toFixed(0)} µs`);
