/**
 * `GET /api/v1/status/overview`: the server's own health for the UI's Overview page — ingest rate,
 * query latency, disk used by the data directory, and the retention rules. Rates come from the
 * process's existing Prometheus metrics, sampled every 10 s and kept in memory for 5 minutes (no new
 * disk state): a rate is the difference between the current reading and the oldest sample kept,
 * over the time between them. Disk used is the sum of file sizes under the data directory, walked
 * with async fs at most every 30 s.
 *
 * The same samples serve the health monitor (GET /api/v1/status, src/health): `server()` is the window
 * over every tenant, with rejects by reason and the increase of the counters it names in `counters`,
 * so the server samples its metrics once for both.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Router } from '../http/router.js';
import { sendJson } from '../http/context.js';

export const SAMPLE_EVERY_MS = 10_000;
/** Samples older than this are forgotten: rates describe the last few minutes. */
export const SAMPLE_WINDOW_MS = 5 * 60_000;
export const DISK_EVERY_MS = 30_000;

/** The routes whose latency is "query latency": reads of log data, not pushes, tails or rule edits. */
const QUERY_ROUTE = /^\/(loki\/api\/v1|api\/prom)\/(query|query_range|labels?|label\/:name\/values|series|index\/[a-z_]+|patterns|detected_[a-z_]+(\/:name\/values)?)$/;

export interface OverviewStatusDeps {
  registry: Registry;
  dataDir: string;
  retention: { period: string; streams: Array<{ selector: string; period: string; priority: number }> };
  /** How often retention runs (the store's compaction interval), as configured. */
  compactionInterval: string;
  /** Further counters whose increase over the window the health monitor reads (summed over labels). */
  counters?: readonly string[];
  now?: () => number;
}

/** The answer, as the UI reads it. Rates are per second; null when nothing was measured yet. */
export interface OverviewStatus {
  ingest: { windowSeconds: number; linesPerSecond: number; bytesPerSecond: number; storeEntriesPerSecond: number };
  queryLatency: { windowSeconds: number; requests: number; p50Seconds: number | null; p99Seconds: number | null };
  disk: { usedBytes: number; files: number; measuredAt: number } | { error: string };
  retention: OverviewStatusDeps['retention'] & { compactionInterval: string };
}

interface Sample {
  t: number;
  lines: Map<string, number>;
  bytes: Map<string, number>;
  appended: number;
  /** Cumulative bucket counts (by `le`, "+Inf" included) summed over the query routes. */
  buckets: Map<string, number>;
  /** Entries rejected at ingest, by reason, over every tenant. */
  discarded: Map<string, number>;
  /** `deps.counters` by name, summed over their labels. */
  counters: Map<string, number>;
}

/**
 * The same window over the whole server, for the health monitor (GET /api/v1/status): every
 * tenant's ingest, rejects by reason, query latency and the increase of `deps.counters`.
 */
export interface ServerWindow {
  windowSeconds: number;
  linesPerSecond: number;
  bytesPerSecond: number;
  storeEntriesPerSecond: number;
  /** Entries rejected within the window, by reason (only reasons that occurred). */
  rejected: Record<string, number>;
  /** Entries rejected since the server started, by reason. */
  rejectedSinceStart: Record<string, number>;
  queryLatency: OverviewStatus['queryLatency'];
  /** Increase of one of `deps.counters` within the window (0 when it is not registered). */
  increase(name: string): number;
  /** One of `deps.counters` now. */
  total(name: string): number;
}

export interface OverviewStatusService {
  get(tenant: string): Promise<OverviewStatus>;
  server(): Promise<ServerWindow>;
  start(): void;
  close(): void;
}

