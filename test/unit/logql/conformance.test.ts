/**
 * The LogQL conformance suite (issue #3 §3): runs the plain-text cases in test/golden/eval/*.txt
 * through the real engine — the embedded store on a temp dir, `evaluateMetric` with the store's
 * range aggregator for metric queries, `evaluateLogQuery` with the local block scanner for log
 * queries, `parseExpr` for both. The file format is described in test/golden/eval/README.md.
 *
 * Every expectation in the golden files is worked out by hand from the loaded data (each case's
 * comment says how), never copied from the engine. Cases the engine is known to get wrong are in
 * KNOWN_FAILURES below with the reason; they must fail (so a fix is noticed and the entry removed).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Labels, StreamPush } from '../../../src/api/model.js';
import type { QueryData } from '../../../src/api/envelope.js';
import { evaluateMetric, toLokiResult } from '../../../src/logql/eval/evaluate.js';
import { makeSteps } from '../../../src/logql/eval/types.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import { parseDuration, parseMatchers } from '../../../src/logql/syntax/index.js';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { createRangeAggregator } from '../../../src/query/engine/range-agg.js';
import { evaluateLogQuery } from '../../../src/query/engine/log-query.js';
import { createLocalScanner } from '../../../src/query/engine/block-scanner.js';

/**
 * Known engine bugs: `file: case name` → why the hand-worked expectation is right and the engine
 * wrong. Each listed case is run and must still fail; remove the entry once the engine is fixed.
 */
const KNOWN_FAILURES: Record<string, string> = {};

const dir = fileURLToPath(new URL('../../golden/eval/', import.meta.url));
const S = 1_000_000_000n;
/**
 * Base time T0 of every file: a whole minute about an hour before now, so loaded entries are in the
 * recent past (no ingest-style age limits) and steps at whole multiples of 30 s stay aligned.
 */
const T0 = (BigInt(Date.now()) / 60_000n - 60n) * 60_000n * 1_000_000n;

// ---------------------------------------------------------------------------------------------
// Parsing the golden format

interface LoadedStream {
  labels: Labels;
  entries: Array<{ ts: bigint; line: string; metadata?: Labels }>;
}

type Eval =
  | { kind: 'instant'; at: bigint; maxSeries?: number; query: string }
  | { kind: 'range'; from: bigint; to: bigint; step: bigint; maxSeries?: number; query: string }
  | { kind: 'logs'; from: bigint; to: bigint; limit: number; direction: 'forward' | 'backward'; query: string }
  | { kind: 'parse_error'; query: string };

interface Case {
  file: string;
  name: string;
  line: number;
  eval: Eval;
  expected: string[];
}

/** `30s`, `1m30s`, `-10s` → ns offset from T0; `@<ns>` → absolute ns. */
function parseTime(tok: string): bigint {
  if (tok.startsWith('@')) return BigInt(tok.slice(1));
  const neg = tok.startsWith('-');
  const ns = BigInt(Math.round(parseDuration(neg ? tok.slice(1) : tok)));
  return T0 + (neg ? -ns : ns);
}

function parseDur(tok: string): bigint {
  return BigInt(Math.round(parseDuration(tok)));
}

/** A small tokenizer for data lines: label sets `{...}`, JSON strings, and bare words. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '{') {
      let j = i + 1;
      let inStr = false;
      for (; j < text.length; j++) {
        const d = text[j]!;
        if (inStr) {
          if (d === '\\') j++;
          else if (d === '"') inStr = false;
        } else if (d === '"') inStr = true;
        else if (d === '}') break;
      }
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) if (text[j] === '\\') j++;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** `{a="b", c="d"}` → labels (values are JSON strings). */
function parseLabels(tok: string): Labels {
  assert.ok(tok.startsWith('{') && tok.endsWith('}'), `expected a label set, got ${tok}`);
  const body = tok.slice(1, -1).trim();
  const out: Labels = {};
  if (body === '') return out;
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*(,|$)/y;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    assert.ok(m, `bad label set ${tok}`);
    out[m[1]!] = JSON.parse(m[2]!) as string;
    pos = re.lastIndex;
  }
  return out;
}

function labelKey(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(', ');
}

/** `3`, `0.05`, `1/60`, `NaN`, `+Inf`, `-Inf`. */
function parseValue(tok: string): number {
  if (tok === 'NaN') return NaN;
  if (tok === '+Inf' || tok === 'Inf') return Infinity;
  if (tok === '-Inf') return -Infinity;
  const slash = tok.indexOf('/');
  if (slash > 0) return Number(tok.slice(0, slash)) / Number(tok.slice(slash + 1));
  const v = Number(tok);
  assert.ok(!Number.isNaN(v), `bad value ${tok}`);
  return v;
}

