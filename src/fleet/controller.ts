/**
 * The fleet controller (the state side of src/fleet/model.ts): each decoded AgentToServer message
 * updates the agent's row, runs the rollouts (a report may be the APPLIED or FAILED a canary waits
 * for), and answers with the configuration the agent should run. Fields an agent did not send this
 * time keep their last value, as OpAMP sends unchanged parts only on request.
 *
 * What an agent should run ("desired"): the configuration that applies to it (the most specific
 * matching selector); the version of that configuration's running rollout when the rollout offered
 * it to this agent; else the configuration's good version; else, when the agent runs a version of
 * it that was rolled back before any version was good, the empty configuration `{}` (its own file).
 *
 * Collectors (selector.ts: agents whose service.name is not ours) are offered the version's rendered
 * Collector configuration under the key collectors.ts names; their "empty configuration" is an
 * AgentConfigMap with no file, on which the supervisor runs the Collector with its local
 * configuration alone. Our agents are never offered a Collector's YAML nor Collectors ours: a
 * configuration's selector matches agents of its own kind only.
 */
import { AGENT_CONFIG_CONTENT_TYPE, AGENT_CONFIG_FILE, type AgentReport, type ControllerAnswer, type FleetController, type OfferedConfig } from './model.js';
import type { AgentRow, FleetStore } from './fleet-store.js';
import { agentAttributes, agentKind, winningConfig, type ConfigKind } from './selector.js';
import { COLLECTOR_CONFIG_CONTENT_TYPE, COLLECTOR_CONFIG_FILE } from './collectors.js';
import { configHash } from './remote-config.js';
import type { Logger } from '../util/logger.js';
import { createHash } from 'node:crypto';

/** Offered to agents whose only remote version was rolled back: no remote settings, the local file alone. */
export const EMPTY_REMOTE_CONFIG = '{}\n';
/** The same for Collectors: no file in the AgentConfigMap (its hash is sha256 of ''). */
export const EMPTY_COLLECTOR_CONFIG = '';

const UID = /^[0-9a-f]{32}$/;

/** The agent's columns a rollout step reads (besides time). */
const RELEVANT = ['rc_status', 'rc_hash', 'healthy', 'connected', 'type', 'host', 'cluster', 'role'] as const;

export interface Desired {
  config: string;
  kind: ConfigKind;
  /** 0 for the empty configuration. */
  version: number;
  body: string;
  hash: string;
}

export interface ControllerDeps {
  /** The open store; throws when the fleet is not started. */
  store(): FleetStore;
  now(): number;
  /** Runs the rollouts after a report changed agent `uid`. */
  afterReport(uid: string, now: number): void;
  log: Logger;
}

export interface Controller extends FleetController {
  desired(uid: string): Desired | undefined;
}

