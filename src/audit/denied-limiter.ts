/**
 * Keeps a flood of refused requests from becoming a flood of durable writes (issue #11): each
 * client address gets `burst` denial records per `intervalMs` window, and all addresses together
 * `globalBurst`; the rest are counted, and when an address's window ends one summary record says
 * how many were suppressed and for which reasons. The table of addresses is bounded too: past
 * `maxAddresses`, further addresses share one `*` entry. So an interval writes at most
 * `globalBurst + maxAddresses + 1` records, however many requests are refused.
 *
 * One owner (the audit log), no I/O: `admit` decides, `due` hands over ended windows' summaries.
 */
export interface DeniedLimits {
  /** Denials recorded one by one per address and window (the failure limiter 429s after 10 a minute). */
  burst: number;
  intervalMs: number;
  /** Denials recorded one by one per window over all addresses. */
  globalBurst: number;
  maxAddresses: number;
}

export interface DeniedSummary {
  client: string;
  suppressed: number;
  /** Suppressed denials by reason. */
  reasons: Record<string, number>;
  from: number;
  to: number;
}

interface Window {
  start: number;
  recorded: number;
  suppressed: number;
  reasons: Record<string, number>;
}

/** The shared entry of addresses beyond `maxAddresses`. */
export const OTHER_ADDRESSES = '*';

export class DeniedLimiter {
  /** Open windows by client address; each ends `intervalMs` after its first denial. */
  private readonly windows = new Map<string, Window>();
  /** The global window: its start and how many records it admitted. */
  private globalStart = -Infinity;
  private globalRecorded = 0;
  /** Summaries of windows that ended, not yet handed over. */
  private ended: DeniedSummary[] = [];

  constructor(private readonly limits: DeniedLimits) {}

  /** Whether to record this denial now (true), or count it into its address's summary (false). */
  admit(address: string, reason: string, t: number): boolean {
    if (t - this.globalStart >= this.limits.intervalMs) {
      this.globalStart = t;
      this.globalRecorded = 0;
    }
    let key = address;
    let w = this.windows.get(key);
    if (w && t - w.start >= this.limits.intervalMs) {
      // Ended before the sweep came by: its summary waits for the next `due`, a new window starts.
      this.end(key, w);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= this.limits.maxAddresses) {
        key = OTHER_ADDRESSES;
        w = this.windows.get(key);
      }
      if (!w) {
        w = { start: t, recorded: 0, suppressed: 0, reasons: {} };
        this.windows.set(key, w);
      }
    }
    if (key !== OTHER_ADDRESSES && w.recorded < this.limits.burst && this.globalRecorded < this.limits.globalBurst) {
      w.recorded++;
      this.globalRecorded++;
      return true;
    }
    w.suppressed++;
    w.reasons[reason] = (w.reasons[reason] ?? 0) + 1;
    return false;
  }

  /** Summaries of windows that ended by `t` (every window when `t` is Infinity, at close), removed. */
  due(t: number): DeniedSummary[] {
    for (const [client, w] of this.windows) if (t - w.start >= this.limits.intervalMs) this.end(client, w);
    const out = this.ended;
    this.ended = [];
    return out;
  }

  private end(client: string, w: Window): void {
    this.windows.delete(client);
    if (w.suppressed > 0) this.ended.push({ client, suppressed: w.suppressed, reasons: w.reasons, from: w.start, to: w.start + this.limits.intervalMs });
  }

  /** Denials counted but not yet handed over in a summary. */
  pending(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.suppressed;
    for (const s of this.ended) n += s.suppressed;
    return n;
  }
}
