/**
 * Shared pieces of the agent's end-to-end tests: an agent configuration for tests, reading every
 * line of a selector back from the real server, and waiting for a condition.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { agentConfigSchema, type AgentConfig } from '../../../src/config/agent.js';

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

/**
 * Every entry of `selector` in the last hour, oldest first, with structured metadata
 * (categorize-labels, as Grafana asks). `limit` above 5000 needs a server started with a larger
 * `limits.max_entries_limit_per_query`.
 */
export async function queryAll(url: string, selector: string, opts: { limit?: number; tenant?: string } = {}): Promise<QueriedLine[]> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const params = new URLSearchParams({
    query: selector,
    start: String(now - 3_600_000_000_000n),
    end: String(now + 60_000_000_000n),
    limit: String(opts.limit ?? 5000),
    direction: 'forward',
  });
  const headers: Record<string, string> = { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' };
  if (opts.tenant) headers['X-Scope-OrgID'] = opts.tenant;
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`, { headers });
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

/** Asserts-friendly summary: how many times each line text was stored. */
export function countLines(lines: QueriedLine[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.line, (m.get(l.line) ?? 0) + 1);
  return m;
}

export { startCli, type ChildProc } from '../helpers/server.js';

/**
 * Writes the YAML of a `logwharf agent` process that tails the files `paths` matches under the label
 * job=`job` and ships to `url` with the client TLS settings `tls` (Docker and Kubernetes off, short waits).
 */
export function writeFileAgentYaml(path: string, o: { url: string; job: string; paths: string[]; tls?: Record<string, unknown> }): void {
  const client = { url: o.url, batch_wait: '100ms', min_backoff: '100ms', ...(o.tls && { tls: o.tls }) };
  writeFileSync(path, stringify({ client, docker: { enabled: false }, kubernetes: { enabled: false, api_url: '' }, files: [{ paths: o.paths, labels: { job: o.job } }], poll_interval: '100ms' }));
}
