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

/** Polls `cond` until it holds or `ms` pass; fails with `what`. */
export async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
