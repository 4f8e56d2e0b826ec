/**
 * Log patterns over time, as Loki's pattern ingester answers `/loki/api/v1/patterns`:
 * `{"status":"success","data":[{"pattern":"...","level":"info","samples":[[<unix s>, <count>]]}]}`.
 *
 * Loki mines patterns as lines arrive; we mine them at query time from the lines of the range
 * (./drain.ts), at most MAX_PATTERN_LINES of them. The range is cut into slices along `step`
 * buckets (at most MAX_PATTERN_SLICES), each read newest-first up to its share of the bound, so a
 * busy range is sampled across its whole length rather than only at its end. Below the bound every
 * line is counted exactly; a slice that holds more lines than its share counts each sampled line
 * as (slice length / time its sample covers) lines, an estimate from the sample's rate. Counts are
 * per `step` bucket (bucket start, whole seconds), zero buckets left out, as Loki does. Lines are mined per
 * `detected_level` (Loki 3.5 answers a pattern once per level), for at most MAX_LEVELS levels.
 * JSON lines are mined on their message field, as Loki does (see `mineable`).
 */
import { NS_PER_S } from '../../api/time-units.js';
import type { Store } from '../../store/store.js';
import type { LogExpr } from '../../logql/syntax/ast.js';
import type { BlockScanner } from '../engine/block-scanner.js';
import { evaluateLogQuery, type ResultEntry } from '../engine/log-query.js';
import { Drain, PARAM, printPattern, type DrainOptions } from './drain.js';

/** Lines read per patterns request, at most. */
export const MAX_PATTERN_LINES = 100_000;
/** Slices the range is read in; each covers whole step buckets. */
export const MAX_PATTERN_SLICES = 1000;
/** Distinct levels mined separately; later levels share one unlabelled miner. */
export const MAX_LEVELS = 8;

export interface PatternsRequest {
  tenant: string;
  expr: LogExpr;
  start: bigint;
  end: bigint;
  step: bigint;
  signal?: AbortSignal;
  /** Overrides for tests. */
  maxLines?: number;
  drain?: Partial<DrainOptions>;
}

export interface PatternSeries {
  pattern: string;
  level?: string;
  samples: Array<[number, number]>;
}

export interface PatternsResponse {
  status: 'success';
  data: PatternSeries[];
}

/** A sampled entry and how many lines it stands for (1 when its slice was read whole). */
export interface SampledEntry {
  entry: ResultEntry;
  weight: number;
}

/** Reads the sampled lines of [start, end], newest first within each slice, with their weights. */
async function sampleLines(store: Store, scanner: BlockScanner, r: PatternsRequest): Promise<SampledEntry[]> {
  const max = r.maxLines ?? MAX_PATTERN_LINES;
  const stepNs = bucketStep(r.step);
  // Loki's range is inclusive of `end` here; our log queries take [from, to).
  const to = r.end + 1n;
  const first = r.start - mod(r.start, stepNs);
  const buckets = (to - 1n - first) / stepNs + 1n;
  const perSlice = (buckets + BigInt(MAX_PATTERN_SLICES) - 1n) / BigInt(MAX_PATTERN_SLICES);
  const slices = Number((buckets + perSlice - 1n) / perSlice);
  const per = Math.max(1, Math.ceil(max / slices));
  const out: SampledEntry[] = [];
  for (let i = 0; i < slices; i++) {
    const lo = first + BigInt(i) * perSlice * stepNs;
    const from = lo > r.start ? lo : r.start;
    const hi = lo + perSlice * stepNs;
    const until = hi < to ? hi : to;
    if (until <= from) continue;
    // One more than the share tells a slice read whole from one cut short.
    const res = await evaluateLogQuery(store, scanner, { tenant: r.tenant, expr: r.expr, from, to: until, direction: 'backward', limit: per + 1, signal: r.signal });
    let weight = 1;
    if (res.entries.length > per) {
      let oldest = until;
      for (const e of res.entries) if (e.ts < oldest) oldest = e.ts;
      const covered = until - oldest;
      weight = Number(until - from) / Number(covered > 0n ? covered : 1n);
    }
    for (const entry of res.entries) out.push({ entry, weight });
  }
  return out;
}

function bucketStep(step: bigint): bigint {
  return step < NS_PER_S ? NS_PER_S : step;
}

function mod(a: bigint, m: bigint): bigint {
  return ((a % m) + m) % m;
}

function levelOf(e: ResultEntry): string {
  return e.metadata?.detected_level ?? e.labels.detected_level ?? '';
}

