/**
 * One collected source: a target's reader, its pipeline, and the bookkeeping that turns "the server
 * acknowledged it" into a committed position (issue #4 §2).
 *
 * The loop asks the shipper for room, reads a batch, runs the pipeline and sends the result. Each
 * send carries the position that becomes safe once it is acknowledged; acknowledgements are chained
 * so positions are committed strictly in read order. A multiline entry that is still open at the end
 * of a batch holds the position back (the lines it holds are not shipped yet), so a crash re-reads
 * them; re-sent lines carry the runtime's timestamps and the server drops them as exact duplicates.
 */
import { plural } from '../util/plural.js';
import type { Labels } from '../api/model.js';
import type { SourceState, SourceStatus } from '../api/sources.js';
import type { Logger } from '../util/logger.js';
import type { AgentMetrics } from './metrics.js';
import type { LineReader, Position, Target } from './model.js';
import type { PipelineOutput, SourcePipeline } from './pipeline/pipeline.js';
import type { Shipper, ShipResult } from './ship/shipper.js';

export interface SourceDeps {
  reader: LineReader;
  pipeline: SourcePipeline;
  shipper: Shipper;
  metrics: AgentMetrics;
  log: Logger;
  /** Called with each position whose lines are all acknowledged, in read order. */
  commit(id: string, position: Position): void;
  now?: () => number;
}

export class Source {
  target: Target;
  state: SourceState = 'tailing';
  private readonly deps: SourceDeps;
  private readonly now: () => number;
  private readonly firstSeen: number;
  private linesRead = 0;
  private linesShipped = 0;
  private bytesShipped = 0;
  private linesDropped = 0;
  private lastShippedAt: number | undefined;
  private lastError: string | undefined;
  /** Read times of sends not yet acknowledged, oldest first (for lag). */
  private readonly unacked: number[] = [];
  /** The newest position whose lines have all been handed to the shipper (or dropped). */
  private safe: Position | undefined;
  private lastRead: Position | undefined;
  private acks: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Ends the current wait for the shipper's room (halt). */
  private wake: () => void = () => {};
  /** Set by reopen(): the reader is closed and a new one is opened where the last batch ended. */
  private reopenWith: ((from: Position | undefined) => LineReader) | undefined;
  /** Resolves when the loop has ended and every send has settled. */
  readonly done: Promise<void>;
  /** This source's counters, labelled once: labelling at every batch hashed the labels each time. */
  private readonly counted: Record<'linesRead' | 'bytesRead' | 'linesShipped' | 'bytesShipped', { inc(n: number): void }>;

  constructor(target: Target, deps: SourceDeps) {
    this.target = target;
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.firstSeen = this.now();
    const kind = { kind: target.kind };
    const m = deps.metrics;
    this.counted = { linesRead: m.linesRead.labels(kind), bytesRead: m.bytesRead.labels(kind), linesShipped: m.linesShipped.labels(kind), bytesShipped: m.bytesShipped.labels(kind) };
    this.done = this.run();
  }

  /** New labels for a running source (pod metadata arrived, container renamed). */
  update(target: Target): void {
    this.target = target;
    this.deps.pipeline.setLabels(target.labels);
  }

  /**
   * Hot reload: new lines go through `next` from now on. What the old pipeline holds moves over
   * (SourcePipeline.handOver), so a multiline entry open across the switch is shipped once, and the
   * position still waits for it.
   */
  setPipeline(next: SourcePipeline): void {
    const old = this.deps.pipeline;
    if (old === next) return;
    const ready = old.handOver(next);
    this.deps.pipeline = next;
    if (this.stopped || this.state === 'finished') return;
    if (!next.pending && this.lastRead) this.safe = this.lastRead;
    this.ship(ready);
    this.clearFlushTimer();
    this.armFlushTimer();
  }

  /**
   * Hot reload of reader settings: the reader is closed and `open` makes a new one starting just
   * after the last batch read (not the last committed one: what is read and not yet acknowledged
   * is in the shipper already, and reading it again would send it twice). A source draining to
   * its end keeps its reader.
   */
  reopen(open: (from: Position | undefined) => LineReader): void {
    if (this.stopped || this.state !== 'tailing') return;
    this.reopenWith = open;
    void this.deps.reader.close();
  }

  /** The target is gone: read it to the end, then finish. */
  drain(): void {
    if (this.state === 'tailing' || this.state === 'error') this.state = 'draining';
    this.deps.reader.drain();
  }

  /**
   * Stops reading now (the loop ends soon after; `done` says when). What is not acknowledged yet is
   * read again after the next start.
   */
  halt(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearFlushTimer();
    this.wake();
    void this.deps.reader.close();
  }

  /**
   * The labels of this source's stdout stream without `stream` (issue #16): what its container's
   * resource metrics carry, so they join its logs. Undefined when relabelling drops its lines.
   */
  resourceLabels(): Labels | undefined {
    const labels = this.deps.pipeline.streamLabels('stdout');
    if (labels === undefined) return undefined;
    const { stream: _stream, ...rest } = labels;
    return rest;
  }

  get openFiles(): number {
    return this.deps.reader.openFiles;
  }

  lagSeconds(): number {
    const oldest = this.unacked[0];
    return oldest === undefined ? 0 : Math.max(0, (this.now() - oldest) / 1000);
  }