export function createController(deps: ControllerDeps): Controller {
  function desired(uid: string): Desired | undefined {
    const store = deps.store();
    const a = store.getAgent(uid);
    const kind = a && agentKind(a.type);
    if (!a || !kind) return undefined;
    const c = winningConfig(store.listConfigs(), a);
    if (!c) return undefined;
    const running = store.runningRolloutOf(c.name);
    const step = running && store.step(running.id, uid);
    const version = step && (step.state === 'offered' || step.state === 'applied') ? running!.version : c.good_version;
    if (version !== null) {
      const v = store.getVersion(c.name, version)!;
      return { config: c.name, kind, version, body: v.offered ?? v.body, hash: v.hash };
    }
    if (a.rc_hash !== '' && store.versionByHash(c.name, a.rc_hash)) {
      const body = kind === 'agent' ? EMPTY_REMOTE_CONFIG : EMPTY_COLLECTOR_CONFIG;
      return { config: c.name, kind, version: 0, body, hash: configHash(body) };
    }
    return undefined;
  }

  async function report(r: AgentReport): Promise<ControllerAnswer> {
    try {
      if (!UID.test(r.instanceUid)) {
        deps.log.warn({ instance_uid: String(r.instanceUid).slice(0, 64) }, 'fleet: report with an invalid instance uid ignored');
        return {};
      }
      const store = deps.store();
      const now = deps.now();
      const prev = store.getAgent(r.instanceUid);
      const next = merge(prev, r, now);
      store.putAgent(next);
      // Rollouts wait on what a report can change: status, hash, health, presence. A bare heartbeat
      // changes none of them, and the driver's timer covers time passing; skipping the pass keeps a
      // heartbeat O(1) however many agents a rollout holds.
      if (!prev || RELEVANT.some((k) => prev[k] !== next[k])) deps.afterReport(r.instanceUid, now);
      const answer: ControllerAnswer = {};
      // Unknown to us (first contact, or a database that was replaced), or messages were lost: ask for everything.
      const gap = prev !== undefined && r.sequenceNum !== prev.sequence_num && r.sequenceNum !== prev.sequence_num + 1;
      if ((prev === undefined && r.description === undefined) || gap) answer.reportFullState = true;
      if (r.disconnect) return answer;
      const d = desired(r.instanceUid);
      const a = store.getAgent(r.instanceUid)!;
      // A hash the agent reported FAILED is not offered again: it would fail again, in a loop.
      if (d && a.rc_hash !== d.hash) answer.remoteConfig = offer(d);
      return answer;
    } catch (e) {
      // Never a crash for agent input; a closed store (shutdown) is the usual cause.
      deps.log.warn({ err: (e as Error).message, instance_uid: r.instanceUid }, 'fleet: report not processed');
      return {};
    }
  }

  return { report, desired };
}

function offer(d: Desired): OfferedConfig {
  if (d.kind === 'agent') return { hash: d.hash, files: { [AGENT_CONFIG_FILE]: { body: Buffer.from(d.body, 'utf8'), contentType: AGENT_CONFIG_CONTENT_TYPE } } };
  if (d.body === EMPTY_COLLECTOR_CONFIG) return { hash: d.hash, files: {} };
  return { hash: d.hash, files: { [COLLECTOR_CONFIG_FILE]: { body: Buffer.from(d.body, 'utf8'), contentType: COLLECTOR_CONFIG_CONTENT_TYPE } } };
}

function merge(prev: AgentRow | undefined, r: AgentReport, now: number): Omit<AgentRow, 'first_seen_ms'> {
  const desc = r.description;
  const attrs = desc ? agentAttributes(desc) : undefined;
  const effective = r.effectiveConfig
    ? Object.keys(r.effectiveConfig)
        .sort()
        .reduce((h, k) => h.update(k).update('\0').update(r.effectiveConfig![k]!.body).update('\0'), createHash('sha256'))
        .digest('hex')
    : undefined;
  return {
    uid: r.instanceUid,
    identifying: desc ? JSON.stringify(desc.identifying) : (prev?.identifying ?? '{}'),
    non_identifying: desc ? JSON.stringify(desc.nonIdentifying) : (prev?.non_identifying ?? '{}'),
    host: attrs?.host ?? prev?.host ?? '',
    cluster: attrs?.cluster ?? prev?.cluster ?? '',
    role: attrs?.role ?? prev?.role ?? '',
    type: attrs?.type ?? prev?.type ?? '',
    healthy: r.health ? (r.health.healthy ? 1 : 0) : (prev?.healthy ?? null),
    health_status: r.health ? r.health.status : (prev?.health_status ?? ''),
    health_error: r.health ? r.health.lastError : (prev?.health_error ?? ''),
    last_seen_ms: Math.max(now, prev?.last_seen_ms ?? 0),
    sequence_num: r.sequenceNum,
    effective_hash: effective ?? prev?.effective_hash ?? '',
    rc_status: r.remoteConfigStatus?.status ?? prev?.rc_status ?? 'unset',
    rc_hash: r.remoteConfigStatus ? r.remoteConfigStatus.lastRemoteConfigHash : (prev?.rc_hash ?? ''),
    rc_error: r.remoteConfigStatus ? r.remoteConfigStatus.errorMessage : (prev?.rc_error ?? ''),
    connected: r.disconnect ? 0 : 1,
  };
}
