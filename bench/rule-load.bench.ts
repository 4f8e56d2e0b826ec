/**
 * Rule load (issue #9): 1,000 alerting rules of the detection rule's shape over the 2M-line corpus
 * loaded as live data, evaluated every 15 s, while the store's query benchmarks run.
 *
 *   npm run build && node --import tsx bench/rule-load.bench.ts
 *   MEASURE=120 RUNS=5 ...      # seconds of rule evaluation measured; query repetitions
 *
 * 1. Starts `logwharf server` with a fresh data dir and pushes the corpus in Promtail-sized protobuf
 *    batches, its 24 hours shifted to end now ("live data").
 * 2. Keeps pushing a trickle of 200 lines a second at the current time (so the rules' last minute
 *    holds data, as on a live system) and measures the server's CPU for MEASURE seconds without rules
 *    (the baseline), then with 1,000 rules in 100 groups of 10, interval 15s, written to the rules
 *    directory (tenant "fake"): `sum by (container) (count_over_time({container="<c>"} |= "<word>" [1m])) > 5`
 *    for 50 containers × 20 words.
 * 3. Times the store benchmarks' queries over the 24 hours without rules, and again while they run.
 * Target: the rules cost at most one core (CPU-seconds per second above the baseline ≤ 1.0), no
 * missed iterations, and the query targets still met.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamPush } from '../src/api/model.js';
import { corpusRows, cpuSeconds, ensureCorpus, median, memoryMb, pushStreams, startLogwharf } from './harness.js';

const MEASURE_S = Number(process.env.MEASURE ?? 120);
const RUNS = Number(process.env.RUNS ?? 5);
const WORDS = ['error', 'ERROR', 'timeout', 'failed', 'refused', 'panic', 'WARN', 'denied', 'deadlock', 'retry', 'slow', 'exception', 'fatal', 'critical', 'unavailable', 'reset', 'broken', 'invalid', 'expired', 'OOM'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function main(): Promise<void> {
  const meta = ensureCorpus();
  const containers = meta.streams.map((s) => s.n);
  const dir = mkdtempSync(join(tmpdir(), 'lw-rule-load-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(join(rulesDir, 'fake'), { recursive: true });
  writeFileSync(
    join(dir, 'server.yaml'),
    ['limits:', '  ingestion_rate_mb: 100000', '  ingestion_burst_size_mb: 100000', '  per_stream_rate_limit_mb: 100000', '  per_stream_rate_limit_burst_mb: 100000', 'ruler:', `  rules_dir: ${rulesDir}`, ''].join('\n'),
  );
  const server = await startLogwharf('server', ['--data', join(dir, 'data'), '--config', join(dir, 'server.yaml'), '--log-level', 'warn']);
  const pid = server.proc.pid!;
  try {
    // 1. The corpus as live data: its last entry lands at the moment the push starts.
    const shift = Date.now() - meta.tsLast;
    const t0 = performance.now();
    let batch = new Map<string, StreamPush>();
    let n = 0;
    const tail: Array<{ container: string; line: string }> = [];
    for await (const r of corpusRows()) {
      let s = batch.get(r.container);
      if (!s) batch.set(r.container, (s = { labels: { job: 'docker', container: r.container, host: 'bench' }, entries: [] }));
      s.entries.push({ ts: BigInt(r.ms + shift) * 1_000_000n, line: r.line });
      if (tail.length < 20_000) tail.push({ container: r.container, line: r.line });
      if (++n % 2000 === 0) {
        await pushStreams(server.url, [...batch.values()]);
        batch = new Map();
      }
    }
    if (batch.size) await pushStreams(server.url, [...batch.values()]);
    console.error(`pushed ${n} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // 2. The live trickle, at the current time.
    let stopTrickle = false;
    let ti = 0;
    const trickle = (async () => {
      while (!stopTrickle) {
        const m = new Map<string, StreamPush>();
        const now = BigInt(Date.now()) * 1_000_000n;
        for (let k = 0; k < 200; k++, ti++) {
          const r = tail[ti % tail.length]!;
          let s = m.get(r.container);
          if (!s) m.set(r.container, (s = { labels: { job: 'docker', container: r.container, host: 'bench' }, entries: [] }));
          s.entries.push({ ts: now + BigInt(k), line: r.line });
        }
        await pushStreams(server.url, [...m.values()]);
        await sleep(1000);
      }
    })();
    const measure = async (): Promise<number> => {
      const c0 = cpuSeconds(pid);
      const w0 = performance.now();
      await sleep(MEASURE_S * 1000);
      return (cpuSeconds(pid) - c0) / ((performance.now() - w0) / 1000);
    };
    await sleep(5000);
    // 3. The store benchmarks' queries over the 24 hours (of fresh, uncompacted data), timed without
    //    rules and again while the rules run, so the difference is the rules'.
    const timeQueries = async (): Promise<Record<string, number>> => {
      const end = BigInt(Date.now()) * 1_000_000n;
      const start = end - 24n * 3600n * 1_000_000_000n;
      const needle = Object.keys(meta.needles)[0]!;
      const timeQuery = async (query: string, step?: string): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const u = new URL(server.url + '/loki/api/v1/query_range');
          u.searchParams.set('query', query);
          u.searchParams.set('start', String(start));
          u.searchParams.set('end', String(end));
          u.searchParams.set('limit', '100');
          if (step) u.searchParams.set('step', step);
          const t = performance.now();
          const res = await fetch(u);
          await res.text();
          if (res.status !== 200) throw new Error(`query ${query} failed: ${res.status}`);
          if (i > 0) times.push(performance.now() - t); // the first run warms up
        }
        return Math.round(median(times));
      };
      return {
        needle24hMs: await timeQuery(`{job="docker"} |= "${needle}"`),
        regexCaseInsensitive24hMs: await timeQuery(`{job="docker"} |~ "(?i)${needle.slice(0, 8).toUpperCase()}"`),
        countByContainer24hMs: await timeQuery('sum by (container) (count_over_time({job="docker"}[5m]))', '300'),
        countErrorRegexByContainer24hMs: await timeQuery('sum by (container) (count_over_time({job="docker"} |~ "(?i)error" [5m]))', '300'),
      };
    };
    const peakAfterPushMb = memoryMb(pid, 'VmHWM');
    const baseline = await measure();
    const queriesWithoutRules = await timeQueries();
    const peakAfterQueriesMb = memoryMb(pid, 'VmHWM');

    // 100 groups of 10 rules, in 10 files (namespaces) of 10 groups.
    for (let f = 0; f < 10; f++) {
      const lines = ['groups:'];
      for (let g = f * 10; g < f * 10 + 10; g++) {
        lines.push(`  - name: load-${g}`, '    interval: 15s', '    rules:');
        for (let r = 0; r < 10; r++) {
          const i = g * 10 + r;
          const c = containers[i % containers.length]!;
          const w = WORDS[Math.floor(i / containers.length) % WORDS.length]!;
          lines.push(`      - alert: Load${i}`, `        expr: sum by (container) (count_over_time({container="${c}"} |= "${w}" [1m])) > 5`);
        }
      }
      writeFileSync(join(rulesDir, 'fake', `load-${f}.yaml`), lines.join('\n') + '\n');
    }
    // Wait until the ruler has loaded all 1,000 rules and evaluated each group once.
    for (;;) {
      const text = await (await fetch(server.url + '/metrics')).text();
      if (metricValue(text, 'prometheus_rule_group_rules') >= 1000 && metricValue(text, 'prometheus_rule_group_iterations_total') >= 100) break;
      await sleep(1000);
    }
    const m0 = await (await fetch(server.url + '/metrics')).text();
    const withRules = await measure();
    const m1 = await (await fetch(server.url + '/metrics')).text();
    const evals = metricValue(m1, 'prometheus_rule_evaluations_total') - metricValue(m0, 'prometheus_rule_evaluations_total');
    const failures = metricValue(m1, 'prometheus_rule_evaluation_failures_total') - metricValue(m0, 'prometheus_rule_evaluation_failures_total');
    const missed = metricValue(m1, 'prometheus_rule_group_iterations_missed_total') - metricValue(m0, 'prometheus_rule_group_iterations_missed_total');

    const queriesWithRules = await timeQueries();
    stopTrickle = true;
    await trickle;
    console.log(
      JSON.stringify(
        {
          measureSeconds: MEASURE_S,
          serverCoresBaseline: Math.round(baseline * 1000) / 1000,
          serverCoresWithRules: Math.round(withRules * 1000) / 1000,
          ruleCores: Math.round((withRules - baseline) * 1000) / 1000,
          ruleEvaluations: evals,
          ruleEvaluationsPerSecond: Math.round((evals / MEASURE_S) * 10) / 10,
          failures,
          missedIterations: missed,
          peakRssMb: { afterPush: Math.round(peakAfterPushMb), afterQueriesWithoutRules: Math.round(peakAfterQueriesMb), atEnd: Math.round(memoryMb(pid, 'VmHWM')) },
          queriesWithoutRules,
          queriesWhileRulesRun: queriesWithRules,
        },
        null,
        1,
      ),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
