/**
 * Container resource metrics on the agent's /metrics (issue #16), under the names cAdvisor gives them
 * and with the labels of the container's log streams, so `{container="api"}` selects both.
 *
 * Nothing runs between scrapes: the figures are read when /metrics is asked for, and one reading serves
 * every scrape within `cacheMs` (two scrapers, or the twelve families of one scrape). Containers that
 * stopped are not in the next reading, so their series go with them.
 */
import { Counter, type Registry, type RegistryContentType } from 'prom-client';
import type { Labels } from '../../api/model.js';
import type { Logger } from '../../util/logger.js';
import { ContainerGoneError, statsTargetKey, type ContainerStats, type StatsReader, type StatsTarget } from './container-stats.js';
import { MalformedStatError } from './stat-files.js';

/** A container (or pod) to report, and the labels its log lines carry (without `stream`). */
export interface ResourceContainer {
  target: StatsTarget;
  labels: Labels;
}

export interface ResourceMetricsDeps {
  /** The containers collected now. */
  containers: () => ResourceContainer[];
  reader: StatsReader;
  log: Logger;
  now?: () => number;
  /** A reading younger than this is served again (default 1 s). */
  cacheMs?: number;
}

const DEFAULT_CACHE_MS = 1000;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: (s: ContainerStats, seenAt: number) => number | undefined;
}

/** cAdvisor's names, types and units. */
const FAMILIES: Family[] = [
  { name: 'container_cpu_usage_seconds_total', type: 'counter', help: 'Cumulative CPU time consumed in seconds.', value: (s) => s.cpuUsageSeconds },
  { name: 'container_cpu_user_seconds_total', type: 'counter', help: 'Cumulative user CPU time consumed in seconds.', value: (s) => s.cpuUserSeconds },
  { name: 'container_cpu_system_seconds_total', type: 'counter', help: 'Cumulative system CPU time consumed in seconds.', value: (s) => s.cpuSystemSeconds },
  { name: 'container_memory_usage_bytes', type: 'gauge', help: 'Current memory usage in bytes, including all memory regardless of when it was accessed.', value: (s) => s.memoryUsageBytes },
  { name: 'container_memory_working_set_bytes', type: 'gauge', help: 'Current working set in bytes (usage less inactive file pages).', value: (s) => s.memoryWorkingSetBytes },
  { name: 'container_memory_rss', type: 'gauge', help: 'Size of RSS (anonymous memory) in bytes.', value: (s) => s.memoryRssBytes },
  { name: 'container_spec_memory_limit_bytes', type: 'gauge', help: 'Memory limit for the container in bytes (0: no limit).', value: (s) => s.memoryLimitBytes },
  { name: 'container_network_receive_bytes_total', type: 'counter', help: 'Cumulative count of bytes received, over every interface but loopback.', value: (s) => s.networkReceiveBytes },
  { name: 'container_network_transmit_bytes_total', type: 'counter', help: 'Cumulative count of bytes transmitted, over every interface but loopback.', value: (s) => s.networkTransmitBytes },
  { name: 'container_fs_reads_bytes_total', type: 'counter', help: 'Cumulative count of bytes read, over every block device.', value: (s) => s.fsReadBytes },
  { name: 'container_fs_writes_bytes_total', type: 'counter', help: 'Cumulative count of bytes written, over every block device.', value: (s) => s.fsWriteBytes },
  { name: 'container_last_seen', type: 'gauge', help: 'Last time a container was seen by the exporter (Unix seconds).', value: (_s, at) => at / 1000 },
];

export const RESOURCE_METRIC_NAMES = FAMILIES.map((f) => f.name);

interface Row {
  labels: Labels;
  stats: ContainerStats;
}

interface Reading {
  at: number;
  rows: Row[];
}

export interface ResourceMetrics {
  /** Reads now (or serves a reading younger than cacheMs). */
  reading(): Promise<Reading>;
}

/** Registers the families (and logwharf_agent_resource_metric_errors_total) on the registry. */
export function registerResourceMetrics(registry: Registry<RegistryContentType>, deps: ResourceMetricsDeps): ResourceMetrics {
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? DEFAULT_CACHE_MS;
  const errors = new Counter({
    name: 'logwharf_agent_resource_metric_errors_total',
    help: 'Container resource figures skipped because their source was malformed or unreadable, by file.',
    labelNames: ['file'] as const,
    registers: [registry],
    // The families are read in parallel: this one waits for the reading, so it counts that reading's errors too.
    collect: async () => {
      await metrics.reading();
    },
  });
  /** Files already logged as malformed, so a broken file is said once, not at every scrape. */
  const logged = new Set<string>();
  let last: { at: number; reading: Promise<Reading> } | undefined;

  async function readAll(at: number): Promise<Reading> {
    const containers = deps.containers();
    deps.reader.retain(new Set(containers.map((c) => statsTargetKey(c.target))));
    const pending: Promise<Row | undefined>[] = [];
    for (const c of containers) {
      // Cgroup files are read synchronously (see container-stats.ts): one container per turn of the
      // event loop keeps it free; API readings started here run concurrently.
      pending.push(readOne(c));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const rows = await Promise.all(pending);
    return { at, rows: rows.filter((r) => r !== undefined) };
  }

  async function readOne(c: ResourceContainer): Promise<Row | undefined> {
    try {
      const r = await deps.reader.read(c.target);
      for (const file of r.errors) noteError(file, statsTargetKey(c.target));
      return { labels: c.labels, stats: r.stats };
    } catch (e) {
      // Stopped between the listing and the read: no series, as after its stop.
      if (e instanceof ContainerGoneError) return undefined;
      noteError(e instanceof MalformedStatError ? e.file : 'docker_api', statsTargetKey(c.target), e as Error);
      return undefined;
    }
  }

  function noteError(file: string, key: string, err?: Error): void {
    errors.inc({ file });
    if (logged.has(file)) return;
    logged.add(file);
    deps.log.warn({ file, target: key, ...(err && { err: err.message }) }, 'container resource figures skipped');
  }

  const metrics: ResourceMetrics = {
    reading() {
      const t = now();
      if (last === undefined || t - last.at >= cacheMs) last = { at: t, reading: readAll(t) };
      return last.reading;
    },
  };

  for (const f of FAMILIES) {
    // A metric object as prom-client's registry reads it (name, help, type, get); the series are
    // made at each get, so a label set may differ per container and a stopped container leaves none.
    const metric = {
      name: f.name,
      help: f.help,
      type: f.type,
      aggregator: 'sum',
      async get() {
        const r = await metrics.reading();
        const values: { labels: Labels; value: number }[] = [];
        for (const row of r.rows) {
          const v = f.value(row.stats, r.at);
          if (v !== undefined) values.push({ labels: row.labels, value: v });
        }
        // metric.name, not f.name: an OpenMetrics registry strips `_total` from a counter's name and adds it back per sample.
        return { name: metric.name, help: f.help, type: f.type, aggregator: 'sum', values };
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
  return metrics;
}
