/**
 * Remote configuration of a running agent (issue #13): a configuration offered by the control plane
 * is merged over the local file (local-only keys keep the local values), validated with the agent's
 * schema, applied hot, and watched for the health window. Healthy → it becomes the last good
 * configuration, persisted in `<data>/remote-config.json` so a restart comes back up on it. Unhealthy
 * → the agent goes back, hot, to the last good configuration (or the local file when there is none)
 * by itself and reports the failure with the reason.
 *
 * Offers are applied one at a time. One that arrives during a health window waits for its end (only
 * the newest waiting offer is kept); an offer of the hash the agent runs, applies or already failed
 * is ignored, so a server that offers a bad configuration again is not obeyed in a loop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../config/agent.js';
import { mergeRemoteConfig } from '../config/agent-remote.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import type { AgentRole } from './agent.js';
import { watchHealth } from './health-window.js';

export type RemoteConfigState = 'unset' | 'applying' | 'applied' | 'failed';

export interface RemoteConfigStatus {
  state: RemoteConfigState;
  /** The hash of the remote configuration this status is about ('' when unset). */
  hash: string;
  /** Why it failed ('' otherwise). */
  error: string;
}

/** What `<data>/remote-config.json` holds. */
export interface StoredRemoteConfig {
  last_good?: { hash: string; yaml: string; applied_at: string };
  status?: RemoteConfigStatus;
}

export const REMOTE_CONFIG_FILE = 'remote-config.json';

export interface RemoteConfigDeps {
  agent: AgentRole;
  /** The configuration from the local file, environment and flags: what every remote one is merged over. */
  local: AgentConfig;
  windowMs: number;
  log: Logger;
  now?: () => number;
  /** Told of every status change (the OpAMP client reports it). */
  onStatus?: (s: RemoteConfigStatus) => void;
}

export interface RemoteConfig {
  /** A configuration from the control plane; applied in the background (see status()). */
  offer(yaml: string, hash: string): void;
  /** A configuration the agent cannot use at all (the OpAMP client found no file of ours in it): FAILED. */
  refuse(hash: string, reason: string): void;
  status(): RemoteConfigStatus;
  /** Resolves when no offer is being applied or waiting (tests). */
  idle(): Promise<void>;
  /** Ends a health window under way (the configuration is not made the last good one). */
  close(): Promise<void>;
}

/**
 * Reads the stored remote configuration and merges its last good one over the local configuration,
 * for the agent to start with. A stored configuration that no longer validates (a newer agent
 * changed the schema) is set aside with a warning: the agent starts on the local file.
 */
export function loadRemoteConfig(local: AgentConfig, log: Logger): { config: AgentConfig; stored: StoredRemoteConfig } {
  let stored: StoredRemoteConfig = {};
  try {
    stored = JSON.parse(readFileSync(join(local.data, REMOTE_CONFIG_FILE), 'utf8')) as StoredRemoteConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err: (e as Error).message }, 'cannot read the stored remote configuration; starting on the local one');
    return { config: local, stored: {} };
  }
  if (!stored.last_good) return { config: local, stored };
  try {
    const { config } = mergeRemoteConfig(local, stored.last_good.yaml, REMOTE_CONFIG_FILE);
    log.info({ hash: stored.last_good.hash }, 'starting on the last good remote configuration');
    return { config, stored };
  } catch (e) {
    log.warn({ err: (e as Error).message, hash: stored.last_good.hash }, 'the stored remote configuration is no longer valid; starting on the local one');
    return { config: local, stored: {} };
  }
}

