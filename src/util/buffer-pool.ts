/**
 * Buffers kept for reuse, for the large buffers that ingest makes per request: push bodies
 * (src/http/body-budget.ts) and WAL records (src/store/engine.ts). Each lives from its request's
 * decode until the push is durable, long enough for V8 to promote it to the old generation, whose
 * ArrayBuffers only a full collection frees: at ~1 MB each, tens of MB of ingest's peak resident
 * memory were such garbage (docs/benchmarks.md, issue #12 stop 18). Reused, they are none.
 *
 * Bounded in number and bytes, sized in 64 KiB steps so that buffers of a little different sizes
 * serve each other, never a buffer much larger than asked for (its pages would stay resident for
 * small requests), and everything kept is dropped once no buffer was asked for during `idleMs`, so
 * an idle server keeps none.
 */
export interface BufferPoolOptions {
  /** Most buffers kept. */
  maxBuffers: number;
  /** Most bytes kept, all buffers together. */
  maxBytes: number;
  /** Larger requests get a buffer of their own that is never kept. */
  maxBufferBytes: number;
  /** What is kept is dropped once no buffer has been asked for during this long; 0: never. */
  idleMs: number;
}

const STEP = 64 * 1024;

export class BufferPool {
  /** Free buffers, smallest first. */
  private free: Buffer[] = [];
  private freeBytes = 0;
  private asked = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: BufferPoolOptions) {}

  /** Buffers kept now. */
  get kept(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.freeBytes };
  }

  /** A buffer of at least `n` bytes, not zeroed: a kept one if one fits, else a new one. */
  get(n: number): Buffer {
    this.asked = true;
    if (n > this.opts.maxBufferBytes) return Buffer.allocUnsafeSlow(n);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.length >= n && b.length <= 2 * n + STEP) {
        this.free.splice(i, 1);
        this.freeBytes -= b.length;
        return b;
      }
    }
    return Buffer.allocUnsafeSlow(Math.ceil(n / STEP) * STEP || STEP);
  }

  /** Gives back a buffer from `get` that nothing reads or writes any more (not a view of one). */
  put(b: Buffer): void {
    if (b.length > this.opts.maxBufferBytes || b.byteOffset !== 0 || b.length !== b.buffer.byteLength) return;
    if (this.free.length >= this.opts.maxBuffers || this.freeBytes + b.length > this.opts.maxBytes) return;
    let i = 0;
    while (i < this.free.length && this.free[i]!.length < b.length) i++;
    this.free.splice(i, 0, b);
    this.freeBytes += b.length;
    this.watchIdle();
  }

  /** Drops what is kept once a whole `idleMs` passed without a `get`. */
  private watchIdle(): void {
    if (this.idleTimer || this.opts.idleMs <= 0) return;
    this.asked = false;
    this.idleTimer = setInterval(() => {
      if (this.asked) {
        this.asked = false;
        return;
      }
      this.free = [];
      this.freeBytes = 0;
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    }, this.opts.idleMs);
    this.idleTimer.unref();
  }
}
