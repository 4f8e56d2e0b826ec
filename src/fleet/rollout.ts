/**
 * Rollouts as a durable state machine in fleet.db (issue #13; replaces the seeds' Temporal workflow):
 *
 *   pending ─▶ canary ─▶ window ─▶ rest ─▶ succeeded
 *      │          │         │        │
 *      ▼          └─────────┴────────┴──▶ rolled_back (reason)
 *    failed (no connected agent matches)
 *
 * - pending: the canary is chosen among the live agents this configuration applies to — N agents or
 *   P% of them (at least one), ordered by sha256(rollout id, agent id) so the choice is deterministic
 *   and spread — and recorded as steps; the version is offered to them only.
 * - canary: each canary must report RemoteConfigStatus APPLIED with the version's hash within the
 *   apply timeout. FAILED (our agent has rolled itself back and says why), unhealthy, stale or
 *   disconnected, or the timeout → rolled back.
 * - window: from the moment the last canary applied, for `window`, every canary must keep the hash,
 *   stay healthy and keep heartbeating; otherwise → rolled back.
 * - rest: every other live agent the configuration applies to is offered the version and must apply
 *   it within the timeout (FAILED or the timeout → rolled back; an agent that leaves the fleet now is
 *   skipped: it gets the version when it comes back, since the rollout then makes it the good one).
 * - succeeded: the version becomes the configuration's good version, offered to every matching agent.
 * - rolled_back: every agent the rollout offered the version to is offered the good version again
 *   (or, before any version was good, an empty remote configuration: the agent's own file); agents
 *   outside the rollout were never offered it and are untouched.
 *
 * Every transition is one transaction that first checks the rollout is still in the state it read
 * (`setPhase(id, from, to)`), so running a step twice — two ticks, a tick after a restart, the same
 * report twice — has no second effect. Time-based steps compare `now` with recorded timestamps
 * (phase_ms, offered_ms), so after a crash the driver resumes where the database says it was.
 */
import { createHash } from 'node:crypto';
import { canarySize, formatSelector, parseCanary } from '../api/fleet.js';
import type { Logger } from '../util/logger.js';
import type { AgentRow, FleetStore, RolloutPhase, RolloutRow, StepRow } from './fleet-store.js';
import { winningConfig } from './selector.js';

export interface RolloutDriverContext {
  store: FleetStore;
  /** Whether the agent is connected and has reported recently enough (fleet.ts's liveness rule). */
  isLive(a: AgentRow, now: number): boolean;
  log: Logger;
}

/** Live agents whose winning configuration is `name` (of its kind: selector.ts), in no particular order. */
export function targetAgents(ctx: RolloutDriverContext, name: string, now: number): AgentRow[] {
  const configs = ctx.store.listConfigs();
  return ctx.store.listAgents().filter((a) => ctx.isLive(a, now) && winningConfig(configs, a)?.name === name);
}

/** Runs every running rollout as far as the database and the clock allow. */
export function advanceAll(ctx: RolloutDriverContext, now: number): void {
  for (const r of ctx.store.runningRollouts()) advance(ctx, r.id, now);
}

/** Runs one rollout's transitions until none applies (at most one pass through every state). */
export function advance(ctx: RolloutDriverContext, id: number, now: number): void {
  for (let i = 0; i < 8; i++) {
    const moved = ctx.store.transaction(() => {
      const r = ctx.store.getRollout(id);
      if (!r || r.finished_ms !== null) return false;
      return STEPS[r.phase as 'pending' | 'canary' | 'window' | 'rest'](ctx, r, now);
    });
    if (!moved) return;
  }
}

type Step = (ctx: RolloutDriverContext, r: RolloutRow, now: number) => boolean;