/** JSON keys holding the message, in the order Loki's pattern tokenizer looks for them. */
const JSON_MESSAGE_KEYS = ['log', 'message', 'msg', 'msg_', '_msg', 'content'];

/**
 * What of a line is mined: a JSON object's message field (printed `<_>message pattern<_>`, as Loki
 * does, so the pattern still matches the whole line), or the line itself. Undefined: a JSON object
 * without a message, which Loki leaves out of patterns too.
 */
export function mineable(line: string): { text: string; json: boolean } | undefined {
  if (line.charCodeAt(0) !== 123 && !line.trimStart().startsWith('{')) return { text: line, json: false };
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return { text: line, json: false };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { text: line, json: false };
  for (const k of JSON_MESSAGE_KEYS) {
    const v = (doc as Record<string, unknown>)[k];
    if (typeof v === 'string') return { text: v, json: true };
  }
  return undefined;
}

/** Mines patterns from entries and counts them per step bucket. */
export function minePatterns(entries: Iterable<{ ts: bigint; line: string; level?: string; weight?: number }>, step: bigint, drain: Partial<DrainOptions> = {}): PatternSeries[] {
  const stepNs = bucketStep(step);
  // One miner per (level, JSON or not); levels past MAX_LEVELS share the unlabelled miners.
  const miners = new Map<string, { level: string; json: boolean; drain: Drain }>();
  const levels = new Set<string>();
  const minerFor = (level: string, json: boolean): Drain => {
    if (!levels.has(level)) {
      if (levels.size >= MAX_LEVELS && level !== '') level = '';
      levels.add(level);
    }
    const key = level + (json ? '\u0000j' : '\u0000t');
    let m = miners.get(key);
    if (!m) miners.set(key, (m = { level, json, drain: new Drain(drain) }));
    return m.drain;
  };
  for (const e of entries) {
    const what = mineable(e.line);
    if (!what) continue;
    const c = minerFor(e.level ?? '', what.json).train(what.text);
    const bucket = Number((e.ts - mod(e.ts, stepNs)) / NS_PER_S);
    let counts = c.data as Map<number, number> | undefined;
    if (!counts) c.data = counts = new Map();
    counts.set(bucket, (counts.get(bucket) ?? 0) + (e.weight ?? 1));
  }
  // Clusters whose templates converged print the same pattern: merge their counts.
  const merged = new Map<string, { pattern: string; level: string; counts: Map<number, number>; total: number }>();
  for (const { level, json, drain: d } of miners.values()) {
    for (const c of d.list()) {
      if (isAllParams(c.tokens)) continue;
      const pattern = json ? wrapJson(printPattern(c.tokens)) : printPattern(c.tokens);
      const key = level + '\u0000' + pattern;
      let m = merged.get(key);
      if (!m) merged.set(key, (m = { pattern, level, counts: new Map(), total: 0 }));
      for (const [b, n] of c.data as Map<number, number>) {
        m.counts.set(b, (m.counts.get(b) ?? 0) + n);
        m.total += n;
      }
    }
  }
  return [...merged.values()]
    .filter((m) => Math.round(m.total) > 0)
    .sort((a, b) => b.total - a.total || (a.pattern < b.pattern ? -1 : 1))
    .map((m) => {
      const samples: Array<[number, number]> = [];
      for (const [b, n] of [...m.counts].sort((a, b) => a[0] - b[0])) if (Math.round(n) > 0) samples.push([b, Math.round(n)]);
      const s: PatternSeries = { pattern: m.pattern, samples };
      if (m.level !== '') s.level = m.level;
      return s;
    });
}

/** `<_>message<_>`, without doubling a `<_>` the message pattern already starts or ends with (a pattern filter rejects two captures in a row). */
function wrapJson(p: string): string {
  return (p.startsWith(PARAM) ? '' : PARAM) + p + (p.endsWith(PARAM) ? '' : PARAM);
}

function isAllParams(tokens: string[]): boolean {
  return tokens.every((t) => t.startsWith(PARAM));
}

export async function queryPatterns(store: Store, scanner: BlockScanner, r: PatternsRequest): Promise<PatternsResponse> {
  const sampled = await sampleLines(store, scanner, r);
  const data = minePatterns(
    sampled.map(({ entry: e, weight }) => ({ ts: e.ts, line: e.line, level: levelOf(e), weight })),
    r.step,
    r.drain,
  );
  return { status: 'success', data };
}
