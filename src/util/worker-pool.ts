/**
 * The one pool of worker threads: query scans, range aggregations and cold compaction all run on
 * it. Jobs carry ids; each goes to the least loaded worker; a worker that fails ('error', or an
 * 'exit' nobody asked for) fails only the jobs it held and is replaced on the next job; a job whose
 * signal aborts is rejected at once and its worker terminated (the only way to stop synchronous
 * work in a thread) and replaced, its other jobs moving to a fresh worker.
 *
 * Memory (issue #12): a worker that outgrows its heap limit (the `resourceLimits` its spawn gives it)
 * is stopped by Node; the job it was running fails with `outOfMemory`'s error and the worker's other
 * jobs start again on a fresh worker, so one oversized job costs neither the process nor the others.
 * Workers idle for `idleTimeoutMs` are stopped, returning their whole heap to the system (a V8 heap
 * never shrinks back to its start size), and started again on the next job.
 *
 * The worker side is `serveJobs` (./worker-serve.ts).
 */
import type { Transferable, Worker } from 'node:worker_threads';
import { REAL_TIMERS, type Timers } from './timers.js';

/** What a worker posts back: the job's id and its result, or an error. */
export interface JobReply<R> {
  id: number;
  result?: R;
  error?: { message: string; code?: string };
  /** The worker's V8 heap (committed bytes) after the job, for the pool's heapBytes(). */
  heap?: number;
}

export interface WorkerPoolOptions {
  /** Most workers at once; they are started on first use. */
  size: number;
  /** Starts one worker (spawnModuleWorker of the module that calls serveJobs). */
  spawn: () => Worker;
  /** Names the pool in errors ("scan worker exited with code 1"). */
  name: string;
  /** Turns a worker's error reply into the Error the job rejects with (default: a plain Error). */
  toError?: (e: { message: string; code?: string }) => Error;
  /** The error of a job whose worker hit its heap limit (default: Node's ERR_WORKER_OUT_OF_MEMORY). */
  outOfMemory?: () => Error;
  /** Stop a worker after this long without jobs (0 or unset: workers live until close). */
  idleTimeoutMs?: number;
  timers?: Timers;
}

export interface RunOptions {
  /** Aborting rejects the job with the signal's reason and terminates its worker. */
  signal?: AbortSignal;
  transfer?: readonly Transferable[];
}

export interface WorkerPool<J, R> {
  readonly size: number;
  run(job: J, opts?: RunOptions): Promise<R>;
  /** Workers running now (idle ones stopped by idleTimeoutMs are not counted). */
  workers(): number;
  /** The running workers' V8 heaps, committed bytes, as each last reported after a job. */
  heapBytes(): number;
  /** Terminates every worker; jobs still running reject. The pool starts workers again if used. */
  close(): Promise<void>;
}

interface Pending<J, R> {
  job: J;
  opts: RunOptions;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

interface Slot<J, R> {
  worker: Worker;
  pending: Map<number, Pending<J, R>>;
  /** Set when we terminate it on purpose: its 'exit' is then not a failure. */
  retired: boolean;
  heap: number;
  idleTimer: unknown;
}

export function createWorkerPool<J, R>(o: WorkerPoolOptions): WorkerPool<J, R> {
  let slots: Slot<J, R>[] = [];
  let nextId = 1;
  const toError = o.toError ?? ((e) => new Error(e.message));
  const timers = o.timers ?? REAL_TIMERS;
  const idleMs = o.idleTimeoutMs ?? 0;

  const remove = (s: Slot<J, R>) => {
    slots = slots.filter((x) => x !== s);
    if (s.idleTimer !== undefined) timers.clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
  };

  /** Stops worker `s` on purpose; its pending jobs go to `rest` (the caller decides their fate). */
  const retire = (s: Slot<J, R>): Array<[number, Pending<J, R>]> => {
    s.retired = true;
    remove(s);
    void s.worker.terminate();
    const rest = [...s.pending];
    s.pending.clear();
    return rest;
  };

  /** Starts `jobs` again on other workers; a job whose buffers left with the old worker cannot go again. */
  const redispatch = (jobs: Array<[number, Pending<J, R>]>) => {
    for (const [id, p] of jobs) {
      if (p.opts.transfer?.length) {
        p.cleanup();
        p.reject(new Error(`${o.name} worker stopped for another job`));
      } else dispatch(id, p);
    }
  };

  const fail = (s: Slot<J, R>, e: Error) => {
    if (s.retired) return;
    const rest = retire(s);
    if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' && rest.length > 0) {
      // The oldest job is the one running (jobs run one after another): it alone took the heap.
      const [, culprit] = rest.shift()!;
      culprit.cleanup();
      culprit.reject(o.outOfMemory?.() ?? e);
      redispatch(rest);
      return;
    }
    for (const [, p] of rest) {
      p.cleanup();
      p.reject(e);
    }
  };