const STEPS: Record<'pending' | 'canary' | 'window' | 'rest', Step> = {
  pending(ctx, r, now) {
    const targets = targetAgents(ctx, r.name, now);
    if (targets.length === 0) {
      const sel = formatSelector(ctx.store.getConfig(r.name)?.selector ?? {});
      return move(ctx, r, 'failed', now, `no connected agent matches configuration "${r.name}" (selector ${sel === '' ? '(every agent)' : sel}); nothing was offered, the good version stays`);
    }
    const order = (uid: string) => createHash('sha256').update(`${r.id}:${uid}`).digest('hex');
    const chosen = targets.map((a) => ({ a, k: order(a.uid) })).sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
    const n = canarySize(parseCanary(r.canary), chosen.length);
    chosen.slice(0, n).forEach(({ a }, position) => ctx.store.addStep(newStep(r.id, a.uid, 'canary', position, now)));
    ctx.log.info({ rollout: r.id, config: r.name, version: r.version, canary: chosen.slice(0, n).map(({ a }) => a.uid), of: chosen.length }, 'rollout: canary chosen');
    return move(ctx, r, 'canary', now);
  },

  canary: (ctx, r, now) => scan(ctx, r, now) && move(ctx, r, 'window', now),

  window(ctx, r, now) {
    if (!scan(ctx, r, now) || now < r.phase_ms + r.window_ms) return false;
    const have = new Set(ctx.store.steps(r.id).map((s) => s.uid));
    const rest = targetAgents(ctx, r.name, now).filter((a) => !have.has(a.uid)).sort((x, y) => (x.uid < y.uid ? -1 : 1));
    rest.forEach((a, position) => ctx.store.addStep(newStep(r.id, a.uid, 'rest', position, now)));
    ctx.log.info({ rollout: r.id, config: r.name, version: r.version, agents: rest.length }, 'rollout: health window passed, offering the rest');
    return move(ctx, r, 'rest', now);
  },

  rest(ctx, r, now) {
    if (!scan(ctx, r, now)) return false;
    ctx.store.setGoodVersion(r.name, r.version);
    ctx.log.info({ rollout: r.id, config: r.name, version: r.version }, 'rollout succeeded');
    return move(ctx, r, 'succeeded', now);
  },
};

type Verdict = { fail: string } | 'applied' | 'skipped' | 'waiting' | 'fine';

/**
 * What one step's agent means for the rollout in its phase now. The timer's pass judges every step
 * (timeouts, staleness); a report judges only its agent's step (`advanceForAgent`), so a report
 * costs the same however many agents a rollout holds.
 */
function judge(ctx: RolloutDriverContext, r: RolloutRow, hash: string, s: StepRow, a: AgentRow | undefined, now: number): Verdict {
  const runs = a !== undefined && a.rc_hash === hash && a.rc_status === 'applied';
  if (r.phase === 'canary' && s.wave === 'canary') {
    const problem = a === undefined ? 'is gone from the database' : canaryProblem(ctx, a, hash, now, false);
    if (problem) return { fail: `canary ${who(s.uid, a)} ${problem}` };
    if (runs) return s.state === 'offered' ? 'applied' : 'fine';
    if (now - s.offered_ms > r.timeout_ms) return { fail: `canary ${who(s.uid, a)} did not apply version ${r.version} within ${r.timeout_ms / 1000}s (remote config status ${a!.rc_status})` };
    return 'waiting';
  }
  if (r.phase === 'window' && s.wave === 'canary') {
    const problem = a === undefined ? 'is gone from the database' : canaryProblem(ctx, a, hash, now, true);
    return problem ? { fail: `canary ${who(s.uid, a)} ${problem} within the health window` } : 'fine';
  }
  if (r.phase === 'rest' && s.wave === 'rest' && s.state === 'offered') {
    if (a !== undefined && a.rc_hash === hash && a.rc_status === 'failed') return { fail: `agent ${who(s.uid, a)} failed to apply version ${r.version}: ${a.rc_error || 'no reason given'}` };
    if (runs) return 'applied';
    if (a === undefined || !ctx.isLive(a, now)) return 'skipped';
    if (now - s.offered_ms > r.timeout_ms) return { fail: `agent ${who(s.uid, a)} did not apply version ${r.version} within ${r.timeout_ms / 1000}s` };
    return 'waiting';
  }
  return 'fine';
}

