/**
 * Writes recording rules' samples to a Prometheus remote-write endpoint (`ruler.remote_write.url`):
 * snappy-compressed protobuf WriteRequests (src/api/remote-write.ts) of at most MAX_SAMPLES_PER_SEND
 * samples, one tenant per request with its `X-Scope-OrgID` (Cortex/Mimir file them under it).
 *
 * Samples wait in one bounded queue (./outbox.ts). 5xx, 429 and network errors are retried with
 * backoff; any other 4xx is final, as in Prometheus' own remote write: the receiver refused the data
 * (out of order, too old, malformed), and resending the same request would be refused again. Note a
 * receiver such as Prometheus refuses a whole request for one bad sample.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { labelsToString } from '../api/model.js';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS, type SampleSink, type SeriesSamples } from '../api/remote-write.js';
import type { ServerConfig } from '../config/server.js';
import { parseDurationMs } from '../config/duration.js';
import { childLogger, type Logger } from '../util/logger.js';
import { createOutbox } from './outbox.js';
import { parsePeerUrl, peerEndpoint } from './peer-url.js';

/** Samples held at most while the endpoint is away; beyond it the oldest are dropped and counted. */
export const QUEUE_CAPACITY_SAMPLES = 100_000;
/** Samples per request (Prometheus' max_samples_per_send is of this order). */
export const MAX_SAMPLES_PER_SEND = 2_000;
export const MIN_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;
/** How long close() keeps delivering what is queued. */
export const FLUSH_TIMEOUT_MS = 5_000;

/**
 * `ruler.remote_write.*` keys it reads; `external_labels` (`ruler.external_labels`), when given, is
 * added to every series that lacks the label, as Prometheus' remote write does.
 */
export type RemoteWriteSenderConfig = Pick<ServerConfig['ruler']['remote_write'], 'url' | 'timeout'> & Partial<Pick<ServerConfig['ruler'], 'external_labels'>>;

export interface RemoteWriteSenderDeps {
  log: Logger;
  /** The server's metrics registry. */
  registry: Registry;
  /** Sent in User-Agent as logwharf-ruler/<version>. */
  version?: string;
  /** Tests shrink these; the defaults are the constants above. */
  queueCapacity?: number;
  maxSamplesPerSend?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  flushTimeoutMs?: number;
  now?: () => number;
}

export interface RemoteWriteSender extends SampleSink {
  /** The endpoint, without credentials. */
  readonly url: string;
}

/** One write() call: settles when all its samples are accepted, or on the first that is not. */
interface Ticket {
  pending: number;
  settled: boolean;
  resolve(): void;
  reject(e: Error): void;
}

/** One sample in the queue; its series is rebuilt from `key` when a batch is encoded. */
interface QueuedSample {
  tenant: string;
  key: string;
  labels: SeriesSamples['labels'];
  t: number;
  v: number;
  ticket: Ticket;
}

/** Groups a batch's samples back into series, keeping each series' samples in time order. */
function toSeries(batch: readonly QueuedSample[]): SeriesSamples[] {
  const byKey = new Map<string, SeriesSamples>();
  for (const s of batch) {
    let series = byKey.get(s.key);
    if (!series) byKey.set(s.key, (series = { labels: s.labels, samples: [] }));
    series.samples.push({ t: s.t, v: s.v });
  }
  return [...byKey.values()];
}

/** Settles each ticket that has samples in `items` once; `err` undefined counts them as accepted. */
function settle(items: readonly QueuedSample[], err: Error | undefined): void {
  for (const s of items) {
    const tk = s.ticket;
    if (tk.settled) continue;
    if (err) {
      tk.settled = true;
      tk.reject(err);
    } else if (--tk.pending === 0) {
      tk.settled = true;
      tk.resolve();
    }
  }
}

/**
 * A SampleSink over one remote-write endpoint. `write` resolves once every sample it was given is
 * accepted, and rejects when the receiver refuses one for good (4xx), when its samples are dropped
 * from a full queue, or at close; the caller must handle the rejection (it is also logged and
 * counted here). Throws when `url` is not a valid URL.
 */
