/**
 * The changes an operator makes (the admin side of the fleet API): apply a configuration (validate,
 * store a new version, start its rollout) and roll back to an earlier version. Each is one
 * transaction; the rollout then runs as far as it can at once (to `failed` when no agent matches).
 *
 * Decisions (docs/fleet.md):
 * - One rollout per configuration at a time: `apply` while one runs is refused (409) — the running
 *   canary's verdict is not to be cut short by a newer change; `rollback` instead supersedes it (the
 *   running rollout ends rolled_back with that reason), because stopping a bad change must always work.
 * - Applying the body and selector of the latest version again changes nothing when that version is
 *   rolling out or rolled out (apply is declarative, like `kubectl apply`); after a failed or rolled
 *   back rollout it is a retry: a new version, a new rollout.
 * - Rollback to V stores a new version with V's body and selector ("rollback to version V") and rolls
 *   it out to every matching agent at once (canary 100%) with the same health window: history only
 *   grows, and agents already running V's body have its hash and do nothing.
 * - A configuration for Collectors (selector.ts, collectors.ts) is checked as any other, then rendered
 *   as a Collector configuration; the rendering is stored with the version and its hash is the
 *   version's hash (what Collectors report back). A configuration keeps its kind: changing the
 *   selector from our agents to Collectors (or back) is refused, since its good version could not
 *   run on the other kind.
 */
import { LogwharfError } from '../api/errors.js';
import { checkConfigName, DEFAULT_CANARY, formatSelector, parseCanary, parseSelector, type WireApplyResult } from '../api/fleet.js';
import { AGENT_SERVICE_NAME } from './model.js';
import { renderForCollectors, type CollectorFleetSettings } from './collectors.js';
import { checkRemoteConfig, configHash } from './remote-config.js';
import { advance, rollBack, type RolloutDriverContext } from './rollout.js';
import { overlapping, selectorKind } from './selector.js';
import { wireRollout } from './views.js';

export interface ApplyRequest {
  name: string;
  body: string;
  /** `host=a,role=web`; absent keeps the configuration's selector (every agent for a new one). */
  selector?: string | undefined;
  canary?: string | undefined;
  windowMs?: number | undefined;
  author: string;
  comment?: string | undefined;
}

export interface ChangeDefaults {
  windowMs: number;
  applyTimeoutMs: number;
  /** Where Collectors ship (fleet.collector). */
  collector: CollectorFleetSettings;
}

export function applyConfig(ctx: RolloutDriverContext, defaults: ChangeDefaults, req: ApplyRequest, now: number): WireApplyResult {
  const { store } = ctx;
  checkConfigName(req.name);
  const canary = req.canary ?? DEFAULT_CANARY;
  parseCanary(canary);
  const cfg = checkRemoteConfig(req.body);
  let warnings: string[] = [];
  const made = store.durable(() => {
    const existing = store.getConfig(req.name);
    const selector = req.selector !== undefined ? parseSelector(req.selector) : (existing?.selector ?? {});
    const selText = formatSelector(selector);
    checkSelector(ctx, req.name, selText);
    const rendering = selectorKind(selector) === 'collector' ? renderForCollectors(cfg, defaults.collector) : undefined;
    warnings = rendering?.warnings ?? [];
    const offered = rendering?.yaml ?? null;
    const hash = configHash(offered ?? req.body);
    const running = store.runningRolloutOf(req.name);
    const latest = store.latestVersion(req.name);
    if (latest && latest.hash === hash && latest.body === req.body && latest.selector === selText) {
      if (running?.version === latest.version) return { version: latest.version, rolloutId: running.id, unchanged: true, hash };
      if (!running && existing?.good_version === latest.version) return { version: latest.version, rolloutId: null, unchanged: true, hash };
    }
    if (running) {
      throw new LogwharfError('conflict', `configuration "${req.name}" has rollout ${running.id} of version ${running.version} running (${running.phase}): wait for it to end, or stop it with 'logwharf fleet rollback ${req.name} --to VERSION'`);
    }
    store.putConfig(req.name, selText, now);
    const version = store.addVersion({ name: req.name, body: req.body, hash, selector: selText, created_ms: now, author: req.author, comment: req.comment ?? '', offered });
    const rolloutId = store.addRollout({
      name: req.name,
      version,
      from_version: existing?.good_version ?? null,
      phase: 'pending',
      canary,
      window_ms: req.windowMs ?? defaults.windowMs,
      timeout_ms: defaults.applyTimeoutMs,
      created_ms: now,
    });
    return { version, rolloutId, unchanged: false, hash };
  });
  return { ...finish(ctx, req.name, made.hash, made, now), warnings };
}

