/**
 * Label-set helpers for metric evaluation: identity keys, Prometheus' label-set order, the label
 * sets that `by` / `without` grouping and `on` / `ignoring` matching produce, and a collector that
 * merges step series by label set.
 */
import type { Labels } from '../../api/model.js';
import { LogwharfError } from '../../api/errors.js';
import type { Grouping } from '../syntax/ast.js';
import { has, setSample, type StepSeries } from './types.js';

/** A string that identifies a label set (names sorted; empty values count as absent, as in Prometheus). */
export function labelsKey(labels: Labels): string {
  const parts: string[] = [];
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k]!;
    if (v !== '') parts.push(k, v);
  }
  return JSON.stringify(parts);
}

/**
 * Prometheus' labels.Compare: label pairs in name order, compared by name then value; a label set
 * that is a prefix of another sorts first. Loki sorts matrix results (and instant vectors) this way.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  const n = Math.min(ak.length, bk.length);
  for (let i = 0; i < n; i++) {
    const an = ak[i]!;
    const bn = bk[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    const av = a[an]!;
    const bv = b[bn]!;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return ak.length - bk.length;
}

/** A new label set with names in sorted order and empty values dropped. */
export function normalizeLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k]!;
    if (v !== '') out[k] = v;
  }
  return out;
}

/** The labels kept from `labels` by `on`-style (keep listed) or `ignoring`-style (drop listed) selection. */
export function selectLabels(labels: Labels, names: readonly string[], keep: boolean): Labels {
  const set = new Set(names);
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k]!;
    if (v === '') continue;
    if (set.has(k) === keep) out[k] = v;
  }
  return out;
}

/** The output labels of a vector aggregation's group: `by` keeps the listed labels, `without` drops them, none → {}. */
export function groupLabels(labels: Labels, grouping: Grouping | undefined): Labels {
  if (!grouping) return {};
  return selectLabels(labels, grouping.labels, !grouping.without);
}

/**
 * Collects output series by label set. Two inputs that land on the same label set are merged into
 * one series; if both have a value at the same step the result would hold the same label set twice
 * in one instant vector, which Prometheus refuses with `duplicateMessage`.
 */
export class SeriesCollector {
  private readonly byKey = new Map<string, StepSeries>();

  constructor(
    private readonly count: number,
    private readonly duplicateMessage = 'vector cannot contain metrics with the same labelset',
  ) {}

  /** The output series for `labels`, created (all absent) on first use. */
  series(labels: Labels, key = labelsKey(labels)): StepSeries {
    let s = this.byKey.get(key);
    if (!s) {
      s = { labels: normalizeLabels(labels), values: new Float64Array(this.count).fill(NaN) };
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Sets the value of `labels` at step `i`; throws if that series already has a value there. */
  set(labels: Labels, i: number, v: number, key?: string): void {
    const s = this.series(labels, key);
    if (has(s, i)) throw new LogwharfError('bad_request', this.duplicateMessage);
    setSample(s, i, v);
  }

  /** The collected series that have at least one value, in first-use order. */
  list(): StepSeries[] {
    return [...this.byKey.values()].filter(hasValue);
  }
}

/** Whether the series has a value at any step. */
export function hasValue(s: StepSeries): boolean {
  for (let i = 0; i < s.values.length; i++) if (has(s, i)) return true;
  return false;
}
