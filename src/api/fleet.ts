/**
 * The fleet API's wire types and parameters (issue #13), shared by the server's routes
 * (src/fleet/routes.ts) and `logwharf fleet` (src/cli/fleet.ts): parsed once here, so a bad flag is a
 * usage error in the CLI and the same words in a 400 from the server.
 */
import { LogwharfError } from './errors.js';

export const FLEET_API = '/api/v1/fleet';

export const SELECTOR_KEYS = ['host', 'cluster', 'role', 'type'] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];
export type Selector = Partial<Record<SelectorKey, string>>;

/** A configuration's name: also a file name in the CLI's default (`--name` from the file). */
export const CONFIG_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkConfigName(name: string): string {
  if (!CONFIG_NAME_PATTERN.test(name)) {
    throw new LogwharfError('invalid_param', `invalid configuration name "${name.slice(0, 80)}": 1-63 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit`);
  }
  return name;
}

/** `host=a,role=web` → a selector; '' is the empty selector (every agent). */
export function parseSelector(text: string): Selector {
  const out: Selector = {};
  if (text.trim() === '') return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (eq < 0 || key === '') throw badSelector(`"${part}" is not key=value`);
    if (!(SELECTOR_KEYS as readonly string[]).includes(key)) throw badSelector(`unknown key "${key}" (want ${SELECTOR_KEYS.join(', ')})`);
    if (value === '') throw badSelector(`${key} has an empty value`);
    if (out[key as SelectorKey] !== undefined) throw badSelector(`${key} is given twice`);
    out[key as SelectorKey] = value;
  }
  return out;
}

function badSelector(why: string): LogwharfError {
  return new LogwharfError('invalid_param', `invalid selector: ${why}; want comma-separated key=value pairs of ${SELECTOR_KEYS.join(', ')}, e.g. cluster=eu-1,role=web`);
}

/** The selector's text form, keys in a fixed order (what is stored and compared). */
export function formatSelector(s: Selector): string {
  return SELECTOR_KEYS.filter((k) => s[k] !== undefined).map((k) => `${k}=${s[k]}`).join(',');
}

/** The canary: a number of agents (`2`) or a percentage of the matching agents (`10%`). */
export type Canary = { count: number } | { percent: number };

export const DEFAULT_CANARY = '1';

export function parseCanary(text: string): Canary {
  const pct = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text);
  if (pct) {
    const p = Number(pct[1]);
    if (p > 0 && p <= 100) return { percent: p };
  } else if (/^\d{1,6}$/.test(text) && Number(text) >= 1) {
    return { count: Number(text) };
  }
  throw new LogwharfError('invalid_param', `invalid canary "${text.slice(0, 40)}": want a number of agents (1, 2, …) or a percentage of them (10%, at most 100%)`);
}

/** How many of `total` agents the canary takes: at least one, at most all. */
export function canarySize(c: Canary, total: number): number {
  const n = 'count' in c ? c.count : Math.ceil((total * c.percent) / 100);
  return Math.max(1, Math.min(total, n));
}

/** What `fleet status` shows a user of a rollout: running, or how it ended. */
export type RolloutState = 'running' | 'succeeded' | 'rolled_back' | 'failed';

export interface WireAgent {
  id: string;
  host: string;
  cluster: string;
  role: string;
  type: string;
  /** The configuration that applies to the agent (most specific selector), '' when none. */
  config: string;
  /** The version of `config` the agent reports it applied, null when none of ours. */
  config_version: number | null;
  /** false when the agent reported unhealthy; null before it reported health. */
  healthy: boolean | null;
  health_status: string;
  last_error: string;
  connected: boolean;
  stale: boolean;
  last_seen: string;
  remote_config_status: string;
  remote_config_hash: string;
  remote_config_error: string;
  effective_config_hash: string;
  attributes: Record<string, string>;
}

export interface WireRolloutStep {
  agent: string;
  host: string;
  wave: 'canary' | 'rest';
  state: string;
  offered_at: string;
  applied_at: string | null;
  error: string;
}

export interface WireRollout {
  id: number;
  config: string;
  version: number;
  from_version: number | null;
  state: RolloutState;
  /** The state machine's own state: pending, canary, window, rest, succeeded, rolled_back, failed. */
  phase: string;
  canary: string;
  window: string;
  reason: string;
  created_at: string;
  phase_since: string;
  finished_at: string | null;
  steps?: WireRolloutStep[];
}

export interface WireVersion {
  version: number;
  hash: string;
  selector: string;
  created_at: string;
  author: string;
  comment: string;
  /** Lines removed (`-`) and added (`+`) against the previous version, with context (` `); '' for the first. */
  diff: string;
}

export interface WireHistory {
  config: string;
  selector: string;
  good_version: number | null;
  versions: WireVersion[];
}

export interface WireConfig {
  name: string;
  selector: string;
  latest_version: number;
  good_version: number | null;
  /** The id of the rollout running now, null when none. */
  running_rollout: number | null;
}

export interface WireApplyResult {
  config: string;
  version: number;
  hash: string;
  /** True when the body and selector equal the latest version, which is rolled out or rolling out: nothing new was made. */
  unchanged: boolean;
  rollout: WireRollout | null;
  /** What the Collector rendering could not translate faithfully (configurations for Collectors); [] otherwise. */
  warnings: string[];
}
