/**
 * Alertmanager's dispatcher for one route: alerts are grouped by the `group_by` labels (`...` = all
 * of them); a new group waits `group_wait` (or flushes at once when its alert started longer ago
 * than that, e.g. after a restart), then flushes every `group_interval`. What a flush sends is
 * decided by the pipeline (silences, the notification log); the dispatcher only keeps the groups
 * and their timing. One flush per group at a time: a receiver that hangs delays only its own group.
 * After a flush that succeeded, the resolved alerts it covered are dropped from the group (and the
 * store), and an empty group is removed.
 */
import type { Labels } from '../api/model.js';
import { labelsToString } from '../api/model.js';
import { isResolved, type Alert } from './alerts.js';
import type { Timers } from '../util/timers.js';

export interface GroupSnapshot {
  /** Alertmanager's group key for the root route: `{}:{a="1"}`. */
  key: string;
  labels: Labels;
  alerts: Alert[];
}

export interface DispatcherOptions {
  groupBy: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  now: () => number;
  timers: Timers;
  /** Runs the notification pipeline for a group; true when it is done (nothing to retry). */
  flush: (group: GroupSnapshot) => Promise<boolean>;
  /** A resolved alert covered by a successful flush and not changed since: drop it from the store. */
  delivered: (alert: Alert) => void;
}

interface Group {
  key: string;
  labels: Labels;
  alerts: Map<string, Alert>;
  timer: unknown;
  flushing: boolean;
  /** The timer fired while a flush ran: flush again when it ends. */
  due: boolean;
}

export class Dispatcher {
  private readonly groups = new Map<string, Group>();
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: DispatcherOptions) {}

  groupLabels(labels: Labels): Labels {
    if (this.o.groupBy.includes('...')) return { ...labels };
    const out: Labels = {};
    for (const n of this.o.groupBy) if (labels[n] !== undefined) out[n] = labels[n];
    return out;
  }

  insert(alert: Alert): void {
    if (this.closed) return;
    const labels = this.groupLabels(alert.labels);
    const key = `{}:${labelsToString(labels)}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { key, labels, alerts: new Map(), timer: undefined, flushing: false, due: false };
      this.groups.set(key, g);
      const now = this.o.now();
      // As Alertmanager: an alert that started longer ago than group_wait need not wait again.
      const wait = alert.startsAt + this.o.groupWaitMs < now ? 0 : this.o.groupWaitMs;
      this.schedule(g, wait);
    }
    g.alerts.set(alert.fingerprint, alert);
  }

  list(): GroupSnapshot[] {
    return [...this.groups.values()].map((g) => ({ key: g.key, labels: g.labels, alerts: [...g.alerts.values()] }));
  }

  private schedule(g: Group, ms: number): void {
    g.timer = this.o.timers.setTimeout(() => this.tick(g), ms);
  }

  private tick(g: Group): void {
    if (this.closed || this.groups.get(g.key) !== g) return;
    this.schedule(g, this.o.groupIntervalMs);
    if (g.flushing) {
      g.due = true;
      return;
    }
    const p = this.flush(g);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async flush(g: Group): Promise<void> {
    g.flushing = true;
    try {
      do {
        g.due = false;
        const now = this.o.now();
        const alerts = [...g.alerts.values()];
        // The pipeline reports its own failures; a throw here is a bug, treated as "retry later".
        const ok = await this.o.flush({ key: g.key, labels: g.labels, alerts }).catch(() => false);
        if (!ok || this.closed) continue;
        for (const a of alerts) {
          if (isResolved(a, now) && g.alerts.get(a.fingerprint) === a) {
            g.alerts.delete(a.fingerprint);
            this.o.delivered(a);
          }
        }
        if (g.alerts.size === 0) {
          this.o.timers.clearTimeout(g.timer);
          this.groups.delete(g.key);
          return;
        }
      } while (g.due && !this.closed);
    } finally {
      g.flushing = false;
    }
  }

  /** Stops every timer and waits for running flushes (their sends are aborted by the caller). */
  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) this.o.timers.clearTimeout(g.timer);
    await Promise.allSettled([...this.running]);
  }
}
