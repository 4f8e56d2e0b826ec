/**
 * A stream's in-memory head: entries acknowledged (in the WAL) but not yet sealed into a block.
 * Entries may arrive out of order (the ingest layer enforces Loki's window); they are sorted when
 * a snapshot is taken or the head is sealed. Exact duplicates (same timestamp and line) are found
 * through a timestamp index built only once an entry arrives at or before the newest one, so the
 * common in-order append costs one comparison.
 */
import type { Entry } from '../api/model.js';

export function compareEntries(a: Entry, b: Entry): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0;
}

export class Head {
  entries: Entry[] = [];
  rawBytes = 0;
  minTs = 0n;
  maxTs = 0n;
  /** LSN of the first and last WAL record that added entries here. */
  firstLsn = 0;
  lastLsn = 0;
  /** Wall-clock ms when the first entry arrived, and of the latest one. */
  createdAt = 0;
  updatedAt = 0;
  private sorted = true;
  private byTs: Map<number, number | number[]> | undefined;
  private snapshot: Entry[] | undefined;

  get size(): number {
    return this.entries.length;
  }

  /** Adds an entry unless it is an exact duplicate of one already here; returns whether added. */
  add(e: Entry, lsn: number, now: number): boolean {
    const n = this.entries.length;
    if (n === 0) {
      this.minTs = this.maxTs = e.ts;
      this.firstLsn = lsn;
      this.createdAt = now;
    } else if (e.ts === this.maxTs && !this.byTs) {
      // Same timestamp as the newest entry (common with millisecond clocks): scan back over the
      // entries with that timestamp instead of building the index. Without an index the head is
      // still sorted (going out of order builds it), so they are all at the end.
      for (let i = n - 1; i >= 0 && this.entries[i]!.ts === e.ts; i--) if (this.entries[i]!.line === e.line) return false;
    } else if (e.ts <= this.maxTs) {
      if (this.contains(e)) return false;
      if (e.ts < this.maxTs) this.sorted = false;
      if (e.ts < this.minTs) this.minTs = e.ts;
    } else {
      this.maxTs = e.ts;
    }
    this.entries.push(e);
    if (this.byTs) this.index(e.ts, n);
    this.rawBytes += e.line.length;
    this.lastLsn = lsn;
    this.updatedAt = now;
    this.snapshot = undefined;
    return true;
  }

  contains(e: Entry): boolean {
    if (this.entries.length === 0 || e.ts < this.minTs || e.ts > this.maxTs) return false;
    if (!this.byTs) {
      this.byTs = new Map();
      for (let i = 0; i < this.entries.length; i++) this.index(this.entries[i]!.ts, i);
    }
    // Number(ts) loses precision past 2^53 ns; it is only a bucket key, equality is checked exactly.
    const hit = this.byTs.get(Number(e.ts));
    if (hit === undefined) return false;
    if (typeof hit === 'number') return this.same(hit, e);
    for (const i of hit) if (this.same(i, e)) return true;
    return false;
  }

  private same(i: number, e: Entry): boolean {
    const x = this.entries[i]!;
    return x.ts === e.ts && x.line === e.line;
  }

  private index(ts: bigint, i: number): void {
    const k = Number(ts);
    const hit = this.byTs!.get(k);
    if (hit === undefined) this.byTs!.set(k, i);
    else if (typeof hit === 'number') this.byTs!.set(k, [hit, i]);
    else hit.push(i);
  }

  /** Entries in time order (ties in append order). Cached until the next add; do not mutate. */
  sortedEntries(): Entry[] {
    if (!this.snapshot) {
      this.snapshot = this.sorted ? this.entries.slice() : this.entries.slice().sort(compareEntries);
    }
    return this.snapshot;
  }
}

/** Finds an exact duplicate in entries sorted by time. */
export function sortedContains(sorted: readonly Entry[], e: Entry): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.ts < e.ts) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < sorted.length && sorted[i]!.ts === e.ts; i++) if (sorted[i]!.line === e.line) return true;
  return false;
}
