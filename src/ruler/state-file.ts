/**
 * The ruler's alert state on disk, so a restart neither re-fires nor forgets an alert (issue #9):
 * one JSON file per group under `<data>/ruler/state/`, named after a hash of the group's identity,
 * replaced atomically after each evaluation that changed it. A file that cannot be read back as a
 * state file is moved aside (`<file>.damaged-<time>`) and logged; the group then starts empty, as on
 * a first start, and the server runs on.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Labels } from '../api/model.js';
import { formatSampleValue, parseSampleValue } from '../api/sample-value.js';
import { groupKey } from '../rules/model.js';
import type { AlertInstance, AlertStateName } from '../rules/alert-state.js';
import { ATOMIC_TMP_SUFFIX, moveAsideDamaged, unlinkDurable, writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';

const VERSION = 1;
const SUFFIX = '.json';

/**
 * One group's alerts as saved: by rule key (see ./rule-key.ts), with the rule's expression (for the
 * generatorURL of a resolution sent for a group deleted while the server was down), and the last
 * evaluation time.
 */
export interface PersistedGroup {
  tenant: string;
  namespace: string;
  name: string;
  /** Evaluation time (ms) of the last evaluation whose result is saved. */
  lastEvaluation: number;
  rules: Array<{ key: string; expr: string; alerts: AlertInstance[] }>;
}

export interface StateStore {
  /** Every saved group by groupKey; damaged files are moved aside and logged. */
  loadAll(): Promise<Map<string, PersistedGroup>>;
  /**
   * Writes the group's state when it changed in a way a restart needs: an alert's state or times
   * (values alone do not cause a write; they go along with the next one), or, while an alert is
   * pending, the evaluation time (./restore.ts measures the outage from it). A group without alerts
   * has no file.
   */
  save(g: PersistedGroup): Promise<void>;
  remove(tenant: string, namespace: string, name: string): Promise<void>;
}

export function stateFileName(tenant: string, namespace: string, name: string): string {
  return createHash('sha256').update(groupKey(tenant, namespace, name)).digest('hex').slice(0, 32) + SUFFIX;
}

export function createStateStore(opts: { dir: string; log: Logger; now?: () => number }): StateStore {
  const now = opts.now ?? Date.now;
  // What each file holds now, as its changeKey (by file name), so an unchanged state is not rewritten.
  const written = new Map<string, string>();
  let ready: Promise<void> | undefined;
  const ensureDir = (): Promise<void> => (ready ??= mkdir(opts.dir, { recursive: true }).then(() => undefined));

  return {
    async loadAll() {
      await ensureDir();
      const out = new Map<string, PersistedGroup>();
      for (const file of (await readdir(opts.dir)).sort()) {
        // A write cut short by a crash; the file it was replacing is intact.
        if (file.endsWith(SUFFIX + ATOMIC_TMP_SUFFIX)) await rm(join(opts.dir, file), { force: true });
        if (!file.endsWith(SUFFIX)) continue;
        const path = join(opts.dir, file);
        const text = await readFile(path, 'utf8');
        const g = parseStateFile(text);
        if (g && stateFileName(g.tenant, g.namespace, g.name) === file) {
          written.set(file, changeKey(g));
          out.set(groupKey(g.tenant, g.namespace, g.name), g);
          continue;
        }
        const aside = await moveAsideDamaged(path, now());
        opts.log.warn({ path, moved_to: aside }, 'damaged ruler state file moved aside; its groups start without saved alerts');
      }
      return out;
    },
    async save(g) {
      await ensureDir();
      const file = stateFileName(g.tenant, g.namespace, g.name);
      if (g.rules.length === 0) {
        if (written.has(file)) await this.remove(g.tenant, g.namespace, g.name);
        return;
      }
      const key = changeKey(g);
      if (written.get(file) === key) return;
      await writeFileAtomic(join(opts.dir, file), serialize(g));
      written.set(file, key);
    },
    async remove(tenant, namespace, name) {
      const file = stateFileName(tenant, namespace, name);
      written.delete(file);
      await unlinkDurable(join(opts.dir, file));
    },
  };
}