function parseFile(file: string, text: string): { streams: LoadedStream[]; cases: Case[] } {
  const streams = new Map<string, LoadedStream>();
  const cases: Case[] = [];
  const lines = text.split('\n');
  let comment: string[] = [];
  let mode: 'none' | 'load' | 'eval' = 'none';
  let current: Case | undefined;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.trimEnd();
    if (line.trim() === '') {
      mode = mode === 'eval' ? 'none' : mode;
      continue;
    }
    if (line.startsWith('#')) {
      comment.push(line.slice(1).trim());
      mode = mode === 'eval' ? 'none' : mode;
      continue;
    }
    const indented = line.startsWith(' ') || line.startsWith('\t');
    if (indented) {
      if (mode === 'load') {
        const toks = tokenize(line.trim());
        const labels = parseLabels(toks[0]!);
        const key = labelKey(labels);
        let s = streams.get(key);
        if (!s) streams.set(key, (s = { labels, entries: [] }));
        // Pairs of time and quoted line, each optionally followed by `{...}` structured metadata.
        for (let i = 1; i < toks.length; i += 2) {
          const str = toks[i + 1];
          assert.ok(str?.startsWith('"'), `${file}:${n + 1}: expected a quoted line after ${toks[i]}`);
          const entry: { ts: bigint; line: string; metadata?: Labels } = { ts: parseTime(toks[i]!), line: JSON.parse(str) as string };
          if (toks[i + 2]?.startsWith('{')) {
            entry.metadata = parseLabels(toks[i + 2]!);
            i++;
          }
          s.entries.push(entry);
        }
      } else if (mode === 'eval' && current) {
        current.expected.push(line.trim());
      } else {
        throw new Error(`${file}:${n + 1}: indented line outside load/eval`);
      }
      continue;
    }
    if (line === 'load') {
      mode = 'load';
      comment = [];
      continue;
    }
    if (line.startsWith('eval ')) {
      const ev = parseEvalHeader(line.slice(5), `${file}:${n + 1}`);
      // The case's name is its first comment line up to " — " (the rest says how it was worked out).
      const name = (comment[0] ?? `line ${n + 1}`).split(' — ')[0]!.trim();
      current = { file, name, line: n + 1, eval: ev, expected: [] };
      cases.push(current);
      comment = [];
      mode = 'eval';
      continue;
    }
    throw new Error(`${file}:${n + 1}: unexpected line: ${line}`);
  }
  return { streams: [...streams.values()], cases };
}

