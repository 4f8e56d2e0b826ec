/**
 * LogQL pipeline speed on one core: lines per second through compiled pipelines over realistic
 * lines from the benchmark corpus (bench/out/corpus-200000.tsv when present, else synthetic lines).
 * Usage: npx tsx bench/pipeline.bench.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Labels } from '../src/api/model.js';
import { compilePipeline } from '../src/logql/pipeline/compile.js';
import type { PipelineStage } from '../src/logql/syntax/ast.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpusPath = join(here, 'out', 'corpus-200000.tsv');

interface Stream {
  labels: Labels;
  lines: string[];
}

function loadStreams(): Stream[] {
  const byName = new Map<string, string[]>();
  if (existsSync(corpusPath)) {
    // Copy each line out of the big file so lines are flat, independent strings as the store gives them.
    for (const row of readFileSync(corpusPath, 'utf8').split('\n')) {
      const a = row.indexOf('\t');
      const b = row.indexOf('\t', a + 1);
      if (a < 0 || b < 0) continue;
      const name = row.slice(a + 1, b);
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push(Buffer.from(row.slice(b + 1)).toString());
    }
  } else {
    const levels = ['info', 'info', 'info', 'warn', 'error', 'debug'];
    const json: string[] = [];
    const logfmt: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const lv = levels[i % levels.length];
      json.push(JSON.stringify({ level: lv, ts: '2024-05-01T00:00:00.073Z', msg: `request ${i} done`, duration_ms: i % 977, http: { method: 'GET', path: `/api/v1/users/${i}`, status: 200 } }));
      logfmt.push(`level=${lv} ts=2024-05-01T00:00:00.073Z caller=svc.go:${i % 300} msg="request ${i} done" duration=${i % 977}ms status=200`);
    }
    byName.set('json-svc', json);
    byName.set('logfmt-svc', logfmt);
  }
  return [...byName.entries()].map(([name, lines]) => ({ labels: { container: name, job: 'docker' }, lines }));
}

function bench(name: string, stages: PipelineStage[], streams: Stream[]): void {
  const pipeline = compilePipeline(stages);
  const sps = streams.map((s) => ({ sp: pipeline.forStream(s.labels), lines: s.lines }));
  let lines = 0;
  let bytes = 0;
  for (const s of streams) for (const l of s.lines) {
    lines++;
    bytes += l.length;
  }
  let kept = 0;
  const pass = () => {
    kept = 0;
    for (const { sp, lines: ls } of sps) for (let i = 0; i < ls.length; i++) if (sp.process(BigInt(i), ls[i]!) !== null) kept++;
  };
  pass(); // warm up
  let rounds = 0;
  const t0 = process.hrtime.bigint();
  let dt = 0;
  while (dt < 1.5 || rounds < 2) {
    pass();
    rounds++;
    dt = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  const lps = (lines * rounds) / dt;
  console.log(
    `${name.padEnd(44)} ${(lps / 1e6).toFixed(2).padStart(6)} M lines/s  ${((bytes * rounds) / dt / 1e6).toFixed(0).padStart(6)} MB/s  kept ${kept}/${lines}`,
  );
}

const streams = loadStreams();
const pick = (pred: (name: string) => boolean) => streams.filter((s) => pred(s.labels.container!));
const jsonStreams = pick((n) => /api-gateway|orders-svc|users-svc|worker-jobs|notif-worker|cart-svc|catalog-svc|shipping-svc|analytics-ingest|json-svc/.test(n));
const logfmtStreams = pick((n) => /payments-api|inventory-svc|auth-svc|redis-proxy|email-sender|pricing-svc|logfmt-svc/.test(n));
const s = (value: string) => ({ kind: 'string' as const, value });

console.log(`corpus: ${existsSync(corpusPath) ? corpusPath : 'synthetic'}; node ${process.version}`);
bench('|= "connection refused" (all lines)', [{ kind: 'line_filter', op: '|=', values: [s('connection refused')] }], streams);
bench('|= "x" (all lines)', [{ kind: 'line_filter', op: '|=', values: [s('x')] }], streams);
bench('|~ "(?i)error" (all lines)', [{ kind: 'line_filter', op: '|~', values: [s('(?i)error')] }], streams);
bench('|~ "status=5\\d\\d" (all lines)', [{ kind: 'line_filter', op: '|~', values: [s('status=5\\d\\d')] }], streams);
bench('| json (JSON streams)', [{ kind: 'json', params: [] }], jsonStreams);
bench('| json | level="error" (JSON streams)', [{ kind: 'json', params: [] }, { kind: 'label_filter', expr: { type: 'string', matcher: { name: 'level', op: '=', value: 'error' } } }], jsonStreams);
bench('| json level, status="http.status" (JSON)', [{ kind: 'json', params: [{ label: 'level' }, { label: 'status', expr: 'http.status' }] }], jsonStreams);
bench('| logfmt | level="error" (logfmt streams)', [{ kind: 'logfmt', strict: false, keepEmpty: false, params: [] }, { kind: 'label_filter', expr: { type: 'string', matcher: { name: 'level', op: '=', value: 'error' } } }], logfmtStreams);
bench('| json | line_format "{{.level}} {{.msg}}"', [{ kind: 'json', params: [] }, { kind: 'line_format', template: '{{.level}} {{.msg}}' }], jsonStreams);
bench('| json (all lines, many JSONParserErr)', [{ kind: 'json', params: [] }], streams);