interface AlertJson {
  labels: Labels;
  annotations: Labels;
  state: AlertStateName;
  /** A string, so NaN and ±Inf survive JSON. */
  value: string;
  activeAt: number;
  firedAt?: number;
  keepFiringSince?: number;
  resolvedAt?: number;
  lastSentAt?: number;
}

function changeKey(g: PersistedGroup): string {
  const pending = g.rules.some((r) => r.alerts.some((a) => a.state === 'pending'));
  const rules = g.rules.map((r) => [r.key, r.expr, r.alerts.map((a) => ({ ...a, value: 0 }))]);
  return JSON.stringify([pending ? g.lastEvaluation : 0, rules]);
}

function serialize(g: PersistedGroup): string {
  const rules = g.rules.map((r) => ({ key: r.key, expr: r.expr, alerts: r.alerts.map(alertToJson) }));
  return JSON.stringify({ version: VERSION, tenant: g.tenant, namespace: g.namespace, name: g.name, lastEvaluation: g.lastEvaluation, rules }) + '\n';
}

function alertToJson(a: AlertInstance): AlertJson {
  const j: AlertJson = { labels: a.labels, annotations: a.annotations, state: a.state, value: formatSampleValue(a.value), activeAt: a.activeAt };
  if (a.firedAt !== undefined) j.firedAt = a.firedAt;
  if (a.keepFiringSince !== undefined) j.keepFiringSince = a.keepFiringSince;
  if (a.resolvedAt !== undefined) j.resolvedAt = a.resolvedAt;
  if (a.lastSentAt !== undefined) j.lastSentAt = a.lastSentAt;
  return j;
}

/** The state in a file's text, or undefined when it is not a complete state file of this version. */
export function parseStateFile(text: string): PersistedGroup | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(j) || j.version !== VERSION) return undefined;
  const { tenant, namespace, name, lastEvaluation, rules } = j;
  if (typeof tenant !== 'string' || typeof namespace !== 'string' || typeof name !== 'string' || !isTime(lastEvaluation) || !Array.isArray(rules)) return undefined;
  const out: PersistedGroup = { tenant, namespace, name, lastEvaluation, rules: [] };
  for (const r of rules) {
    if (!isObject(r) || typeof r.key !== 'string' || typeof r.expr !== 'string' || !Array.isArray(r.alerts)) return undefined;
    const alerts: AlertInstance[] = [];
    for (const a of r.alerts) {
      const alert = alertFromJson(a);
      if (!alert) return undefined;
      alerts.push(alert);
    }
    out.rules.push({ key: r.key, expr: r.expr, alerts });
  }
  return out;
}

const STATES: ReadonlySet<string> = new Set(['pending', 'firing', 'inactive']);

function alertFromJson(a: unknown): AlertInstance | undefined {
  if (!isObject(a) || !isLabels(a.labels) || !isLabels(a.annotations) || typeof a.state !== 'string' || !STATES.has(a.state)) return undefined;
  if (typeof a.value !== 'string' || !isTime(a.activeAt)) return undefined;
  const value = parseSampleValue(a.value);
  if (Number.isNaN(value) && a.value !== 'NaN') return undefined;
  const alert: AlertInstance = { labels: a.labels, annotations: a.annotations, state: a.state as AlertStateName, value, activeAt: a.activeAt };
  for (const k of ['firedAt', 'keepFiringSince', 'resolvedAt', 'lastSentAt'] as const) {
    const v = a[k];
    if (v === undefined) continue;
    if (!isTime(v)) return undefined;
    alert[k] = v;
  }
  if (alert.state === 'firing' && alert.firedAt === undefined) return undefined;
  if (alert.state === 'inactive' && alert.resolvedAt === undefined) return undefined;
  return alert;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isLabels(v: unknown): v is Labels {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}