export function createRemoteWriteSender(config: RemoteWriteSenderConfig, deps: RemoteWriteSenderDeps): RemoteWriteSender {
  const log = childLogger(deps.log, { component: 'remote-write-sender' });
  const endpoint = peerEndpoint(parsePeerUrl(config.url, 'ruler.remote_write.url'), {
    timeoutMs: parseDurationMs(config.timeout),
    userAgent: `logwharf-ruler/${deps.version ?? 'dev'}`,
  });
  const registers = [deps.registry];
  const m = {
    samples: new Counter({ name: 'logwharf_ruler_remote_write_samples_total', help: 'Samples of recording rules accepted by the remote-write endpoint.', registers }),
    failed: new Counter({ name: 'logwharf_ruler_remote_write_failed_samples_total', help: 'Samples the remote-write endpoint refused for good (4xx other than 429); not sent again.', registers }),
    dropped: new Counter({ name: 'logwharf_ruler_remote_write_dropped_samples_total', help: 'Samples dropped unsent: pushed out of the full queue while the endpoint was away, or left at shutdown.', registers }),
    retried: new Counter({ name: 'logwharf_ruler_remote_write_retried_samples_total', help: 'Samples in requests that failed with 5xx, 429 or a network error and were retried.', registers }),
  };
  let closed = false;

  const outbox = createOutbox<QueuedSample>(
    {
      capacity: deps.queueCapacity ?? QUEUE_CAPACITY_SAMPLES,
      maxBatch: deps.maxSamplesPerSend ?? MAX_SAMPLES_PER_SEND,
      minBackoffMs: deps.minBackoffMs ?? MIN_BACKOFF_MS,
      maxBackoffMs: deps.maxBackoffMs ?? MAX_BACKOFF_MS,
      now: deps.now ?? Date.now,
    },
    {
      send: (tenant, batch, signal) => endpoint.client.post(endpoint.path, encodeRemoteWriteBody(toSeries(batch)), { tenant, signal, headers: { ...REMOTE_WRITE_HEADERS } }),
      delivered(_tenant, batch) {
        m.samples.inc(batch.length);
        settle(batch, undefined);
      },
      retrying(tenant, batch, err, retryInMs) {
        m.retried.inc(batch.length);
        log.warn({ url: endpoint.url, tenant, status: err.status, samples: batch.length, retry_in_ms: retryInMs, err: err.message }, 'remote write failed; retrying');
      },
      rejected(tenant, batch, err) {
        m.failed.inc(batch.length);
        log.error({ url: endpoint.url, tenant, status: err.status, samples: batch.length, err: err.message }, 'remote-write endpoint refused samples; they are dropped');
        settle(batch, new Error(`remote write to ${endpoint.url} refused ${batch.length} samples: ${err.message}`));
      },
      dropped(items, why) {
        m.dropped.inc(items.length);
        log.warn({ url: endpoint.url, samples: items.length, reason: why }, why === 'queue_full' ? 'remote-write queue full; dropped the oldest samples' : 'dropped queued samples at shutdown');
        settle(items, new Error(why === 'queue_full' ? `remote write: ${items.length} samples dropped from the full queue` : 'remote write: samples dropped at shutdown'));
      },
      crashed(err) {
        log.error({ url: endpoint.url, err: err.message, stack: err.stack }, 'the remote-write loop failed; samples are dropped from now on');
      },
    },
  );
  new Gauge({
    name: 'logwharf_ruler_remote_write_pending_samples',
    help: 'Samples queued for the remote-write endpoint.',
    registers,
    collect() {
      this.set(outbox.length);
    },
  });

  return {
    url: endpoint.url,
    write(tenant, series) {
      if (closed) return Promise.reject(new Error('the remote-write sender is closed'));
      return new Promise<void>((resolve, reject) => {
        const ticket: Ticket = { pending: 0, settled: false, resolve, reject };
        const items: QueuedSample[] = [];
        const ext = config.external_labels ?? {};
        for (const s of series) {
          const labels = Object.keys(ext).length > 0 ? { ...ext, ...s.labels } : s.labels;
          const key = labelsToString(labels);
          for (const { t, v } of s.samples) items.push({ tenant, key, labels, t, v, ticket });
        }
        ticket.pending = items.length;
        if (items.length === 0) return resolve();
        outbox.enqueue(items);
      });
    },
    async close() {
      closed = true;
      await outbox.close(deps.flushTimeoutMs ?? FLUSH_TIMEOUT_MS);
    },
  };
}