export function createRemoteConfig(deps: RemoteConfigDeps, stored: StoredRemoteConfig = {}): RemoteConfig {
  const { agent, local, log } = deps;
  const now = deps.now ?? Date.now;
  const file = join(local.data, REMOTE_CONFIG_FILE);
  let lastGood = stored.last_good;
  let status: RemoteConfigStatus = stored.status ?? (lastGood ? { state: 'applied', hash: lastGood.hash, error: '' } : { state: 'unset', hash: '', error: '' });
  let waiting: { yaml: string; hash: string } | undefined;
  let running: Promise<void> | undefined;
  const abort = new AbortController();

  function setStatus(s: RemoteConfigStatus): void {
    status = s;
    deps.onStatus?.(s);
  }

  async function persist(): Promise<void> {
    const body: StoredRemoteConfig = { ...(lastGood && { last_good: lastGood }), status };
    try {
      await writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n');
    } catch (e) {
      log.error({ err: (e as Error).message, file }, 'cannot store the remote configuration status');
    }
  }

  async function applyOne(yaml: string, hash: string): Promise<void> {
    setStatus({ state: 'applying', hash, error: '' });
    const fail = async (error: string): Promise<void> => {
      agent.metrics.remoteConfigs.inc({ result: 'failed' });
      log.warn({ hash, err: error }, 'remote configuration failed');
      setStatus({ state: 'failed', hash, error });
      await persist();
    };
    let next: AgentConfig;
    try {
      const merged = mergeRemoteConfig(local, yaml);
      if (merged.ignored.length > 0) log.warn({ hash, keys: merged.ignored }, 'the remote configuration sets local-only keys; the local file wins for them');
      next = merged.config;
    } catch (e) {
      return fail((e as Error).message);
    }
    const applied = await agent.reconfigure(next);
    if (!applied.ok) return fail(applied.reason);
    log.info({ hash, changed: applied.changed, health_window_ms: deps.windowMs }, 'remote configuration applied; watching health');
    // The same as what runs (the last good one offered again after a rollout rolled back): nothing to watch.
    const acceptedBefore = agent.health().shipping.accepted;
    let verdict = applied.changed.length === 0 ? ({ healthy: true } as const) : await watchHealth(() => agent.health(), { windowMs: deps.windowMs, now, signal: abort.signal });
    // A new destination that nothing was shipped to in the window is not proven: a quiet node must
    // not carry a wrong client.url to the rest of the fleet, so an empty push asks it.
    if (verdict.healthy && applied.changed.includes('shipper') && agent.health().shipping.accepted === acceptedBefore && !abort.signal.aborted) {
      const problem = await agent.probeShipping();
      if (problem !== undefined) verdict = { healthy: false, reason: `client.url ${agent.health().pushUrl}: ${problem} (an empty push: nothing was shipped in the health window)` };
    }
    if (abort.signal.aborted) return; // shutting down: neither good nor failed; offered again after the restart
    if (verdict.healthy) {
      lastGood = { hash, yaml, applied_at: new Date(now()).toISOString() };
      agent.metrics.remoteConfigs.inc({ result: 'applied' });
      setStatus({ state: 'applied', hash, error: '' });
      await persist();
      log.info({ hash }, 'remote configuration healthy: it is the last good configuration now');
      return;
    }
    // Back to the last good configuration, hot, with the same guarantees as any reload.
    const back = lastGood ? mergeRemoteConfig(local, lastGood.yaml).config : local;
    const undone = await agent.reconfigure(back);
    if (undone.ok) agent.metrics.remoteConfigs.inc({ result: 'rolled_back' });
    const to = lastGood ? `the last good remote configuration (${lastGood.hash})` : 'the local configuration';
    await fail(`${verdict.reason}; ${undone.ok ? `rolled back to ${to}` : `rolling back to ${to} failed: ${undone.reason}`}`);
  }

  async function loop(): Promise<void> {
    while (waiting && !abort.signal.aborted) {
      const o = waiting;
      waiting = undefined;
      if (o.hash === status.hash) continue;
      try {
        await applyOne(o.yaml, o.hash);
      } catch (e) {
        log.error({ err: (e as Error).message, hash: o.hash }, 'applying the remote configuration failed');
        setStatus({ state: 'failed', hash: o.hash, error: (e as Error).message });
      }
    }
  }

  return {
    offer(yaml, hash) {
      if (abort.signal.aborted || hash === status.hash) return;
      waiting = { yaml, hash };
      running ??= loop().finally(() => (running = undefined));
    },
    refuse(hash, reason) {
      if (abort.signal.aborted || hash === status.hash || running) return;
      setStatus({ state: 'failed', hash, error: reason });
      void persist();
    },
    status: () => status,
    async idle() {
      while (running) await running;
    },
    async close() {
      abort.abort();
      await running;
    },
  };
}
