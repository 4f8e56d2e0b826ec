/**
 * The one pool of worker threads: query scans, range aggregations and cold compaction all run on
 * it. Jobs carry ids; each goes to the least loaded worker; a worker that fails ('error', or an
 * 'exit' nobody asked for) fails only the jobs it held and is replaced on the next job; a job whose
 * signal aborts is rejected at once and its worker terminated (the only way to stop synchronous
 * work in a thread) and replaced, its other jobs moving to a fresh worker.
 *
 * The worker side is `serveJobs` (./worker-serve.ts).
 */
import type { Transferable, Worker } from 'node:worker_threads';

/** What a worker posts back: the job's id and its result, or an error. */
export interface JobReply<R> {
  id: number;
  result?: R;
  error?: { message: string; code?: string };
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
}

export interface RunOptions {
  /** Aborting rejects the job with the signal's reason and terminates its worker. */
  signal?: AbortSignal;
  transfer?: readonly Transferable[];
}

export interface WorkerPool<J, R> {
  readonly size: number;
  run(job: J, opts?: RunOptions): Promise<R>;
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
}

export function createWorkerPool<J, R>(o: WorkerPoolOptions): WorkerPool<J, R> {
  let slots: Slot<J, R>[] = [];
  let nextId = 1;
  const toError = o.toError ?? ((e) => new Error(e.message));

  const remove = (s: Slot<J, R>) => {
    slots = slots.filter((x) => x !== s);
  };

  const fail = (s: Slot<J, R>, e: Error) => {
    if (s.retired) return;
    s.retired = true;
    remove(s);
    for (const p of s.pending.values()) {
      p.cleanup();
      p.reject(e);
    }
    s.pending.clear();
    void s.worker.terminate();
  };

  const start = (): Slot<J, R> => {
    const s: Slot<J, R> = { worker: o.spawn(), pending: new Map(), retired: false };
    // Idle workers must not keep the process alive; one with jobs must (see dispatch).
    s.worker.unref();
    s.worker.on('message', (m: JobReply<R>) => {
      const p = s.pending.get(m.id);
      if (!p) return;
      s.pending.delete(m.id);
      if (s.pending.size === 0) s.worker.unref();
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
    s.pending.set(id, p);
    try {
      s.worker.postMessage({ id, job: p.job }, p.opts.transfer);
    } catch (e) {
      // A job that cannot be cloned (a function, a detached buffer) never reaches the worker.
      s.pending.delete(id);
      if (s.pending.size === 0) s.worker.unref();
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
    s.retired = true;
    remove(s);
    void s.worker.terminate();
    p.cleanup();
    p.reject(reason instanceof Error ? reason : new Error(String(reason)));
    const rest = [...s.pending];
    s.pending.clear();
    for (const [otherId, other] of rest) {
      // A job whose buffers were transferred cannot be sent again: they left with the old worker.
      if (other.opts.transfer?.length) {
        other.cleanup();
        other.reject(new Error(`${o.name} worker stopped for another job`));
      } else dispatch(otherId, other);
    }
  };

  return {
    size: o.size,
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
      for (const s of all) s.retired = true;
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
