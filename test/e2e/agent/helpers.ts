/**
 * Shared pieces of the agent's end-to-end tests: an agent configuration for tests, reading every
 * line of a selector back from the real server, and waiting for a condition.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { agentConfigSchema, type AgentConfig } from '../../../src/config/agent.js';

const REPO = new URL('../../../', import.meta.url).pathname;

/** An agent configuration for tests: Docker only, short waits, no metrics port. */
export function testAgentConfig(url: string, data: string, extra: Record<string, unknown> = {}): AgentConfig {
  const { client, ...rest } = extra as { client?: Record<string, unknown> };
  return agentConfigSchema.parse({
    client: { url, batch_wait: '100ms', min_backoff: '100ms', max_backoff: '1s', ...client },
    data,
    host: 'test-host',
    log_level: 'silent',
    metrics_listen: '',
    poll_interval: '100ms',
    docker: { enabled: 'true' },
    kubernetes: { enabled: 'false', api_url: '' },
    report: { interval: '500ms' },
    ...rest,
  });
}

export interface QueriedLine {
  labels: Record<string, string>;
  ts: string;
  line: string;
  metadata?: Record<string, string>;
}

/** Every entry of `selector` in the last hour, oldest first (the server must allow a large limit). */
export async function queryAll(url: string, selector: string, limit = 200_000): Promise<QueriedLine[]> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const params = new URLSearchParams({
    query: selector,
    start: String(now - 3_600_000_000_000n),
    end: String(now + 60_000_000_000n),
    limit: String(limit),
    direction: 'forward',
  });
  // categorize-labels: structured metadata comes back as the third element of each value.
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`, { headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } });
  if (!res.ok) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string, { structuredMetadata?: Record<string, string> }?]> }> };
  };
  const out: QueriedLine[] = [];
  for (const s of body.data.result) {
    for (const [ts, line, cats] of s.values) out.push({ labels: s.stream, ts, line, ...(cats?.structuredMetadata && { metadata: cats.structuredMetadata }) });
  }
  out.sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : BigInt(a.ts) > BigInt(b.ts) ? 1 : 0));
  return out;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asserts-friendly summary: how many times each line text was stored. */
export function countLines(lines: QueriedLine[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.line, (m.get(l.line) ?? 0) + 1);
  return m;
}

export interface ChildProc {
  proc: ChildProcess;
  exited: Promise<number | string>;
  stderr: () => string;
}

/** Starts `logharbor <args>` (dist/ or bin/) and resolves once it logs `readyMsg`, with the ready line's fields. */
export async function startCli(args: string[], readyMsg: string, opts: { viaBin?: boolean } = {}): Promise<ChildProc & { ready: Record<string, unknown> }> {
  // viaBin: through bin/logharbor, the command users run (it sets the agent's heap flags).
  const proc = opts.viaBin
    ? spawn(join(REPO, 'bin/logharbor'), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
    : spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not become ready in 20s; stderr: ${err}`)), 20_000);
    rl.on('line', (line) => {
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === readyMsg) {
          clearTimeout(timer);
          resolve(j);
        }
      } catch {
        // not JSON
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code}) before ready; stderr: ${err}`));
    });
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  proc.stdout!.resume();
  return { proc, exited, stderr: () => err, ready };
}
