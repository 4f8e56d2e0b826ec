/**
 * The one owner of `<data>/fleet.db`'s SQL: agents as they last reported, configurations and their
 * versions, rollouts and their per-agent steps. Callers that change several rows at once wrap them
 * in `transaction` (a rollout's transitions, an apply), so a crash leaves either all or none.
 * Synchronous (better-sqlite3): the controller and the rollout driver never interleave mid-change.
 */
import { openFleetDb } from './fleet-db.js';
import type { Logger } from '../util/logger.js';
import type { RemoteConfigState } from './model.js';
import { parseSelector, type Selector } from '../api/fleet.js';

export interface AgentRow {
  uid: string;
  identifying: string;
  non_identifying: string;
  host: string;
  cluster: string;
  role: string;
  type: string;
  healthy: number | null;
  health_status: string;
  health_error: string;
  first_seen_ms: number;
  last_seen_ms: number;
  sequence_num: number;
  effective_hash: string;
  rc_status: RemoteConfigState;
  rc_hash: string;
  rc_error: string;
  connected: number;
}

export interface ConfigRow {
  name: string;
  selector: Selector;
  good_version: number | null;
  created_ms: number;
}

export interface VersionRow {
  name: string;
  version: number;
  body: string;
  hash: string;
  selector: string;
  created_ms: number;
  author: string;
  comment: string;
  /** What agents are offered, when not `body`: the Collector configuration rendered from it at apply (hash is its hash). */
  offered: string | null;
}

/** A rollout's state machine states (rollout.ts); the first four are "running". */
export type RolloutPhase = 'pending' | 'canary' | 'window' | 'rest' | 'succeeded' | 'rolled_back' | 'failed';
export const RUNNING_PHASES: readonly RolloutPhase[] = ['pending', 'canary', 'window', 'rest'];

export interface RolloutRow {
  id: number;
  name: string;
  version: number;
  from_version: number | null;
  phase: RolloutPhase;
  canary: string;
  window_ms: number;
  timeout_ms: number;
  reason: string;
  created_ms: number;
  phase_ms: number;
  finished_ms: number | null;
}

/** offered → applied; or reverted (the rollout rolled back), skipped (left the fleet during the rest wave). */
export type StepState = 'offered' | 'applied' | 'reverted' | 'skipped';

export interface StepRow {
  rollout_id: number;
  uid: string;
  wave: 'canary' | 'rest';
  position: number;
  state: StepState;
  offered_ms: number;
  applied_ms: number | null;
  error: string;
}

export type AgentUpdate = Omit<AgentRow, 'first_seen_ms'>;

export interface FleetStore {
  transaction<T>(fn: () => T): T;
  getAgent(uid: string): AgentRow | undefined;
  /** Inserts or replaces an agent's row (first_seen kept). */
  putAgent(a: AgentUpdate): void;
  listAgents(): AgentRow[];
  getConfig(name: string): ConfigRow | undefined;
  listConfigs(): ConfigRow[];
  putConfig(name: string, selector: string, now: number): void;
  setGoodVersion(name: string, version: number): void;
  addVersion(v: Omit<VersionRow, 'version'>): number;
  getVersion(name: string, version: number): VersionRow | undefined;
  latestVersion(name: string): VersionRow | undefined;
  versions(name: string): VersionRow[];
  /** The newest version of `name` whose body has this hash. */
  versionByHash(name: string, hash: string): VersionRow | undefined;
  countVersions(): number;
  addRollout(r: Omit<RolloutRow, 'id' | 'finished_ms' | 'reason' | 'phase_ms'>): number;
  getRollout(id: number): RolloutRow | undefined;
  /** Newest first. */
  listRollouts(limit: number): RolloutRow[];
  runningRollouts(): RolloutRow[];
  runningRolloutOf(name: string): RolloutRow | undefined;
  /** Moves a rollout from `from` to `to`; false (and nothing changed) when it is no longer in `from`. */
  setPhase(id: number, from: RolloutPhase, to: RolloutPhase, now: number, reason?: string): boolean;
  addStep(s: StepRow): void;
  steps(rolloutId: number): StepRow[];
  /** The steps with their agents' rows (undefined when the agent's row is gone), in one query. */
  stepsWithAgents(rolloutId: number): Array<{ step: StepRow; agent: AgentRow | undefined }>;
  /** Steps of one wave still waiting for their agent (state offered). */
  countOffered(rolloutId: number, wave: 'canary' | 'rest'): number;
  /** Runs `fn` in a transaction that is fsynced before it returns (operators' changes; the rest is durable against a crash, not power loss). */
  durable<T>(fn: () => T): T;
  step(rolloutId: number, uid: string): StepRow | undefined;
  setStep(rolloutId: number, uid: string, state: StepState, now: number | null, error?: string): void;
  countRolloutsByPhase(): Array<{ phase: RolloutPhase; n: number }>;
  close(): void;
}

