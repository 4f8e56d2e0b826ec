/**
 * The health monitor's contributors for the server's own parts (issue #13, GET /api/v1/status):
 * ingest, store, queries and agents here; the ruler's and the notifier's in ./alerting.ts, next to
 * what they read. Each turns figures the server already keeps — the Overview page's sampled window
 * (src/web/overview-status.ts), the store's metrics, the sources registry — into a level and named
 * problems. Thresholds are `health.*` and the constants below; docs/api.md lists every figure.
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { levelOf, type ComponentStatus, type HealthProblem } from '../api/status.js';
import type { ServerConfig } from '../config/server.js';
import { parseDurationMs } from '../config/duration.js';
import type { HealthContributor } from '../health/monitor.js';
import type { OverviewStatusService } from '../web/overview-status.js';
import type { SourcesRegistry } from '../registry/registry.js';
import type { FleetSummary } from '../fleet/views.js';

/** A source being read whose oldest unacknowledged line is older than this makes agents warning. */
export const LAG_WARNING_SECONDS = 300;
/** Compaction is overdue when none completed for this many compaction intervals. */
const COMPACTION_OVERDUE_INTERVALS = 3;

/** Counters the contributors read over the sampled window (registered with the overview sampler). */
export const STATUS_COUNTERS = [
  'logwharf_store_write_errors_total',
  'logwharf_store_compactions_total',
  'logwharf_store_corruptions_total',
  'logwharf_query_timeouts_total',
  'prometheus_rule_evaluation_failures_total',
  'alertmanager_notifications_failed_total',
  'alertmanager_notifications_total',
  'prometheus_notifications_errors_total',
  'prometheus_notifications_dropped_total',
  'prometheus_notifications_sent_total',
] as const;

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function ingestContributor(overview: OverviewStatusService): HealthContributor {
  return {
    name: 'ingest',
    async status() {
      const w = await overview.server();
      const problems: HealthProblem[] = [];
      const rejected = Object.values(w.rejected).reduce((a, b) => a + b, 0);
      if (rejected > 0) {
        const why = Object.entries(w.rejected).map(([r, n]) => `${r} ${n}`).join(', ');
        problems.push({ check: 'ingest_rejects', status: 'warning', message: `${rejected} entries rejected in the last ${w.windowSeconds}s (${why}); the clients were told (4xx), see logwharf_discarded_entries_total` });
      }
      return done(problems, {
        window_seconds: w.windowSeconds,
        lines_per_second: round(w.linesPerSecond),
        bytes_per_second: round(w.bytesPerSecond),
        stored_entries_per_second: round(w.storeEntriesPerSecond),
        rejected: w.rejected,
        rejected_since_start: w.rejectedSinceStart,
      });
    },
  };
}

export interface StoreContributorDeps {
  config: ServerConfig;
  overview: OverviewStatusService;
  registry: Registry;
  /** Tenants whose retention the runtime overrides set (`retention_period` or `retention_stream`). */
  retentionOverrides?: () => number;
  now?: () => number;
}

