/**
 * Silences as Alertmanager keeps them: label matchers over a time range, pending before startsAt,
 * active until endsAt, then expired (kept for the retention, Alertmanager's 120h, then dropped).
 * An update keeps the id when Alertmanager would (same matchers, not expired, the start not moved
 * under an active silence); otherwise the old silence is expired and a new one created.
 */
import { randomUUID } from 'node:crypto';
import type { GettableSilence, PostableSilence, SilenceMatcher, SilenceStateName } from '../api/alertmanager.js';
import type { Labels } from '../api/model.js';
import { LogwharfError } from '../api/errors.js';
import { parseRfc3339Nano } from '../api/timestamp.js';
import { NS_PER_MS } from '../api/time-units.js';
import { formatTime } from './alerts.js';
import { fromSilenceMatcher, matchesEvery, type LabelMatcher } from './matchers.js';

/** Alertmanager's --data.retention default: expired silences are kept this long. */
export const SILENCE_RETENTION_MS = 120 * 3_600_000;
const MAX_MATCHERS = 100;

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

export function silenceState(s: Silence, now: number): SilenceStateName {
  if (s.endsAt <= now) return 'expired';
  if (s.startsAt > now) return 'pending';
  return 'active';
}

export function toGettableSilence(s: Silence, now: number): GettableSilence {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: formatTime(s.updatedAt),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: formatTime(s.endsAt),
    matchers: s.matchers.map((m) => ({ isEqual: m.isEqual ?? true, isRegex: m.isRegex, name: m.name, value: m.value })),
    startsAt: formatTime(s.startsAt),
  };
}

function time(v: unknown, field: string): number {
  const ns = typeof v === 'string' ? parseRfc3339Nano(v) : undefined;
  if (ns === undefined) throw new LogwharfError('bad_request', `${field} ${v === undefined ? 'is required' : JSON.stringify(v) + ' is not an RFC 3339 time'}`);
  return Number(ns / NS_PER_MS);
}

/** Validates a posted silence (Alertmanager's rules and, where it has them, its words). */
export function parsePostableSilence(raw: unknown): PostableSilence & { start: number; end: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LogwharfError('bad_request', 'the silence must be a JSON object');
  const p = raw as Record<string, unknown>;
  if (p.id !== undefined && p.id !== '' && typeof p.id !== 'string') throw new LogwharfError('bad_request', 'id must be a string');
  if (!Array.isArray(p.matchers) || p.matchers.length === 0) throw new LogwharfError('bad_request', 'matchers in body should have at least 1 items');
  if (p.matchers.length > MAX_MATCHERS) throw new LogwharfError('bad_request', `a silence may have at most ${MAX_MATCHERS} matchers`);
  const matchers: SilenceMatcher[] = p.matchers.map((m: unknown, i) => {
    const x = (m ?? {}) as Record<string, unknown>;
    if (typeof x.name !== 'string' || x.name === '') throw new LogwharfError('bad_request', `matchers[${i}].name is required`);
    if (typeof x.value !== 'string') throw new LogwharfError('bad_request', `matchers[${i}].value is required`);
    if (typeof x.isRegex !== 'boolean') throw new LogwharfError('bad_request', `matchers[${i}].isRegex is required`);
    if (x.isEqual !== undefined && typeof x.isEqual !== 'boolean') throw new LogwharfError('bad_request', `matchers[${i}].isEqual must be a boolean`);
    return { name: x.name, value: x.value, isRegex: x.isRegex, isEqual: (x.isEqual as boolean | undefined) ?? true };
  });
  const compiled = matchers.map(fromSilenceMatcher);
  if (compiled.every((m) => m.test({}))) throw new LogwharfError('bad_request', 'at least one matcher must not match the empty string');
  if (typeof p.createdBy !== 'string') throw new LogwharfError('bad_request', 'createdBy is required');
  if (typeof p.comment !== 'string') throw new LogwharfError('bad_request', 'comment is required');
  const start = time(p.startsAt, 'startsAt');
  const end = time(p.endsAt, 'endsAt');
  if (end <= start) throw new LogwharfError('bad_request', 'Failed to create silence: start time must be before end time');
  return { id: (p.id as string | undefined) || undefined, matchers, startsAt: p.startsAt as string, endsAt: p.endsAt as string, createdBy: p.createdBy, comment: p.comment, start, end };
}