export function createOverviewStatus(deps: OverviewStatusDeps): OverviewStatusService {
  const now = deps.now ?? Date.now;
  const samples: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;
  let disk: { at: number; value: Promise<OverviewStatus['disk']> } | undefined;

  const counters = deps.counters ?? [];
  const sampleNow = async () => {
    samples.push(await readSample(deps.registry, now(), counters));
    const oldest = now() - SAMPLE_WINDOW_MS;
    while (samples.length > 1 && samples[0]!.t < oldest) samples.shift();
  };

  const diskUsed = (): Promise<OverviewStatus['disk']> => {
    const t = now();
    if (!disk || t - disk.at >= DISK_EVERY_MS) {
      disk = {
        at: t,
        value: walk(deps.dataDir).then(
          (d) => ({ ...d, measuredAt: t }),
          (e: Error) => ({ error: `could not measure the data directory: ${e.message}` }),
        ),
      };
    }
    return disk.value;
  };

  /** The current reading against the oldest sample kept. */
  const windowNow = async () => {
    const cur = await readSample(deps.registry, now(), counters);
    const base = samples[0] ?? cur;
    const secs = Math.max(0, (cur.t - base.t) / 1000);
    const rate = (a: number, b: number) => (secs > 0 ? Math.max(0, a - b) / secs : 0);
    const delta = new Map<string, number>();
    for (const [le, n] of cur.buckets) delta.set(le, Math.max(0, n - (base.buckets.get(le) ?? 0)));
    const requests = delta.get('+Inf') ?? 0;
    const latency: OverviewStatus['queryLatency'] = {
      windowSeconds: Math.round(secs),
      requests,
      p50Seconds: requests > 0 ? quantile(0.5, delta) : null,
      p99Seconds: requests > 0 ? quantile(0.99, delta) : null,
    };
    return { cur, base, secs, rate, latency };
  };

  return {
    start() {
      void sampleNow();
      timer = setInterval(() => void sampleNow(), SAMPLE_EVERY_MS);
      timer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    async server() {
      const { cur, base, secs, rate, latency } = await windowNow();
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      const rejected: Record<string, number> = {};
      for (const [reason, n] of cur.discarded) {
        const d = n - (base.discarded.get(reason) ?? 0);
        if (d > 0) rejected[reason] = d;
      }
      return {
        windowSeconds: Math.round(secs),
        linesPerSecond: rate(sum(cur.lines), sum(base.lines)),
        bytesPerSecond: rate(sum(cur.bytes), sum(base.bytes)),
        storeEntriesPerSecond: rate(cur.appended, base.appended),
        rejected,
        rejectedSinceStart: Object.fromEntries(cur.discarded),
        queryLatency: latency,
        increase: (name) => Math.max(0, (cur.counters.get(name) ?? 0) - (base.counters.get(name) ?? 0)),
        total: (name) => cur.counters.get(name) ?? 0,
      };
    },
    async get(tenant) {
      const [{ cur, base, secs, rate, latency }, d] = await Promise.all([windowNow(), diskUsed()]);
      return {
        ingest: {
          windowSeconds: Math.round(secs),
          linesPerSecond: rate(cur.lines.get(tenant) ?? 0, base.lines.get(tenant) ?? 0),
          bytesPerSecond: rate(cur.bytes.get(tenant) ?? 0, base.bytes.get(tenant) ?? 0),
          storeEntriesPerSecond: rate(cur.appended, base.appended),
        },
        queryLatency: latency,
        disk: d,
        retention: { ...deps.retention, compactionInterval: deps.compactionInterval },
      };
    },
  };
}

export function registerOverviewStatusRoute(router: Router, status: OverviewStatusService): void {
  // Tenant-scoped: the ingest rate is the caller's tenant's; disk, latency and retention are the server's.
  router.add('GET', '/api/v1/status/overview', async (ctx) => sendJson(ctx, 200, await status.get(ctx.tenant)), { role: 'read' });
}

async function readSample(registry: Registry, t: number, counters: readonly string[]): Promise<Sample> {
  const byTenant = async (name: string) => {
    const out = new Map<string, number>();
    const m = registry.getSingleMetric(name);
    if (!m) return out;
    for (const v of (await m.get()).values) {
      const tenant = String(v.labels.tenant ?? '');
      out.set(tenant, (out.get(tenant) ?? 0) + v.value);
    }
    return out;
  };
  const total = async (name: string) => {
    const m = registry.getSingleMetric(name);
    return m ? (await m.get()).values.reduce((s, v) => s + v.value, 0) : 0;
  };
  const buckets = new Map<string, number>();
  const h = registry.getSingleMetric('logwharf_request_duration_seconds');
  if (h) {
    for (const v of (await h.get()).values) {
      if (!(v as { metricName?: string }).metricName?.endsWith('_bucket') || !QUERY_ROUTE.test(String(v.labels.route))) continue;
      const le = String(v.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    }
  }
  const discarded = new Map<string, number>();
  const d = registry.getSingleMetric('logwharf_discarded_entries_total');
  if (d) {
    for (const v of (await d.get()).values) {
      const reason = String(v.labels.reason ?? '');
      discarded.set(reason, (discarded.get(reason) ?? 0) + v.value);
    }
  }
  const extra = new Map<string, number>();
  for (const name of counters) extra.set(name, await total(name));
  return {
    t,
    discarded,
    counters: extra,
    lines: await byTenant('logwharf_distributor_lines_received_total'),
    bytes: await byTenant('logwharf_distributor_bytes_received_total'),
    appended: await total('logwharf_store_entries_appended_total'),
    buckets,
  };
}

/**
 * The q-quantile of cumulative histogram buckets, interpolated linearly inside the bucket it falls
 * in, as Prometheus' histogram_quantile does; in the +Inf bucket, the largest finite bound.
 */
export function quantile(q: number, buckets: Map<string, number>): number | null {
  const sorted = [...buckets].map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n })).sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.n ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const b of sorted) {
    if (b.n >= rank) {
      if (b.le === Infinity) return prevLe;
      return b.n === prevN ? b.le : prevLe + ((b.le - prevLe) * (rank - prevN)) / (b.n - prevN);
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return prevLe;
}

/** Sum of the sizes of the files under `dir` (symlinks not followed). */
async function walk(dir: string): Promise<{ usedBytes: number; files: number }> {
  let usedBytes = 0;
  let files = 0;
  const visit = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      // A folder removed by compaction while we walk is simply gone; the top one must exist.
      if (d === dir || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) {
        try {
          usedBytes += (await lstat(p)).size;
          files++;
        } catch {
          // removed between readdir and stat (a sealed WAL segment, a compacted block)
        }
      }
    }
  };
  await visit(dir);
  return { usedBytes, files };
}