export function storeContributor(deps: StoreContributorDeps): HealthContributor {
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const compactionMs = parseDurationMs(config.storage.compaction_interval);
  // Compaction is seen to complete when its counter moves between two checks (the health records'
  // rounds check every record_interval), so the time is as precise as the checks are frequent.
  let lastRuns = -1;
  let lastRunSeenAt = now();
  return {
    name: 'store',
    async status() {
      const [w, overview, fs, walBytes, quarantined, head] = await Promise.all([
        deps.overview.server(),
        deps.overview.get(''),
        statfs(config.data),
        dirBytes(join(config.data, 'wal')),
        quarantineFiles(join(config.data, 'quarantine')),
        gaugeValue(deps.registry, 'logwharf_store_head_bytes'),
      ]);
      const runs = w.total('logwharf_store_compactions_total');
      if (runs !== lastRuns) {
        if (lastRuns >= 0) lastRunSeenAt = now();
        lastRuns = runs;
      }
      const total = fs.blocks * fs.bsize;
      const free = fs.bavail * fs.bsize;
      // Used as df counts it: of what an unprivileged writer can use (blocks reserved for root excluded).
      const usable = (fs.blocks - fs.bfree + fs.bavail) * fs.bsize;
      const usedPercent = usable > 0 ? round((100 * (usable - free)) / usable, 1) : 0;
      const problems: HealthProblem[] = [];
      const { disk_warning_percent: warnAt, disk_critical_percent: critAt } = config.health;
      if (usedPercent >= warnAt) {
        const level = usedPercent >= critAt ? 'critical' : 'warning';
        problems.push({
          check: 'disk_nearly_full',
          status: level,
          message: `the filesystem of the data directory is ${usedPercent}% full (${level} at ${level === 'critical' ? critAt : warnAt}%), ${formatBytes(free)} free`,
        });
      }
      const writeErrors = w.increase('logwharf_store_write_errors_total');
      if (writeErrors > 0) problems.push({ check: 'store_write_errors', status: 'critical', message: `${writeErrors} writes failed in the last ${w.windowSeconds}s: pushes were refused with 503 (see the server's log)` });
      if (quarantined > 0) problems.push({ check: 'damaged_data_quarantined', status: 'warning', message: `${quarantined} damaged file(s) in ${join(config.data, 'quarantine')} (docs/storage.md, "Damage")` });
      const sinceRun = now() - lastRunSeenAt;
      if (compactionMs > 0 && sinceRun > COMPACTION_OVERDUE_INTERVALS * compactionMs) {
        problems.push({ check: 'compaction_overdue', status: 'warning', message: `no compaction completed for ${Math.round(sinceRun / 1000)}s (storage.compaction_interval ${config.storage.compaction_interval})` });
      }
      return done(problems, {
        data_dir: config.data,
        disk: { total_bytes: total, free_bytes: free, used_percent: usedPercent, warning_percent: warnAt, critical_percent: critAt },
        data_bytes: 'usedBytes' in overview.disk ? overview.disk.usedBytes : null,
        wal_bytes: walBytes,
        head_bytes: head,
        compaction: { interval: config.storage.compaction_interval, runs_since_start: runs, last_completed_at: runs > 0 ? new Date(lastRunSeenAt).toISOString() : null },
        retention: { period: config.retention.period, stream_rules: config.retention.streams.length, tenant_overrides: deps.retentionOverrides?.() ?? 0 },
        quarantined_files: quarantined,
        corruptions_since_start: w.total('logwharf_store_corruptions_total'),
        write_errors: writeErrors,
      });
    },
  };
}

export function queriesContributor(overview: OverviewStatusService, inFlight: () => number): HealthContributor {
  return {
    name: 'queries',
    async status() {
      const w = await overview.server();
      const timeouts = w.increase('logwharf_query_timeouts_total');
      const problems: HealthProblem[] = [];
      if (timeouts > 0) problems.push({ check: 'query_timeouts', status: 'warning', message: `${timeouts} queries hit query.timeout in the last ${w.windowSeconds}s (answered 504)` });
      return done(problems, {
        window_seconds: w.windowSeconds,
        requests: w.queryLatency.requests,
        p50_seconds: w.queryLatency.p50Seconds,
        p99_seconds: w.queryLatency.p99Seconds,
        in_flight: inFlight(),
        timeouts,
        timeouts_since_start: w.total('logwharf_query_timeouts_total'),
      });
    },
  };
}

