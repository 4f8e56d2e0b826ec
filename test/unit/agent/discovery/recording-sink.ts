/** A DiscoverySink that remembers what it was told, for the discovery tests. */
import type { DiscoverySink, Target } from '../../../../src/agent/model.js';

export interface RecordingSink extends DiscoverySink {
  /** Every upsert, in order. */
  upserts: Target[];
  finishedIds: string[];
  errors: { source: string; err: Error }[];
  /** The newest upsert of each id. */
  latest(id: string): Target | undefined;
}

export function recordingSink(): RecordingSink {
  const s: RecordingSink = {
    upserts: [],
    finishedIds: [],
    errors: [],
    upsert: (t) => void s.upserts.push(structuredClone(t)),
    finished: (id) => void s.finishedIds.push(id),
    error: (source, err) => void s.errors.push({ source, err }),
    latest: (id) => s.upserts.filter((t) => t.id === id).at(-1),
  };
  return s;
}


/**
 * Counts a discovery's scans (its `onScanned` dep), so tests wait for "two more scans" instead of
 * sleeping for what they hope is two intervals.
 */
export interface ScanCounter {
  onScanned: () => void;
  readonly count: number;
  /** Resolves once `n` scans have ended after this call. */
  scans(n: number): Promise<void>;
  /** Runs `fn` synchronously at the end of the `n`th scan from now, before another can start. */
  atEndOfScan(n: number, fn: () => void): Promise<void>;
}

export function scanCounter(): ScanCounter {
  let count = 0;
  const pending: { at: number; fn: () => void }[] = [];
  const c: ScanCounter = {
    onScanned: () => {
      count++;
      for (const p of pending.splice(0)) {
        if (p.at <= count) p.fn();
        else pending.push(p);
      }
    },
    get count() {
      return count;
    },
    scans: (n) => c.atEndOfScan(n, () => {}),
    atEndOfScan: (n, fn) =>
      new Promise<void>((resolve) => {
        pending.push({
          at: count + n,
          fn: () => {
            fn();
            resolve();
          },
        });
      }),
  };
  return c;
}