  status(): SourceStatus {
    const i = this.target.info;
    const labels = visibleLabels(this.target.labels);
    return {
      id: this.target.id,
      kind: this.target.kind,
      ...(i.node !== undefined && { node: i.node }),
      ...(i.container !== undefined && { container: i.container }),
      // Short, as the container_id label.
      ...(i.containerId !== undefined && { container_id: i.containerId.slice(0, 12) }),
      ...(i.pod !== undefined && { pod: i.pod }),
      ...(i.namespace !== undefined && { namespace: i.namespace }),
      ...(i.image !== undefined && { image: i.image }),
      ...(i.file !== undefined && { file: i.file }),
      labels,
      state: this.state,
      lines_read: this.linesRead,
      lines_shipped: this.linesShipped,
      bytes_shipped: this.bytesShipped,
      lines_dropped: this.linesDropped,
      lag_seconds: Math.round(this.lagSeconds() * 1000) / 1000,
      ...(this.lastError !== undefined && { last_error: this.lastError }),
      first_seen: new Date(this.firstSeen).toISOString(),
      ...(this.lastShippedAt !== undefined && { last_shipped_at: new Date(this.lastShippedAt).toISOString() }),
    };
  }

  private async run(): Promise<void> {
    const { shipper } = this.deps;
    try {
      for (;;) {
        // Not Promise.race with a long-lived "stopped" promise: every race would leave a reaction on it
        // for good (a leak of two promises per batch, found by a heap snapshot at 500 files). With room
        // in the shipper (nearly always) there is no wait at all, and no promise per batch (issue #17).
        if (!shipper.hasRoom()) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            void shipper.ready().then(resolve);
          });
        }
        if (this.stopped) break;
        const batch = await this.deps.reader.next();
        if (!batch && this.reopenWith && !this.stopped) {
          const open = this.reopenWith;
          this.reopenWith = undefined;
          this.deps.reader = open(this.lastRead);
          // The target ended while the reader was being replaced: the new one reads to the end.
          if (this.state === 'draining') this.deps.reader.drain();
          continue;
        }
        if (!batch || this.stopped) break;
        this.lastRead = batch.position;
        this.linesRead += batch.lines.length;
        this.counted.linesRead.inc(batch.lines.length);
        this.counted.bytesRead.inc(batch.bytes);
        const pipeline = this.deps.pipeline;
        const out = pipeline.process(batch.lines);
        if (!pipeline.pending) this.safe = batch.position;
        this.ship(out);
        this.armFlushTimer();
        if (this.state === 'error') this.state = 'tailing';
      }
      if (!this.stopped) {
        // Drained to the end: what multiline still holds is complete now.
        this.clearFlushTimer();
        const out = this.deps.pipeline.flush();
        if (this.lastRead) this.safe = this.lastRead;
        this.ship(out);
      }
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.clearFlushTimer();
    }
    await this.acks;
    if (!this.stopped && this.state !== 'error') this.state = 'finished';
  }

  private fail(err: Error): void {
    this.state = 'error';
    this.lastError = err.message;
    this.deps.log.error({ source: this.target.id, err: err.message }, 'source failed');
  }

  /** Hands a pipeline output to the shipper; the current safe position is committed once it is acknowledged. */
  private ship(out: PipelineOutput): void {
    const { shipper, metrics } = this.deps;
    for (const [reason, n] of out.dropped) {
      this.linesDropped += n;
      metrics.linesDropped.inc({ reason }, n);
    }
    for (const [reason, n] of out.timestampFailures) metrics.timestampParseFailures.inc({ reason }, n);
    const position = this.safe;
    const readAt = this.now();
    const sent: Promise<ShipResult> =
      out.lines > 0 ? shipper.send({ streams: out.streams, lines: out.lines, bytes: out.bytes }) : Promise.resolve({ accepted: 0, dropped: 0 });
    if (out.lines > 0) this.unacked.push(readAt);
    this.acks = this.acks.then(async () => {
      try {
        const r = await sent;
        if (out.lines > 0) {
          this.unacked.shift();
          this.linesShipped += r.accepted;
          this.linesDropped += r.dropped;
          if (r.accepted > 0) {
            this.bytesShipped += out.bytes;
            this.lastShippedAt = this.now();
            this.counted.linesShipped.inc(r.accepted);
            this.counted.bytesShipped.inc(out.bytes);
          }
          if (r.reason) this.lastError = `server rejected ${plural(r.dropped, 'line')}: ${r.reason}`;
        }
        if (position) this.deps.commit(this.target.id, position);
      } catch (e) {
        // Only a closing shipper rejects: nothing is committed, the lines are read again next start.
        if (!this.stopped) this.fail(e as Error);
      }
    });
  }

  private armFlushTimer(): void {
    const { pipeline } = this.deps;
    if (!pipeline.pending || this.flushTimer) return;
    const deadline = pipeline.flushDeadline ?? this.now();
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (this.stopped || !pipeline.pending) return;
      const due = pipeline.flushDeadline;
      if (due !== undefined && due > this.now()) return this.armFlushTimer();
      // process([]) emits only the entries whose max_wait has passed; others keep waiting.
      const out = pipeline.process([]);
      if (!pipeline.pending && this.lastRead) this.safe = this.lastRead;
      this.ship(out);
      this.armFlushTimer();
    }, Math.max(0, deadline - this.now()) + 5);
    this.flushTimer.unref();
  }

  private clearFlushTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }
}

/** A target's labels without the `__`-prefixed ones, which only relabel rules see. */
export function visibleLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__')) out[k] = v;
  return out;
}
