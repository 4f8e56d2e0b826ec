/**
 * What access tokens (issue #11, `auth.tokens_enabled`) cost a client: requests per second and
 * latency of small authenticated requests (`GET /loki/api/v1/labels`, where the auth work is the
 * largest share) and of small pushes, against `logwharf server` with tokens off and on, alternating
 * rounds so machine noise hits both alike. One keep-alive connection, sequential requests: the
 * per-request cost, not the server's capacity.
 *
 *   npm run build && node --import tsx bench/auth.bench.ts      # ROUNDS=3 REQUESTS=3000
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { keepAliveRequest as call, median, percentile, startLogwharf } from './harness.js';
import { openTokenStore, tokenDbPath } from '../src/auth/token-store.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 3000);

async function measure(tokens: boolean): Promise<{ labels: number[]; push: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-auth-bench-'));
  let auth: Record<string, string> = {};
  if (tokens) {
    const store = openTokenStore(tokenDbPath(join(dir, 'data')));
    const { token } = store.create({ name: 'bench', role: 'admin', tenants: ['bench'] }, Date.now());
    store.close();
    auth = { Authorization: `Bearer ${token}` };
  } else {
    auth = {};
  }
  const config = join(dir, 'server.yaml');
  writeFileSync(config, `log_level: warn\nauth:\n  tokens_enabled: ${tokens}\n`);
  const lw = await startLogwharf('server', ['--data', join(dir, 'data'), '--config', config]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out = { labels: [] as number[], push: [] as number[] };
  try {
    for (const [kind, list] of [['labels', out.labels], ['push', out.push]] as const) {
      for (let i = 0; i < REQUESTS + 200; i++) {
        const t0 = process.hrtime.bigint();
        const status =
          kind === 'labels'
            ? await call(agent, lw.url, 'GET', '/loki/api/v1/labels', auth)
            : await call(agent, lw.url, 'POST', '/loki/api/v1/push', { ...auth, 'Content-Type': 'application/json' }, JSON.stringify({ streams: [{ stream: { job: 'bench' }, values: [[`${Date.now()}${String(i % 1e6).padStart(6, '0')}`, `line ${i}`]] }] }));
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        if (status >= 300) throw new Error(`${kind} answered ${status}`);
        // The first 200 warm the connection and the JIT.
        if (i >= 200) list.push(us);
      }
    }
  } finally {
    agent.destroy();
    await lw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const results = { off: { labels: [] as number[], push: [] as number[] }, on: { labels: [] as number[], push: [] as number[] } };
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const m = await measure(mode === 'on');
    results[mode].labels.push(median(m.labels));
    results[mode].push.push(median(m.push));
    console.log(`round ${r + 1} tokens ${mode}: labels median ${median(m.labels).toFixed(0)} µs (p99 ${percentile(m.labels, 99).toFixed(0)}), push median ${median(m.push).toFixed(0)} µs (p99 ${percentile(m.push, 99).toFixed(0)})`);
  }
}
for (const kind of ['labels', 'push'] as const) {
  const off = median(results.off[kind]);
  const on = median(results.on[kind]);
  const sign = (n: number) => (n >= 0 ? '+' : '') + n.toFixed(n === Math.round(n) ? 0 : 1);
  console.log(`${kind}: median of round medians ${off.toFixed(0)} µs off, ${on.toFixed(0)} µs on: ${sign(Math.round(on - off))} µs (${sign(Math.round((on / off - 1) * 1000) / 10)} %)`);
}
