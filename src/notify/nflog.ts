/**
 * The notification log (Alertmanager's nflog): for each group, receiver and integration, which
 * alerts were firing and resolved in the last notification that was sent, and when. Deduplication
 * decides from it whether a flush needs to notify; it is persisted with the tenant's state, so a
 * restart neither repeats a notification early nor forgets one that was due.
 */
export interface NflogEntry {
  firing: string[];
  resolved: string[];
  /**
   * When the flush that sent it began, ms since the epoch (Alertmanager takes the time it was
   * logged; the flush's start keeps repeats on the group's group_interval ticks).
   */
  at: number;
}

/** Alertmanager's --data.retention: entries older than this are dropped. */
export const NFLOG_RETENTION_MS = 120 * 3_600_000;

/**
 * Alertmanager's DedupStage decision: notify when new alerts fire, when every alert resolved after
 * some had been notified firing, when resolved alerts are new (send_resolved), or when nothing
 * changed but the repeat interval has passed.
 */
export function needsUpdate(entry: NflogEntry | undefined, firing: ReadonlySet<string>, resolved: ReadonlySet<string>, sendResolved: boolean, repeatMs: number, now: number): boolean {
  if (!entry) return firing.size > 0;
  const wasFiring = new Set(entry.firing);
  for (const f of firing) if (!wasFiring.has(f)) return true;
  if (firing.size === 0) return entry.firing.length > 0;
  if (sendResolved) {
    const wasResolved = new Set(entry.resolved);
    for (const r of resolved) if (!wasResolved.has(r)) return true;
  }
  return entry.at + repeatMs <= now;
}

export function gcNflog(log: Map<string, NflogEntry>, now: number): boolean {
  let dropped = false;
  for (const [k, e] of log) {
    if (e.at + NFLOG_RETENTION_MS < now) {
      log.delete(k);
      dropped = true;
    }
  }
  return dropped;
}
