/**
 * LogQL regex engines on realistic lines: V8's backtracking RegExp (what LogQL used before issue #8),
 * re2js (pure JS port of Go's regexp), and compileRe2 as the engine uses it (re2js behind the
 * literal-alternation fast path). re2-wasm is measured too when it is installed (it is not a
 * dependency: `npm install --no-save re2-wasm` to include it).
 *
 *   node --import tsx bench/regex.bench.ts              # 200,000 corpus lines (generated once into bench/out)
 *   LINES=50000 RUNS=5 node --import tsx bench/regex.bench.ts
 *
 * Prints one JSON object: per pattern, the median ms over RUNS to test every line, and the matches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import { compileRe2 } from '../src/logql/regex.js';

const LINES = Number(process.env.LINES ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 7);
const REPO = new URL('../', import.meta.url).pathname;
const OUT = join(REPO, 'bench/out');
const corpus = join(OUT, `corpus-${LINES}.tsv`);

// Line filters as users write them (the server bench's regexes first), then the backtracking killer.
const PATTERNS = [
  '(?i)F3B1C2D4',
  '(?i)error',
  '(?i)deadlock detected',
  'error|timeout',
  'status=5\\d\\d',
  '(?i)payment.*declined',
  '"level":"(warn|error)"',
  'GET /api/v1/users/\\d+ HTTP',
  '\\d{3} \\d+ "-"',
];

type Tester = (line: string) => boolean;

function v8(pattern: string): Tester {
  const ci = pattern.startsWith('(?i)');
  const re = new RegExp(ci ? pattern.slice(4) : pattern, ci ? 'iu' : 'u');
  return (l) => re.test(l);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(lines: string[], test: Tester): { ms: number; matches: number } {
  let matches = 0;
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let n = 0;
    const t = performance.now();
    for (const l of lines) if (test(l)) n++;
    times.push(performance.now() - t);
    matches = n;
  }
  return { ms: Math.round(median(times) * 10) / 10, matches };
}

async function main() {
  if (!existsSync(corpus)) {
    mkdirSync(OUT, { recursive: true });
    const r = spawnSync(process.execPath, [join(REPO, '../shared/bench/corpus.mjs')], { env: { ...process.env, LINES: String(LINES), OUT: corpus, SEED: '12648430', START: '2024-05-01T00:00:00Z' }, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('corpus generation failed');
  }
  // <ts>\t<container>\t<line>
  const lines = readFileSync(corpus, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(l.indexOf('\t', l.indexOf('\t') + 1) + 1));
  let wasm: ((p: string) => Tester) | undefined;
  try {
    const mod = (await import('re2-wasm' as string)) as { RE2: new (p: string, f: string) => { test(s: string): boolean } };
    wasm = (p) => {
      const re = new mod.RE2(p, 'u');
      return (l) => re.test(l);
    };
  } catch {
    // not installed
  }
  const out: Record<string, unknown> = {};
  for (const p of PATTERNS) {
    const re2js = RE2JS.compile(p);
    const ours = compileRe2(p, { dotAll: true });
    const row: Record<string, unknown> = {
      v8: time(lines, v8(p)),
      re2js: time(lines, (l) => re2js.test(l)),
      compileRe2: time(lines, (l) => ours.test(l)),
    };
    if (wasm) row.re2wasm = time(lines, wasm(p));
    out[p] = row;
  }
  // The backtracking killer of issue #8 on the line line_format makes of every entry.
  const killer = 'aaaaaaaaaaaaaaaaaaaaaaaab';
  const t = performance.now();
  const r = compileRe2('(a+)+$');
  for (let i = 0; i < 1000; i++) r.test(killer);
  const linear = performance.now() - t;
  const t2 = performance.now();
  /(a+)+$/.test(killer);
  const backtracking = performance.now() - t2;
  console.log(JSON.stringify({ lines: lines.length, runs: RUNS, patterns: out, killer: { compileRe2Ms1000Lines: Math.round(linear * 10) / 10, v8MsOneLine: Math.round(backtracking) } }, null, 1));
}

await main();
