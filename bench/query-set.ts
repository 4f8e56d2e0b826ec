/**
 * The server benchmarks' query set (bench/server.bench.ts, bench/ingest-formats.bench.ts): the
 * 24-hour needle, case-insensitive regexes, the newest lines, the metric queries of issue #3 and the
 * parsing queries of issue #12, each timed once to warm up and then `runs` times over HTTP, with the
 * calibration figure measured before and after; and the data directory's size on disk.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { minOf } from '../src/util/arrays.js';
import { calibrate, cpuSeconds, median } from './harness.js';

export type Timed = { medianMs: number; minMs: number; results: number; serverCpuMs: number };
export type QuerySetResult = Record<string, Timed | string>;

export interface QuerySetOptions {
  /** Timed runs per query (after one warm-up). */
  runs: number;
  /**
   * Which queries: undefined = all; 'parsing' = the parsing queries of issue #12; otherwise a
   * comma-separated list of query names (e.g. `countByContainer24h,needle24h`).
   */
  only?: string;
  /** The stream selector that matches the whole corpus. Default `{job="docker"}` (Loki pushes). */
  selector?: string;
  /** The label that tells containers apart. Default `container`. */
  containerLabel?: string;
}

const PARSING = ['countJsonByLevel24h', 'countLogfmtErrors24h'];

/**
 * Times the query set against the server at `url` (process `pid`) over the corpus' 24 hours, with
 * the calibration figure (bench/harness.ts `calibrate`) before and after it.
 */
export async function timeQuerySet(
  url: string,
  pid: number,
  meta: { tsFirst: number; tsLast: number; needles: Record<string, unknown> },
  phase: string,
  opts: QuerySetOptions,
): Promise<QuerySetResult> {
  const calBefore = calibrate().text;
  console.error(`[${phase}] ${calBefore}`);
  const sel = opts.selector ?? '{job="docker"}';
  const by = opts.containerLabel ?? 'container';
  const wanted = opts.only === undefined ? undefined : opts.only === 'parsing' ? PARSING : opts.only.split(',').map((s) => s.trim());
  const startNs = BigInt(meta.tsFirst) * 1_000_000n;
  const endNs = BigInt(meta.tsLast + 1000) * 1_000_000n;
  const needle = Object.keys(meta.needles)[0]!;
  const q = async (query: string, limit = 100, step?: string) => {
    const u = new URL(url + '/loki/api/v1/query_range');
    u.searchParams.set('query', query);
    u.searchParams.set('start', startNs.toString());
    u.searchParams.set('end', endNs.toString());
    u.searchParams.set('limit', String(limit));
    if (step) u.searchParams.set('step', step);
    const t = performance.now();
    const res = await fetch(u);
    const text = await res.text();
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`query failed: ${text}`);
    const body = JSON.parse(text) as { data: { result: { values: unknown[] }[] } };
    const n = body.data.result.reduce((a, s) => a + s.values.length, 0);
    return { ms, n };
  };
  const out: QuerySetResult = { calibrationBefore: calBefore };
  const timeQuery = async (name: string, query: string, limit?: number, step?: string): Promise<void> => {
    if (wanted && !wanted.includes(name)) return;
    await q(query, limit, step); // warm-up
    const times: number[] = [];
    // The server's CPU time per run (all its threads): on a shared machine, steadier than wall time.
    const cpus: number[] = [];
    let n = 0;
    for (let i = 0; i < opts.runs; i++) {
      const c0 = cpuSeconds(pid);
      const r = await q(query, limit, step);
      cpus.push(cpuSeconds(pid) - c0);
      times.push(r.ms);
      n = r.n;
    }
    const t: Timed = { medianMs: Math.round(median(times) * 10) / 10, minMs: Math.round(minOf(times, (x) => x) * 10) / 10, results: n, serverCpuMs: Math.round(median(cpus) * 1000) };
    console.error(`[${phase}] ${t.medianMs} ms (min ${t.minMs}; server CPU ${t.serverCpuMs} ms; ${n} results) ${query}`);
    out[name] = t;
  };
  await timeQuery('needle24h', `${sel} |= "${needle}"`);
  await timeQuery('regexCaseInsensitive24h', `${sel} |~ "(?i)${needle.slice(0, 8).toUpperCase()}"`);
  await timeQuery('newest1000', sel, 1000);
  await timeQuery('rareRegex24hLimit1000', `${sel} |~ "(?i)deadlock detected"`, 1000);
  // Metric queries of issue #3, 24 hours at a 5-minute step (288 points per series).
  await timeQuery('countByContainer24h', `sum by (${by}) (count_over_time(${sel}[5m]))`, 100, '300');
  await timeQuery('countErrorRegexByContainer24h', `sum by (${by}) (count_over_time(${sel} |~ "(?i)error" [5m]))`, 100, '300');
  // The parsing queries of issue #12. As written in issue #3 the json query fails in Loki and here
  // alike (non-JSON lines carry __error__, and grouping keeps it); Grafana's form drops the error
  // labels, so that is what is timed.
  await timeQuery('countJsonByLevel24h', `sum by (level) (count_over_time(${sel} | json | drop __error__, __error_details__ [5m]))`, 100, '300');
  await timeQuery('countLogfmtErrors24h', `sum(count_over_time(${sel} | logfmt | __error__="" | level="error" [1h]))`, 100, '300');
  out.calibrationAfter = calibrate().text;
  console.error(`[${phase}] ${out.calibrationAfter}`);
  return out;
}

/** Bytes on disk (allocated blocks) under `dir`. */
export function du(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? du(p) : st.blocks * 512;
  }
  return total;
}

/** Bytes on disk by file kind (extension, or the name without digits), to see where space goes. */
export function duByKind(dir: string, out: Record<string, number>): Record<string, number> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) duByKind(p, out);
    else {
      const kind = name.includes('.') ? name.slice(name.lastIndexOf('.')) : name.replace(/\d+/g, '#');
      out[kind] = (out[kind] ?? 0) + st.blocks * 512;
    }
  }
  return out;
}
