/**
 * Alerts as Alertmanager keeps them: one per label set (its fingerprint), with startsAt/endsAt
 * defaulted on receipt (endsAt = now + resolve_timeout, flagged `timeout`, when the sender gave
 * none), and a re-sent alert merged into the one held when their activity ranges overlap: the
 * earliest start wins, and an explicit end wins over a timed-out one. An alert whose endsAt has
 * passed is resolved.
 */
import type { Labels } from '../api/model.js';
import type { PostableAlert } from '../api/alertmanager.js';
import { LogwharfError } from '../api/errors.js';
import { parseRfc3339Nano } from '../api/timestamp.js';
import { NS_PER_MS, NS_PER_S } from '../api/time-units.js';
import { fingerprint } from './fingerprint.js';

/** Alertmanager's default global.resolve_timeout. */
export const RESOLVE_TIMEOUT_MS = 5 * 60_000;

export interface Alert {
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  /** Times in ms since the epoch. */
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  generatorURL: string;
  /** endsAt was not given by the sender but defaulted (an explicit end wins in a merge). */
  timeout: boolean;
}

export function isResolved(a: Alert, now: number): boolean {
  return a.endsAt <= now;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Go's zero time.Time, which Go clients (amtool) send for "not set". */
const GO_ZERO_NS = -62_135_596_800n * NS_PER_S;

function parseTime(v: unknown, field: string, i: number): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ns = typeof v === 'string' ? parseRfc3339Nano(v) : undefined;
  if (ns === undefined) throw new LogwharfError('bad_request', `alert ${i}: ${field} ${JSON.stringify(v)} is not an RFC 3339 time`);
  return ns === GO_ZERO_NS ? undefined : Number(ns / NS_PER_MS);
}

function labelSet(v: unknown, what: string, i: number): Labels {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new LogwharfError('bad_request', `alert ${i}: ${what} must be an object of strings`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new LogwharfError('bad_request', `alert ${i}: ${what} ${JSON.stringify(k)} must be a string`);
  }
  return { ...(v as Labels) };
}

/** Validates one posted alert and fills in Alertmanager's defaults. Throws bad_request with the reason. */
export function acceptAlert(raw: unknown, i: number, now: number): Alert {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LogwharfError('bad_request', `alert ${i}: not an object`);
  const p = raw as Record<keyof PostableAlert, unknown>;
  const labels = labelSet(p.labels, 'label', i);
  if (Object.keys(labels).length === 0) throw new LogwharfError('bad_request', `alert ${i}: at least one label pair required`);
  for (const k of Object.keys(labels)) {
    if (!LABEL_NAME.test(k)) throw new LogwharfError('bad_request', `alert ${i}: invalid label name "${k}"`);
  }
  const annotations = labelSet(p.annotations, 'annotation', i);
  if (p.generatorURL !== undefined && typeof p.generatorURL !== 'string') throw new LogwharfError('bad_request', `alert ${i}: generatorURL must be a string`);
  let startsAt = parseTime(p.startsAt, 'startsAt', i);
  const endsAt = parseTime(p.endsAt, 'endsAt', i);
  startsAt ??= endsAt ?? now;
  if (endsAt !== undefined && endsAt < startsAt) throw new LogwharfError('bad_request', `alert ${i}: start time must be before end time`);
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations,
    startsAt,
    endsAt: endsAt ?? now + RESOLVE_TIMEOUT_MS,
    updatedAt: now,
    generatorURL: (p.generatorURL as string | undefined) ?? '',
    timeout: endsAt === undefined,
  };
}

/** The alert to keep when `incoming` arrives for a fingerprint that holds `old` (Alertmanager's merge). */
export function mergeAlert(old: Alert | undefined, incoming: Alert, now: number): Alert {
  if (!old) return incoming;
  const overlaps = (incoming.endsAt > old.startsAt && incoming.endsAt < old.endsAt) || (incoming.startsAt > old.startsAt && incoming.startsAt < old.endsAt);
  if (!overlaps) return incoming;
  const [older, younger] = incoming.updatedAt < old.updatedAt ? [incoming, old] : [old, incoming];
  const res: Alert = { ...younger, startsAt: Math.min(older.startsAt, younger.startsAt) };
  if (isResolved(younger, now)) {
    if (isResolved(older, now) && older.endsAt > younger.endsAt) res.endsAt = older.endsAt;
  } else if (older.endsAt > younger.endsAt && !older.timeout) {
    res.endsAt = older.endsAt;
    res.timeout = false;
  }
  return res;
}

/** Time as Alertmanager prints it (millisecond precision, UTC). Go's zero time for "none". */
export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}
