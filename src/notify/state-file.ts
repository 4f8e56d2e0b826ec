/**
 * One tenant's notifier state on disk, `<dataDir>/notify/tenant-<name>.json`: its alerts, silences
 * and notification log, replaced atomically on every change. A file that cannot be read back is
 * moved aside (`.damaged-<time>`) so the notifier starts empty for that tenant instead of failing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { ATOMIC_TMP_SUFFIX, moveAsideDamagedSync } from '../util/atomic-write.js';
import { join } from 'node:path';
import type { Alert } from './alerts.js';
import type { NflogEntry } from './nflog.js';
import type { Silence } from './silences.js';

const VERSION = 1;
const PREFIX = 'tenant-';
const SUFFIX = '.json';

export interface TenantState {
  alerts: Alert[];
  silences: Silence[];
  nflog: Array<[string, NflogEntry]>;
}

export function stateDir(dataDir: string): string {
  return join(dataDir, 'notify');
}

export function stateFile(dataDir: string, tenant: string): string {
  return join(stateDir(dataDir), `${PREFIX}${encodeURIComponent(tenant)}${SUFFIX}`);
}

export function encodeState(s: TenantState): string {
  return JSON.stringify({ version: VERSION, ...s });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isStrMap = (v: unknown) => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

function validAlert(a: unknown): boolean {
  return isObj(a) && typeof a.fingerprint === 'string' && isStrMap(a.labels) && isStrMap(a.annotations) && isNum(a.startsAt) && isNum(a.endsAt) && isNum(a.updatedAt) && typeof a.generatorURL === 'string' && typeof a.timeout === 'boolean';
}

function validSilence(s: unknown): boolean {
  return (
    isObj(s) &&
    typeof s.id === 'string' &&
    Array.isArray(s.matchers) &&
    s.matchers.every((m) => isObj(m) && typeof m.name === 'string' && typeof m.value === 'string' && typeof m.isRegex === 'boolean') &&
    isNum(s.startsAt) &&
    isNum(s.endsAt) &&
    isNum(s.updatedAt) &&
    typeof s.createdBy === 'string' &&
    typeof s.comment === 'string'
  );
}

function validNflog(e: unknown): boolean {
  return Array.isArray(e) && typeof e[0] === 'string' && isObj(e[1]) && Array.isArray(e[1].firing) && Array.isArray(e[1].resolved) && isNum(e[1].at);
}

/** The state in a file's text, or undefined when it is not a state file of this version. */
export function decodeState(text: string): TenantState | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(j) || j.version !== VERSION) return undefined;
  const { alerts, silences, nflog } = j;
  if (!Array.isArray(alerts) || !alerts.every(validAlert)) return undefined;
  if (!Array.isArray(silences) || !silences.every(validSilence)) return undefined;
  if (!Array.isArray(nflog) || !nflog.every(validNflog)) return undefined;
  return { alerts, silences, nflog } as TenantState;
}

export interface LoadedTenant {
  tenant: string;
  state: TenantState;
}

/** Reads every tenant's state at start; damaged files are moved aside and reported through `onDamaged`. */
export function loadStates(dataDir: string, onDamaged: (file: string, aside: string) => void): LoadedTenant[] {
  const dir = stateDir(dataDir);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return [];
  }
  const out: LoadedTenant[] = [];
  for (const name of readdirSync(dir)) {
    // A write that crashed before its rename: the file it was replacing is intact.
    if (name.startsWith(PREFIX) && name.endsWith(SUFFIX + ATOMIC_TMP_SUFFIX)) unlinkSync(join(dir, name));
    if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
    const file = join(dir, name);
    let tenant: string;
    try {
      tenant = decodeURIComponent(name.slice(PREFIX.length, -SUFFIX.length));
    } catch {
      continue;
    }
    const state = decodeState(readFileSync(file, 'utf8'));
    if (state) {
      out.push({ tenant, state });
      continue;
    }
    const aside = moveAsideDamagedSync(file, Date.now());
    onDamaged(file, aside);
  }
  return out;
}
