/**
 * The rule manager: runs every tenant's rule groups on their intervals over the typed query service,
 * follows the rule repository as it changes (no restart), and keeps alert state across restarts.
 *
 * Scheduling, as Prometheus' rule manager: a group runs at the slots of ./schedule.ts; a group still
 * evaluating when its next slot comes skips that slot and counts a missed iteration (evaluations never
 * queue up); a timer that fires late counts the slots it slept through as missed. Each group runs
 * independently, so a slow or failing rule (query.timeout bounds it) holds up only its own group.
 *
 * On a repository change: new groups start (with their saved alerts, see ./restore.ts), groups whose
 * rules changed keep their rules' alerts (./rule-key.ts) and alerts of rules that went away are sent
 * resolved; removed groups have their firing alerts sent resolved and their state file deleted. A
 * saved group that no longer exists at start (deleted while the server was down) is resolved the same
 * way. Closing the manager sends nothing: a restart must not resolve what is still firing.
 */
import type { Registry } from 'prom-client';
import type { AlertSink } from '../api/alertmanager.js';
import type { Labels } from '../api/model.js';
import type { SampleSink } from '../api/remote-write.js';
import type { QueryService } from '../query/service.js';
import type { AlertInstance, AlertStateName } from '../rules/alert-state.js';
import { RESEND_DELAY_MS } from '../rules/alert-state.js';
import { groupKey, type Rule, type RuleGroup } from '../rules/model.js';
import type { Logger } from '../util/logger.js';
import { GroupRun, type RuleHealth } from './group.js';
import { createRulerMetrics } from './evaluation-metrics.js';
import { generatorUrl, toPostableAlert } from './notification.js';
import { restoreAlerts } from './restore.js';
import { groupOffsetMs, slotAfter, slotAtOrBefore } from './schedule.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';
import { createStateStore, type PersistedGroup } from './state-file.js';

/** Where the manager reads rule groups from (the ruler API's storage and `ruler.rules_dir`). */
export interface RuleGroupSource {
  /** Every group of `tenant`, or of every tenant when absent. */
  list(tenant?: string): RuleGroup[];
  /** Calls `listener` after groups were added, changed or removed; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

export interface RuleManagerDeps {
  repository: RuleGroupSource;
  query: QueryService;
  /** Where alerts go; absent = alerts are evaluated and served but sent nowhere. */
  alerts?: AlertSink;
  /** Where recording rules' samples go; absent = evaluated but not written. */
  samples?: SampleSink;
  externalLabels?: Labels;
  /** Base URL of this server as users reach it (ruler.external_url, else the listen URL). */
  externalUrl: string | (() => string);
  resendDelayMs?: number;
  /** Directory of the saved alert state (`<data>/ruler/state`). */
  stateDir: string;
  registry: Registry;
  log: Logger;
  /** Clock in ms. */
  now?: () => number;
  timers?: Timers;
}

export interface RuleSnapshot {
  rule: Rule;
  health: RuleHealth;
  lastError: string;
  lastEvaluation?: number;
  evaluationSeconds: number;
  /** The rule's alerts, pending, firing and recently resolved. */
  alerts: AlertInstance[];
}

export interface GroupSnapshot {
  group: RuleGroup;
  lastEvaluation?: number;
  evaluationSeconds: number;
  rules: RuleSnapshot[];
}

export interface RuleManager {
  start(): Promise<void>;
  close(): Promise<void>;
  /** The groups of `tenant` (every tenant when absent), ordered by tenant, namespace and name. */
  groups(tenant?: string): GroupSnapshot[];
  /** Resolves once no evaluation, reload or removal is in flight. */
  idle(): Promise<void>;
}

/** One scheduled group. `lock` serialises its evaluations, updates and removal. */
interface Entry {
  run: GroupRun;
  signature: string;
  offsetMs: number;
  /** The slot the armed timer is for. */
  nextSlot: number;
  timer?: unknown;
  /** An evaluation is queued or running: a slot arriving now is missed. */
  busy: boolean;
  lock: Promise<void>;
}

