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
import { localOnlyChanges } from '../config/agent-remote.js';
import { parseDurationMs } from '../config/duration.js';
import type { Logger } from '../util/logger.js';
import type { DockerApi } from './discovery/docker-api.js';
import { createAgentMetrics, type AgentMetrics } from './metrics.js';
import type { ResourceContainer } from './resources/resource-metrics.js';
import type { Discovery, DiscoverySink, LineReader, Position, ReaderEvent, Target } from './model.js';
import { compilePipeline } from './pipeline/pipeline.js';
import { createReporter, type Reporter } from './reporter.js';
import { createShipper, type Shipper, type ShipperConfig, type ShippingHealth } from './ship/shipper.js';
import { resolveUrls } from './ship/http-client.js';
import { changedParts, type AgentPart } from './config-diff.js';
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
  /**
   * Applies a new configuration hot, rebuilding only the parts that changed (AgentPart): new lines
   * go through the new pipeline, unacknowledged batches are retried to the new destination,
   * restarted discoveries keep the readers and positions of targets that still exist. Refuses
   * (ok: false, nothing changed) a change of a local-only setting or a configuration that does not
   * compile. Calls are applied one at a time, in order.
   */
  reconfigure(next: AgentConfig): Promise<ApplyResult>;
  /** The configuration running now. */
  readonly config: AgentConfig;
  /** What the health window after a remote configuration looks at. */
  health(): AgentHealth;
  /** An empty push to the destination: undefined when it takes pushes, else what went wrong (Shipper.probe). */
  probeShipping(): Promise<string | undefined>;
  readonly metrics: AgentMetrics;
  readonly registry: Registry;
}

export type ApplyResult = { ok: true; changed: AgentPart[] } | { ok: false; reason: string };

export interface AgentHealth {
  shipping: ShippingHealth;
  pushUrl: string;
  /** Sources in the error state: id → last error. */
  failedSources: Map<string, string>;
  /** Discovery problems so far, and the last one. */
  discoveryErrors: number;
  lastDiscoveryError: string | undefined;
}

type DiscoveryName = 'docker' | 'kubernetes' | 'files';
const TARGET_KIND: Record<DiscoveryName, Target['kind']> = { docker: 'docker', kubernetes: 'kubernetes', files: 'file' };

/** A source whose reader failed is started again after this long. */
const ERROR_RETRY_MS = 5000;
/** A finished source is reported (as finished) for this long, then forgotten by the agent. */
const FINISHED_KEEP_MS = 10 * 60_000;

/** How often positions of files that are gone are looked for. */
const PRUNE_POSITIONS_MS = 60_000;

/** How long close() waits for queued lines to be acknowledged before giving up (they are re-read next start). */
const CLOSE_FLUSH_MS = 5000;

