/**
 * Failed authentication attempts per client address (issue #11): after `maxFailures` failures within
 * `windowMs`, the address is refused for `blockMs`, even with a right token, so guessing is slow and
 * a guesser cannot tell a hit while blocked. Bounded memory: the oldest addresses are forgotten first.
 */
export interface FailureLimiterOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  /** Addresses remembered at most. */
  maxAddresses?: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimiterOptions = { maxFailures: 10, windowMs: 60_000, blockMs: 60_000 };

interface Entry {
  /** Times of recent failures, oldest first, at most maxFailures. */
  failures: number[];
  blockedUntil: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddresses: number;

  constructor(private readonly opts: FailureLimiterOptions) {
    this.maxAddresses = opts.maxAddresses ?? 100_000;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string, now: number): number {
    const e = this.entries.get(address);
    return e && e.blockedUntil > now ? e.blockedUntil - now : 0;
  }

  fail(address: string, now: number): void {
    let e = this.entries.get(address);
    if (e) this.entries.delete(address);
    else e = { failures: [], blockedUntil: 0 };
    // Re-inserted: Map order is then least recently failed first, which eviction relies on.
    this.entries.set(address, e);
    const since = now - this.opts.windowMs;
    e.failures = e.failures.filter((t) => t > since);
    e.failures.push(now);
    if (e.failures.length >= this.opts.maxFailures) {
      e.blockedUntil = now + this.opts.blockMs;
      e.failures = [];
    }
    while (this.entries.size > this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
  }
}
