/**
 * A clock and timers the test moves by hand, for time-dependent parts that take `now` and `Timers`
 * (the ruler's scheduler): `advance(ms)` fires every timer due in that span in time order, with
 * `now()` equal to each timer's due time while it runs, so nothing waits real minutes.
 */
export interface ManualTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements ManualTimers {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(startMs: number) {
    this.t = startMs;
  }

  readonly now = (): number => this.t;

  setTimeout(fn: () => void, ms: number): unknown {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.set(p.seq, p);
    return p.seq;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Timers armed and not yet fired. */
  get armed(): number {
    return this.pending.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. `settle`, when given, is awaited after
   * each timer (e.g. "until the work it started is done"), as if that work took no time.
   */
  async advance(ms: number, settle?: () => Promise<unknown>): Promise<void> {
    await this.advanceTo(this.t + ms, settle);
  }

  async advanceTo(target: number, settle?: () => Promise<unknown>): Promise<void> {
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending.values()) if (p.at <= target && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.pending.delete(next.seq);
      this.t = next.at;
      next.fn();
      // Let what the timer started get going before the next one fires.
      await new Promise((r) => setImmediate(r));
      await settle?.();
    }
    this.t = Math.max(this.t, target);
  }
}
