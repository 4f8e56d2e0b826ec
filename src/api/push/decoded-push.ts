/**
 * The result of decoding any push wire format: the streams whose labels were readable, plus the
 * streams rejected while decoding (Loki rejects a stream with an unparsable label string but keeps
 * the rest of the request).
 */
import { LogwharfError } from '../errors.js';
import type { StreamPush } from '../model.js';

export type InvalidStreamReason = 'invalid_labels' | 'duplicate_label_names' | 'missing_labels';

export interface InvalidStream {
  /** Index of the stream in the request. */
  index: number;
  /** The label text as sent (truncated for display). */
  labels: string;
  reason: InvalidStreamReason;
  message: string;
  /** Entries and line bytes discarded with it, for the discard metrics. */
  entries: number;
  bytes: number;
}

export interface DecodedPush {
  streams: StreamPush[];
  invalid: InvalidStream[];
}

/** Shortens user-supplied text quoted in error messages. */
export function clip(s: string, max = 256): string {
  return s.length <= max ? s : s.slice(0, max) + '…';
}

/**
 * Sets a label on a plain object. A name of `__proto__` would otherwise change the prototype
 * (and the label would vanish); it is defined as an ordinary own property instead.
 */
export function setLabel(target: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/**
 * Most streams plus entries (or OTLP resources plus records) one request may carry. Real clients
 * send thousands (Promtail and Alloy batch about 1 MB); the bound stops a small body of empty
 * entries or streams from becoming gigabytes of objects.
 */
export const DEFAULT_MAX_PUSH_ITEMS = 1_000_000;

export function tooManyItems(limit: number): LogwharfError {
  return new LogwharfError('payload_too_large', `push request has more than ${limit} streams and entries; send smaller batches`);
}

/**
 * Upper bound on the arrays and objects JSON.parse would build, counted before parsing: every
 * entry or stream needs at least one `[` or `{`; log lines may contain more, hence the slack.
 */
export function checkJsonItems(body: Buffer, limit: number): void {
  // Every array or object takes at least two bytes, so a small body cannot exceed the bound.
  if (body.length / 2 <= limit * 4 + 64) return;
  let n = 0;
  for (const ch of [0x5b, 0x7b]) {
    let i = body.indexOf(ch);
    while (i >= 0) {
      n++;
      i = body.indexOf(ch, i + 1);
    }
  }
  if (n > limit * 4 + 64) throw tooManyItems(limit);
}
