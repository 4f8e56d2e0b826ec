/**
 * A token bucket over bytes, as Go's rate.Limiter that Loki uses: `rate` tokens per second up to
 * `burst`; a request larger than the burst can never pass.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Updates the limits (per-tenant overrides can change); keeps the current fill, capped. */
  setLimits(rate: number, burst: number): void {
    this.rate = rate;
    this.burst = burst;
    if (this.tokens > burst) this.tokens = burst;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate);
      this.last = nowMs;
    }
  }

  /** Takes `n` tokens if available now. */
  allow(n: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }

  /** True when the bucket is full, i.e. forgetting it changes nothing. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }
}
