/**
 * The shipper (issue #4 §4): takes the batches of every source, merges them into push requests by
 * size and time, and delivers them to the server, retrying outages forever. Sources learn through
 * send()'s promise when their lines are safe — acknowledged by the server, or durably in the disk
 * buffer when it is enabled — and only then commit their positions. ready() is the backpressure:
 * it waits while too many bytes are held in memory unacknowledged, so a down server pauses the
 * readers and the log files themselves are the buffer.
 *
 * Without the disk buffer, batches go out one at a time in the order they were cut, which keeps
 * each stream's entries in order. With it, every item is appended to the buffer (group commit: one
 * fsync for all items that arrived meanwhile) and a background loop ships the buffer in order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamPush } from '../../api/model.js';
import type { AgentConfig } from '../../config/agent.js';
import { parseDurationMs } from '../../config/duration.js';
import type { Logger } from '../../util/logger.js';
import type { AgentMetrics } from '../metrics.js';
import { decodeBufferedItem, encodeBufferedItem } from './buffer-record.js';
import { deliver, type DeliveryOptions, type DeliveryOutcome, type DeliveryTarget } from './delivery.js';
import { DiskBuffer, RECORD_OVERHEAD } from './disk-buffer.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { mergeStreams } from './merge.js';
import { encodePushBody, type EncodedBody } from './push-body.js';

/** The client section of the agent config, plus what the agent derives for the shipper. */
export type ShipperConfig = AgentConfig['client'] & {
  /** Bytes held in memory unacknowledged before ready() waits (AgentConfig max_inflight_bytes). */
  maxInflightBytes: number;
  buffer: { enabled: boolean; maxBytes: number; dir: string };
};

export interface ShipperDeps {
  log: Logger;
  metrics: AgentMetrics;
  now?: () => number;
  /** Sent in User-Agent as logwharf-agent/<version>. */
  version?: string | undefined;
}

/** One source's batch: its streams, its line count and the bytes of its lines. */
export interface ShipItem {
  streams: StreamPush[];
  lines: number;
  bytes: number;
}

/** accepted: lines the server (or the disk buffer) took; dropped: lines the server rejected with a 4xx other than 429. */
export interface ShipResult {
  accepted: number;
  dropped: number;
  reason?: string;
}

export interface Shipper {
  /**
   * Resolves once the item is safe: the server answered 2xx, the disk buffer holds it durably, or
   * the server rejected it for good (4xx other than 429: dropped = lines, reason = its message).
   * Never rejects while the shipper is open; items still pending when close() gives up reject.
   */
  send(item: ShipItem): Promise<ShipResult>;
  /** Resolves when fewer than maxInflightBytes are held in memory unacknowledged. */
  ready(): Promise<void>;
  /** Whether ready() would resolve at once: a source need not wait (nor allocate a promise) for it. */
  hasRoom(): boolean;
  readonly inflightBytes: number;
  readonly bufferBytes: number;
  /** POSTs a JSON body to a path on the server with the push requests' auth, tenant and TLS. */
  post(path: string, body: Buffer): Promise<{ status: number; body: string }>;
  /**
   * Whether the destination takes a push now: an empty push (Loki's `{"streams":[]}`, OTLP's `{}`)
   * answered 2xx gives undefined, anything else what went wrong. The health window asks it when a
   * new client.url was applied and nothing was shipped to prove it (issue #13).
   */
  probe(): Promise<string | undefined>;
  /**
   * New client settings, applied in place (hot reload): batches not yet acknowledged stay queued
   * and are retried to the new URL in the new encoding (a retry waiting out its backoff goes at
   * once); a request already on the wire finishes against the old server first, so nothing is
   * sent twice and nothing is dropped. Credentials, TLS and the disk buffer cannot change here
   * (the agent refuses them before): they are kept from the first configuration.
   */
  reconfigure(next: ShipperConfig): void;
  /** Where pushes go now. */
  readonly pushUrl: string;
  /** What the health window after a remote configuration looks at (see ShippingHealth). */
  health(): ShippingHealth;
  /** Sends what is queued (and, with the disk buffer, what it holds) for up to flushTimeoutMs, then stops. */
  close(opts?: { flushTimeoutMs?: number }): Promise<void>;
}

export interface ShippingHealth {
  /** Epoch ms since which lines have waited with no acknowledgement; undefined while idle or acknowledged since. */
  stalledSince: number | undefined;
  /** The last failed attempt's reason, cleared by an acknowledgement. */
  lastFailure: string | undefined;
  /** Epoch ms of the last acknowledgement (server 2xx or final rejection), if any. */
  lastAckAt: number | undefined;
  /** Batches the server refused for good (4xx other than 429) since the shipper started, and the last reason. */
  rejected: number;
  lastRejection: string | undefined;
  /** Batches the server (or the disk buffer) accepted since the shipper started. */
  accepted: number;
}

