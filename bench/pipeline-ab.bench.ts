/**
 * Interleaved A/B of the LogQL pipeline of another checkout (BEFORE) against this one, on the same
 * corpus lines in one process, so the load of a shared machine hits both alike: each run times A
 * then B, and the medians of RUNS runs are compared. Used for issue #8's regex engine change:
 *
 *   git archive <old commit> | tar -x -C /tmp/old && ln -s $PWD/node_modules /tmp/old/node_modules
 *   BEFORE=/tmp/old node --import tsx bench/pipeline-ab.bench.ts
 *   BEFORE=/tmp/old RUNS=41 ONLY='|~' node --import tsx bench/pipeline-ab.bench.ts   # the regexes only
 *
 * Lines: bench/out/corpus-200000.tsv (bench/regex.bench.ts generates it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BEFORE = process.env.BEFORE;
if (!BEFORE) throw new Error('set BEFORE to the root of the checkout to compare against');
const RUNS = Number(process.env.RUNS ?? 15);
const REPO = new URL('../', import.meta.url).pathname;

type Pipeline = { forStream(labels: Record<string, string>): { process(ts: bigint, line: string): unknown } };
type Mod = { compilePipeline(stages: unknown): Pipeline };
type Parse = { parseExpr(q: string): { pipeline: unknown } };
const load = async (root: string) => ({
  compile: (await import(join(root, 'src/logql/pipeline/compile.ts'))) as Mod,
  parse: (await import(join(root, 'src/logql/syntax/index.ts'))) as Parse,
});
const A = await load(BEFORE);
const B = await load(REPO);

const lines = readFileSync(join(REPO, 'bench/out/corpus-200000.tsv'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.slice(l.indexOf('\t', l.indexOf('\t') + 1) + 1));
const QUERIES = [
  '{job="docker"} |~ "(?i)F3B1C2D4"',
  '{job="docker"} |~ "(?i)error"',
  '{job="docker"} |~ "(?i)deadlock detected"',
  '{job="docker"} |~ "status=5\\\\d\\\\d"',
  '{job="docker"} |~ "(?i)payment.*declined"',
  '{job="docker"} | json | drop __error__, __error_details__',
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log('| query | kept | before | after | after / before |\n| --- | --- | --- | --- | --- |');
// ONLY=<substring>: just the queries containing it.
for (const q of QUERIES.filter((x) => !process.env.ONLY || x.includes(process.env.ONLY))) {
  const pa = A.compile.compilePipeline(A.parse.parseExpr(q).pipeline).forStream({ job: 'docker' });
  const pb = B.compile.compilePipeline(B.parse.parseExpr(q).pipeline).forStream({ job: 'docker' });
  const ta: number[] = [];
  const tb: number[] = [];
  const kept = [0, 0];
  for (let r = 0; r < RUNS; r++) {
    for (const [i, p, t] of [[0, pa, ta], [1, pb, tb]] as const) {
      let k = 0;
      const t0 = performance.now();
      for (let n = 0; n < lines.length; n++) if (p.process(BigInt(n), lines[n]!) !== null) k++;
      t.push(performance.now() - t0);
      kept[i] = k;
    }
  }
  const keptText = kept[0] === kept[1] ? String(kept[0]) : `${kept[0]} vs ${kept[1]}`;
  console.log(`| \`${q.replace(/\|/g, '\\|')}\` | ${keptText} | ${median(ta).toFixed(1)} ms | ${median(tb).toFixed(1)} ms | ${(median(tb) / median(ta)).toFixed(2)} |`);
}