export function createRuleManager(deps: RuleManagerDeps): RuleManager {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? REAL_TIMERS;
  const log = deps.log;
  const externalUrl = typeof deps.externalUrl === 'function' ? deps.externalUrl : ((u: string) => () => u)(deps.externalUrl);
  const resendDelayMs = deps.resendDelayMs ?? RESEND_DELAY_MS;
  const externalLabels = deps.externalLabels ?? {};
  const state = createStateStore({ dir: deps.stateDir, log, now });
  const entries = new Map<string, Entry>();
  /** Saved state not yet claimed by a group (filled at start). */
  let saved = new Map<string, PersistedGroup>();
  /** Removals and leftover resolutions in flight. */
  const pending = new Set<Promise<void>>();
  let syncing: Promise<void> = Promise.resolve();
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const metrics = createRulerMetrics(deps.registry, function* () {
    const counts = new Map<string, { tenant: string; state: AlertStateName; count: number }>();
    for (const e of entries.values()) {
      for (const r of e.run.rules) {
        for (const a of r.alerts.values()) {
          if (a.state === 'inactive') continue;
          const k = JSON.stringify([e.run.group.tenant, a.state]);
          const c = counts.get(k) ?? { tenant: e.run.group.tenant, state: a.state, count: 0 };
          c.count++;
          counts.set(k, c);
        }
      }
    }
    yield* counts.values();
  });
  const groupDeps = { query: deps.query, alerts: deps.alerts, samples: deps.samples, externalLabels, externalUrl, resendDelayMs, metrics, state, log };

  const track = (p: Promise<void>): void => {
    const q = p.catch((e: unknown) => log.error({ err: e }, 'ruler task failed')).finally(() => pending.delete(q));
    pending.add(q);
  };

  /** Runs `fn` after everything queued on the group; the chain never rejects, so one failure stops nothing. */
  const enqueue = (e: Entry, what: string, fn: () => Promise<void>): Promise<void> => {
    e.lock = e.lock.then(fn).catch((err: unknown) => log.error({ err, tenant: e.run.group.tenant, namespace: e.run.group.namespace, group: e.run.group.name }, `rule group ${what} failed`));
    return e.lock;
  };

  const arm = (key: string, e: Entry): void => {
    const t = now();
    e.nextSlot = slotAfter(t, e.run.group.intervalMs, e.offsetMs);
    e.timer = timers.setTimeout(() => tick(key, e), e.nextSlot - t);
  };

  const tick = (key: string, e: Entry): void => {
    if (closed || entries.get(key) !== e) return;
    const t = now();
    const interval = e.run.group.intervalMs;
    if (t < e.nextSlot) {
      // Woken early (a timer cannot wait more than ~24.8 days): wait for the slot.
      e.timer = timers.setTimeout(() => tick(key, e), e.nextSlot - t);
      return;
    }
    const slot = slotAtOrBefore(t, interval, e.offsetMs);
    const slept = Math.max(0, Math.round((slot - e.nextSlot) / interval));
    if (slept > 0) {
      metrics.iterations.inc(e.run.labels, slept);
      metrics.iterationsMissed.inc(e.run.labels, slept);
    }
    metrics.iterations.inc(e.run.labels);
    if (e.busy) {
      metrics.iterationsMissed.inc(e.run.labels);
      log.warn({ tenant: e.run.group.tenant, namespace: e.run.group.namespace, group: e.run.group.name, slot }, 'rule group still evaluating at its next slot; iteration missed');
    } else {
      e.busy = true;
      void enqueue(e, 'evaluation', async () => {
        try {
          await e.run.evaluate(slot);
        } finally {
          e.busy = false;
        }
      });
    }
    arm(key, e);
  };

  const create = (key: string, g: RuleGroup): void => {
    const offsetMs = groupOffsetMs(key, g.intervalMs);
    const saved1 = saved.get(key);
    saved.delete(key);
    let restored: Map<string, AlertInstance[]> | undefined;
    if (saved1) {
      const first = slotAfter(now(), g.intervalMs, offsetMs);
      restored = new Map(saved1.rules.map((r) => [r.key, restoreAlerts(r.alerts, saved1.lastEvaluation, first, g.intervalMs)]));
    }
    const run = new GroupRun(g, groupDeps, restored);
    if (saved1) run.restoredEvaluation = saved1.lastEvaluation;
    const e: Entry = { run, signature: signature(g), offsetMs, nextSlot: 0, busy: false, lock: Promise.resolve() };
    entries.set(key, e);
    arm(key, e);
  };

  const change = (key: string, e: Entry, g: RuleGroup): void => {
    const intervalChanged = g.intervalMs !== e.run.group.intervalMs;
    e.signature = signature(g);
    void enqueue(e, 'reload', async () => {
      const orphans = e.run.update(g);
      await e.run.resolve(orphans, now());
      await e.run.save();
    });
    if (intervalChanged) {
      timers.clearTimeout(e.timer);
      e.offsetMs = groupOffsetMs(key, g.intervalMs);
      arm(key, e);
    }
  };

  const remove = (key: string, e: Entry): void => {
    entries.delete(key);
    timers.clearTimeout(e.timer);
    metrics.forget(e.run.labels);
    const g = e.run.group;
    track(
      enqueue(e, 'removal', async () => {
        await e.run.resolve(e.run.allAlerts(), now());
        await state.remove(g.tenant, g.namespace, g.name);
      }),
    );
  };

  const doSync = (): void => {
    if (closed) return;
    const wanted = new Map<string, RuleGroup>();
    for (const g of deps.repository.list()) wanted.set(groupKey(g.tenant, g.namespace, g.name), g);
    for (const [key, g] of wanted) {
      const e = entries.get(key);
      if (!e) create(key, g);
      else if (e.signature !== signature(g)) change(key, e, g);
    }
    for (const [key, e] of entries) if (!wanted.has(key)) remove(key, e);
  };

  const sync = (): void => {
    syncing = syncing.then(doSync).catch((e: unknown) => log.error({ err: e }, 'could not apply rule changes'));
  };

  /** Saved groups that no longer exist: their firing alerts are sent resolved, their files deleted. */
  const resolveLeftovers = async (): Promise<void> => {
    const leftovers = [...saved.values()];
    saved = new Map();
    for (const p of leftovers) {
      const t = now();
      const out = [];
      for (const r of p.rules) {
        for (const a of r.alerts) {
          if (a.state !== 'firing') continue;
          out.push(toPostableAlert({ ...a, state: 'inactive', resolvedAt: t }, t, { externalLabels, generatorURL: generatorUrl(externalUrl(), r.expr), resendPeriodMs: resendDelayMs }));
        }
      }
      if (out.length > 0 && deps.alerts) await deps.alerts.send(p.tenant, out);
      await state.remove(p.tenant, p.namespace, p.name);
      log.info({ tenant: p.tenant, namespace: p.namespace, group: p.name, resolved: out.length }, 'saved alert state of a rule group that no longer exists: resolved and removed');
    }
  };

  return {
    async start() {
      saved = await state.loadAll();
      unsubscribe = deps.repository.onChange(sync);
      sync();
      await syncing;
      track(resolveLeftovers());
    },

    async close() {
      closed = true;
      unsubscribe?.();
      await syncing;
      for (const e of entries.values()) timers.clearTimeout(e.timer);
      await Promise.all([...[...entries.values()].map((e) => e.lock), ...pending]);
    },

    groups(tenant) {
      const out: GroupSnapshot[] = [];
      for (const e of entries.values()) {
        const g = e.run.group;
        if (tenant !== undefined && g.tenant !== tenant) continue;
        out.push({
          group: g,
          lastEvaluation: e.run.lastEvaluation,
          evaluationSeconds: e.run.lastEvaluationSeconds,
          rules: e.run.rules.map((r) => ({
            rule: r.rule,
            health: r.health,
            lastError: r.lastError,
            lastEvaluation: r.lastEvaluation,
            evaluationSeconds: r.evaluationSeconds,
            alerts: [...r.alerts.values()],
          })),
        });
      }
      return out.sort((a, b) => compare(a.group.tenant, b.group.tenant) || compare(a.group.namespace, b.group.namespace) || compare(a.group.name, b.group.name));
    },

    async idle() {
      for (;;) {
        const before = syncing;
        const locks = [...[...entries.values()].map((e) => e.lock), ...pending];
        await before;
        await Promise.all(locks);
        const settled = before === syncing && pending.size === 0 && [...entries.values()].every((e, i) => e.lock === locks[i] && !e.busy);
        if (settled) return;
      }
    },
  };
}

/** What makes two versions of a group differ for evaluation. */
function signature(g: RuleGroup): string {
  return JSON.stringify([g.intervalMs, g.limit, g.rules]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
