/**
 * A real Prometheus (Debian's 2.42) for tests, started as a remote-write receiver
 * (`--web.enable-remote-write-receiver`, so POST /api/v1/write stores samples) with a temporary TSDB
 * and no scrape targets (or the `scrapeConfigs` given), on a free port, ready on /-/ready. Close it in `after`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { requireBinary, startPeer, type PeerProcess } from './peer-process.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** One series of an instant query's vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus extends PeerProcess {
  /** Its remote-write endpoint. */
  readonly writeUrl: string;
  /** GET /api/v1/targets: the active targets' job, health and last scrape error. */
  targets(): Promise<Array<{ scrapePool: string; health: string; lastError: string }>>;
  /** GET /api/v1/query at `timeMs`; the result vector (throws on an error answer). */
  query(expr: string, timeMs: number): Promise<PromSample[]>;
  close(): Promise<void>;
}

/** Resolves undefined when the binary is missing outside CI (the test is then skipped); throws in CI. */
export async function startPrometheus(t: TestContext, opts: { scrapeConfigs?: Array<Record<string, unknown>> } = {}): Promise<RunningPrometheus | undefined> {
  if (!requireBinary(t, PROMETHEUS_BIN, 'prometheus')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify({ global: { evaluation_interval: '1m' }, scrape_configs: opts.scrapeConfigs ?? [] }));
  let peer: PeerProcess;
  try {
    peer = await startPeer({
      name: 'Prometheus',
      bin: PROMETHEUS_BIN,
      args: (port) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=debug',
      ],
      readyTimeoutMs: 60_000,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...peer,
    writeUrl: `${peer.url}/api/v1/write`,
    async query(expr, timeMs) {
      const u = new URL('/api/v1/query', peer.url);
      u.searchParams.set('query', expr);
      u.searchParams.set('time', (timeMs / 1000).toFixed(3));
      const res = await fetch(u);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${res.status} ${body.error ?? ''}`);
      if (body.data?.resultType !== 'vector') throw new Error(`query ${expr}: resultType ${body.data?.resultType}`);
      return body.data.result;
    },
    async targets() {
      const res = await fetch(new URL('/api/v1/targets?state=active', peer.url));
      const body = (await res.json()) as { data: { activeTargets: Array<{ scrapePool: string; health: string; lastError: string }> } };
      return body.data.activeTargets;
    },
    async close() {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
