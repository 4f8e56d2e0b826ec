/**
 * The data model shared by every role: label sets, log entries and pushed streams.
 * Timestamps are nanoseconds since the Unix epoch as `bigint`, because Loki's wire formats carry
 * nanoseconds and an exact duplicate (same stream, timestamp and line) must be recognisable.
 */

/** A label set as a plain object. Keys are label names. */
export type Labels = Record<string, string>;

/**
 * One log entry. `metadata` is Loki's structured metadata (name → value), absent or undefined when
 * empty. The push decoders always create the `metadata` slot (undefined when empty): ingest then
 * adds detected_level into that slot instead of growing each entry by a property array (40 bytes
 * per line on Node 20, young-generation garbage that four pushes in flight keep alive).
 */
export interface Entry {
  ts: bigint;
  line: string;
  metadata?: Labels;
}

/** One stream of a push request: its labels and entries in the order they were sent. */
export interface StreamPush {
  labels: Labels;
  entries: Entry[];
}

/** A decoded push request (any wire format). */
export interface PushRequest {
  streams: StreamPush[];
}

/** Sorts a label set by name into a new object (insertion order = sorted order). */
export function sortLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
  return out;
}

/**
 * The strings of frozen label sets, which cannot change: the agent's pipeline hands out one frozen
 * object per stream, and its shipper asks for the string at every batch of every stream (issue #17).
 */
const frozenStrings = new WeakMap<Labels, string>();

/** Loki's canonical label-set string: `{a="1", b="2"}`, names sorted, values Go-quoted. */
export function labelsToString(labels: Labels): string {
  if (!Object.isFrozen(labels)) return labelsString(labels);
  let s = frozenStrings.get(labels);
  if (s === undefined) frozenStrings.set(labels, (s = labelsString(labels)));
  return s;
}

function labelsString(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) s += ', ';
    s += keys[i] + '=' + quoteGoString(labels[keys[i]!]!);
  }
  return s + '}';
}

/** Quotes a string the way Go's strconv.Quote does for the characters that matter in labels. */
export function quoteGoString(s: string): string {
  return JSON.stringify(s);
}

