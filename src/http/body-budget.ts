/**
 * The bytes of request bodies the server holds at once, over all requests (issue #8: two large
 * pushes at once took ~890 MB). A request takes its share while its body arrives and gives it back
 * when its response is done, since the decoded body lives as long as the handler; a request that
 * would pass the bound is answered 503 with Retry-After instead of growing memory.
 */
import { LogwharfError } from '../api/errors.js';

/** How long a refused client is asked to wait: long enough for a large push in flight to finish. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export class BodyBudget {
  /** Bytes held by requests in flight; never above `limit`. */
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
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
}
