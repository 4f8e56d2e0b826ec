/**
 * The bytes of request bodies the server holds at once, over all requests (issue #8: two large
 * pushes at once took ~890 MB). A request takes its share while its body arrives and gives it back
 * when its response is done, since the decoded body lives as long as the handler; a request that
 * would pass the bound is answered 503 with Retry-After instead of growing memory.
 *
 * It also keeps the buffers of bodies whose route lets them be reused (`RouteOptions.reusableBody`:
 * the pushes) for the next such body (../util/buffer-pool.ts says why).
 */
import { LogwharfError } from '../api/errors.js';
import { BufferPool } from '../util/buffer-pool.js';

/** How long a refused client is asked to wait: long enough for a large push in flight to finish. */
export const BUSY_RETRY_AFTER_SECONDS = 1;
/** Bodies larger than this get a buffer of their own (the pool is for the usual ~1 MB batches). */
export const REUSED_BODY_MAX_BYTES = 8 * 1024 * 1024;
/** Most buffers kept for reuse, and the most bytes they may hold together. */
export const REUSED_BUFFERS_MAX = 8;
export const REUSED_BYTES_MAX = 16 * 1024 * 1024;
/** Kept buffers are dropped once none has been asked for during this long. */
export const REUSED_IDLE_MS = 2000;

export class BodyBudget {
  /** Bytes held by requests in flight; never above `limit`. */
  private used = 0;
  private readonly pool: BufferPool;

  constructor(
    readonly limit: number,
    idleMs = REUSED_IDLE_MS,
  ) {
    this.pool = new BufferPool({ maxBuffers: REUSED_BUFFERS_MAX, maxBytes: REUSED_BYTES_MAX, maxBufferBytes: REUSED_BODY_MAX_BYTES, idleMs });
  }

  get inFlight(): number {
    return this.used;
  }

  /** Buffers kept for reuse now. */
  get reusable(): { buffers: number; bytes: number } {
    return this.pool.kept;
  }

  /** Takes `n` bytes, or throws the 503 when that would pass the limit. */
  take(n: number): void {
    if (this.used + n > this.limit) {
      throw new LogwharfError(
        'overloaded',
        `server busy: ${this.used} bytes of request bodies in flight, limit ${this.limit} bytes; retry later`,
        { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS },
      );
    }
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }

  /**
   * A buffer of at least `n` bytes for a body that its handler keeps no view of once it returns;
   * give it back with `reuse` then. Its bytes are not zeroed.
   */
  buffer(n: number): Buffer {
    return this.pool.get(n);
  }

  /** Gives back a buffer from `buffer` once nothing reads it any more. */
  reuse(b: Buffer): void {
    this.pool.put(b);
  }
}
