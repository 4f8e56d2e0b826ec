/**
 * Explore's downloads: the loaded rows as JSON lines or CSV, each row's time in RFC 3339 with
 * nanoseconds (as Loki prints it), its stream labels and its line. Pure; the page turns the text into
 * a Blob and a download link.
 */
import type { LogRow } from '../../lib/loki.js';
import { streamKey } from '../../lib/loki.js';

/** `2026-12-05T14:03:07.123456789Z` from Loki's nanosecond string, trailing zeros of the fraction trimmed (Go's RFC3339Nano). */
export function rfc3339Nano(tsNs: string): string {
  const ns = BigInt(tsNs);
  const sec = ns / 1_000_000_000n;
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (ns < 0n) frac = '';
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}${frac ? '.' + frac : ''}Z`;
}

/** One JSON object per line: {timestamp, labels, structuredMetadata?, line}. */
export function toJsonLines(rows: readonly LogRow[]): string {
  let out = '';
  for (const r of rows) {
    const o: Record<string, unknown> = { timestamp: rfc3339Nano(r.tsNs), labels: r.labels };
    if (Object.keys(r.structuredMetadata).length > 0) o.structuredMetadata = r.structuredMetadata;
    o.line = r.line;
    out += JSON.stringify(o) + '\n';
  }
  return out;
}

/** A CSV field, quoted (RFC 4180) when it holds a quote, comma or line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** `timestamp,labels,line` with the labels as a LogQL selector; CRLF line ends (RFC 4180). */
export function toCsv(rows: readonly LogRow[]): string {
  let out = 'timestamp,labels,line\r\n';
  for (const r of rows) out += `${rfc3339Nano(r.tsNs)},${csvField(streamKey(r.labels))},${csvField(r.line)}\r\n`;
  return out;
}

/** `logwharf-20261205T140307Z.jsonl`: the time the file was made, safe in any file system. */
export function downloadName(nowMs: number, ext: 'jsonl' | 'csv'): string {
  return `logwharf-${new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}.${ext}`;
}
