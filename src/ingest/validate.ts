/**
 * Stream-level checks of a pushed label set, with Loki's reasons and messages
 * (pkg/validation/validate.go), and Loki 3's service_name discovery.
 */
import { nsToMs, subsecondNs } from '../api/time-units.js';
import type { Labels } from '../api/model.js';
import { labelsToString } from '../api/model.js';
import { setLabel } from '../api/push/decoded-push.js';
import { UNKNOWN_SERVICE, type Limits } from './limits.js';

export type DiscardReason =
  | 'invalid_labels'
  | 'missing_labels'
  | 'duplicate_label_names'
  | 'max_label_names_per_series'
  | 'label_name_too_long'
  | 'label_value_too_long'
  | 'line_too_long'
  | 'greater_than_max_sample_age'
  | 'too_far_in_future'
  | 'structured_metadata_too_large'
  | 'structured_metadata_too_many'
  | 'too_far_behind'
  | 'rate_limited'
  | 'per_stream_rate_limit'
  | 'stream_limit';

/** Reasons a client should retry (429): the same entries may pass later. */
export const RETRYABLE_REASONS: ReadonlySet<DiscardReason> = new Set(['rate_limited', 'per_stream_rate_limit', 'stream_limit']);

export interface Rejection {
  reason: DiscardReason;
  message: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Shortens user-supplied text quoted in messages, so one huge label cannot blow up a response. */
function clipText(s: string, max = 128): string {
  return s.length <= max ? s : s.slice(0, max) + '…';
}

/** A stream's canonical label text for messages, shortened. */
export function streamText(labels: Labels): string {
  return clipText(labelsToString(labels), 512);
}

function byteLen(s: string, atLeast: number): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: skip the exact count when the string is clearly short.
  return s.length * 3 <= atLeast ? s.length : Buffer.byteLength(s);
}

/** Drops labels with empty values: an empty value means an absent label in the Prometheus data model. */
export function dropEmptyLabels(labels: Labels): Labels {
  for (const k in labels) {
    if (labels[k] === '') {
      const out: Labels = {};
      for (const n in labels) if (labels[n] !== '') setLabel(out, n, labels[n]!);
      return out;
    }
  }
  return labels;
}

/**
 * Loki 3's service_name discovery: a stream without service_name gets the value of the first label
 * of `limits.discoverServiceName` it has, else "unknown_service". Applied after validation, as in
 * Loki's distributor, so it neither rescues a stream without labels nor counts against
 * max_label_names_per_series.
 */
export function withServiceName(labels: Labels, limits: Limits): Labels {
  if (limits.discoverServiceName.length === 0 || labels.service_name !== undefined) return labels;
  let service = UNKNOWN_SERVICE;
  for (const n of limits.discoverServiceName) {
    const v = Object.hasOwn(labels, n) ? labels[n] : undefined;
    if (v !== undefined && v !== '') {
      service = v;
      break;
    }
  }
  return { ...labels, service_name: service };
}

/** Checks a normalised label set against the limits. */
export function validateStreamLabels(labels: Labels, limits: Limits): Rejection | undefined {
  const names = Object.keys(labels);
  if (names.length === 0) return { reason: 'missing_labels', message: 'error at least one label pair is required per stream' };
  if (limits.maxLabelNamesPerSeries > 0 && names.length > limits.maxLabelNamesPerSeries) {
    return { reason: 'max_label_names_per_series', message: `entry for stream '${streamText(labels)}' has ${names.length} label names; limit ${limits.maxLabelNamesPerSeries}` };
  }
  for (const n of names) {
    if (!LABEL_NAME.test(n)) {
      return { reason: 'invalid_labels', message: `Error parsing labels '${streamText(labels)}' with error: invalid label name ${JSON.stringify(clipText(n))}` };
    }
    if (limits.maxLabelNameLength > 0 && byteLen(n, limits.maxLabelNameLength) > limits.maxLabelNameLength) {
      return { reason: 'label_name_too_long', message: `stream '${streamText(labels)}' has label name too long: '${clipText(n)}'` };
    }
    const v = labels[n]!;
    if (limits.maxLabelValueLength > 0 && byteLen(v, limits.maxLabelValueLength) > limits.maxLabelValueLength) {
      return { reason: 'label_value_too_long', message: `stream '${streamText(labels)}' has label value too long: '${clipText(v)}'` };
    }
  }
  return undefined;
}

/** Formats nanoseconds as RFC3339 with nanoseconds, for messages. */
export function formatNs(ts: bigint): string {
  const d = new Date(Number(nsToMs(ts)));
  if (Number.isNaN(d.getTime())) return `${ts}ns`;
  const frac = subsecondNs(ts);
  return d.toISOString().replace(/\.\d{3}Z$/, '.' + frac.toString().padStart(9, '0') + 'Z');
}
