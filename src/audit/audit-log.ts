/**
 * The durable audit log of issue #11: admin actions, refused requests and token changes made by the
 * CLI, written into the embedded store as entries of the reserved tenant (`audit.tenant`, default
 * `logwharf-audit`), so admins read them with LogQL like any logs:
 *
 *   {service_name="logwharf", log_type="audit", outcome="allowed"|"denied"|"failed"}  one JSON line each
 *
 * Three streams at most (the outcome is the only label that varies): everything else is in the line,
 * for `| json`. Writes go through `store.append`, which resolves once the WAL has fsynced them: an
 * admin action's record is durable before its answer leaves (src/http/server.ts holds the answer).
 * Denials are written without holding anyone up, bounded by ./denied-limiter.ts.
 *
 * Retention: the global `retention.period` (and matching `retention.streams`) applies to the audit
 * tenant as to any other; per-tenant overrides (`overrides: {logwharf-audit: {retention_period: …}}`)
 * will set its own.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StreamPush } from '../api/model.js';
import type { AuditDenial, AuditRequest, AuditSink } from '../http/audit-sink.js';
import type { Store } from '../store/index.js';
import type { TokenOutbox } from '../auth/token-outbox.js';
import type { Logger } from '../util/logger.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';
import { AUDIT_OUTCOMES, actionEvent, deniedEvent, eventLine, outboxEvent, type AuditEvent } from './audit-event.js';
import { DeniedLimiter, type DeniedLimits } from './denied-limiter.js';

/** The labels of the audit stream besides `outcome`. */
export const AUDIT_STREAM_LABELS = { service_name: 'logwharf', log_type: 'audit' } as const;

/** How often the outbox of CLI token changes is drained (a CLI change shows within about this). */
export const OUTBOX_DRAIN_MS = 1000;
const OUTBOX_BATCH = 500;

export interface AuditLogOptions {
  store: Pick<Store, 'append'>;
  tenant: string;
  denied: DeniedLimits;
  registry: Registry;
  log: Logger;
  /** The token database's outbox, once it is open (undefined before). */
  outbox?: () => TokenOutbox | undefined;
  now?: () => number;
  timers?: Timers;
  drainEveryMs?: number;
}

export interface AuditLog extends AuditSink {
  /** Drains the outbox once (CLI changes made while the server was down), then every second. */
  start(): Promise<void>;
  /** Writes the pending denial summaries and the outbox, and waits for writes under way. */
  close(): Promise<void>;
  /** Writes records and resolves once they are durable. */
  write(events: AuditEvent[]): Promise<void>;
}

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? REAL_TIMERS;
  const drainEveryMs = opts.drainEveryMs ?? OUTBOX_DRAIN_MS;
  const limiter = new DeniedLimiter(opts.denied);
  const metrics = auditMetrics(opts.registry, () => limiter.pending());
  /** Writes under way, awaited by close(). */
  const inflight = new Set<Promise<unknown>>();
  let drainTimer: unknown;
  let sweepTimer: unknown;
  let draining: Promise<void> | undefined;
  let closed = false;

  async function write(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const byOutcome = new Map<string, StreamPush>();
    for (const e of events) {
      let s = byOutcome.get(e.outcome);
      if (!s) byOutcome.set(e.outcome, (s = { labels: { ...AUDIT_STREAM_LABELS, outcome: e.outcome }, entries: [] }));
      s.entries.push({ ts: BigInt(e.at) * 1_000_000n, line: eventLine(e) });
    }
    const p = opts.store.append(opts.tenant, [...byOutcome.values()]);
    inflight.add(p);
    try {
      await p;
    } catch (err) {
      metrics.failures.inc(events.length);
      // The records reach at least the server's own log, whole, so an operator can still find them.
      for (const e of events) opts.log.error({ err: (err as Error).message, audit: e }, 'audit record could not be written');
      throw err;
    } finally {
      inflight.delete(p);
    }
    for (const e of events) metrics.events.inc({ outcome: e.outcome });
  }

  /** Fire and forget; a failure is logged and counted in write(). */
  function writeSoon(events: AuditEvent[]): void {
    write(events).catch(() => {});
  }

  function sweep(final = false): void {
    const summaries = limiter.due(final ? Infinity : now());
    if (summaries.length === 0) return;
    writeSoon(
      summaries.map((s) => ({
        at: Math.min(s.to, now()),
        action: 'requests.denied',
        outcome: 'denied',
        who_kind: 'anonymous',
        client: s.client,
        reason: 'suppressed',
        suppressed: s.suppressed,
        reasons: s.reasons,
        window_start: new Date(s.from).toISOString(),
        window_end: new Date(Math.min(s.to, now())).toISOString(),
      })),
    );
  }

  async function drainOnce(): Promise<void> {
    const outbox = opts.outbox?.();
    if (!outbox) return;
    for (;;) {
      const batch = outbox.pending(OUTBOX_BATCH);
      if (batch.length === 0) return;
      await write(batch.map(outboxEvent));
      // Only now: a crash before this line records the batch again at the next start (at least once).
      outbox.remove(batch[batch.length - 1]!.seq);
      if (batch.length < OUTBOX_BATCH) return;
    }
  }

  function drain(): Promise<void> {
    draining ??= drainOnce()
      .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, 'audit: token changes from the CLI not drained yet; retrying'))
      .finally(() => (draining = undefined));
    return draining;
  }

  function scheduleDrain(): void {
    drainTimer = timers.setTimeout(() => {
      void drain().finally(() => {
        if (!closed) scheduleDrain();
      });
    }, drainEveryMs);
  }

  function scheduleSweep(): void {
    // A window's summary is written within a quarter interval of its end.
    const every = Math.min(15_000, Math.max(250, Math.floor(opts.denied.intervalMs / 4)));
    sweepTimer = timers.setTimeout(() => {
      sweep();
      if (!closed) scheduleSweep();
    }, every);
  }

  return {
    tenant: opts.tenant,
    write,
    denied(d: AuditDenial): void {
      if (closed) return;
      const t = now();
      if (!limiter.admit(d.client, d.reason, t)) {
        metrics.suppressed.inc();
        return;
      }
      writeSoon([deniedEvent(d, t)]);
    },
    action: (r: AuditRequest) => write([actionEvent(r, now())]),
    async start() {
      await drain();
      scheduleDrain();
      scheduleSweep();
    },
    async close() {
      closed = true;
      timers.clearTimeout(drainTimer);
      timers.clearTimeout(sweepTimer);
      sweep(true);
      await draining;
      await drain();
      await Promise.allSettled([...inflight]);
    },
  };
}

function auditMetrics(registry: Registry, pending: () => number) {
  const events = new Counter({
    name: 'logwharf_audit_events_total',
    help: 'Audit records written durably to the audit tenant, by outcome (allowed, denied, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of AUDIT_OUTCOMES) events.inc({ outcome }, 0);
  const failures = new Counter({
    name: 'logwharf_audit_write_failures_total',
    help: 'Audit records that could not be written (store unavailable); each is logged whole at error level instead.',
    registers: [registry],
  });
  const suppressed = new Counter({
    name: 'logwharf_audit_denied_suppressed_total',
    help: 'Refused requests counted into a per-address summary record instead of getting a record each (flood bound).',
    registers: [registry],
  });
  new Gauge({
    name: 'logwharf_audit_denied_pending',
    help: 'Suppressed refusals counted but not yet written in a summary record.',
    registers: [registry],
    collect() {
      this.set(pending());
    },
  });
  return { events, failures, suppressed };
}
