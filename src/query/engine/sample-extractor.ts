/**
 * Turns log entries that passed the pipeline into samples of a range aggregation (issue #3): the
 * value (1 per line, the line's UTF-8 size, or the unwrapped label converted) and the output label
 * set (grouping applied, the unwrapped label removed).
 *
 * Follows Loki's sample extractors: an empty or missing unwrapped label skips the entry (Loki
 * issue 6713); a value that does not convert sets `__error__=SampleExtractionErr` (with
 * `__error_details__`) before the post-unwrap label filters run; and an entry that still carries
 * `__error__` keeps all its labels, ungrouped, so the error surfaces instead of vanishing in a group.
 */
import type { Labels } from '../../api/model.js';
import type { PipelineStage, RangeAggregationExpr, UnwrapConversion } from '../../logql/syntax/ast.js';
import { requiredLabels } from '../../logql/pipeline/label-hints.js';
import type { EntryView, ProcessedEntry } from '../../logql/pipeline/types.js';
import { EntryState, ERROR_LABEL, getLabel, setLabel } from '../../logql/pipeline/entry.js';
import { compileLabelFilter, type LabelPredicate } from '../../logql/pipeline/label-filter.js';
import { parseBytes, parseGoDuration, parseGoFloat } from '../../logql/pipeline/units.js';

export const ERR_SAMPLE_EXTRACTION = 'SampleExtractionErr';

export interface Sample {
  value: number;
  labels: Labels;
}

export interface SampleExtractor {
  /** True when the values are needed (bytes or unwrap); count-like operations only need times. */
  readonly needsValues: boolean;
  /**
   * The sample for one processed entry, or null when the entry yields none. `labels` is the
   * entry's own label object when nothing changes it, so callers can cache series by identity.
   */
  extract(ts: bigint, e: ProcessedEntry): Sample | null;
  /**
   * `extract` of an entry read in place. Grouped `by` without unwrap, the grouping key is read from
   * the view and no label set is built; the sample returned is reused by the next call.
   */
  extractView(ts: bigint, v: EntryView): Sample | null;
}

/**
 * Parser hints for a range aggregation (../../logql/pipeline/label-hints.ts): with a `by` grouping
 * (Loki's, or a `sum by` pushed down by ../metric-query.ts) the output series keep only the
 * grouping labels, so the parsers need extract only those and what the stages and unwrap read.
 * Null (extract everything) without a `by` grouping.
 */
export function parserHints(expr: RangeAggregationExpr): Set<string> | null {
  const g = expr.grouping;
  if (g === undefined || g.without) return null;
  const unwrap = expr.range.unwrap;
  const stages: PipelineStage[] = [...expr.range.log.pipeline];
  for (const f of unwrap?.postFilters ?? []) stages.push({ kind: 'label_filter', expr: f });
  return requiredLabels(stages, unwrap ? [...g.labels, unwrap.label] : g.labels);
}