  const idle = (s: Slot<J, R>) => {
    s.worker.unref();
    if (idleMs > 0) s.idleTimer = timers.setTimeout(() => void (s.pending.size === 0 && !s.retired && retire(s)), idleMs);
  };

  const start = (): Slot<J, R> => {
    const s: Slot<J, R> = { worker: o.spawn(), pending: new Map(), retired: false, heap: 0, idleTimer: undefined };
    // Idle workers must not keep the process alive; one with jobs must (see dispatch).
    s.worker.unref();
    s.worker.on('message', (m: JobReply<R>) => {
      const p = s.pending.get(m.id);
      if (!p) return;
      s.pending.delete(m.id);
      if (m.heap !== undefined) s.heap = m.heap;
      if (s.pending.size === 0) idle(s);
      p.cleanup();
      if (m.error) p.reject(toError(m.error));
      else p.resolve(m.result as R);
    });
    s.worker.on('error', (e) => fail(s, e));
    s.worker.on('exit', (code) => fail(s, new Error(`${o.name} worker exited with code ${code}`)));
    slots.push(s);
    return s;
  };

  const pick = (): Slot<J, R> => {
    if (slots.length < o.size) return start();
    return slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  };

  const dispatch = (id: number, p: Pending<J, R>) => {
    const s = pick();
    // A caller awaiting a job keeps the process alive until it is answered.
    if (s.pending.size === 0) s.worker.ref();
    if (s.idleTimer !== undefined) timers.clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
    s.pending.set(id, p);
    try {
      s.worker.postMessage({ id, job: p.job }, p.opts.transfer);
    } catch (e) {
      // A job that cannot be cloned (a function, a detached buffer) never reaches the worker.
      s.pending.delete(id);
      if (s.pending.size === 0) idle(s);
      p.cleanup();
      p.reject(e as Error);
    }
  };

  /** Stops the worker holding job `id`; its other jobs start again elsewhere. */
  const abort = (id: number, reason: unknown) => {
    const s = slots.find((x) => x.pending.has(id));
    if (!s) return;
    const p = s.pending.get(id)!;
    s.pending.delete(id);
    const rest = retire(s);
    p.cleanup();
    p.reject(reason instanceof Error ? reason : new Error(String(reason)));
    redispatch(rest);
  };

  return {
    size: o.size,
    workers: () => slots.length,
    heapBytes: () => slots.reduce((sum, s) => sum + s.heap, 0),
    run(job, opts = {}) {
      const signal = opts.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const onAbort = () => abort(id, signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => signal?.removeEventListener('abort', onAbort);
        dispatch(id, { job, opts, resolve, reject, cleanup });
      });
    },
    async close() {
      const all = slots;
      slots = [];
      for (const s of all) {
        s.retired = true;
        if (s.idleTimer !== undefined) timers.clearTimeout(s.idleTimer);
      }
      await Promise.all(
        all.map(async (s) => {
          await s.worker.terminate();
          for (const p of s.pending.values()) {
            p.cleanup();
            p.reject(new Error(`${o.name} pool closed`));
          }
          s.pending.clear();
        }),
      );
    },
  };
}
