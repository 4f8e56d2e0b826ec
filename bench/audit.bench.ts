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
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { median, percentile } from './harness.js';
import { openTokenStore, tokenDbPath } from '../src/auth/token-store.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 300);
const WARMUP = 30;
const HERE = new URL('../', import.meta.url).pathname;
const BUILDS: Array<[string, string]> = [['this build', HERE], ...(process.env.BASE ? [['base', process.env.BASE] as [string, string]] : [])];

const GROUP = 'name: g\nrules:\n  - record: x:count1m\n    expr: sum(count_over_time({app="web"}[1m]))\n';

function call(agent: Agent, url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ agent, host: u.hostname, port: u.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function start(repo: string, args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [join(repo, 'dist/cli/main.js'), 'server', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg?: string; address?: string };
        if (j.msg === 'logwharf server ready' && j.address) resolve(j.address);
      } catch {
        // not JSON
      }
    });
    proc.on('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, stop: () => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill('SIGTERM')))) };
}

async function measure(repo: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-audit-bench-'));
  const store = openTokenStore(tokenDbPath(join(dir, 'data')));
  const { token } = store.create({ name: 'bench', role: 'admin', tenants: ['bench'] }, Date.now());
  store.close();
  const config = join(dir, 'server.yaml');
  writeFileSync(config, 'log_level: warn\nui:\n  enabled: false\nauth:\n  tokens_enabled: true\n');
  const lw = await start(repo, ['--data', join(dir, 'data'), '--config', config]);
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