export function rollbackConfig(ctx: RolloutDriverContext, defaults: ChangeDefaults, name: string, to: number, author: string, now: number): WireApplyResult {
  const { store } = ctx;
  const made = store.durable(() => {
    const config = store.getConfig(name);
    if (!config) throw new LogwharfError('not_found', `no configuration named "${name}"`);
    const target = store.getVersion(name, to);
    if (!target) {
      const latest = store.latestVersion(name)!;
      throw new LogwharfError('not_found', `configuration "${name}" has no version ${to} (its versions are 1 to ${latest.version})`);
    }
    checkSelector(ctx, name, target.selector);
    const running = store.runningRolloutOf(name);
    if (running) rollBack(ctx, running, now, `superseded by a rollback to version ${to}`);
    store.putConfig(name, target.selector, now);
    const version = store.addVersion({ name, body: target.body, hash: target.hash, selector: target.selector, created_ms: now, author, comment: `rollback to version ${to}`, offered: target.offered });
    const rolloutId = store.addRollout({ name, version, from_version: config.good_version, phase: 'pending', canary: '100%', window_ms: defaults.windowMs, timeout_ms: defaults.applyTimeoutMs, created_ms: now });
    return { version, rolloutId, unchanged: false, hash: target.hash };
  });
  return { ...finish(ctx, name, made.hash, made, now), warnings: [] };
}

function finish(ctx: RolloutDriverContext, name: string, hash: string, made: { version: number; rolloutId: number | null; unchanged: boolean }, now: number): Omit<WireApplyResult, 'warnings'> {
  if (made.rolloutId !== null && !made.unchanged) advance(ctx, made.rolloutId, now);
  const r = made.rolloutId === null ? undefined : ctx.store.getRollout(made.rolloutId);
  return { config: name, version: made.version, hash, unchanged: made.unchanged, rollout: r ? wireRollout(ctx.store, r, false) : null };
}

/** A configuration keeps its kind (our agents or Collectors); no ties with other configurations. */
function checkSelector(ctx: RolloutDriverContext, name: string, selText: string): void {
  const selector = parseSelector(selText);
  const existing = ctx.store.getConfig(name);
  if (existing && selectorKind(existing.selector) !== selectorKind(selector)) {
    const was = selectorKind(existing.selector) === 'agent' ? `${AGENT_SERVICE_NAME} agents` : 'Collectors';
    throw new LogwharfError(
      'invalid_param',
      `invalid selector: "${selText || '(every agent)'}" would move configuration "${name}" from ${was} to ${was === 'Collectors' ? `${AGENT_SERVICE_NAME} agents` : 'Collectors'} (its type decides which): apply it under another name`,
    );
  }
  for (const other of ctx.store.listConfigs()) {
    if (other.name === name || !overlapping(selector, other.selector)) continue;
    const theirs = formatSelector(other.selector);
    throw new LogwharfError(
      'invalid_param',
      `invalid selector: "${selText || '(every agent)'}" ties with configuration "${other.name}" ("${theirs || '(every agent)'}"): an agent matching both would have two configurations of equal specificity; add a key to one of them (the more specific selector wins)`,
    );
  }
}