export function createSampleExtractor(expr: RangeAggregationExpr): SampleExtractor {
  const unwrap = expr.range.unwrap;
  const grouping = expr.grouping;
  const byLabels = grouping && !grouping.without ? grouping.labels : undefined;
  const withoutLabels = new Set(grouping?.without ? grouping.labels : []);
  if (unwrap) withoutLabels.add(unwrap.label);

  // Most entries of a stream share one label object (no parser, no metadata): group it once.
  let lastIn: Labels | undefined;
  let lastOut: Labels = {};
  const group = (labels: Labels): Labels => {
    if (labels === lastIn) return lastOut;
    lastOut = groupLabels(labels);
    lastIn = labels;
    return lastOut;
  };
  // `by` groups are interned by their values: one object per group, so callers that cache series by
  // label identity (range-accumulate.ts) find it without building and hashing a label set per line.
  const groups = new Map<string, Labels>();
  let noneGroup: Labels | undefined;
  /** The `by` group of an entry without `__error__`, read from its view (interned as below). */
  const groupOf = (v: EntryView): Labels => {
    const names = byLabels!;
    if (names.length === 1) {
      const x = v.get(names[0]!);
      return x === undefined ? (noneGroup ??= {}) : internOne(names[0]!, x);
    }
    const vals: Labels = {};
    for (const name of names) {
      const x = v.get(name);
      if (x !== undefined) setLabel(vals, name, x);
    }
    return groupLabels(vals);
  };
  const internOne = (name: string, x: string): Labels => {
    let out = groups.get(x);
    if (out === undefined) {
      out = {};
      setLabel(out, name, x);
      groups.set(x, out);
    }
    return out;
  };
  const groupLabels = (labels: Labels): Labels => {
    if (getLabel(labels, ERROR_LABEL) !== undefined) return labels;
    if (byLabels) {
      if (byLabels.length === 1) {
        // The common `by (level)`: the value is the key; entries without the label share one group.
        const v = getLabel(labels, byLabels[0]!);
        return v === undefined ? (noneGroup ??= {}) : internOne(byLabels[0]!, v);
      }
      let key = '';
      for (const name of byLabels) {
        const v = getLabel(labels, name);
        // Length-prefixed values and '~' for an absent one: no two groups share a key.
        key += v === undefined ? '~' : `${v.length}:${v}`;
      }
      let out = groups.get(key);
      if (out === undefined) {
        out = {};
        for (const name of byLabels) {
          const v = getLabel(labels, name);
          if (v !== undefined) setLabel(out, name, v);
        }
        groups.set(key, out);
      }
      return out;
    }
    if (withoutLabels.size === 0) return labels;
    let drop = false;
    for (const name of withoutLabels) if (getLabel(labels, name) !== undefined) drop = true;
    if (!drop) return labels;
    const out: Labels = {};
    for (const k in labels) if (Object.hasOwn(labels, k) && !withoutLabels.has(k)) setLabel(out, k, labels[k]!);
    return out;
  };

  if (!unwrap) {
    const bytes = expr.op === 'bytes_over_time' || expr.op === 'bytes_rate';
    const sample: Sample = { value: 0, labels: {} };
    return {
      needsValues: bytes,
      extract(_ts, e) {
        return { value: bytes ? Buffer.byteLength(e.line, 'utf8') : 1, labels: group(e.labels) };
      },
      extractView(_ts, v) {
        sample.value = bytes ? Buffer.byteLength(v.line, 'utf8') : 1;
        sample.labels = byLabels !== undefined && v.get(ERROR_LABEL) === undefined ? groupOf(v) : group(v.result());
        return sample;
      },
    };
  }

  const extract = (ts: bigint, e: ProcessedEntry): Sample | null => {
    const raw = getLabel(e.labels, unwrap.label);
    if (raw === undefined || raw === '') return null;
    const r = convert(raw);
    if (typeof r === 'number' && post.length === 0) return { value: r, labels: group(e.labels) };
    state.base = e.labels;
    state.reset(ts, e.line, undefined);
    if (typeof r !== 'number') state.setError(ERR_SAMPLE_EXTRACTION, r.error);
    for (const p of post) if (!p(state)) return null;
    return { value: typeof r === 'number' ? r : 0, labels: group(state.result()) };
  };
  const convert = converter(unwrap.conversion);
  const post: LabelPredicate[] = unwrap.postFilters.map((f) => compileLabelFilter(f));
  // One reusable state for the post-unwrap filters: they only read labels and set errors.
  const state = new EntryState({});
  return {
    needsValues: true,
    extract,
    extractView: (ts, v) => extract(ts, { line: v.line, labels: v.result() }),
  };
}

type Converter = (s: string) => number | { error: string };

/** Loki's conversions: strconv.ParseFloat, humanize.ParseBytes, time.ParseDuration → seconds. */
function converter(c: UnwrapConversion | undefined): Converter {
  switch (c) {
    case undefined:
      return (s) => parseGoFloat(s) ?? { error: `strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax` };
    case 'bytes':
      return (s) => parseBytes(s) ?? { error: `strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax` };
    case 'duration':
    case 'duration_seconds':
      return (s) => {
        const ns = parseGoDuration(s);
        if (ns === undefined) return { error: `time: invalid duration ${JSON.stringify(s)}` };
        // Go's Duration.Seconds(): whole seconds plus the nanosecond remainder, each exact.
        const whole = Math.trunc(ns / 1e9);
        return whole + (ns - whole * 1e9) / 1e9;
      };
  }
}