interface Pending {
  item: ShipItem;
  resolve: (r: ShipResult) => void;
  reject: (e: Error) => void;
}

interface Batch {
  items: Pending[];
  bytes: number;
  lines: number;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 5_000;
/** Entries per request at most, whatever their bytes: empty lines must not make a request without bound. */
const MAX_BATCH_LINES = 100_000;
/** Most payload bytes written to the disk buffer in one group commit. */
const MAX_GROUP_BYTES = 4 * 1024 * 1024;

class ShipperClosedError extends Error {
  constructor() {
    super('shipper closed before the server acknowledged these lines; they will be read again at the next start');
  }
}

export function createShipper(initial: ShipperConfig, deps: ShipperDeps): Shipper {
  const { log, metrics } = deps;
  const now = deps.now ?? Date.now;
  // Every setting is read from `cfg` when it is used, so reconfigure() takes effect at the next batch.
  let cfg = initial;
  let batchWaitMs = parseDurationMs(cfg.batch_wait);
  let client = createHttpClient(cfg, { timeoutMs: parseDurationMs(cfg.timeout), version: deps.version });
  /** Clients replaced by reconfigure(): their requests on the wire finish, then they are closed. */
  const retired = new Set<HttpClient>();
  const abort = new AbortController();
  /** Aborted (and replaced) at each reconfigure(): deliveries waiting to retry go at once. */
  let settingsChanged = new AbortController();
  let stalledSince: number | undefined;
  let lastFailure: string | undefined;
  let lastAckAt: number | undefined;
  let rejected = 0;
  let accepted = 0;
  let lastRejection: string | undefined;
  const deliveryOpts: DeliveryOptions = {
    minBackoffMs: parseDurationMs(cfg.min_backoff),
    maxBackoffMs: parseDurationMs(cfg.max_backoff),
    metrics,
    log,
    now,
    signal: abort.signal,
    retryNow: () => settingsChanged.signal,
    onFailure: (reason) => {
      lastFailure = reason;
    },
  };

  let closing = false;
  let inflight = 0;
  let readyWaiters: (() => void)[] = [];
  let progressWaiters: (() => void)[] = [];

  function progress(): void {
    metrics.inflightBytes.set(inflight);
    if (buffer) metrics.bufferBytes.set(buffer.bytes);
    if (inflight < cfg.maxInflightBytes && readyWaiters.length > 0) {
      const w = readyWaiters;
      readyWaiters = [];
      for (const f of w) f();
    }
    const p = progressWaiters;
    progressWaiters = [];
    for (const f of p) f();
  }

  /** Resolves at the next acknowledgement, buffer write, or close (never a race with a long-lived promise, which would leak). */
  function nextProgress(): Promise<void> {
    return new Promise((resolve) => progressWaiters.push(resolve));
  }

  function settle(items: Pending[], outcome: DeliveryOutcome): void {
    acknowledged();
    let lines = 0;
    for (const p of items) {
      inflight -= p.item.bytes;
      lines += p.item.lines;
      if (outcome.ok) p.resolve({ accepted: p.item.lines, dropped: 0 });
      else p.resolve({ accepted: 0, dropped: p.item.lines, reason: outcome.reason });
    }
    if (!outcome.ok) {
      metrics.linesDropped.inc({ reason: 'rejected' }, lines);
      rejectedBatch(outcome.reason);
    } else accepted++;
    progress();
  }

  /** The server (or the buffer) took something: shipping is not stalled. */
  function acknowledged(): void {
    lastAckAt = now();
    lastFailure = undefined;
    stalledSince = undefined;
  }

  function rejectedBatch(reason: string): void {
    rejected++;
    lastRejection = `HTTP rejection from ${client.pushUrl.href}: ${reason.slice(0, 200)}`;
  }

  async function deliverStreams(groups: StreamPush[][], lines: number): Promise<DeliveryOutcome> {
    const streams = mergeStreams(groups);
    // Encoded again only when the settings changed between attempts (reconfigure).
    let encodedFor: ShipperConfig | undefined;
    let body: EncodedBody | undefined;
    const target = (): DeliveryTarget => {
      if (encodedFor !== cfg) {
        body = encodePushBody(streams, cfg);
        encodedFor = cfg;
      }
      return { client, body: body! };
    };
    try {
      target();
    } catch (e) {
      // Only a bug can get here (the pipeline makes valid entries); dropping beats a retry loop.
      log.error({ err: (e as Error).message, lines }, 'cannot encode a batch; its lines are dropped');
      return { ok: false, status: 0, reason: `cannot encode: ${(e as Error).message}` };
    }
    stalledSince ??= now();
    return deliver(target, lines, deliveryOpts);
  }

  // ---- memory mode: batches cut by size or time, sent one at a time ----

  let open: Batch | undefined;
  let openTimer: NodeJS.Timeout | undefined;
  const sealed: Batch[] = [];
  let sending: Promise<void> | undefined;

  function seal(): void {
    if (openTimer) clearTimeout(openTimer);
    openTimer = undefined;
    if (open && open.items.length > 0) sealed.push(open);
    open = undefined;
    sending ??= sendLoop().finally(() => {
      sending = undefined;
      progress();
    });
  }

  function enqueueMemory(p: Pending): void {
    if (open && (open.bytes + p.item.bytes > cfg.batch_size || open.lines + p.item.lines > MAX_BATCH_LINES)) seal();
    open ??= { items: [], bytes: 0, lines: 0 };
    open.items.push(p);
    open.bytes += p.item.bytes;
    open.lines += p.item.lines;
    if (open.bytes >= cfg.batch_size || open.lines >= MAX_BATCH_LINES) seal();
    else if (!openTimer) {
      openTimer = setTimeout(seal, batchWaitMs);
    }
  }

  async function sendLoop(): Promise<void> {
    while (sealed.length > 0) {
      const batch = sealed[0]!;
      let outcome: DeliveryOutcome;
      try {
        outcome = await deliverStreams(
          batch.items.map((p) => p.item.streams),
          batch.lines,
        );
      } catch {
        return; // aborted by close(): the items are rejected there
      }
      sealed.shift();
      settle(batch.items, outcome);
    }
  }

  // ---- disk-buffer mode: items appended durably, a background loop ships the buffer ----

  let buffer: DiskBuffer | undefined;
  const writeQueue: Pending[] = [];
  let writing: Promise<void> | undefined;
  let shipping: Promise<void> | undefined;
  let bufferOpen: Promise<void> | undefined;
  let bufferFailed = false;

  if (cfg.buffer.enabled) {
    bufferOpen = DiskBuffer.open(cfg.buffer.dir, { maxBytes: cfg.buffer.maxBytes, log })
      .then((b) => {
        buffer = b;
        progress();
        shipping = shipLoop();
      })
      .catch((e: unknown) => {
        bufferFailed = true;
        log.error({ err: (e as Error).message, dir: cfg.buffer.dir }, 'cannot open the disk buffer; shipping from memory only');
      });
  }

  function kickWriter(): void {
    writing ??= writeLoop().finally(() => {
      writing = undefined;
      if (writeQueue.length > 0 && !abort.signal.aborted) kickWriter();
    });
  }

  async function writeLoop(): Promise<void> {
    await bufferOpen;
    if (!buffer) {
      // The buffer could not be opened: what was queued for it goes the memory way.
      for (const p of writeQueue.splice(0)) enqueueMemory(p);
      return;
    }
    while (writeQueue.length > 0 && !abort.signal.aborted) {
      const group: Pending[] = [];
      const payloads: Buffer[] = [];
      let size = 0;
      for (const p of writeQueue) {
        const payload = encodeBufferedItem(p.item);
        const next = size + payload.length + RECORD_OVERHEAD;
        if (!buffer.hasRoom(next) || (group.length > 0 && next > MAX_GROUP_BYTES)) break;
        group.push(p);
        payloads.push(payload);
        size = next;
      }
      if (group.length === 0) {
        // Full: wait for the ship loop to free room (reading pauses through ready()).
        await nextProgress();
        continue;
      }
      try {
        await buffer.append(payloads);
      } catch (e) {
        log.error({ err: (e as Error).message, dir: cfg.buffer.dir }, 'cannot write to the disk buffer; retrying');
        await pause(1000);
        continue;
      }
      writeQueue.splice(0, group.length);
      for (const p of group) {
        inflight -= p.item.bytes;
        p.resolve({ accepted: p.item.lines, dropped: 0 });
      }
      progress();
    }
  }

  async function shipLoop(): Promise<void> {
    const b = buffer!;
    while (!abort.signal.aborted) {
      try {
        if (!b.hasData) {
          await nextProgress();
          continue;
        }
        if (b.bytes < cfg.batch_size && !closing) await pause(batchWaitMs);
        if (abort.signal.aborted) return;
        const read = await b.read(cfg.batch_size);
        if (!read) {
          await nextProgress();
          continue;
        }
        const items = read.payloads.map(decodeBufferedItem);
        const lines = items.reduce((n, i) => n + i.lines, 0);
        if (items.length > 0) {
          const outcome = await deliverStreams(
            items.map((i) => i.streams),
            lines,
          );
          if (!outcome.ok) {
            metrics.linesDropped.inc({ reason: 'rejected' }, lines);
            rejectedBatch(outcome.reason);
          } else accepted++;
          acknowledged();
        }
        await b.ack(read.end);
        progress();
      } catch (e) {
        if (abort.signal.aborted) return;
        log.error({ err: (e as Error).message, dir: cfg.buffer.dir }, 'disk buffer: cannot ship; retrying');
        await pause(1000);
      }
    }
  }

  /** Waits `ms`, or less when close() aborts. */
  function pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: abort.signal }).catch(() => {});
  }


  function idle(): boolean {
    if (open || sealed.length > 0 || writeQueue.length > 0) return false;
    return !buffer || !buffer.hasData;
  }

  return {
    send(item) {
      if (closing) return Promise.reject(new ShipperClosedError());
      return new Promise<ShipResult>((resolve, reject) => {
        const p: Pending = { item, resolve, reject };
        inflight += item.bytes;
        metrics.inflightBytes.set(inflight);
        if (cfg.buffer.enabled && !bufferFailed) {
          writeQueue.push(p);
          kickWriter();
        } else enqueueMemory(p);
      });
    },
    hasRoom() {
      return inflight < cfg.maxInflightBytes;
    },
    ready() {
      if (inflight < cfg.maxInflightBytes) return Promise.resolve();
      return new Promise((resolve) => readyWaiters.push(resolve));
    },
    get inflightBytes() {
      return inflight;
    },
    get bufferBytes() {
      return buffer?.bytes ?? 0;
    },
    post: (path, body) => client.post(path, body),
    async probe() {
      const body = Buffer.from(cfg.output === 'otlp' ? '{}' : '{"streams":[]}');
      try {
        const res = await client.request(client.pushUrl, { contentType: 'application/json', body }, abort.signal);
        if (res.status >= 200 && res.status < 300) return undefined;
        const text = res.body.trim().slice(0, 200);
        return `HTTP ${res.status}${text ? ` ${text}` : ''}`;
      } catch (e) {
        return (e as Error).message;
      }
    },
    get pushUrl() {
      return client.pushUrl.href;
    },
    health: () => ({ stalledSince, lastFailure, lastAckAt, rejected, lastRejection, accepted }),
    reconfigure(next) {
      if (closing) return;
      const old = client;
      const fresh = createHttpClient(next, { timeoutMs: parseDurationMs(next.timeout), version: deps.version });
      // The buffer's place and size and the credentials stay as they were (the agent refuses changes to them).
      cfg = { ...next, buffer: cfg.buffer };
      client = fresh;
      batchWaitMs = parseDurationMs(cfg.batch_wait);
      deliveryOpts.minBackoffMs = parseDurationMs(cfg.min_backoff);
      deliveryOpts.maxBackoffMs = parseDurationMs(cfg.max_backoff);
      // A request under way on the old client finishes (its answer settles the batch); then it goes.
      retired.add(old);
      const timer = setTimeout(() => {
        retired.delete(old);
        old.close();
      }, parseDurationMs(initial.timeout) + parseDurationMs(next.timeout));
      timer.unref();
      const woken = settingsChanged;
      settingsChanged = new AbortController();
      woken.abort();
      // The stall clock restarts: the new destination gets its own chance.
      if (stalledSince !== undefined) stalledSince = now();
      lastFailure = undefined;
      // A smaller batch_size or a shorter batch_wait applies to the batch being filled now.
      if (open && (open.bytes >= cfg.batch_size || openTimer === undefined)) seal();
      else if (open && openTimer) {
        clearTimeout(openTimer);
        openTimer = setTimeout(seal, batchWaitMs);
      }
      progress(); // a larger max_inflight_bytes lets waiting readers go
    },
    async close(opts = {}) {
      if (closing) return;
      closing = true;
      const deadline = now() + (opts.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS);
      await bufferOpen;
      if (open) seal();
      while (!idle() && now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([nextProgress(), new Promise((r) => (timer = setTimeout(r, Math.max(1, deadline - now()))))]);
        clearTimeout(timer);
      }
      abort.abort();
      progress(); // wakes the loops waiting for progress: they see the abort and end
      if (openTimer) clearTimeout(openTimer);
      // A buffer write under way finishes first: what it made durable is acknowledged, not rejected.
      await Promise.allSettled([sending, writing, shipping]);
      const err = new ShipperClosedError();
      const left = [...(open?.items ?? []), ...sealed.flatMap((b) => b.items), ...writeQueue.splice(0)];
      open = undefined;
      sealed.length = 0;
      for (const p of left) p.reject(err);
      inflight = 0;
      progress();
      if (readyWaiters.length > 0) for (const f of readyWaiters.splice(0)) f();
      await buffer?.close();
      client.close();
      for (const c of retired) c.close();
      retired.clear();
    },
  };
}
