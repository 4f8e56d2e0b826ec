/**
 * How client commands print results. Log entries: `raw` is the line alone, `jsonl` one JSON object
 * per entry `{"ts":"<RFC3339Nano>","labels":{...},"line":"..."}`, `table` the time, the label set
 * (padded to a column) and the line. Metric results print one sample per output line in the same
 * three forms, with the value as Loki writes it (a string, so NaN and ±Inf survive); `raw` is
 * `<labels> <value> <unix seconds>`, the order of Prometheus' text format, so a script can tell the
 * series apart and split on the last two spaces.
 */
import { msToNs } from '../api/time-units.js';
import { labelsToString, type Labels } from '../api/model.js';
import type { WireQueryData, WireStream } from '../api/envelope.js';
import { formatRfc3339Nano } from '../api/timestamp.js';
import type { OutputMode } from './common.js';

export interface PrintedEntry {
  ts: bigint;
  labels: Labels;
  line: string;
}

function sortedLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
  return out;
}

/**
 * Flattens streams into entries ordered by time (newest first for `backward`). Streams arrive
 * grouped by label set; a reader wants one timeline.
 */
export function entriesOf(streams: WireStream[], direction: 'forward' | 'backward'): PrintedEntry[] {
  const out: PrintedEntry[] = [];
  for (const s of streams) {
    for (const v of s.values) out.push({ ts: BigInt(v[0]), labels: s.stream, line: v[1] });
  }
  // Array.prototype.sort is stable, so entries with equal timestamps keep the server's order.
  out.sort(direction === 'forward' ? (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0) : (a, b) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0));
  return out;
}

/** RFC3339 with all nine fraction digits, so a column of times lines up. */
function tableTime(ns: bigint): string {
  const s = formatRfc3339Nano(ns);
  const dot = s.indexOf('.');
  if (dot < 0) return s.slice(0, -1) + '.000000000Z';
  return s.slice(0, dot + 1) + s.slice(dot + 1, -1).padEnd(9, '0') + 'Z';
}

/** Formats entries; every printed entry ends with a newline. */
export function formatEntries(entries: PrintedEntry[], mode: OutputMode): string {
  let s = '';
  if (mode === 'raw') {
    for (const e of entries) s += e.line + '\n';
  } else if (mode === 'jsonl') {
    for (const e of entries) s += JSON.stringify({ ts: formatRfc3339Nano(e.ts), labels: sortedLabels(e.labels), line: e.line }) + '\n';
  } else {
    const cache = new Map<Labels, string>();
    let width = 0;
    for (const e of entries) {
      let l = cache.get(e.labels);
      if (l === undefined) cache.set(e.labels, (l = labelsToString(e.labels)));
      if (l.length > width) width = l.length;
    }
    for (const e of entries) s += tableTime(e.ts) + '  ' + cache.get(e.labels)!.padEnd(width) + '  ' + e.line + '\n';
  }
  return s;
}

interface PrintedSample {
  tsSeconds: number;
  labels: Labels;
  value: string;
}

function secondsToNs(secs: number): bigint {
  // Prometheus times are milliseconds written as float seconds; go through integer ms to stay exact.
  return msToNs(Math.round(secs * 1000));
}

/** Formats a vector, matrix or scalar result. */
export function formatMetric(data: Exclude<WireQueryData, { resultType: 'streams' }>, mode: OutputMode): string {
  const samples: PrintedSample[] = [];
  if (data.resultType === 'scalar') samples.push({ tsSeconds: data.result[0], labels: {}, value: data.result[1] });
  else if (data.resultType === 'vector') for (const s of data.result) samples.push({ tsSeconds: s.value[0], labels: s.metric, value: s.value[1] });
  else for (const s of data.result) for (const [t, v] of s.values) samples.push({ tsSeconds: t, labels: s.metric, value: v });
  let out = '';
  if (mode === 'raw') {
    for (const p of samples) out += `${labelsToString(p.labels)} ${p.value} ${p.tsSeconds}\n`;
  } else if (mode === 'jsonl') {
    for (const p of samples) out += JSON.stringify({ ts: formatRfc3339Nano(secondsToNs(p.tsSeconds)), labels: sortedLabels(p.labels), value: p.value }) + '\n';
  } else {
    const texts = samples.map((p) => labelsToString(p.labels));
    const width = texts.reduce((w, t) => Math.max(w, t.length), 0);
    samples.forEach((p, i) => (out += tableTime(secondsToNs(p.tsSeconds)) + '  ' + texts[i]!.padEnd(width) + '  ' + p.value + '\n'));
  }
  return out;
}
