/**
 * The server's fleet state (issue #13): `createFleet(settings, deps)` → `{ start, close, controller,
 * summary, … }`. It owns `<data>/fleet.db` (through fleet-store.ts), the controller the OpAMP
 * transport calls, the operator's changes and views the REST API serves, and the driver that moves
 * rollouts along: on a timer (src/util/timers.ts, a test's clock in tests) and after every report.
 *
 * Liveness: an agent is live while connected (no agent_disconnect since its last message) and heard
 * from within `staleAfterMs`, counted from its last message or from this server's start, whichever is
 * later — agents cannot report to a server that is down, so a restart does not make every canary stale.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import type { WireAgent, WireApplyResult, WireConfig, WireHistory, WireRollout } from '../api/fleet.js';
import { checkConfigName } from '../api/fleet.js';
import { createLogger, type Logger } from '../util/logger.js';
import { REAL_TIMERS, type Timers } from '../util/timers.js';
import { applyConfig, rollbackConfig, type ApplyRequest } from './changes.js';
import type { CollectorFleetSettings } from './collectors.js';
import { createController, type Controller } from './controller.js';
import { FLEET_DB_FILE } from './fleet-db.js';
import { openFleetStore, type AgentRow, type FleetStore } from './fleet-store.js';
import { registerFleetMetrics } from './metrics.js';
import { advanceAll, advanceForAgent, type RolloutDriverContext } from './rollout.js';
import { fleetSummary, wireAgent, wireConfigs, wireHistory, wireRollout, type FleetSummary } from './views.js';

export type { FleetSummary } from './views.js';
export type { ApplyRequest } from './changes.js';

export interface FleetSettings {
  /** A connected agent silent for longer than this is stale (a canary that goes stale fails its rollout). */
  staleAfterMs: number;
  /** The health window of a rollout that names none. */
  defaultWindowMs: number;
  /** How long an offered agent has to report APPLIED before the rollout rolls back. */
  applyTimeoutMs: number;
  /** Where Collectors ship (`fleet.collector`); without a server URL, Collector configurations need their own client.url. */
  collector?: CollectorFleetSettings;
}

export interface FleetDeps {
  /** The server's data directory: the database is `<data>/fleet.db`. */
  dataDir: string;
  log?: Logger;
  registry?: Registry;
  now?: () => number;
  timers?: Timers;
  /** How often the driver runs rollouts without a report (default 1s). */
  tickMs?: number;
}

/** Most rollouts `GET /api/v1/fleet/rollouts` lists, newest first. */
export const MAX_LISTED_ROLLOUTS = 200;

export interface Fleet {
  start(): void;
  close(): void;
  /** What the OpAMP transport (`POST /v1/opamp`) calls for every decoded message. */
  readonly controller: Controller;
  summary(): FleetSummary;
  apply(req: ApplyRequest): WireApplyResult;
  rollback(name: string, to: number, author: string): WireApplyResult;
  agents(): WireAgent[];
  rollouts(): WireRollout[];
  rollout(id: number): WireRollout;
  configs(): WireConfig[];
  history(name: string): WireHistory;
  /** The body of one version, as applied; `offered`: what agents are offered (a Collector configuration's rendering). */
  versionBody(name: string, version: number, offered?: boolean): string;
  /** Runs the rollouts now (the driver's tick; tests call it after moving their clock). */
  tick(): void;
}

export function createFleet(settings: FleetSettings, deps: FleetDeps): Fleet {
  const log = deps.log ?? createLogger({ level: 'silent' });
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? REAL_TIMERS;
  const tickMs = deps.tickMs ?? 1000;
  let store: FleetStore | undefined;
  let startedAt = 0;
  let timer: unknown;

  const open = (): FleetStore => {
    if (!store) throw new LogwharfError('store_unavailable', 'the fleet database is not open');
    return store;
  };
  const isLive = (a: AgentRow, t: number) => a.connected === 1 && t - Math.max(a.last_seen_ms, startedAt) <= settings.staleAfterMs;
  const ctx = (): RolloutDriverContext => ({ store: open(), isLive, log });
  const defaults = () => ({ windowMs: settings.defaultWindowMs, applyTimeoutMs: settings.applyTimeoutMs, collector: settings.collector ?? {} });

  const tick = () => {
    if (!store) return;
    try {
      advanceAll(ctx(), now());
    } catch (e) {
      log.error({ err: (e as Error).message }, 'fleet: running rollouts failed; retrying at the next tick');
    }
  };
  const schedule = () => {
    timer = timers.setTimeout(() => {
      tick();
      if (store) schedule();
    }, tickMs);
  };

  const controller = createController({ store: open, now, afterReport: (uid, t) => advanceForAgent(ctx(), uid, t), log });
  if (deps.registry) registerFleetMetrics(deps.registry, () => (store ? { store, isLive: (a) => isLive(a, now()) } : undefined));

  return {
    controller,
    start() {
      store = openFleetStore(join(deps.dataDir, FLEET_DB_FILE), log);
      startedAt = now();
      // Resumes whatever the database says was running before a restart.
      tick();
      schedule();
    },
    close() {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      store?.close();
      store = undefined;
    },
    summary: () => fleetSummary(open(), (a) => isLive(a, now())),
    apply: (req) => applyConfig(ctx(), defaults(), req, now()),
    rollback: (name, to, author) => rollbackConfig(ctx(), defaults(), checkConfigName(name), to, author, now()),
    agents() {
      const s = open();
      const configs = s.listConfigs();
      const t = now();
      return s.listAgents().map((a) => wireAgent(s, configs, a, isLive(a, t)));
    },
    rollouts: () => open().listRollouts(MAX_LISTED_ROLLOUTS).map((r) => wireRollout(open(), r, false)),
    rollout(id) {
      const r = open().getRollout(id);
      if (!r) throw new LogwharfError('not_found', `no rollout with id ${id}`);
      return wireRollout(open(), r, true);
    },
    configs: () => wireConfigs(open()),
    history(name) {
      const c = open().getConfig(checkConfigName(name));
      if (!c) throw new LogwharfError('not_found', `no configuration named "${name}"`);
      return wireHistory(open(), c);
    },
    versionBody(name, version, offered = false) {
      const v = open().getVersion(checkConfigName(name), version);
      if (!v) throw new LogwharfError('not_found', `configuration "${name}" has no version ${version}`);
      return offered ? (v.offered ?? v.body) : v.body;
    },
    tick,
  };
}
