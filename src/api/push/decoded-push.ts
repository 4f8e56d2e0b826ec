/**
 * The result of decoding any push wire format: the streams whose labels were readable, plus the
 * streams rejected while decoding (Loki rejects a stream with an unparsable label string but keeps
 * the rest of the request).
 */
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
