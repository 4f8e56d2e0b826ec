/**
 * Health records: the health monitor's answer written as JSON lines into the reserved audit tenant
 * (`audit.tenant`, default `logwharf-audit`), so the ruler — which evaluates LogQL, not PromQL — can
 * alert on it with ordinary rules (./default-rules.ts), and operators can read the history:
 *
 *   {service_name="logwharf", log_type="health", component="<name>"}
 *     {"kind":"summary","status":"ok", …the component's figures, nested objects as they are}
 *     {"kind":"problem","check":"agent_stale","status":"warning","message":"…","tenant":"…","agent":"…","host":"…"}
 *
 * One summary line per component and one line per problem, every `health.record_interval`. The audit
 * tenant is reused on purpose: nobody can push to it in any mode (src/http/audit-sink.ts), so a
 * health record cannot be forged to silence or raise an alert, it has its own retention override,
 * and with tokens only an admin reads it. The writes go through `store.append` like the audit log's;
 * no field is called `component` in the line, which `| json` would rename beside the stream label.
 */
import type { StreamPush } from '../api/model.js';
import type { StatusResponse } from '../api/status.js';
import type { Store } from '../store/index.js';
import type { Logger } from '../util/logger.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';
import type { HealthMonitor } from './monitor.js';

export const HEALTH_STREAM_LABELS = { service_name: 'logwharf', log_type: 'health' } as const;

/** Field names the record's own keys take; a subject or figure of the same name is left out. */
const RESERVED = new Set(['kind', 'check', 'status', 'message', 'component']);

/** The streams one status answer becomes, all at time `ts` (ns). */
export function healthStreams(status: StatusResponse, ts: bigint): StreamPush[] {
  return status.components.map((c) => {
    const summary: Record<string, unknown> = { kind: 'summary', status: c.status };
    for (const [k, v] of Object.entries(c.figures)) if (!RESERVED.has(k)) summary[k] = v;
    const entries = [{ ts, line: JSON.stringify(summary) }];
    for (const p of c.problems) {
      const rec: Record<string, unknown> = { kind: 'problem', check: p.check, status: p.status, message: p.message };
      for (const [k, v] of Object.entries(p.subject ?? {})) if (!RESERVED.has(k)) rec[k] = v;
      entries.push({ ts, line: JSON.stringify(rec) });
    }
    return { labels: { ...HEALTH_STREAM_LABELS, component: c.name }, entries };
  });
}

export interface HealthRecorderOptions {
  monitor: HealthMonitor;
  store: Pick<Store, 'append'>;
  tenant: string;
  intervalMs: number;
  log: Logger;
  now?: () => number;
  timers?: Timers;
}

export interface HealthRecorder {
  /** Writes one round every interval from one interval after now (nothing when the interval is 0). */
  start(): void;
  /** Stops the timer and waits for a write under way. */
  close(): Promise<void>;
}

export function createHealthRecorder(opts: HealthRecorderOptions): HealthRecorder {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? REAL_TIMERS;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let closed = false;
  /** Two entries at one nanosecond in one stream would be dropped as duplicates if equal; keep time moving. */
  let lastTs = 0n;

  const round = async (): Promise<void> => {
    try {
      const status = await opts.monitor.check();
      let ts = BigInt(now()) * 1_000_000n;
      if (ts <= lastTs) ts = lastTs + 1n;
      lastTs = ts;
      await opts.store.append(opts.tenant, healthStreams(status, ts));
    } catch (e) {
      opts.log.warn({ err: (e as Error).message }, 'health record not written; the next round tries again');
    }
  };

  const schedule = () => {
    timer = timers.setTimeout(() => {
      running = round().finally(() => {
        running = undefined;
        if (!closed) schedule();
      });
    }, opts.intervalMs);
  };

  return {
    start() {
      // The first round after one interval, not at start: the sampled windows are empty then, and a
      // server started for a moment (a test, a restore check) leaves no tenant of ours behind.
      if (opts.intervalMs > 0) schedule();
    },
    async close() {
      closed = true;
      timers.clearTimeout(timer);
      await running;
    },
  };
}