export function createAgent(initial: AgentConfig, deps: AgentDeps): AgentRole {
  /** The running configuration; replaced by reconfigure(). Read where used, never copied. */
  let config = initial;
  const log = deps.log;
  const registry = deps.registry ?? new Registry();
  // Gauges are computed when scraped, so they cost nothing between scrapes.
  const metrics = createAgentMetrics(registry, () => collectGauges());
  const now = deps.now ?? Date.now;
  const sources = new Map<string, Source>();
  /** Targets seen again while their previous source was still draining: started once it ends. */
  const restartAfterDrain = new Map<string, Target>();
  const discoveries = new Map<DiscoveryName, Discovery>();
  let discoveryErrors = 0;
  let lastDiscoveryError: string | undefined;
  let reconfiguring: Promise<unknown> = Promise.resolve();
  let started = false;
  let resourceMetrics = false;
  let positions: PositionsFile | undefined;
  let shipper: Shipper | undefined;
  let dockerApi: DockerApi | undefined;
  let createDockerLogsReader: typeof CreateDockerLogsReader | undefined;
  let reporter: Reporter | undefined;
  let positionsTimer: NodeJS.Timeout | undefined;
  let closing = false;
  const pipelineOf = (c: AgentConfig) => compilePipeline(c.pipeline, { externalLabels: c.client.external_labels, maxEntryBytes: c.max_line_bytes });
  let makePipeline = pipelineOf(config);
  const shipperConfig = (c: AgentConfig): ShipperConfig => ({
    ...c.client,
    maxInflightBytes: c.max_inflight_bytes,
    buffer: { enabled: c.buffer.enabled, maxBytes: c.buffer.max_bytes, dir: join(c.data, 'buffer') },
  });

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
        pollIntervalMs: parseDurationMs(config.poll_interval),
        readCoalesceMs: parseDurationMs(config.read_coalesce),
        deletedGraceMs: parseDurationMs(config.deleted_file_grace),
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
      discoveryErrors++;
      lastDiscoveryError = `${source}: ${err.message}`;
      log.warn({ discovery: source, err: err.message }, 'discovery problem');
    },
  };

  function wanted(name: DiscoveryName, c: AgentConfig): boolean {
    if (name === 'docker') return enabled(c.docker.enabled, c.docker.socket);
    if (name === 'kubernetes') return enabled(c.kubernetes.enabled, c.kubernetes.pods_dir);
    return c.files.length > 0;
  }

  /** Creates and starts one discovery; `found` collects the ids it upserts (a restart finishes the rest). */
  async function startDiscovery(name: DiscoveryName, found?: Set<string>): Promise<void> {
    const to: DiscoverySink = found ? { ...sink, upsert: (t) => (found.add(t.id), sink.upsert(t)) } : sink;
    let d: Discovery;
    // Each discovery is loaded only when it is used: an agent's memory is its budget (issue #4 §6).
    if (name === 'docker') {
      const [{ createDockerApi }, { createDockerDiscovery }, logsReader] = await Promise.all([
        import('./discovery/docker-api.js'),
        import('./discovery/docker.js'),
        import('./tail/docker-logs-reader.js'),
      ]);
      createDockerLogsReader = logsReader.createDockerLogsReader;
      dockerApi ??= createDockerApi(config.docker.socket);
      d = createDockerDiscovery({ ...config.docker, host: config.host }, to, {
        log,
        api: dockerApi,
        // Containers that exited while the agent was down still have lines to finish.
        knownTargets: () => [...positions!.entries()].map(([id]) => id),
      });
    } else if (name === 'kubernetes') {
      const { createKubernetesDiscovery } = await import('./discovery/kubernetes.js');
      d = createKubernetesDiscovery({ ...config.kubernetes, host: config.host }, to, { log });
    } else {
      const { createFileDiscovery } = await import('./discovery/files.js');
      d = createFileDiscovery(config.files, to, { log, host: config.host });
    }
    discoveries.set(name, d);
    await d.start();
  }

  /**
   * Hot reload of one discovery: the old one stops, the new one (if still wanted) lists its targets,
   * and only sources of this kind it did not find are finished (read to their end). A target found
   * again keeps its source, its reader and its position; it just takes the new labels.
   */
  async function restartDiscovery(name: DiscoveryName): Promise<void> {
    const old = discoveries.get(name);
    discoveries.delete(name);
    await old?.close().catch(() => {});
    const found = new Set<string>();
    if (wanted(name, config)) await startDiscovery(name, found);
    for (const s of [...sources.values()]) {
      if (s.target.kind !== TARGET_KIND[name] || found.has(s.target.id)) continue;
      if (s.state === 'tailing' || s.state === 'error') sink.finished(s.target.id);
    }
    await ensureResourceMetrics();
  }

  async function ensureResourceMetrics(): Promise<void> {
    if (resourceMetrics || !(discoveries.has('docker') || discoveries.has('kubernetes'))) return;
    if (!(config.docker.resource_metrics || config.kubernetes.resource_metrics)) return;
    resourceMetrics = true;
    await startResourceMetrics();
  }

  function startPositionsTimer(): void {
    clearInterval(positionsTimer);
    positionsTimer = setInterval(() => {
      flushPositions().catch((e: unknown) => log.error({ err: (e as Error).message }, 'cannot write positions'));
    }, parseDurationMs(config.positions_sync));
    positionsTimer.unref();
  }

  async function apply(next: AgentConfig): Promise<ApplyResult> {
    if (!started || closing) return { ok: false, reason: 'the agent is not running' };
    const local = localOnlyChanges(config, next);
    if (local.length > 0) {
      return { ok: false, reason: `cannot change while the agent runs: ${local.join(', ')} (local-only settings: change the agent's file and restart it)` };
    }
    const parts = changedParts(config, next);
    if (parts.length === 0) return { ok: true, changed: [] };
    // Everything that can fail is checked before anything changes.
    let nextPipeline = makePipeline;
    try {
      if (parts.includes('pipeline')) nextPipeline = pipelineOf(next);
      if (parts.includes('shipper')) resolveUrls(clientUrl(next.client), next.client.output);
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
    const prev = config;
    config = next;
    log.info({ changed: parts }, 'applying a new configuration');
    if (parts.includes('shipper')) shipper!.reconfigure(shipperConfig(next));
    if (parts.includes('pipeline')) {
      makePipeline = nextPipeline;
      for (const s of sources.values()) s.setPipeline(makePipeline(s.target.labels));
    }
    if (parts.includes('readers')) {
      for (const s of sources.values()) s.reopen((from) => openReader(s.target, from ?? positions!.get(s.target.id)));
    }
    for (const name of ['docker', 'kubernetes', 'files'] as const) {
      if (!parts.includes(name)) continue;
      if (!wanted(name, prev) && !wanted(name, next)) continue;
      try {
        await restartDiscovery(name);
      } catch (e) {
        // A discovery that cannot start is a discovery problem like any other: the health window sees it.
        sink.error(name, e as Error);
      }
    }
    if (parts.includes('positions')) startPositionsTimer();
    return { ok: true, changed: parts };
  }

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
    get config() {
      return config;
    },
    reconfigure(next) {
      const result = reconfiguring.then(() => apply(next)).then((r) => {
        if (r.ok && r.changed.length > 0) metrics.configReloads.inc({ result: 'applied' });
        else if (!r.ok) metrics.configReloads.inc({ result: 'refused' });
        return r;
      });
      reconfiguring = result.catch(() => {});
      return result;
    },
    probeShipping: () => shipper!.probe(),
    health() {
      const failedSources = new Map<string, string>();
      for (const s of sources.values()) if (s.state === 'error') failedSources.set(s.target.id, s.status().last_error ?? 'failed');
      return { shipping: shipper!.health(), pushUrl: shipper!.pushUrl, failedSources, discoveryErrors, lastDiscoveryError };
    },
    async start() {
      await mkdir(config.data, { recursive: true });
      positions = await PositionsFile.open(join(config.data, 'positions.json'));
      if (positions.recovered) log.warn({ file: positions.recovered }, 'positions file was corrupt; moved aside, starting from the beginning of every source');
      shipper = createShipper(shipperConfig(config), { log, metrics, version: deps.version });
      startPositionsTimer();

      const names = (['docker', 'kubernetes', 'files'] as const).filter((n) => wanted(n, config));
      if (names.length === 0) {
        log.warn(
          { docker_socket: config.docker.socket, pods_dir: config.kubernetes.pods_dir },
          'nothing to collect: no Docker socket, no Kubernetes pod logs and no files configured',
        );
      }
      for (const n of names) await startDiscovery(n);
      await ensureResourceMetrics();
      started = true;

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
      await reconfiguring;
      await Promise.all([...discoveries.values()].map((d) => d.close().catch(() => {})));
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
