/**
 * Per-tenant state of active streams: when each was last written, its newest entry (for the
 * out-of-order window) and its rate limiter. A stream idle for longer than the idle period stops
 * counting against max_global_streams_per_user, as an idle chunk is flushed in Loki's ingesters.
 */
import type { Labels } from '../api/model.js';
import type { Store } from '../store/store.js';
import { TokenBucket } from './token-bucket.js';

export interface StreamState {
  lastSeenMs: number;
  /** Newest entry timestamp accepted so far; -1n when unknown/none. */
  newestTs: bigint;
  limiter: TokenBucket;
}

const SWEEP_INTERVAL_MS = 10_000;

export class StreamTracker {
  private readonly tenants = new Map<string, Map<string, StreamState>>();
  private lastSweep = 0;

  constructor(private readonly store: Store) {}

  streamsOf(tenant: string): Map<string, StreamState> {
    let m = this.tenants.get(tenant);
    if (!m) {
      m = new Map();
      this.tenants.set(tenant, m);
    }
    return m;
  }

  /** Active stream count of a tenant (after dropping idle ones). */
  activeCount(tenant: string, nowMs: number, idleMs: number): number {
    this.maybeSweep(nowMs, idleMs);
    return this.tenants.get(tenant)?.size ?? 0;
  }

  /** Drops streams idle longer than `idleMs`; cheap to call often, sweeps at most every 10 s. */
  maybeSweep(nowMs: number, idleMs: number, force = false): void {
    if (!force && nowMs - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = nowMs;
    // Tenant maps stay (callers hold them across a push); only their idle streams go.
    for (const m of this.tenants.values()) {
      for (const [key, s] of m) if (nowMs - s.lastSeenMs > idleMs) m.delete(key);
    }
  }

  /**
   * The newest stored timestamp of a stream not yet tracked in this process (after a restart, or
   * after it went idle), so the out-of-order window survives both. -1n when the store has none.
   */
  newestFromStore(tenant: string, labels: Labels, key: string, from: bigint, to: bigint): bigint {
    let newest = -1n;
    try {
      const matchers = Object.keys(labels).map((name) => ({ name, op: '=' as const, value: labels[name]! }));
      const info = this.store.streams(tenant, matchers, from, to).find((s) => s.key === key);
      if (!info) return -1n;
      for (const b of this.store.blocks(tenant, [info.id], from, to)) if (b.maxTs > newest) newest = b.maxTs;
    } catch {
      // A store that cannot answer (not started, I/O trouble) only costs us the window check for this stream.
      return -1n;
    }
    return newest;
  }
}
