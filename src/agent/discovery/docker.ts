/**
 * Docker discovery (issue #4 §1): every container on the engine becomes a target from its first line
 * to its last. Subscribes to container events first and lists second, so nothing starts unseen in
 * between; when the event stream breaks (daemon restart, socket cut) it reconnects with backoff,
 * asks the engine to replay the events it missed, and re-lists to reconcile what replay cannot cover.
 */
import { msToNs } from '../../api/time-units.js';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { AgentConfig } from '../../config/agent.js';
import type { Labels } from '../../api/model.js';
import type { Logger } from '../../util/logger.js';
import type { Discovery, DiscoverySink, Target } from '../model.js';
import { sanitizeLabelName } from './label-name.js';

export { sanitizeLabelName };
import { createDockerApi, DockerApiError, type ContainerInspect, type DockerApi, type DockerEvent } from './docker-api.js';

/** The agent's docker settings discovery uses (resource_metrics is the agent's business). */
export type DockerDiscoveryConfig = Omit<AgentConfig['docker'], 'resource_metrics'> & { host: string };

export interface DockerDiscoveryDeps {
  log: Logger;
  /** The API client; one on cfg.socket is created when absent. */
  api?: DockerApi;
  /**
   * Target ids the agent holds positions for (from its positions file). A container among them that
   * stopped while the agent was down is collected once more, to its end, so its last lines are not lost.
   */
  knownTargets?: () => Iterable<string>;
  /** First and longest reconnect delay (ms); tests shorten them. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const SOURCE = 'docker';
const EVENT_FILTERS = { type: ['container'], event: ['start', 'die', 'destroy', 'rename'] };

/** Creates the Docker discovery; start() resolves after the first listing (or its failure, reported to the sink). */
export function createDockerDiscovery(cfg: DockerDiscoveryConfig, sink: DiscoverySink, deps: DockerDiscoveryDeps): Discovery {
  const api = deps.api ?? createDockerApi(cfg.socket);
  const log = deps.log;
  const minBackoff = deps.minBackoffMs ?? 500;
  const maxBackoff = deps.maxBackoffMs ?? 30_000;
  /** Full ids of containers upserted and not finished since. */
  const live = new Set<string>();
  const reportedNone = new Set<string>();
  let firstListing = true;
  let unreadableLogged = false;
  const abort = new AbortController();
  /** Events are handled one at a time so a die never overtakes the inspect of its start. */
  let queue: Promise<void> = Promise.resolve();
  /** The newest event time seen (ns): after a reconnect the engine replays from there. */
  let lastEventNs: bigint | undefined;
  let loop: Promise<void> | undefined;

  const enqueue = (work: () => Promise<void>): Promise<void> => {
    queue = queue.then(work).catch((e: unknown) => {
      if (!abort.signal.aborted) sink.error(SOURCE, e as Error);
    });
    return queue;
  };

  async function collect(id: string): Promise<void> {
    let c: ContainerInspect;
    try {
      c = await api.inspect(id);
    } catch (e) {
      // Removed before we could look: its logs are gone with it.
      if (e instanceof DockerApiError && e.status === 404) return;
      throw e;
    }
    const driver = c.HostConfig.LogConfig?.Type ?? 'json-file';
    if (driver === 'none') {
      // Said once per container, not at every re-list.
      if (!reportedNone.has(c.Id)) {
        reportedNone.add(c.Id);
        sink.error(SOURCE, new Error(`container ${containerName(c)} (${c.Id.slice(0, 12)}) uses the "none" log driver: Docker keeps no logs of it to collect`));
      }
      return;
    }
    if (abort.signal.aborted) return;
    // An agent in a container without /var/lib/docker/containers mounted cannot read the json-file:
    // the logs endpoint then serves the same lines.
    let fileReadable = false;
    if (driver === 'json-file' && c.LogPath) {
      fileReadable = await access(c.LogPath, constants.R_OK).then(
        () => true,
        () => false,
      );
      if (!fileReadable && !unreadableLogged) {
        unreadableLogged = true;
        log.warn({ path: c.LogPath }, 'cannot read Docker json-file logs (is /var/lib/docker/containers mounted?); reading through the Docker API instead');
      }
    }
    live.add(c.Id);
    sink.upsert(toTarget(c, cfg, fileReadable));
  }

  function finish(id: string): void {
    if (!live.delete(id)) return;
    sink.finished(`docker:${id}`);
  }

  function onEvent(e: DockerEvent): void {
    // timeNano passes through a double (about 0.25 µs granularity today): replay starts a little early.
    if (typeof e.timeNano === 'number' && Number.isInteger(e.timeNano)) {
      const t = BigInt(e.timeNano) - 1000n;
      if (lastEventNs === undefined || t > lastEventNs) lastEventNs = t;
    }
    const id = e.Actor.ID;
    switch (e.Action) {
      case 'start':
        void enqueue(() => collect(id));
        break;
      case 'rename':
        // New labels for a container we follow; a stopped one renamed is no target.
        void enqueue(() => (live.has(id) ? collect(id) : Promise.resolve()));
        break;
      case 'die':
      case 'destroy':
        void enqueue(async () => finish(id));
        break;
    }
  }

  /** Upserts every running container, finishes the ones we follow that no longer run. */
  async function relist(): Promise<void> {
    const known = firstListing && deps.knownTargets ? new Set(deps.knownTargets()) : undefined;
    const all = await api.listContainers({ all: known !== undefined && known.size > 0 });
    // Paused and restarting containers still have their logs growing: only stopped ones are done.
    const running = all.filter((c) => !(c.State === 'exited' || c.State === 'created' || c.State === 'dead'));
    const ids = new Set(running.map((c) => c.Id));
    for (const id of [...live]) if (!ids.has(id)) finish(id);
    for (const id of ids) await collect(id);
    if (known) {
      for (const c of all) {
        if (ids.has(c.Id) || !known.has(`docker:${c.Id}`)) continue;
        await collect(c.Id);
        finish(c.Id);
      }
    }
    firstListing = false;
  }

  async function run(firstListed: () => void): Promise<void> {
    let backoff = minBackoff;
    let disconnected = false;
    while (!abort.signal.aborted) {
      const connected = new AbortController();
      const stop = () => connected.abort();
      abort.signal.addEventListener('abort', stop);
      let listed = false;
      try {
        // Events first, listing second, and the first subscription replays from a second before it:
        // a container started around the listing shows up in both, harmlessly, never in neither.
        lastEventNs ??= msToNs(Date.now() - 1000);
        const stream = api.events(EVENT_FILTERS, onEvent, connected.signal, lastEventNs);
        const failed = stream.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        // A socket that fails at once fails here, before listing.
        const early = await Promise.race([failed, delay(50).then(() => 'listing' as const)]);
        if (early instanceof Error) throw early;
        const listing = queue.then(relist);
        queue = listing.catch(() => {});
        await listing;
        listed = true;
        firstListed();
        if (disconnected) log.info({ socket: api.socketPath }, 'Docker events reconnected; containers re-listed');
        disconnected = false;
        backoff = minBackoff;
        const err = await failed;
        if (err) throw err;
      } catch (e) {
        if (abort.signal.aborted) break;
        if (!listed) firstListed();
        disconnected = true;
        sink.error(SOURCE, e as Error);
        log.warn({ socket: api.socketPath, err: (e as Error).message, retry_ms: backoff }, 'Docker discovery disconnected');
        await delay(backoff, abort.signal);
        backoff = Math.min(maxBackoff, backoff * 2);
      } finally {
        abort.signal.removeEventListener('abort', stop);
        connected.abort();
      }
    }
  }

  return {
    start() {
      return new Promise<void>((resolve) => {
        loop = run(resolve);
      });
    },
    async close() {
      abort.abort();
      await loop;
      await queue;
    },
  };
}

/** The target of one container: its json-file when Docker writes one we can read, else the logs endpoint. */
export function toTarget(c: ContainerInspect, cfg: DockerDiscoveryConfig, logFileReadable = true): Target {
  const name = containerName(c);
  const image = c.Config.Image ?? c.Image ?? '';
  const containerLabels = c.Config.Labels ?? {};
  const labels: Labels = {
    container: name,
    container_id: c.Id.slice(0, 12),
    image,
    host: cfg.host,
  };
  const project = containerLabels['com.docker.compose.project'];
  const service = containerLabels['com.docker.compose.service'];
  if (project) labels.compose_project = project;
  if (service) labels.compose_service = service;
  for (const wanted of cfg.container_labels) {
    const value = containerLabels[wanted];
    if (value !== undefined) labels[sanitizeLabelName(wanted)] = value;
  }
  for (const [k, v] of Object.entries(containerLabels)) labels[`__meta_docker_container_label_${sanitizeLabelName(k)}`] = v;
  const driver = c.HostConfig.LogConfig?.Type ?? 'json-file';
  return {
    id: `docker:${c.Id}`,
    kind: 'docker',
    labels,
    reader:
      driver === 'json-file' && c.LogPath && logFileReadable
        ? { type: 'file', path: c.LogPath, format: 'docker-json' }
        : { type: 'docker-logs', containerId: c.Id },
    info: { container: name, containerId: c.Id, image, node: cfg.host, ...(c.State.Pid ? { pid: c.State.Pid } : {}) },
  };
}

function containerName(c: ContainerInspect): string {
  return c.Name.replace(/^\//, '');
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
