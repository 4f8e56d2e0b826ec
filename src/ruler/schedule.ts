/**
 * When a group runs. As in Prometheus, every group is evaluated at multiples of its interval plus a
 * stable offset derived from its identity (tenant, namespace, name): 1,000 groups with a 1m interval
 * spread over the minute instead of all querying at :00, and a group keeps its slots across restarts
 * and reloads, so `for` durations and resend delays line up with the same evaluation times.
 */
import { createHash } from 'node:crypto';

/** The group's offset inside its interval, in [0, intervalMs). */
export function groupOffsetMs(key: string, intervalMs: number): number {
  const h = createHash('sha256').update(key).digest();
  // 48 bits are plenty for an offset and stay an exact JS integer.
  return h.readUIntBE(0, 6) % intervalMs;
}

/** The latest slot at or before `now`: the evaluation time of the iteration due at `now`. */
export function slotAtOrBefore(now: number, intervalMs: number, offsetMs: number): number {
  return Math.floor((now - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

/** The first slot strictly after `now`. */
export function slotAfter(now: number, intervalMs: number, offsetMs: number): number {
  return slotAtOrBefore(now, intervalMs, offsetMs) + intervalMs;
}

