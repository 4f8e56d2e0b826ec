/**
 * What live tail keeps: the lines shown (oldest first, at most `cap`, the oldest dropped first),
 * the lines held while paused (also at most `cap`, shown on resume), and the counts the notices
 * report — lines dropped by the cap, and lines the server dropped (`dropped_entries`: it drops
 * rather than buffer without bound when the client falls behind). Pure: no DOM, tested in node.
 */
import { cmpNs, rowsFromStreams, type LogRow, type LokiStream } from '../../lib/loki.js';

/** One frame as the server's tail sends it (see src/query/tail.ts). */
export interface TailFrame {
  streams?: LokiStream[];
  dropped_entries?: Array<{ timestamp: string; labels: Record<string, string> }>;
}

export const CAPS = [1_000, 10_000, 50_000];
export const DEFAULT_CAP = 10_000;

export class TailBuffer {
  /** Lines shown, oldest first. Replaced (not mutated) on every change, so a renderer can compare. */
  rows: LogRow[] = [];
  /** Lines that arrived while paused, oldest first. */
  held: LogRow[] = [];
  paused = false;
  /** Lines dropped because the cap was reached (shown or held). */
  droppedByCap = 0;
  /** Lines the server reported as dropped (dropped_entries). */
  droppedByServer = 0;
  /** Every line received since the tail started. */
  received = 0;
  /** The newest timestamp received (ns, decimal string): a reconnect asks for what came after it. */
  lastTsNs: string | undefined;
  private seq = 0;

  constructor(public cap = DEFAULT_CAP) {}

  /** Adds a batch of frames (all that arrived within one animation frame). */
  addFrames(frames: TailFrame[]): void {
    const fresh: LogRow[] = [];
    for (const f of frames) {
      this.droppedByServer += f.dropped_entries?.length ?? 0;
      if (!f.streams || f.streams.length === 0) continue;
      for (const r of rowsFromStreams(f.streams.map(apartFromLabels), 'forward')) {
        // Ids unique across the whole tail: rowsFromStreams' are unique within one frame only.
        r.id = `t${this.seq++}`;
        fresh.push(r);
        if (this.lastTsNs === undefined || cmpNs(r.tsNs, this.lastTsNs) > 0) this.lastTsNs = r.tsNs;
      }
    }
    if (fresh.length === 0) return;
    this.received += fresh.length;
    if (this.paused) this.held = this.append(this.held, fresh);
    else this.rows = this.append(this.rows, fresh);
  }

  pause(): void {
    this.paused = true;
  }

  /** Shows what was held while paused. */
  resume(): void {
    this.paused = false;
    if (this.held.length > 0) this.rows = this.append(this.rows, this.held);
    this.held = [];
  }

  setCap(cap: number): void {
    this.cap = cap;
    this.rows = this.capped(this.rows);
    this.held = this.capped(this.held);
  }

  clear(): void {
    this.rows = [];
    this.held = [];
    this.droppedByCap = 0;
    this.droppedByServer = 0;
  }

  /** `a` then `b`, the oldest dropped beyond the cap, in one copy (this runs for every batch, up to 50,000 rows). */
  private append(a: LogRow[], b: LogRow[]): LogRow[] {
    const keep = Math.max(0, this.cap - b.length);
    if (a.length <= keep) return a.length === 0 ? this.capped(b) : a.concat(b);
    this.droppedByCap += a.length - keep;
    return keep === 0 ? this.capped(b) : a.slice(a.length - keep).concat(b);
  }

  private capped(rows: LogRow[]): LogRow[] {
    if (rows.length <= this.cap) return rows;
    this.droppedByCap += rows.length - this.cap;
    return rows.slice(rows.length - this.cap);
  }
}

/**
 * Tail frames are not in Loki's categorized form: the server's detected_level (structured metadata)
 * comes among the stream labels. It is put back with the metadata, so a line's stream selector (its
 * context, "filter for") names real labels only and the level reads as in Explore's results.
 */
function apartFromLabels(s: LokiStream): LokiStream {
  const level = s.stream.detected_level;
  if (level === undefined) return s;
  const { detected_level: _, ...stream } = s.stream;
  const meta = { structuredMetadata: { detected_level: level } };
  return { stream, values: s.values.map((v) => [v[0], v[1], meta]) };
}