function parseEvalHeader(h: string, where: string): Eval {
  const words = h.split(' ');
  let i = 0;
  const kind = words[i++];
  const take = (word: string): boolean => {
    if (words[i] === word) {
      i++;
      return true;
    }
    return false;
  };
  const must = (word: string) => assert.ok(take(word), `${where}: expected "${word}" in eval header`);
  const rest = () => words.slice(i).join(' ').trim();
  switch (kind) {
    case 'instant': {
      must('at');
      const at = parseTime(words[i++]!);
      const maxSeries = take('max_series') ? Number(words[i++]) : undefined;
      return { kind: 'instant', at, ...(maxSeries !== undefined ? { maxSeries } : {}), query: rest() };
    }
    case 'range': {
      must('from');
      const from = parseTime(words[i++]!);
      must('to');
      const to = parseTime(words[i++]!);
      must('step');
      const step = parseDur(words[i++]!);
      const maxSeries = take('max_series') ? Number(words[i++]) : undefined;
      return { kind: 'range', from, to, step, ...(maxSeries !== undefined ? { maxSeries } : {}), query: rest() };
    }
    case 'logs': {
      must('from');
      const from = parseTime(words[i++]!);
      must('to');
      const to = parseTime(words[i++]!);
      let limit = 100;
      let direction: 'forward' | 'backward' = 'backward';
      for (;;) {
        if (take('limit')) limit = Number(words[i++]);
        else if (take('direction')) direction = words[i++] as 'forward' | 'backward';
        else break;
      }
      return { kind: 'logs', from, to, limit, direction, query: rest() };
    }
    case 'error':
      return { kind: 'parse_error', query: rest() };
    default:
      throw new Error(`${where}: unknown eval kind ${kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running and comparing

const REL = 1e-9;

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= REL * Math.max(1, Math.abs(a), Math.abs(b));
}

function fmtValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
}

/** A timestamp in the golden format: exact seconds after T0 when near it, else `@<ns>`. */
function fmtTime(ts: bigint): string {
  const d = ts - T0;
  const abs = d < 0n ? -d : d;
  if (d % 1_000_000n === 0n && abs < 86_400n * S) return `${Number(d / 1_000_000n) / 1000}s`;
  return `@${ts}`;
}

/** Seconds after T0 of a millisecond timestamp, for messages and comparisons. */
function secOf(ms: number): number {
  return (ms - Number(T0 / 1_000_000n)) / 1000;
}

async function run(store: EmbeddedStore, tenant: string, c: Case): Promise<void> {
  const ev = c.eval;
  const want = c.expected;
  const wantError = want.length > 0 && want[0]!.startsWith('error:') ? want[0]!.slice(6).trim() : undefined;
  if (ev.kind === 'parse_error') {
    assert.equal(want.length, 1, 'an error case expects exactly one message line');
    assert.throws(() => parseExpr(ev.query), (err: Error) => {
      assert.equal(err.message, want[0]);
      return true;
    });
    return;
  }
  let got: string[];
  try {
    got = await evaluate(store, tenant, ev);
  } catch (err) {
    if (wantError === undefined) throw err;
    assert.ok((err as Error).message.includes(wantError), `expected error containing ${JSON.stringify(wantError)}, got ${JSON.stringify((err as Error).message)}`);
    return;
  }
  if (wantError !== undefined) assert.fail(`expected error ${JSON.stringify(wantError)}, got result:\n${got.join('\n')}`);
  compare(c, got, want);
}

/** The engine's answer rendered in the golden format (one line per series or entry). */
async function evaluate(store: EmbeddedStore, tenant: string, ev: Exclude<Eval, { kind: 'parse_error' }>): Promise<string[]> {
  const expr = parseExpr(ev.query);
  if (ev.kind === 'logs') {
    assert.equal(expr.kind, 'log', 'eval logs needs a log query');
    if (expr.kind !== 'log') return [];
    const scanner = createLocalScanner(store);
    const r = await evaluateLogQuery(store, scanner, { tenant, expr, from: ev.from, to: ev.to, direction: ev.direction, limit: ev.limit });
    await scanner.close();
    return r.entries.map((e) => `{${labelKey(e.labels)}} ${fmtTime(e.ts)} ${JSON.stringify(e.line)}`);
  }
  assert.notEqual(expr.kind, 'log', 'eval instant/range needs a metric query');
  if (expr.kind === 'log') return [];
  const steps = ev.kind === 'instant' ? makeSteps(ev.at, ev.at, S) : makeSteps(ev.from, ev.to, ev.step);
  const opts = ev.maxSeries !== undefined ? { maxSeries: ev.maxSeries } : {};
  // max_series limits the final result, as Loki's max_query_series does.
  const value = await evaluateMetric(expr, steps, createRangeAggregator(store, tenant), opts);
  return render(toLokiResult(value, steps, ev.kind === 'instant'));
}

function render(d: QueryData): string[] {
  switch (d.resultType) {
    case 'scalar':
      return [`scalar ${fmtValue(d.result.value)}`];
    case 'vector':
      return d.result.map((s) => `{${labelKey(s.metric)}} ${fmtValue(s.value)}`);
    case 'matrix':
      return d.result.map((s) => `{${labelKey(s.metric)}} ${s.values.map(([t, v]) => `${secOf(t)}:${fmtValue(v)}`).join(' ')}`);
    case 'streams':
      throw new Error('unexpected streams result');
  }
}

/** Splits a rendered or expected line into its label key and the rest's tokens. */
function splitLine(line: string): { key: string; rest: string[] } {
  const toks = tokenize(line);
  if (toks[0] === 'scalar') return { key: 'scalar', rest: toks.slice(1) };
  return { key: labelKey(parseLabels(toks[0]!)), rest: toks.slice(1) };
}

function compare(c: Case, got: string[], want: string[]): void {
  const msg = `\n${c.eval.kind} ${c.eval.query}\n--- got\n${got.join('\n') || '(empty)'}\n--- want\n${want.join('\n') || '(empty)'}`;
  assert.equal(got.length, want.length, `series/entry count differs${msg}`);
  if (c.eval.kind === 'logs') {
    for (let i = 0; i < want.length; i++) {
      const g = splitLine(got[i]!);
      const w = splitLine(want[i]!);
      assert.equal(g.key, w.key, `labels of entry ${i} differ${msg}`);
      assert.equal(parseTime(g.rest[0]!), parseTime(w.rest[0]!), `time of entry ${i} differs${msg}`);
      assert.equal(JSON.parse(g.rest[1]!), JSON.parse(w.rest[1]!), `line of entry ${i} differs${msg}`);
    }
    return;
  }
  // Series order is checked only where the query defines one (sort, sort_desc); otherwise by label set.
  const ordered = /\bsort(_desc)?\s*\(/.test(c.eval.query);
  const gotSplit = got.map(splitLine);
  const wantSplit = want.map(splitLine);
  if (!ordered) {
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    gotSplit.sort(byKey);
    wantSplit.sort(byKey);
  }
  for (let i = 0; i < wantSplit.length; i++) {
    const g = gotSplit[i]!;
    const w = wantSplit[i]!;
    assert.equal(g.key, w.key, `series ${i} labels differ${msg}`);
    assert.equal(g.rest.length, w.rest.length, `series {${w.key}} has a different number of points${msg}`);
    for (let k = 0; k < w.rest.length; k++) {
      if (c.eval.kind === 'range') {
        const [gt, gv] = g.rest[k]!.split(':');
        const [wt, wv] = w.rest[k]!.split(':');
        assert.equal(Number(gt), Number(wt), `series {${w.key}} point ${k} time differs${msg}`);
        assert.ok(close(parseValue(gv!), parseValue(wv!)), `series {${w.key}} at ${wt}s: got ${gv}, want ${wv}${msg}`);
      } else {
        assert.ok(close(parseValue(g.rest[k]!), parseValue(w.rest[k]!)), `series {${w.key}}: got ${g.rest[k]}, want ${w.rest[k]}${msg}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const parsed = files.map((f) => ({ file: f, ...parseFile(f, readFileSync(join(dir, f), 'utf8')) }));

/**
 * Every case runs against three layouts of the same data, so both read paths of the store are
 * covered: `head` (everything in the in-memory heads), `sealed` (flushed into compressed blocks),
 * and `split` (entries before T0+25s flushed into blocks, the rest in heads, so streams and
 * windows span both).
 */
const LAYOUTS = ['head', 'sealed', 'split'] as const;
type Layout = (typeof LAYOUTS)[number];
const SPLIT_AT = T0 + 25n * S;

let tmp: string;
let store: EmbeddedStore;

function tenantOf(layout: Layout, file: string): string {
  return `${layout}-${file.replace(/\.txt$/, '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

async function load(layout: Layout, file: string, streams: LoadedStream[], keep: (ts: bigint) => boolean): Promise<void> {
  const byTime = (a: { ts: bigint }, b: { ts: bigint }) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  const push: StreamPush[] = [];
  for (const s of streams) {
    const entries = s.entries.filter((e) => keep(e.ts)).sort(byTime);
    if (entries.length > 0) push.push({ labels: s.labels, entries });
  }
  if (push.length > 0) await store.append(tenantOf(layout, file), push);
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'logql-conformance-'));
  store = createStore({ dir: tmp, compactionIntervalMs: 0 });
  await store.start();
  // Blocks first: flush() seals every head of every tenant.
  for (const p of parsed) await load('sealed', p.file, p.streams, () => true);
  for (const p of parsed) await load('split', p.file, p.streams, (ts) => ts < SPLIT_AT);
  await store.flush();
  for (const p of parsed) await load('split', p.file, p.streams, (ts) => ts >= SPLIT_AT);
  for (const p of parsed) await load('head', p.file, p.streams, () => true);
});

after(async () => {
  await store?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

let total = 0;
for (const p of parsed) total += p.cases.length;
for (const layout of LAYOUTS) {
  for (const p of parsed) {
    describe(`golden eval ${p.file} [${layout}]`, () => {
      for (const c of p.cases) {
        const id = `${c.file}: ${c.name}`;
        const known = KNOWN_FAILURES[id];
        const tenant = tenantOf(layout, p.file);
        it(`${c.name} (line ${c.line})`, async () => {
          if (known === undefined) return run(store, tenant, c);
          // A known engine bug: the case must still fail; when it passes, the entry is stale.
          let failed = false;
          try {
            await run(store, tenant, c);
          } catch {
            failed = true;
          }
          assert.ok(failed, `known failure now passes, remove it from KNOWN_FAILURES: ${id}`);
        });
      }
    });
  }
}

it('the layouts hold their data where they say: sealed in block files, head in memory, split in both', () => {
  const where = (layout: Layout) => {
    const tenant = tenantOf(layout, 'range.txt');
    const streams = store.streams(tenant, parseMatchers('{job=~".+"}'), T0 - 3600n * S, T0 + 3600n * S);
    const refs = store.blocks(tenant, streams.map((s) => s.id), T0 - 3600n * S, T0 + 3600n * S);
    return new Set(refs.map((r) => r.location.kind));
  };
  assert.deepEqual([...where('sealed')], ['file']);
  assert.deepEqual([...where('head')], ['head']);
  assert.deepEqual([...where('split')].sort(), ['file', 'head']);
});

it('has at least 200 cases with unique names, and every known failure names a case', () => {
  assert.ok(total >= 200, `only ${total} cases`);
  const ids = new Set<string>();
  for (const c of parsed.flatMap((p) => p.cases)) {
    const id = `${c.file}: ${c.name}`;
    assert.ok(!ids.has(id), `duplicate case name ${id}`);
    ids.add(id);
  }
  for (const id of Object.keys(KNOWN_FAILURES)) assert.ok(ids.has(id), `unknown case in KNOWN_FAILURES: ${id}`);
});