/** Acts on a verdict; false when the rollout ended (rolled back). */
function act(ctx: RolloutDriverContext, r: RolloutRow, s: StepRow, v: Verdict, now: number): boolean {
  if (typeof v === 'object') {
    rollBack(ctx, r, now, v.fail);
    return false;
  }
  if (v === 'applied') ctx.store.setStep(r.id, s.uid, 'applied', now);
  if (v === 'skipped') ctx.store.setStep(r.id, s.uid, 'skipped', null, 'left the fleet before applying');
  return true;
}

/** Judges every step; true when none is waiting (and the rollout did not end). */
function scan(ctx: RolloutDriverContext, r: RolloutRow, now: number): boolean {
  const hash = versionHash(ctx, r);
  let all = true;
  for (const { step, agent } of ctx.store.stepsWithAgents(r.id)) {
    const v = judge(ctx, r, hash, step, agent, now);
    if (!act(ctx, r, step, v, now)) return false;
    if (v === 'waiting') all = false;
  }
  return all;
}

/**
 * After a report that changed agent `uid`: judges its step in every running rollout holding it, and
 * runs the phase's full pass only when that was the last step the phase waited for.
 */
export function advanceForAgent(ctx: RolloutDriverContext, uid: string, now: number): void {
  for (const running of ctx.store.runningRollouts()) {
    if (!ctx.store.step(running.id, uid)) continue;
    const last = ctx.store.transaction(() => {
      const r = ctx.store.getRollout(running.id);
      const s = r && ctx.store.step(r.id, uid);
      if (!r || !s || r.finished_ms !== null || r.phase === 'pending') return false;
      if (!act(ctx, r, s, judge(ctx, r, versionHash(ctx, r), s, ctx.store.getAgent(uid), now), now)) return false;
      return (r.phase === 'canary' || r.phase === 'rest') && ctx.store.countOffered(r.id, r.phase) === 0;
    });
    if (last) advance(ctx, running.id, now);
  }
}

/** Why a canary fails the rollout now, or undefined. `applied`: it must already run the version. */
function canaryProblem(ctx: RolloutDriverContext, a: AgentRow, hash: string, now: number, applied: boolean): string | undefined {
  if (a.rc_hash === hash && a.rc_status === 'failed') return `failed to apply the version: ${a.rc_error || 'no reason given'}`;
  if (applied && !(a.rc_hash === hash && a.rc_status === 'applied')) return `stopped running the version (remote config ${a.rc_status}${a.rc_error ? `: ${a.rc_error}` : ''})`;
  if (a.connected === 0) return 'disconnected';
  if (!ctx.isLive(a, now)) return 'went stale (no heartbeat)';
  if (a.healthy === 0) return `turned unhealthy (${[a.health_status, a.health_error].filter(Boolean).join(': ') || 'no reason given'})`;
  return undefined;
}

function versionHash(ctx: RolloutDriverContext, r: RolloutRow): string {
  return ctx.store.getVersion(r.name, r.version)!.hash;
}

function who(uid: string, a: AgentRow | undefined): string {
  return a?.host ? `${uid} (${a.host})` : uid;
}

function newStep(rolloutId: number, uid: string, wave: 'canary' | 'rest', position: number, now: number): StepRow {
  return { rollout_id: rolloutId, uid, wave, position, state: 'offered', offered_ms: now, applied_ms: null, error: '' };
}

function move(ctx: RolloutDriverContext, r: RolloutRow, to: RolloutPhase, now: number, reason?: string): boolean {
  const moved = ctx.store.setPhase(r.id, r.phase, to, now, reason);
  if (moved && reason !== undefined) ctx.log.warn({ rollout: r.id, config: r.name, version: r.version, state: to, reason }, `rollout ${to}`);
  return moved;
}

/** Ends the rollout rolled back: every agent it offered the version to goes back to the good version. */
export function rollBack(ctx: RolloutDriverContext, r: RolloutRow, now: number, reason: string): boolean {
  for (const s of ctx.store.steps(r.id)) {
    if (s.state === 'offered' || s.state === 'applied') ctx.store.setStep(r.id, s.uid, 'reverted', null);
  }
  return move(ctx, r, 'rolled_back', now, reason);
}
