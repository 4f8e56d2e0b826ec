/**
 * Shared pieces of the shipper's end-to-end tests: shipper config and deps, items of numbered
 * lines, reading a selector back from the real server (with a tenant), and a small HTTP front in
 * front of the real server that can misbehave on demand.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { Registry } from 'prom-client';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { createAgentMetrics, type AgentMetrics } from '../../../src/agent/metrics.js';
import { createLogger } from '../../../src/util/logger.js';
import type { ShipItem, ShipperConfig } from '../../../src/agent/ship/shipper.js';
import type { Labels } from '../../../src/api/model.js';

export function shipperConfig(url: string, client: Record<string, unknown> = {}, extra: Partial<ShipperConfig> = {}): ShipperConfig {
  const cfg = agentConfigSchema.parse({ client: { url, batch_wait: '50ms', min_backoff: '50ms', max_backoff: '400ms', timeout: '2s', ...client } });
  return { ...cfg.client, maxInflightBytes: 8 << 20, buffer: { enabled: false, maxBytes: 1 << 30, dir: '' }, ...extra };
}

export function shipperDeps(): { log: ReturnType<typeof createLogger>; metrics: AgentMetrics; registry: Registry; version: string } {
  const registry = new Registry();
  return { log: createLogger({ level: 'silent' }), metrics: createAgentMetrics(registry), registry, version: '9.9.9-test' };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  if (!m) return 0;
  let sum = 0;
  for (const v of m.values) if (Object.entries(labels).every(([k, want]) => v.labels[k] === want)) sum += v.value;
  return sum;
}

let clock = BigInt(Date.now()) * 1_000_000n;
/** A strictly increasing, recent timestamp (ns). */
export function nextTs(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n;
  clock = now > clock ? now : clock + 1n;
  return clock;
}

/** An item of `n` lines `<prefix> <i>` (padded to `pad` chars) in one stream. */
export function item(labels: Labels, prefix: string, n: number, pad = 0, metadata?: Labels): ShipItem {
  const entries = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const line = `${prefix} ${i}`.padEnd(pad, '.');
    bytes += line.length;
    entries.push(metadata ? { ts: nextTs(), line, metadata } : { ts: nextTs(), line });
  }
  return { streams: [{ labels, entries }], lines: n, bytes };
}

// One way of reading entries back for every agent test.
export { queryAll, countLines as counts, type QueriedLine as Stored } from './helpers.js';

/** What the front does with one request: pass it to the real server, answer itself, drop the connection, or never answer. */
export type FrontAction = 'pass' | 'drop' | 'hang' | { status: number; headers?: Record<string, string>; body?: string };

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

export interface Front {
  url: string;
  seen: SeenRequest[];
  /** Decides each request; default: pass. */
  policy: (req: SeenRequest, n: number) => FrontAction;
  close(): Promise<void>;
}

/** An HTTP (or HTTPS, given key and cert) front that forwards to `target` unless its policy says otherwise. */
/**
 * The real server (port 0, temporary data dir) with a front before it, for every test of a file:
 * started in a `before` hook, closed and removed in an `after` hook.
 */
export function serverWithFront(use: (server: RunningServer, front: Front) => void): void {
  let server: RunningServer | undefined;
  let front: Front | undefined;
  before(async () => {
    server = await startServer();
    front = await startFront(server.url);
    use(server, front);
  });
  after(async () => {
    await front?.close();
    await server?.close();
    if (server) removeDir(server.dir);
  });
}

export async function startFront(target: string, tls?: { key: Buffer; cert: Buffer }): Promise<Front> {
  const hung: http.ServerResponse[] = [];
  const front: Front = { url: '', seen: [], policy: () => 'pass', close: async () => {} };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes: body.length };
      front.seen.push(seen);
      const action = front.policy(seen, front.seen.length);
      if (action === 'drop') return void req.socket.destroy();
      if (action === 'hang') return void hung.push(res);
      if (action !== 'pass') {
        res.writeHead(action.status, action.headers ?? {});
        return void res.end(action.body ?? '');
      }
      const headers = { ...req.headers };
      delete headers.host;
      const up = http.request(new URL(req.url ?? '/', target), { method: req.method, headers, agent: false }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  front.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  front.close = () =>
    new Promise<void>((resolve) => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return front;
}

export function pushRequests(front: Front): SeenRequest[] {
  return front.seen.filter((r) => r.url.endsWith('/push') || r.url.endsWith('/logs'));
}
