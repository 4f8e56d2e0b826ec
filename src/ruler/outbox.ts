/**
 * One peer's outbox: a bounded queue and the loop that drains it in batches of one tenant each,
 * retrying a batch with backoff while the peer is unreachable, times out, answers 5xx or 429
 * (honouring Retry-After), and giving it up at once on any other status (a 4xx will not get better
 * by resending). Each peer has its own outbox, so a peer that is down holds up only its own queue.
 * Both senders (Alertmanager, remote write) are an outbox per peer plus their encoding and metrics.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LokiClientError } from '../api/client.js';
import { createBackoff, parseRetryAfter } from '../util/backoff.js';
import { BoundedQueue } from './bounded-queue.js';

/** What the outbox reports; the sender turns these into metrics and log lines. */
export interface OutboxHooks<T> {
  /** Sends one batch (every item has `tenant`); rejects with LokiClientError on failure. */
  send(tenant: string, batch: T[], signal: AbortSignal): Promise<void>;
  /** An attempt finished (`err` undefined on success); `seconds` is its latency. */
  attempted?(tenant: string, batch: T[], seconds: number, err: LokiClientError | undefined): void;
  delivered?(tenant: string, batch: T[]): void;
  /** The attempt failed in a way worth retrying; the next one starts in `retryInMs`. */
  retrying(tenant: string, batch: T[], err: LokiClientError, retryInMs: number): void;
  /** The peer refused the batch for good (a 4xx other than 429): it is not sent again. */
  rejected(tenant: string, batch: T[], err: LokiClientError): void;
  /** Items given up without an answer: pushed out of a full queue, or left when close() ran out of time. */
  dropped(items: T[], why: 'queue_full' | 'closed'): void;
  /** The loop itself failed (a bug): it has stopped, and what is queued is dropped as at close. */
  crashed(err: Error): void;
}

export interface OutboxOptions {
  capacity: number;
  maxBatch: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** For Retry-After given as a date. */
  now: () => number;
}

export interface Outbox<T extends { tenant: string }> {
  /** Queues items (dropping the oldest beyond capacity); after close() they are dropped. */
  enqueue(items: readonly T[]): void;
  readonly length: number;
  /**
   * Stops taking items and delivers what is queued, for at most `flushMs`; then aborts the request
   * in flight and drops what is left. Resolves when the loop has stopped.
   */
  close(flushMs: number): Promise<void>;
}

/** Whether a failed request may succeed if sent again: no answer, a timeout, 5xx, or 429. */
export function isRetryable(e: LokiClientError): boolean {
  return e.status === undefined || e.status >= 500 || e.status === 429;
}

function asClientError(e: unknown): LokiClientError {
  return e instanceof LokiClientError ? e : new LokiClientError((e as Error)?.message ?? String(e), undefined, undefined, { cause: e });
}

export function createOutbox<T extends { tenant: string }>(opts: OutboxOptions, hooks: OutboxHooks<T>): Outbox<T> {
  // Owned by the loop below: `queue` holds what is not yet taken; a batch in flight is outside it.
  const queue = new BoundedQueue<T>(opts.capacity);
  const abort = new AbortController();
  let closing = false;
  let wake: (() => void) | undefined;

  /** Delivers one batch; false when close() aborted it before an answer. */
  async function deliver(batch: T[]): Promise<boolean> {
    const tenant = batch[0]!.tenant;
    const backoff = createBackoff(opts.minBackoffMs, opts.maxBackoffMs);
    for (;;) {
      if (abort.signal.aborted) return false;
      const started = performance.now();
      let err: LokiClientError | undefined;
      let retryable = false;
      try {
        await hooks.send(tenant, batch, abort.signal);
      } catch (e) {
        err = asClientError(e);
        // Anything but the client's own error is a bug (encoding, say): sending again cannot help.
        retryable = e instanceof LokiClientError && isRetryable(e);
      }
      if (abort.signal.aborted && err) return false;
      hooks.attempted?.(tenant, batch, (performance.now() - started) / 1000, err);
      if (!err) {
        hooks.delivered?.(tenant, batch);
        return true;
      }
      if (!retryable) {
        hooks.rejected(tenant, batch, err);
        return true;
      }
      const after = parseRetryAfter(err.retryAfter, opts.now());
      const wait = after !== undefined ? Math.min(after, opts.maxBackoffMs) : backoff.next();
      hooks.retrying(tenant, batch, err, wait);
      try {
        await sleep(wait, undefined, { signal: abort.signal });
      } catch {
        return false;
      }
    }
  }

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      if (queue.length === 0) {
        if (closing) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const batch = queue.takeBatch(opts.maxBatch, (it) => it.tenant);
      if (!(await deliver(batch))) hooks.dropped(batch, 'closed');
    }
  }

  // Nothing the loop does may take the server down: a failure in it is reported and ends this
  // outbox, which then behaves as closed.
  const loop = run().catch((e: unknown) => {
    closing = true;
    const rest = queue.drain();
    try {
      hooks.crashed(e instanceof Error ? e : new Error(String(e)));
      if (rest.length > 0) hooks.dropped(rest, 'closed');
    } catch {
      // the report failed too; there is nobody left to tell
    }
  });

  return {
    enqueue(items) {
      if (items.length === 0) return;
      if (closing) {
        hooks.dropped([...items], 'closed');
        return;
      }
      const dropped = queue.pushAll(items);
      if (dropped.length > 0) hooks.dropped(dropped, 'queue_full');
      wake?.();
    },
    get length() {
      return queue.length;
    },
    async close(flushMs) {
      if (!closing) {
        closing = true;
        wake?.();
      }
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs)));
      await Promise.race([loop, expired]);
      clearTimeout(timer);
      abort.abort();
      wake?.();
      await loop;
      const rest = queue.drain();
      if (rest.length > 0) hooks.dropped(rest, 'closed');
    },
  };
}
