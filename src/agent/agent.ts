/**
 * The agent role (issue #4): discovery finds targets, each target becomes a Source (reader →
 * pipeline → shipper), acknowledged positions are written atomically, and the agent reports its
 * sources to the server's registry. createAgent(config, deps) → { start, close } like every role.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { SourceStatus } from '../api/sources.js';
import { clientUrl, type AgentConfig } from '../config/agent.js';
import { parseDurationMs } from '../config/duration.js';
import type { Logger } from '../util/logger.js';
import type { DockerApi } from './discovery/docker-api.js';
import { createAgentMetrics, type AgentMetrics } from './metrics.js';
import type { ResourceContainer } from './resources/resource-metrics.js';
import type { Discovery, DiscoverySink, LineReader, Position, ReaderEvent, Target } from './model.js';
import { compilePipeline } from './pipeline/pipeline.js';
import { createReporter, type Reporter } from './reporter.js';
import { createShipper, type Shipper } from './ship/shipper.js';
import { Source, visibleLabels } from './source.js';
import type { createDockerLogsReader as CreateDockerLogsReader } from './tail/docker-logs-reader.js';
import { createFileReader } from './tail/file-reader.js';
import { PositionsFile } from './tail/positions.js';

export interface AgentDeps {
  log: Logger;
  /** Where the agent's metrics are registered; the server's registry when both run in one process. */
  registry?: Registry;
  version?: string;
  now?: () => number;
  /** Where cgroups and processes are read for resource metrics (default /sys/fs/cgroup and /proc); tests point them at a fixture tree. */
  resourceRoots?: { cgroup?: string; proc?: string };
}

export interface AgentRole {
  start(): Promise<void>;
  /** Stops discovery and reading, sends what is queued (a few seconds at most) and writes positions. */
  close(): Promise<void>;
  /** Every source this agent knows, as reported to the registry. */
  sources(): SourceStatus[];
  readonly metrics: AgentMetrics;
  readonly registry: Registry;
}

/** A source whose reader failed is started again after this long. */
const ERROR_RETRY_MS = 5000;
/** A finished source is reported (as finished) for this long, then forgotten by the agent. */
const FINISHED_KEEP_MS = 10 * 60_000;

/** How often positions of files that are gone are looked for. */
const PRUNE_POSITIONS_MS = 60_000;

/** How long close() waits for queued lines to be acknowledged before giving up (they are re-read next start). */
const CLOSE_FLUSH_MS = 5000;