/** `registry` throws before the server has started (the sources registry is not open). */
export function agentsContributor(registry: () => SourcesRegistry): HealthContributor {
  return {
    name: 'agents',
    async status() {
      const h = registry().health();
      const problems: HealthProblem[] = [];
      for (const a of h.agents) {
        if (a.stale) problems.push({ check: 'agent_stale', status: 'warning', message: `agent ${a.id} on ${a.host} (tenant ${a.tenant}) has not reported since ${a.last_report_at}`, subject: { tenant: a.tenant, agent: a.id, host: a.host } });
      }
      const live = h.agents.filter((a) => !a.stopped);
      if (live.length > 0 && live.every((a) => a.stale)) {
        problems.push({ check: 'agents_all_stale', status: 'critical', message: `none of the ${live.length} agent(s) is reporting: no logs are arriving from them` });
      }
      let failing = 0;
      let maxLag = 0;
      let seen = 0;
      let withLogs = 0;
      let silent = 0;
      const byState: Record<string, number> = {};
      for (const t of h.tenants) {
        failing += t.failing;
        maxLag = Math.max(maxLag, t.maxLagSeconds);
        seen += t.coverage.containers_seen;
        withLogs += t.coverage.containers_with_logs;
        silent += t.coverage.containers_silent;
        for (const [s, n] of Object.entries(t.byState)) byState[s] = (byState[s] ?? 0) + n;
        if (t.failing > 0) {
          const first = t.failingSources.slice(0, 3).map((s) => `${s.id} (${s.last_error || 'no error given'})`).join('; ');
          problems.push({ check: 'sources_failing', status: 'warning', message: `${t.failing} source(s) of tenant ${t.tenant} failing: ${first}${t.failing > 3 ? '; …' : ''}`, subject: { tenant: t.tenant } });
        }
        if (t.coverage.ratio < 1) {
          problems.push({ check: 'coverage_below_100', status: 'warning', message: `coverage of tenant ${t.tenant} is ${round(t.coverage.ratio * 100, 1)}%: ${t.coverage.containers_with_logs} of ${t.coverage.containers_seen - t.coverage.containers_silent} containers that wrote logs have logs stored`, subject: { tenant: t.tenant } });
        }
        if (t.maxLagSeconds > LAG_WARNING_SECONDS) {
          problems.push({ check: 'agent_lag', status: 'warning', message: `a source of tenant ${t.tenant} is ${Math.round(t.maxLagSeconds)}s behind (warning above ${LAG_WARNING_SECONDS}s)`, subject: { tenant: t.tenant } });
        }
      }
      const collectable = seen - silent;
      return done(problems, {
        agents: h.agents.length,
        reporting: h.agents.filter((a) => !a.stale && !a.stopped).length,
        stale: h.agents.filter((a) => a.stale).length,
        stopped: h.agents.filter((a) => a.stopped).length,
        sources: byState,
        sources_failing: failing,
        max_lag_seconds: maxLag,
        coverage_percent: collectable === 0 ? 100 : round((100 * withLogs) / collectable, 1),
        containers_seen: seen,
        containers_with_logs: withLogs,
      });
    },
  };
}

function done(problems: HealthProblem[], figures: Record<string, unknown>): ComponentStatus {
  return { status: levelOf(problems), figures, problems };
}

async function gaugeValue(registry: Registry, name: string): Promise<number | null> {
  const m = registry.getSingleMetric(name);
  if (!m) return null;
  return (await m.get()).values.reduce((s, v) => s + v.value, 0);
}

/** Bytes of the files directly in `dir` (the WAL's segments); 0 when it does not exist yet. */
async function dirBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let bytes = 0;
  for (const n of names) {
    try {
      const s = await stat(join(dir, n));
      if (s.isFile()) bytes += s.size;
    } catch {
      // a segment removed after its blocks were sealed, between readdir and stat
    }
  }
  return bytes;
}

/** Damaged parts moved aside (the `.json` notes beside them not counted). */
async function quarantineFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => !n.endsWith('.json')).length;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${round(n, 1)} ${units[i]}`;
}

/**
 * The control plane (issue #13): agents connected over OpAMP, stale or unhealthy, the configuration
 * versions they run and the rollouts in progress. `summary` throws before fleet.db is open.
 */
export function fleetContributor(summary: () => FleetSummary): HealthContributor {
  return {
    name: 'fleet',
    async status() {
      const s = summary();
      const problems: HealthProblem[] = [];
      if (s.agents.stale > 0) problems.push({ check: 'fleet_agents_stale', status: 'warning', message: `${s.agents.stale} managed agent(s) stopped heartbeating without saying goodbye` });
      if (s.agents.unhealthy > 0) problems.push({ check: 'fleet_agents_unhealthy', status: 'warning', message: `${s.agents.unhealthy} managed agent(s) report themselves unhealthy` });
      return { status: levelOf(problems), figures: { agents: s.agents, rollouts_running: s.rollouts.running }, problems } satisfies ComponentStatus;
    },
  };
}