const sameMatchers = (a: SilenceMatcher[], b: SilenceMatcher[]) => JSON.stringify(a) === JSON.stringify(b);

/** One tenant's silences. */
export class Silences {
  private readonly byId = new Map<string, Silence>();
  private readonly compiled = new Map<string, LabelMatcher[]>();

  constructor(initial: Silence[] = []) {
    for (const s of initial) this.put(s);
  }

  private put(s: Silence): void {
    this.byId.set(s.id, s);
    this.compiled.set(s.id, s.matchers.map(fromSilenceMatcher));
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  list(): Silence[] {
    return [...this.byId.values()];
  }

  /** Creates or updates; returns the id that now holds it. */
  set(p: ReturnType<typeof parsePostableSilence>, now: number): string {
    if (p.end <= now) throw new LogwharfError('bad_request', "Failed to create silence: end time can't be in the past");
    const body = { matchers: p.matchers, startsAt: Math.max(p.start, now), endsAt: p.end, updatedAt: now, createdBy: p.createdBy, comment: p.comment };
    if (p.id !== undefined) {
      const old = this.byId.get(p.id);
      if (!old) throw new LogwharfError('not_found', 'silence not found');
      const state = silenceState(old, now);
      const canUpdate = state !== 'expired' && sameMatchers(old.matchers, p.matchers) && (state === 'pending' ? p.start >= now || p.start === old.startsAt : p.start === old.startsAt || p.start <= now);
      if (canUpdate) {
        this.put({ ...body, startsAt: state === 'active' ? old.startsAt : body.startsAt, id: old.id });
        return old.id;
      }
      if (state !== 'expired') this.expire(old.id, now);
    }
    const id = randomUUID();
    this.put({ ...body, id });
    return id;
  }

  /** Expires a silence now; an expired one stays as it is (Alertmanager 0.25 answers 200 too). */
  expire(id: string, now: number): void {
    const s = this.byId.get(id);
    if (!s) throw new LogwharfError('not_found', 'silence not found');
    const state = silenceState(s, now);
    if (state === 'expired') return;
    this.put({ ...s, startsAt: state === 'pending' ? now : s.startsAt, endsAt: now, updatedAt: now });
  }

  /** Ids of the active silences that match `labels`. */
  silencing(labels: Labels, now: number): string[] {
    const out: string[] = [];
    for (const s of this.byId.values()) {
      if (silenceState(s, now) === 'active' && matchesEvery(this.compiled.get(s.id)!, labels)) out.push(s.id);
    }
    return out;
  }

  /** Drops silences expired longer than the retention; true when any was dropped. */
  gc(now: number): boolean {
    let dropped = false;
    for (const s of this.byId.values()) {
      if (s.endsAt + SILENCE_RETENTION_MS < now) {
        this.byId.delete(s.id);
        this.compiled.delete(s.id);
        dropped = true;
      }
    }
    return dropped;
  }
}

/** Alertmanager's listing order: active (soonest end first), pending (soonest start), expired (latest end). */
export function sortSilences(list: Silence[], now: number): Silence[] {
  const rank = { active: 0, pending: 1, expired: 2 } as const;
  return [...list].sort((a, b) => {
    const sa = silenceState(a, now);
    const sb = silenceState(b, now);
    if (sa !== sb) return rank[sa] - rank[sb];
    if (sa === 'active') return a.endsAt - b.endsAt;
    if (sa === 'pending') return a.startsAt - b.startsAt;
    return b.endsAt - a.endsAt;
  });
}
