/**
 * Detected labels, as Loki answers `/loki/api/v1/detected_labels` for Grafana's Logs Drilldown: the
 * stream labels of the streams with data in the range (matching the selector, if any) with the
 * number of distinct values of each, from the label index alone.
 *
 * Loki leaves out labels that are useless to break down by (pkg/querier/querier.go,
 * `shouldRejectLabel`): a label whose values all look like ids (numbers or UUIDs) unless it has at
 * most two values that are all `0`/`1`. `cluster`, `namespace`, `instance` and `pod` are always
 * kept. We also leave out `__`-prefixed internal labels, which Logs Drilldown drops anyway.
 */
import type { Matcher } from '../../logql/syntax/ast.js';
import type { Store } from '../../store/store.js';

export interface DetectedLabel {
  label: string;
  cardinality: number;
}

const ALWAYS_KEPT = new Set(['cluster', 'namespace', 'instance', 'pod']);
const UUID_RE = /^(?:urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;

function isIdLike(v: string): boolean {
  return FLOAT_RE.test(v) || UUID_RE.test(v);
}

/** Loki's rule: drop a label with no values, or whose values are all ids (but not a 0/1 flag). */
export function rejectLabel(name: string, values: Set<string>): boolean {
  if (name.startsWith('__')) return true;
  if (values.size === 0) return true;
  if (ALWAYS_KEPT.has(name)) return false;
  if (values.size <= 2 && [...values].every((v) => v === '0' || v === '1')) return false;
  for (const v of values) if (!isIdLike(v)) return false;
  return true;
}

export function detectLabels(store: Store, tenant: string, matchers: Matcher[], from: bigint, to: bigint): DetectedLabel[] {
  const values = new Map<string, Set<string>>();
  for (const s of store.streams(tenant, matchers, from, to)) {
    for (const [k, v] of Object.entries(s.labels)) {
      let set = values.get(k);
      if (!set) values.set(k, (set = new Set()));
      set.add(v);
    }
  }
  const out: DetectedLabel[] = [];
  for (const name of [...values.keys()].sort()) {
    const set = values.get(name)!;
    if (!rejectLabel(name, set)) out.push({ label: name, cardinality: set.size });
  }
  return out;
}