export function createAgent(config: AgentConfig, deps: AgentDeps): AgentRole {
  const log = deps.log;
  const registry = deps.registry ?? new Registry();
  // Gauges are computed when scraped, so they cost nothing between scrapes.
  const metrics = createAgentMetrics(registry, () => collectGauges());
  const now = deps.now ?? Date.now;
  const sources = new Map<string, Source>();
  /** Targets seen again while their previous source was still draining: started once it ends. */
  const restartAfterDrain = new Map<string, Target>();
  const discoveries: Discovery[] = [];
  let positions: PositionsFile | undefined;
  let shipper: Shipper | undefined;
  let dockerApi: DockerApi | undefined;
  let createDockerLogsReader: typeof CreateDockerLogsReader | undefined;
  let reporter: Reporter | undefined;
  let positionsTimer: NodeJS.Timeout | undefined;
  let closing = false;
  const makePipeline = compilePipeline(config.pipeline, { externalLabels: config.client.external_labels, maxEntryBytes: config.max_line_bytes });
  const pollIntervalMs = parseDurationMs(config.poll_interval);
  const readCoalesceMs = parseDurationMs(config.read_coalesce);
  const deletedGraceMs = parseDurationMs(config.deleted_file_grace);

  const onEvent = (e: ReaderEvent, n: number) => {
    metrics.readerEvents.inc({ event: e }, n);
    if (e === 'malformed_record') metrics.linesDropped.inc({ reason: 'malformed_record' }, n);
  };

  function openReader(t: Target, start: Position | undefined): LineReader {
    if (t.reader.type === 'file') {
      return createFileReader({
        path: t.reader.path,
        format: t.reader.format,
        start: start?.kind === 'file' ? start : undefined,
        maxLineBytes: config.max_line_bytes,
        pollIntervalMs,
        readCoalesceMs,
        deletedGraceMs,
        onEvent,
      });
    }
    if (!dockerApi || !createDockerLogsReader) throw new Error(`target ${t.id} needs the Docker API, which is not configured`);
    return createDockerLogsReader(dockerApi, t.reader.containerId, {
      start: start?.kind === 'since' ? start : undefined,
      maxLineBytes: config.max_line_bytes,
      onEvent,
    });
  }

  function startSource(t: Target): void {
    const reader = openReader(t, positions!.get(t.id));
    const source = new Source(t, {
      reader,
      pipeline: makePipeline(t.labels),
      shipper: shipper!,
      metrics,
      log,
      now,
      commit: (id, pos) => positions!.set(id, pos),
    });
    sources.set(t.id, source);
    log.info({ source: t.id, labels: visibleLabels(t.labels), reader: t.reader }, 'collecting');
    void source.done.then(() => {
      if (closing) return;
      log.info({ source: t.id, state: source.state }, 'source ended');
      const again = restartAfterDrain.get(t.id);
      if (again) {
        restartAfterDrain.delete(t.id);
        return startSource(again);
      }
      if (source.state === 'error') {
        // A reader that failed (a file it may not read, say) is tried again from its committed
        // position; the error stays visible in the registry meanwhile.
        const retry = setTimeout(() => {
          if (!closing && sources.get(t.id) === source) startSource(source.target);
        }, ERROR_RETRY_MS);
        retry.unref();
        return;
      }
      // Finished sources stay listed for a while, so the registry sees their final counts, then go.
      const forget = setTimeout(() => {
        if (sources.get(t.id) === source) sources.delete(t.id);
      }, FINISHED_KEEP_MS);
      forget.unref();
    });
  }

  const sink: DiscoverySink = {
    upsert(t) {
      if (closing) return;
      const s = sources.get(t.id);
      if (s && (s.state === 'tailing' || s.state === 'error')) return s.update(t);
      if (s && s.state === 'draining') {
        restartAfterDrain.set(t.id, t);
        return;
      }
      try {
        startSource(t);
      } catch (e) {
        log.error({ source: t.id, err: (e as Error).message }, 'cannot collect target');
      }
    },
    finished(id) {
      restartAfterDrain.delete(id);
      sources.get(id)?.drain();
    },
    error(source, err) {
      log.warn({ discovery: source, err: err.message }, 'discovery problem');
    },
  };

  function enabled(setting: 'auto' | 'true' | 'false', probe: string): boolean {
    return setting === 'true' || (setting === 'auto' && existsSync(probe));
  }

  function collectGauges(): void {
    let open = 0;
    let lag = 0;
    const counts = new Map<string, number>();
    for (const s of sources.values()) {
      open += s.openFiles;
      lag = Math.max(lag, s.lagSeconds());
      const key = `${s.target.kind}\u0000${s.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    metrics.openFiles.set(open);
    metrics.lagSeconds.set(lag);
    metrics.targets.reset();
    for (const [key, n] of counts) {
      const [kind, state] = key.split('\u0000') as [string, string];
      metrics.targets.set({ kind, state }, n);
    }
  }

  /**
   * Containers' CPU, memory, network and IO on /metrics (issue #16), read at scrape time for the
   * sources being collected: Docker containers one by one, Kubernetes pods at the pod level.
   */
  async function startResourceMetrics(): Promise<void> {
    const [{ registerResourceMetrics }, { createStatsReader }] = await Promise.all([
      import('./resources/resource-metrics.js'),
      import('./resources/container-stats.js'),
    ]);
    const api = dockerApi;
    registerResourceMetrics(registry, {
      log,
      now,
      reader: createStatsReader({
        ...(deps.resourceRoots?.cgroup !== undefined && { cgroupRoot: deps.resourceRoots.cgroup }),
        ...(deps.resourceRoots?.proc !== undefined && { procRoot: deps.resourceRoots.proc }),
        ...(api && config.docker.resource_metrics && { engineStats: (id: string) => api.stats(id) }),
      }),
      containers: () => resourceContainers(),
    });
  }

  function resourceContainers(): ResourceContainer[] {
    const out: ResourceContainer[] = [];
    const pods = new Set<string>();
    for (const s of sources.values()) {
      const t = s.target;
      // Draining means the container stopped: its series go at once, not when its last lines are shipped.
      if (s.state !== 'tailing' && s.state !== 'error') continue;
      if (t.kind === 'docker' && config.docker.resource_metrics && t.info.containerId !== undefined) {
        const labels = s.resourceLabels();
        if (labels) out.push({ target: { containerId: t.info.containerId, pid: t.info.pid }, labels });
      } else if (t.kind === 'kubernetes' && config.kubernetes.resource_metrics) {
        // k8s:<pod uid>/<container>/<restart>: one series set per pod, labelled as its logs less `container`.
        const uid = t.id.slice('k8s:'.length).split('/')[0]!;
        if (pods.has(uid)) continue;
        const labels = s.resourceLabels();
        if (!labels) continue;
        pods.add(uid);
        const { container: _container, ...podLabels } = labels;
        out.push({ target: { podUid: uid }, labels: podLabels });
      }
    }
    return out;
  }

  let lastPrune = 0;
  async function flushPositions(): Promise<void> {
    if (!positions) return;
    // Positions of files that no longer exist and are not being read are of no use any more. The
    // check costs a stat per such position, so it runs once a minute (and at close), not every flush.
    if (closing || now() - lastPrune >= PRUNE_POSITIONS_MS) {
      lastPrune = now();
      prunePositions(positions);
    }
    await positions.flush();
  }

  function prunePositions(positions: PositionsFile): void {
    for (const [id, pos] of positions.entries()) {
      if (sources.has(id) || pos.kind !== 'file') continue;
      if (!existsSync(pos.path)) positions.delete(id);
    }
  }

  return {
    metrics,
    registry,
    sources: () => [...sources.values()].map((s) => s.status()),
    async start() {
      await mkdir(config.data, { recursive: true });
      positions = await PositionsFile.open(join(config.data, 'positions.json'));
      if (positions.recovered) log.warn({ file: positions.recovered }, 'positions file was corrupt; moved aside, starting from the beginning of every source');
      shipper = createShipper(
        {
          ...config.client,
          maxInflightBytes: config.max_inflight_bytes,
          buffer: { enabled: config.buffer.enabled, maxBytes: config.buffer.max_bytes, dir: join(config.data, 'buffer') },
        },
        { log, metrics, version: deps.version },
      );
      const syncMs = parseDurationMs(config.positions_sync);
      positionsTimer = setInterval(() => {
        flushPositions().catch((e: unknown) => log.error({ err: (e as Error).message }, 'cannot write positions'));
      }, syncMs);
      positionsTimer.unref();

      // Each discovery is loaded only when it is used: an agent's memory is its budget (issue #4 §6).
      if (enabled(config.docker.enabled, config.docker.socket)) {
        const [{ createDockerApi }, { createDockerDiscovery }, logsReader] = await Promise.all([
          import('./discovery/docker-api.js'),
          import('./discovery/docker.js'),
          import('./tail/docker-logs-reader.js'),
        ]);
        createDockerLogsReader = logsReader.createDockerLogsReader;
        dockerApi = createDockerApi(config.docker.socket);
        discoveries.push(
          createDockerDiscovery({ ...config.docker, host: config.host }, sink, {
            log,
            api: dockerApi,
            // Containers that exited while the agent was down still have lines to finish.
            knownTargets: () => [...positions!.entries()].map(([id]) => id),
          }),
        );
      }
      if (enabled(config.kubernetes.enabled, config.kubernetes.pods_dir)) {
        const { createKubernetesDiscovery } = await import('./discovery/kubernetes.js');
        discoveries.push(createKubernetesDiscovery({ ...config.kubernetes, host: config.host }, sink, { log }));
      }
      if (discoveries.length > 0 && (config.docker.resource_metrics || config.kubernetes.resource_metrics)) await startResourceMetrics();
      if (config.files.length > 0) {
        const { createFileDiscovery } = await import('./discovery/files.js');
        discoveries.push(createFileDiscovery(config.files, sink, { log, host: config.host }));
      }
      if (discoveries.length === 0) {
        log.warn(
          { docker_socket: config.docker.socket, pods_dir: config.kubernetes.pods_dir },
          'nothing to collect: no Docker socket, no Kubernetes pod logs and no files configured',
        );
      }
      for (const d of discoveries) await d.start();

      if (config.report.enabled) {
        reporter = createReporter({
          url: clientUrl(config.client),
          intervalMs: parseDurationMs(config.report.interval),
          agent: { id: await agentId(config.data, config.host), host: config.host, version: deps.version ?? 'dev', started_at: new Date(now()).toISOString() },
          sources: () => [...sources.values()].map((s) => s.status()),
          post: (path, body) => shipper!.post(path, body),
          log,
        });
        reporter.start();
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(positionsTimer);
      await Promise.all(discoveries.map((d) => d.close().catch(() => {})));
      const all = [...sources.values()];
      for (const s of all) s.halt();
      await shipper?.close({ flushTimeoutMs: CLOSE_FLUSH_MS });
      await Promise.all(all.map((s) => s.done));
      if (reporter) await reporter.close();
      await flushPositions();
    },
  };
}

/** A stable id for this agent: the host name plus a random suffix kept in the data directory. */
async function agentId(dir: string, host: string): Promise<string> {
  const file = join(dir, 'agent-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[\w.-]{1,200}$/.test(id)) return id;
  } catch {
    // first start
  }
  const id = `${host.replace(/[^\w.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  await writeFile(file, id + '\n');
  return id;
}
