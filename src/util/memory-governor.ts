/**
 * A soft memory limit for the main thread, in the spirit of Go's GOMEMLIMIT (issue #12): the
 * process' resident memory is watched a few times a second and, above `softLimitBytes`, V8 is asked
 * for one full garbage collection, so the garbage a burst of pushes leaves in the old generation
 * (decoded requests, WAL and seal buffers, whose ArrayBuffers only a major GC frees) is given back
 * before queries allocate on top of it.
 *
 * Why not a V8 flag: V8 schedules a major GC when the old generation has grown by a factor since the
 * last one (or external memory by 64 MB), which after a 2M-line ingest leaves 60–90 MB of dead
 * buffers resident for seconds; `--heap-growing-percent=100` bounded that but cost ~10 % ingest CPU
 * because it collects more often all the time, not only when the process is near its budget.
 *
 * Not in the middle of a burst: while pushes are in flight (`busy`, the server's request bodies) or
 * allocation grows fast (GOVERNOR_BURST_BYTES), at that check and the one after. The collection
 * comes when the burst ends, before the queries that follow it allocate on top of its garbage; a
 * rate-only test let collections in during an ingest slowed by a loaded machine (+1 s of GC in a
 * 2M-line OTLP ingest).
 *
 * A collection only when it would help: at most one per `minGapMs`, and only when this thread's
 * heap and ArrayBuffers have grown by `minGainBytes` above the least they held since the last
 * forced one (sampled each tick, so V8's own collections lower the mark too). What is left above the
 * limit after that is live (heads, indexes, the query workers' heaps, which this thread's GC does
 * not touch), and the next collection waits for new garbage instead of running every second.
 */
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { exposedGc } from './expose-gc.js';

export const MB = 1024 * 1024;
/** How often resident memory is read (process.memoryUsage.rss(): one read of /proc/self/stat). */
export const GOVERNOR_INTERVAL_MS = 200;
/** At most one forced collection per this long. */
export const GOVERNOR_MIN_GAP_MS = 1000;
/** Heap + ArrayBuffers above the least since the last collection that one must be able to win back; below it one is not worth its pause. */
export const GOVERNOR_MIN_GAIN_BYTES = 32 * MB;
/**
 * Growth of this thread's heap + ArrayBuffers per check above which it is in a burst (pushes at full
 * speed grow it by 10–30 MB per 200 ms): no collection then, V8's own schedule is the cheapest while
 * garbage is being made that fast, and forced collections in the middle of it cost up to 45 % more
 * ingest CPU (docs/benchmarks.md, "The memory governor") without lowering the peak. The collection comes when it calms.
 */
export const GOVERNOR_BURST_BYTES = 4 * MB;

export interface MemoryGovernorOptions {
  /** Resident bytes above which a collection is asked for; 0 = off. */
  softLimitBytes: number;
  registry?: Registry;
  log?: Logger;
  intervalMs?: number;
  minGapMs?: number;
  minGainBytes?: number;
  burstBytes?: number;
  /**
   * True while work that makes garbage fast is in flight (the server: request bodies being read or
   * handled, i.e. pushes): no collection then, nor at the check right after.
   */
  busy?: () => boolean;
  /** For tests: the resident memory, what this thread's heap and ArrayBuffers use, and the collector. */
  rss?: () => number;
  heapAndExternal?: () => number;
  gc?: () => void;
  now?: () => number;
}

export interface MemoryGovernor {
  start(): void;
  close(): void;
  /** One check now (what the timer runs); true when it collected. */
  check(): boolean;
}

export function createMemoryGovernor(opts: MemoryGovernorOptions): MemoryGovernor {
  const limit = opts.softLimitBytes;
  const intervalMs = opts.intervalMs ?? GOVERNOR_INTERVAL_MS;
  const minGapMs = opts.minGapMs ?? GOVERNOR_MIN_GAP_MS;
  const minGain = opts.minGainBytes ?? GOVERNOR_MIN_GAIN_BYTES;
  const burst = opts.burstBytes ?? GOVERNOR_BURST_BYTES;
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const now = opts.now ?? (() => performance.now());
  const heapAndExternal =
    opts.heapAndExternal ??
    (() => {
      const h = getHeapStatistics();
      return h.used_heap_size + h.external_memory;
    });
  let gc = opts.gc;
  const gcs = opts.registry
    ? new Counter({ name: 'logwharf_memory_governor_gcs_total', help: 'Full garbage collections the main thread asked V8 for because resident memory was above memory_soft_limit_mb.', registers: [opts.registry] })
    : undefined;
  const gcSeconds = opts.registry
    ? new Counter({ name: 'logwharf_memory_governor_gc_seconds_total', help: 'Time the main thread spent in the collections of logwharf_memory_governor_gcs_total.', registers: [opts.registry] })
    : undefined;
  if (opts.registry) {
    new Gauge({ name: 'logwharf_memory_soft_limit_bytes', help: 'memory_soft_limit_mb in bytes (0 = the governor is off).', registers: [opts.registry] }).set(limit);
  }
  let timer: NodeJS.Timeout | undefined;
  let lastAt = -Infinity;
  // The least this thread's heap + ArrayBuffers held since the last forced collection: roughly what
  // is live, so what it holds above that is what a collection could win back.
  let floor = Infinity;
  // What the last check saw, and whether the one before it saw a burst.
  let prev = Infinity;
  let prevBurst = true;

  function check(): boolean {
    if (limit <= 0) return false;
    const held = heapAndExternal();
    if (held < floor) floor = held;
    const inBurst = held - prev > burst || (opts.busy?.() ?? false);
    const calm = !inBurst && !prevBurst;
    prev = held;
    prevBurst = inBurst;
    if (!calm || held - floor < minGain) return false;
    const r = rss();
    if (r < limit) return false;
    const t = now();
    if (t - lastAt < minGapMs) return false;
    gc ??= exposedGc();
    gc();
    const t1 = now();
    lastAt = t1;
    floor = prev = heapAndExternal();
    gcs?.inc();
    gcSeconds?.inc((t1 - t) / 1000);
    opts.log?.debug({ rssBefore: r, heapAndExternalBefore: held, heapAndExternalAfter: floor, ms: Math.round(t1 - t) }, 'memory above the soft limit: full garbage collection');
    return true;
  }

  return {
    check,
    start() {
      if (limit <= 0 || timer) return;
      timer = setInterval(check, intervalMs);
      timer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