export function openFleetStore(path: string, log: Logger): FleetStore {
  const db = openFleetDb(path, log);
  const q = {
    getAgent: db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE uid = ?'),
    putAgent: db.prepare(`
      INSERT INTO agents (uid, identifying, non_identifying, host, cluster, role, type, healthy, health_status, health_error,
        first_seen_ms, last_seen_ms, sequence_num, effective_hash, rc_status, rc_hash, rc_error, connected)
      VALUES (@uid, @identifying, @non_identifying, @host, @cluster, @role, @type, @healthy, @health_status, @health_error,
        @last_seen_ms, @last_seen_ms, @sequence_num, @effective_hash, @rc_status, @rc_hash, @rc_error, @connected)
      ON CONFLICT (uid) DO UPDATE SET identifying = excluded.identifying, non_identifying = excluded.non_identifying,
        host = excluded.host, cluster = excluded.cluster, role = excluded.role, type = excluded.type, healthy = excluded.healthy,
        health_status = excluded.health_status, health_error = excluded.health_error, last_seen_ms = excluded.last_seen_ms,
        sequence_num = excluded.sequence_num, effective_hash = excluded.effective_hash, rc_status = excluded.rc_status,
        rc_hash = excluded.rc_hash, rc_error = excluded.rc_error, connected = excluded.connected`),
    listAgents: db.prepare<[], AgentRow>('SELECT * FROM agents ORDER BY host, uid'),
    getConfig: db.prepare<[string], Omit<ConfigRow, 'selector'> & { selector: string }>('SELECT * FROM configs WHERE name = ?'),
    listConfigs: db.prepare<[], Omit<ConfigRow, 'selector'> & { selector: string }>('SELECT * FROM configs ORDER BY name'),
    putConfig: db.prepare<[string, string, number]>('INSERT INTO configs (name, selector, good_version, created_ms) VALUES (?, ?, NULL, ?) ON CONFLICT (name) DO UPDATE SET selector = excluded.selector'),
    setGood: db.prepare<[number, string]>('UPDATE configs SET good_version = ? WHERE name = ?'),
    maxVersion: db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM versions WHERE name = ?'),
    addVersion: db.prepare('INSERT INTO versions (name, version, body, hash, selector, created_ms, author, comment, offered) VALUES (@name, @version, @body, @hash, @selector, @created_ms, @author, @comment, @offered)'),
    getVersion: db.prepare<[string, number], VersionRow>('SELECT * FROM versions WHERE name = ? AND version = ?'),
    latestVersion: db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE name = ? ORDER BY version DESC LIMIT 1'),
    versions: db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE name = ? ORDER BY version'),
    versionByHash: db.prepare<[string, string], VersionRow>('SELECT * FROM versions WHERE name = ? AND hash = ? ORDER BY version DESC LIMIT 1'),
    countVersions: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM versions'),
    addRollout: db.prepare(`INSERT INTO rollouts (name, version, from_version, phase, canary, window_ms, timeout_ms, reason, created_ms, phase_ms, finished_ms)
      VALUES (@name, @version, @from_version, @phase, @canary, @window_ms, @timeout_ms, '', @created_ms, @created_ms, NULL)`),
    getRollout: db.prepare<[number], RolloutRow>('SELECT * FROM rollouts WHERE id = ?'),
    listRollouts: db.prepare<[number], RolloutRow>('SELECT * FROM rollouts ORDER BY id DESC LIMIT ?'),
    running: db.prepare<[], RolloutRow>('SELECT * FROM rollouts WHERE finished_ms IS NULL ORDER BY id'),
    runningOf: db.prepare<[string], RolloutRow>('SELECT * FROM rollouts WHERE finished_ms IS NULL AND name = ? ORDER BY id LIMIT 1'),
    setPhase: db.prepare<{ id: number; from: string; to: string; now: number; reason: string | null; finished: number }>(`
      UPDATE rollouts SET phase = @to, phase_ms = @now, reason = COALESCE(@reason, reason),
        finished_ms = CASE WHEN @finished = 1 THEN @now ELSE NULL END
      WHERE id = @id AND phase = @from`),
    addStep: db.prepare('INSERT OR IGNORE INTO rollout_agents (rollout_id, uid, wave, position, state, offered_ms, applied_ms, error) VALUES (@rollout_id, @uid, @wave, @position, @state, @offered_ms, @applied_ms, @error)'),
    steps: db.prepare<[number], StepRow>('SELECT * FROM rollout_agents WHERE rollout_id = ? ORDER BY wave = \'rest\', position'),
    step: db.prepare<[number, string], StepRow>('SELECT * FROM rollout_agents WHERE rollout_id = ? AND uid = ?'),
    setStep: db.prepare<{ id: number; uid: string; state: string; now: number | null; error: string | null }>(`
      UPDATE rollout_agents SET state = @state, applied_ms = COALESCE(applied_ms, @now), error = COALESCE(@error, error)
      WHERE rollout_id = @id AND uid = @uid`),
    stepsWithAgents: db.prepare<[number], StepRow & { a_uid: string | null } & Omit<AgentRow, 'uid'>>(`
      SELECT s.*, a.uid AS a_uid, a.identifying, a.non_identifying, a.host, a.cluster, a.role, a.type, a.healthy, a.health_status,
        a.health_error, a.first_seen_ms, a.last_seen_ms, a.sequence_num, a.effective_hash, a.rc_status, a.rc_hash, a.rc_error, a.connected
      FROM rollout_agents s LEFT JOIN agents a ON a.uid = s.uid WHERE s.rollout_id = ? ORDER BY s.wave = 'rest', s.position`),
    countOffered: db.prepare<[number, string], { n: number }>("SELECT COUNT(*) AS n FROM rollout_agents WHERE rollout_id = ? AND wave = ? AND state = 'offered'"),
    byPhase: db.prepare<[], { phase: RolloutPhase; n: number }>('SELECT phase, COUNT(*) AS n FROM rollouts GROUP BY phase'),
  };
  const config = (r: (Omit<ConfigRow, 'selector'> & { selector: string }) | undefined): ConfigRow | undefined =>
    r && { ...r, selector: parseSelector(r.selector) };

  return {
    transaction: (fn) => db.transaction(fn)(),
    getAgent: (uid) => q.getAgent.get(uid),
    putAgent: (a) => void q.putAgent.run(a),
    listAgents: () => q.listAgents.all(),
    getConfig: (name) => config(q.getConfig.get(name)),
    listConfigs: () => q.listConfigs.all().map((r) => config(r)!),
    putConfig: (name, selector, now) => void q.putConfig.run(name, selector, now),
    setGoodVersion: (name, version) => void q.setGood.run(version, name),
    addVersion(v) {
      const version = (q.maxVersion.get(v.name)?.v ?? 0) + 1;
      q.addVersion.run({ ...v, version });
      return version;
    },
    getVersion: (name, version) => q.getVersion.get(name, version),
    latestVersion: (name) => q.latestVersion.get(name),
    versions: (name) => q.versions.all(name),
    versionByHash: (name, hash) => q.versionByHash.get(name, hash),
    countVersions: () => q.countVersions.get()!.n,
    addRollout: (r) => Number(q.addRollout.run(r).lastInsertRowid),
    getRollout: (id) => q.getRollout.get(id),
    listRollouts: (limit) => q.listRollouts.all(limit),
    runningRollouts: () => q.running.all(),
    runningRolloutOf: (name) => q.runningOf.get(name),
    setPhase(id, from, to, now, reason) {
      const finished = RUNNING_PHASES.includes(to) ? 0 : 1;
      return q.setPhase.run({ id, from, to, now, reason: reason ?? null, finished }).changes > 0;
    },
    addStep: (s) => void q.addStep.run(s),
    steps: (id) => q.steps.all(id),
    step: (id, uid) => q.step.get(id, uid),
    stepsWithAgents: (id) =>
      q.stepsWithAgents.all(id).map((r) => {
        const step: StepRow = { rollout_id: r.rollout_id, uid: r.uid, wave: r.wave, position: r.position, state: r.state, offered_ms: r.offered_ms, applied_ms: r.applied_ms, error: r.error };
        if (r.a_uid === null) return { step, agent: undefined };
        const { rollout_id: _r, wave: _w, position: _p, state: _s, offered_ms: _o, applied_ms: _a, error: _e, a_uid: _u, ...agent } = r;
        return { step, agent: agent as AgentRow };
      }),
    countOffered: (id, wave) => q.countOffered.get(id, wave)!.n,
    durable(fn) {
      db.pragma('synchronous = FULL');
      try {
        return db.transaction(fn)();
      } finally {
        db.pragma('synchronous = NORMAL');
      }
    },
    setStep: (id, uid, state, now, error) => void q.setStep.run({ id, uid, state, now, error: error ?? null }),
    countRolloutsByPhase: () => q.byPhase.all(),
    close() {
      if (db.open) db.close();
    },
  };
}
