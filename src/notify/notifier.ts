/**
 * The built-in notifier: a subset of Alertmanager for a server with no Alertmanager configured.
 * The ruler hands it alerts through `AlertSink` exactly as it would post them to Alertmanager; the
 * notifier keeps them per tenant (X-Scope-OrgID, as Mimir's multi-tenant Alertmanager does) with
 * that tenant's silences, groups and notification log, and is the one owner of that state: the
 * v2 API (./routes.ts) reads and changes it only through the methods here. Every change is
 * persisted before it is acknowledged (./state-file.ts).
 */
import type { Registry } from 'prom-client';
import type { AlertSink, GettableAlert, GettableSilence, PostableAlert } from '../api/alertmanager.js';
import type { Labels } from '../api/model.js';
import { LogwharfError } from '../api/errors.js';
import type { ServerConfig } from '../config/server.js';
import { parseDurationMs } from '../config/duration.js';
import { childLogger, type Logger } from '../util/logger.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { acceptAlert, isResolved, mergeAlert, type Alert } from './alerts.js';
import { Dispatcher, type GroupSnapshot } from './dispatcher.js';
import { buildIntegrations, deliver, type Integration } from './integrations.js';
import { deliveryMetrics, registerStateGauges } from './metrics.js';
import type { LabelMatcher } from './matchers.js';
import { listAlerts, type AlertFilter } from './alert-view.js';
import { notificationData } from './message.js';
import { gcNflog, needsUpdate, type NflogEntry } from './nflog.js';
import { parsePostableSilence, type Silence, Silences, sortSilences, toGettableSilence } from './silences.js';
import { encodeState, loadStates, stateFile } from './state-file.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';

export type NotifyConfig = ServerConfig['notify'];
export type { AlertFilter };

/** How often expired silences and old notification-log entries are dropped (Alertmanager: 15m). */
export const MAINTENANCE_INTERVAL_MS = 15 * 60_000;
/** Alertmanager's floor for how long one flush may keep retrying. */
const MIN_FLUSH_TIMEOUT_MS = 10_000;

export interface NotifierDeps {
  dataDir: string;
  /** This server's URL as users reach it; the notifier's own pages are under `<url>/alertmanager`. */
  externalUrl: () => string;
  log: Logger;
  registry: Registry;
  now?: () => number;
  timers?: Timers;
  /** For the retry backoff's jitter (tests fix it). */
  random?: () => number;
}

export interface AlertGroup {
  alerts: GettableAlert[];
  labels: Labels;
  receiver: { name: string };
}

export interface Notifier extends AlertSink {
  alerts(tenant: string, filter?: AlertFilter): GettableAlert[];
  groups(tenant: string, filter?: AlertFilter): AlertGroup[];
  silences(tenant: string, matchers?: LabelMatcher[]): GettableSilence[];
  silence(tenant: string, id: string): GettableSilence;
  /** Creates or updates a silence from its API JSON; resolves with its id once persisted. */
  putSilence(tenant: string, body: unknown): Promise<string>;
  expireSilence(tenant: string, id: string): Promise<void>;
  receivers(): string[];
  readonly config: NotifyConfig;
  readonly startedAt: number;
}

interface Tenant {
  name: string;
  alerts: Map<string, Alert>;
  silences: Silences;
  nflog: Map<string, NflogEntry>;
  dispatcher: Dispatcher;
  saving: Promise<void>;
  dirty: boolean;
}

