/**
 * The health window after a remote configuration (issue #13): the agent watches itself for
 * `control.health_window` and says whether the new configuration works. It fails, with the reason
 * a user can act on, when
 * - shipping is stuck: lines have waited for an acknowledgement for half the window with failed
 *   attempts, or are still waiting with failed attempts at its end and nothing was acknowledged in
 *   the window (an unreachable or wrong client.url is the typical bad change), or every batch that
 *   ended in the window was refused for good by the server (a URL that is not a Loki push API);
 * - a source fails that was not failing before (a reader that cannot read);
 * - discovery reports the same kind of problem again and again (REPEATED_ERRORS in the window).
 * With nothing to ship in the window, shipping cannot be judged here and counts as healthy: an agent
 * whose sources are quiet is not rolled back for it. When the destination itself changed,
 * remote-config.ts then asks it with an empty push (Shipper.probe), so a quiet canary does not
 * pass a wrong client.url on.
 */
import type { AgentHealth } from './agent.js';

export type HealthVerdict = { healthy: true } | { healthy: false; reason: string };

export interface HealthWindowOptions {
  windowMs: number;
  now?: () => number;
  /** How often the agent is looked at (default: a tenth of the window, between 50 ms and 1 s). */
  checkMs?: number;
  /** Aborting ends the watch early as healthy=false with reason "cancelled". */
  signal?: AbortSignal;
}

/** Discovery problems in one window that count as "repeated". */
export const REPEATED_ERRORS = 3;

export function watchHealth(probe: () => AgentHealth, opts: HealthWindowOptions): Promise<HealthVerdict> {
  const now = opts.now ?? Date.now;
  const start = now();
  const checkMs = opts.checkMs ?? Math.min(1000, Math.max(50, Math.floor(opts.windowMs / 10)));
  const stallLimitMs = opts.windowMs / 2;
  const first = probe();
  const failedBefore = new Set(first.failedSources.keys());
  const baseline = { discoveryErrors: first.discoveryErrors, rejected: first.shipping.rejected, accepted: first.shipping.accepted };

  function check(): HealthVerdict | undefined {
    const h = probe();
    const s = h.shipping;
    if (s.stalledSince !== undefined && s.lastFailure !== undefined) {
      const since = Math.max(s.stalledSince, start);
      const stalled = now() - since;
      if (stalled >= stallLimitMs) {
        return { healthy: false, reason: `client.url ${h.pushUrl}: ${s.lastFailure} for ${Math.round(stalled / 1000)}s` };
      }
    }
    for (const [id, err] of h.failedSources) {
      if (!failedBefore.has(id)) return { healthy: false, reason: `source ${id} failed: ${err}` };
    }
    const discoveryErrors = h.discoveryErrors - baseline.discoveryErrors;
    if (discoveryErrors >= REPEATED_ERRORS) {
      return { healthy: false, reason: `discovery failed ${discoveryErrors} times, last: ${h.lastDiscoveryError ?? 'unknown'}` };
    }
    return undefined;
  }

  function final(): HealthVerdict {
    const h = probe();
    const s = h.shipping;
    // Lines are waiting at the end with failed attempts and nothing was acknowledged in the whole
    // window: the stall began too late to reach the early limit, but the destination never worked.
    if (s.stalledSince !== undefined && s.lastFailure !== undefined && (s.lastAckAt ?? -Infinity) < start) {
      return { healthy: false, reason: `client.url ${h.pushUrl}: ${s.lastFailure} for ${Math.round((now() - Math.max(s.stalledSince, start)) / 1000)}s` };
    }
    const rejected = h.shipping.rejected - baseline.rejected;
    const accepted = h.shipping.accepted - baseline.accepted;
    if (rejected > 0 && accepted === 0) {
      return { healthy: false, reason: `every batch shipped in the window was refused: ${h.shipping.lastRejection ?? 'rejected'}` };
    }
    return { healthy: true };
  }

  return new Promise((resolve) => {
    const timer = setInterval(tick, checkMs);
    const onAbort = (): void => done({ healthy: false, reason: 'cancelled' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    function done(v: HealthVerdict): void {
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(v);
    }
    function tick(): void {
      const bad = check();
      if (bad) return done(bad);
      if (now() - start >= opts.windowMs) done(final());
    }
    if (opts.signal?.aborted) onAbort();
  });
}