export function createNotifier(config: NotifyConfig, deps: NotifierDeps): Notifier {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? REAL_TIMERS;
  const log = childLogger(deps.log, { component: 'notify' });
  const route = config.route;
  const groupWaitMs = parseDurationMs(route.group_wait);
  const groupIntervalMs = parseDurationMs(route.group_interval);
  const repeatMs = parseDurationMs(route.repeat_interval);
  // As Alertmanager refuses them: a zero interval would flush (or resend) in a tight loop.
  if (groupIntervalMs === 0) throw new LogwharfError('bad_request', 'notify.route.group_interval cannot be zero');
  if (repeatMs === 0) throw new LogwharfError('bad_request', 'notify.route.repeat_interval cannot be zero');
  const receiverCfg = config.receivers.find((r) => r.name === route.receiver);
  // Built now so a bad Slack template stops the server at start, not at the first alert.
  const integrations: Integration[] = receiverCfg ? buildIntegrations(receiverCfg) : [];
  const metrics = deliveryMetrics(deps.registry);
  for (const i of integrations) {
    metrics.total.inc({ integration: i.kind }, 0);
    metrics.failed.inc({ integration: i.kind }, 0);
  }
  const abort = new AbortController();
  const tenants = new Map<string, Tenant>();
  registerStateGauges(deps.registry, () => tenants.values(), now);
  let closed = false;

  const externalURL = () => `${deps.externalUrl().replace(/\/$/, '')}/alertmanager`;

  function persist(t: Tenant): Promise<void> {
    t.dirty = true;
    const write = async () => {
      if (!t.dirty) return;
      t.dirty = false;
      const text = encodeState({ alerts: [...t.alerts.values()], silences: t.silences.list(), nflog: [...t.nflog] });
      try {
        await writeFileAtomic(stateFile(deps.dataDir, t.name), text);
      } catch (e) {
        t.dirty = true;
        log.error({ tenant: t.name, err: (e as Error).message }, 'cannot write the notifier state');
        throw new LogwharfError('store_unavailable', `cannot persist the notifier state: ${(e as Error).message}`, undefined, { cause: e });
      }
    };
    t.saving = t.saving.then(write, write);
    return t.saving;
  }

  async function notifyOne(t: Tenant, g: GroupSnapshot, i: Integration, unmuted: Alert[], firing: Set<string>, resolved: Set<string>, at: number): Promise<boolean> {
    const key = `${g.key}/${route.receiver}/${i.kind}/${i.index}`;
    if (!needsUpdate(t.nflog.get(key), firing, resolved, i.sendResolved, repeatMs, at)) return true;
    // Without send_resolved, resolved alerts are left out, and nothing is sent when only they remain;
    // the log entry is still written so the receiver's firing set is cleared (as Alertmanager does).
    const toSend = i.sendResolved ? unmuted : unmuted.filter((a) => firing.has(a.fingerprint));
    if (toSend.length > 0) {
      const data = notificationData({ receiver: route.receiver, groupKey: g.key, groupLabels: g.labels, externalURL: externalURL(), alerts: toSend, now: at });
      const ilog = childLogger(log, { tenant: t.name, receiver: route.receiver, group: g.key });
      const ok = await deliver(i, data, { metrics, log: ilog, timers, now, deadline: at + Math.max(groupIntervalMs, MIN_FLUSH_TIMEOUT_MS), signal: abort.signal, random: deps.random });
      if (!ok) return false;
    }
    // Logged even while closing: what was delivered must not be sent again after a restart.
    t.nflog.set(key, { firing: [...firing], resolved: [...resolved], at });
    await persist(t).catch(() => {});
    return true;
  }

  async function flush(t: Tenant, g: GroupSnapshot): Promise<boolean> {
    const at = now();
    const unmuted = g.alerts.filter((a) => t.silences.silencing(a.labels, at).length === 0);
    if (unmuted.length === 0 || integrations.length === 0) return true;
    const firing = new Set(unmuted.filter((a) => !isResolved(a, at)).map((a) => a.fingerprint));
    const resolved = new Set(unmuted.filter((a) => isResolved(a, at)).map((a) => a.fingerprint));
    const results = await Promise.all(integrations.map((i) => notifyOne(t, g, i, unmuted, firing, resolved, at)));
    return results.every(Boolean);
  }

  function tenantOf(name: string, create: boolean): Tenant | undefined {
    let t = tenants.get(name);
    if (t || !create) return t;
    const tenant: Tenant = {
      name,
      alerts: new Map(),
      silences: new Silences(),
      nflog: new Map(),
      saving: Promise.resolve(),
      dirty: false,
      dispatcher: new Dispatcher({
        groupBy: route.group_by,
        groupWaitMs,
        groupIntervalMs,
        now,
        timers,
        flush: (g) => flush(tenant, g),
        delivered: (a) => {
          if (tenant.alerts.get(a.fingerprint) === a) {
            tenant.alerts.delete(a.fingerprint);
            void persist(tenant).catch(() => {});
          }
        },
      }),
    };
    tenants.set(name, tenant);
    t = tenant;
    return t;
  }

  for (const { tenant, state } of loadStates(deps.dataDir, (file, aside) => log.error({ file, moved_to: aside }, 'damaged notifier state file moved aside; that tenant starts without alerts, silences and notification log'))) {
    const t = tenantOf(tenant, true)!;
    t.silences = new Silences(state.silences);
    for (const [k, e] of state.nflog) t.nflog.set(k, e);
    for (const a of state.alerts) {
      t.alerts.set(a.fingerprint, a);
      t.dispatcher.insert(a);
    }
  }

  let maintenance: unknown;
  const maintain = () => {
    const at = now();
    for (const t of tenants.values()) {
      const silencesDropped = t.silences.gc(at);
      const entriesDropped = gcNflog(t.nflog, at);
      if (silencesDropped || entriesDropped) void persist(t).catch(() => {});
    }
    maintenance = timers.setTimeout(maintain, MAINTENANCE_INTERVAL_MS);
  };
  maintenance = timers.setTimeout(maintain, MAINTENANCE_INTERVAL_MS);

  function list(t: Tenant | undefined, alerts: Iterable<Alert>, f: AlertFilter): GettableAlert[] {
    return t ? listAlerts(alerts, t.silences, route.receiver, f, now()) : [];
  }

  const mustOpen = () => {
    if (closed) throw new LogwharfError('store_unavailable', 'the notifier is shutting down');
  };

  return {
    config,
    startedAt: now(),

    async send(tenant, posted: PostableAlert[]) {
      mustOpen();
      const at = now();
      // As Alertmanager: the valid alerts are kept, and the invalid ones are named in one 400.
      const accepted: Alert[] = [];
      const invalid: string[] = [];
      posted.forEach((p, i) => {
        try {
          accepted.push(acceptAlert(p, i, at));
        } catch (e) {
          if (!(e instanceof LogwharfError)) throw e;
          invalid.push(e.message);
        }
      });
      if (accepted.length > 0) {
        const t = tenantOf(tenant, true)!;
        for (const a of accepted) {
          const merged = mergeAlert(t.alerts.get(a.fingerprint), a, at);
          t.alerts.set(a.fingerprint, merged);
          t.dispatcher.insert(merged);
        }
        await persist(t);
      }
      if (invalid.length > 0) {
        const shown = invalid.slice(0, 10).join('; ') + (invalid.length > 10 ? `; and ${invalid.length - 10} more` : '');
        throw new LogwharfError('bad_request', accepted.length > 0 ? `${shown} (the ${accepted.length} valid alert(s) were accepted)` : shown);
      }
    },

    alerts(tenant, filter = {}) {
      const t = tenantOf(tenant, false);
      return list(t, t?.alerts.values() ?? [], filter);
    },

    groups(tenant, filter = {}) {
      const t = tenantOf(tenant, false);
      if (!t) return [];
      const out: AlertGroup[] = [];
      for (const g of t.dispatcher.list().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
        const alerts = list(t, g.alerts, filter);
        if (alerts.length > 0) out.push({ alerts, labels: g.labels, receiver: { name: route.receiver } });
      }
      return out;
    },

    silences(tenant, matchers) {
      const t = tenantOf(tenant, false);
      if (!t) return [];
      const at = now();
      // As Alertmanager: filter matchers test the silence's own matchers as a map of name → value.
      const wanted = (s: Silence) => {
        const asLabels: Labels = {};
        for (const m of s.matchers) asLabels[m.name] = m.value;
        return (matchers ?? []).every((m) => (m.name in asLabels || m.op === '!=' || m.op === '!~') && m.test(asLabels));
      };
      return sortSilences(t.silences.list(), at).filter(wanted).map((s) => toGettableSilence(s, at));
    },

    silence(tenant, id) {
      const s = tenantOf(tenant, false)?.silences.get(id);
      if (!s) throw new LogwharfError('not_found', 'silence not found');
      return toGettableSilence(s, now());
    },

    async putSilence(tenant, body) {
      mustOpen();
      const p = parsePostableSilence(body);
      const t = tenantOf(tenant, true)!;
      const id = t.silences.set(p, now());
      await persist(t);
      return id;
    },

    async expireSilence(tenant, id) {
      mustOpen();
      const t = tenantOf(tenant, false);
      if (!t) throw new LogwharfError('not_found', 'silence not found');
      t.silences.expire(id, now());
      await persist(t);
    },

    receivers() {
      return config.receivers.map((r) => r.name);
    },

    async close() {
      if (closed) return;
      closed = true;
      timers.clearTimeout(maintenance);
      abort.abort(new Error('the notifier is shutting down'));
      await Promise.all([...tenants.values()].map((t) => t.dispatcher.close()));
      await Promise.allSettled([...tenants.values()].map((t) => t.saving));
    },
  };
}
