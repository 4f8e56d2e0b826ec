/**
 * Binary operators between metric values, step by step, with Prometheus' semantics
 * (https://prometheus.io/docs/prometheus/latest/querying/operators/): arithmetic, comparisons
 * (filters, or 0/1 with `bool`), the set operators `and` / `or` / `unless`, and vector matching
 * with `on` / `ignoring` and `group_left` / `group_right`.
 *
 * Where LogQL differs from PromQL we follow Loki: comparisons between two scalars answer 0 or 1
 * (Loki folds literal expressions that way; PromQL would require `bool`).
 */
import { compare } from '../compare.js';
import type { BinaryExpr, BinaryOp } from '../syntax/ast.js';
import type { Labels } from '../../api/model.js';
import { labelsToString } from '../../api/model.js';
import { LogwharfError } from '../../api/errors.js';
import { has, setSample, type MetricValue, type StepSeries } from './types.js';
import { labelsKey, selectLabels, SeriesCollector } from './labels.js';

type ArithOp = '+' | '-' | '*' | '/' | '%' | '^';
type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export function isSetOp(op: BinaryOp): op is 'and' | 'or' | 'unless' {
  return op === 'and' || op === 'or' || op === 'unless';
}

export function isComparison(op: BinaryOp): op is CompareOp {
  return op === '==' || op === '!=' || op === '>' || op === '>=' || op === '<' || op === '<=';
}

/**
 * Arithmetic as Loki computes it: Go's float64 operators and math.Mod / math.Pow, except that a
 * division or modulo by zero is NaN whatever the dividend (`1/0` too, where Prometheus and IEEE
 * would give +Inf): Loki's mergeBinOp guards against divide by zero that way, for vector/vector,
 * vector/literal and folded literal operations alike.
 */
export function arith(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? NaN : a / b;
    case '%':
      // JS `%` is fmod, like Go's math.Mod (sign of the dividend; NaN for ±Inf % y).
      return b === 0 ? NaN : a % b;
    case '^':
      return pow(a, b);
  }
}

// Go's math.Pow differs from JS `**` in two special cases: Pow(1, y) = 1 for any y (NaN too) and
// Pow(-1, ±Inf) = 1; JS answers NaN for both.
function pow(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return a ** b;
}

/** Evaluates `left op right` for every step (`count` of them). */
export function binary(expr: BinaryExpr, left: MetricValue, right: MetricValue, count: number): MetricValue {
  const { op } = expr;
  if (left.kind === 'scalar' && right.kind === 'scalar') {
    if (isSetOp(op)) throw new LogwharfError('bad_request', `set operator "${op}" not allowed in binary scalar expression`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const a = left.values[i]!;
      const b = right.values[i]!;
      values[i] = isComparison(op) ? (compare(op, a, b) ? 1 : 0) : arith(op, a, b);
    }
    return { kind: 'scalar', values };
  }
  if (left.kind === 'vector' && right.kind === 'vector') {
    if (isSetOp(op)) return { kind: 'vector', series: setOp(expr, left.series, right.series, count) };
    return { kind: 'vector', series: vectorBinop(expr, left.series, right.series, count) };
  }
  if (isSetOp(op)) throw new LogwharfError('bad_request', `set operator "${op}" not allowed in binary scalar expression`);
  const swap = left.kind === 'scalar';
  const vector = (swap ? right : left) as Extract<MetricValue, { kind: 'vector' }>;
  const scalar = (swap ? left : right) as Extract<MetricValue, { kind: 'scalar' }>;
  return { kind: 'vector', series: vectorScalar(expr, vector.series, scalar.values, swap, count) };
}

// The operator applied to every sample of the vector; labels are unchanged. A comparison without
// `bool` keeps the samples for which it holds, with the vector's value even when the scalar is on
// the left (Prometheus' rule).
function vectorScalar(expr: BinaryExpr, series: StepSeries[], scalar: Float64Array, swap: boolean, count: number): StepSeries[] {
  const { op, returnBool } = expr;
  const out: StepSeries[] = [];
  for (const s of series) {
    const o: StepSeries = { labels: s.labels, values: new Float64Array(count).fill(NaN) };
    for (let i = 0; i < count; i++) {
      if (!has(s, i)) continue;
      const v = s.values[i]!;
      const a = swap ? scalar[i]! : v;
      const b = swap ? v : scalar[i]!;
      if (isComparison(op)) {
        const keep = compare(op, a, b);
        if (returnBool) setSample(o, i, keep ? 1 : 0);
        else if (keep) setSample(o, i, v);
      } else {
        setSample(o, i, arith(op as ArithOp, a, b));
      }
    }
    out.push(o);
  }
  return out;
}

/** The matching signature function of a vector-vector operation: `on` keeps, `ignoring` drops the listed labels. */
function signatureOf(expr: BinaryExpr): (labels: Labels) => Labels {
  const on = expr.matching?.on ?? false;
  const names = expr.matching?.labels ?? [];
  return (labels) => selectLabels(labels, names, on);
}

// and / or / unless: series keep their labels and values; only which samples survive changes.
function setOp(expr: BinaryExpr, left: StepSeries[], right: StepSeries[], count: number): StepSeries[] {
  const sig = signatureOf(expr);
  const lsig = left.map((s) => labelsKey(sig(s.labels)));
  const rsig = right.map((s) => labelsKey(sig(s.labels)));
  const out = new SeriesCollector(count);
  const present = new Set<string>();
  for (let i = 0; i < count; i++) {
    present.clear();
    if (expr.op === 'or') {
      for (let j = 0; j < left.length; j++) {
        if (!has(left[j]!, i)) continue;
        present.add(lsig[j]!);
        out.set(left[j]!.labels, i, left[j]!.values[i]!);
      }
      for (let j = 0; j < right.length; j++) {
        if (has(right[j]!, i) && !present.has(rsig[j]!)) out.set(right[j]!.labels, i, right[j]!.values[i]!);
      }
      continue;
    }
    for (let j = 0; j < right.length; j++) if (has(right[j]!, i)) present.add(rsig[j]!);
    const wantMatch = expr.op === 'and';
    for (let j = 0; j < left.length; j++) {
      if (has(left[j]!, i) && present.has(lsig[j]!) === wantMatch) out.set(left[j]!.labels, i, left[j]!.values[i]!);
    }
  }
  return out.list();
}

// Arithmetic and comparisons between two vectors: each sample of the "many" side (the left one
// unless group_right) is paired with the sample of the other side whose signature is the same.
// Signatures become small integers up front, so the per-step work is array lookups.
function vectorBinop(expr: BinaryExpr, left: StepSeries[], right: StepSeries[], count: number): StepSeries[] {
  const { op, returnBool } = expr;
  const matching = expr.matching;
  const oneToMany = matching?.group?.side === 'right';
  const oneToOne = !matching?.group;
  const include = matching?.group?.include ?? [];
  const sig = signatureOf(expr);
  // For one-to-many the sides swap, so that `lhs` is always the "many" side; values swap back below.
  const lhs = oneToMany ? right : left;
  const rhs = oneToMany ? left : right;
  const sigIds = new Map<string, number>();
  const sigId = (s: StepSeries): number => {
    const key = labelsKey(sig(s.labels));
    let id = sigIds.get(key);
    if (id === undefined) sigIds.set(key, (id = sigIds.size));
    return id;
  };
  const lsig = Int32Array.from(lhs, sigId);
  const rsig = Int32Array.from(rhs, sigId);

  const out = new SeriesCollector(count);
  // Result series per (lhs, rhs) pair, with a small id for the many-to-one uniqueness check.
  const resultIds = new Map<string, number>();
  const resultCache = new Map<number, { series: StepSeries; id: number }>();
  const result = (li: number, ri: number): { series: StepSeries; id: number } => {
    const cacheKey = li * rhs.length + ri;
    let r = resultCache.get(cacheKey);
    if (!r) {
      const ls = lhs[li]!.labels;
      const rs = rhs[ri]!.labels;
      const labels = oneToOne ? selectLabels(ls, matching?.labels ?? [], matching?.on ?? false) : { ...ls };
      // group_x(include): copied from the "one" side, or removed when that side lacks them.
      for (const name of include) {
        const v = rs[name];
        if (v !== undefined && v !== '') labels[name] = v;
        else delete labels[name];
      }
      const key = labelsKey(labels);
      let id = resultIds.get(key);
      if (id === undefined) resultIds.set(key, (id = resultIds.size));
      r = { series: out.series(labels, key), id };
      resultCache.set(cacheKey, r);
    }
    return r;
  };

  // Per signature: the rhs series index at this step (valid when rightStep[sig] === i), and
  // whether a lhs sample already matched it (one-to-one) or which results it produced (many-to-one).
  const rightStep = new Int32Array(sigIds.size).fill(-1);
  const rightIdx = new Int32Array(sigIds.size);
  const matchedStep = new Int32Array(sigIds.size).fill(-1);
  const lastR = new Int32Array(lhs.length).fill(-1);
  const lastRes: Array<{ series: StepSeries; id: number } | undefined> = new Array(lhs.length);
  // Per result id: the signature that wrote it at the current step.
  const writerSig: number[] = [];
  for (let i = 0; i < count; i++) {
    let any = false;
    for (let j = 0; j < rhs.length; j++) {
      if (!has(rhs[j]!, i)) continue;
      const s = rsig[j]!;
      if (rightStep[s] === i) {
        const dup = rhs[rightIdx[s]!]!;
        const side = oneToMany ? 'left' : 'right';
        throw new LogwharfError(
          'bad_request',
          `found duplicate series for the match group ${labelsToString(sig(rhs[j]!.labels))} on the ${side} hand-side of the operation: ` +
            `[${labelsToString(rhs[j]!.labels)}, ${labelsToString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightStep[s] = i;
      rightIdx[s] = j;
      any = true;
    }
    if (!any) continue;
    for (let j = 0; j < lhs.length; j++) {
      if (!has(lhs[j]!, i)) continue;
      const lv = lhs[j]!.values[i]!;
      const s = lsig[j]!;
      if (rightStep[s] !== i) continue;
      const r = rightIdx[s]!;
      const rv = rhs[r]!.values[i]!;
      const a = oneToMany ? rv : lv;
      const b = oneToMany ? lv : rv;
      let value: number;
      if (isComparison(op)) {
        const keep = compare(op, a, b);
        if (returnBool) value = keep ? 1 : 0;
        else if (keep) value = a;
        else continue;
      } else {
        value = arith(op as ArithOp, a, b);
      }
      if (oneToOne) {
        if (matchedStep[s] === i) {
          throw new LogwharfError('bad_request', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        matchedStep[s] = i;
      }
      // Matches rarely change from step to step: remember each lhs series' last pairing.
      let res = lastRes[j];
      if (lastR[j] !== r || res === undefined) {
        res = result(j, r);
        lastR[j] = r;
        lastRes[j] = res;
      }
      // A result label set written twice at one step: within one match group that is Prometheus'
      // many-to-one error; across groups, a vector with a duplicate label set.
      if (has(res.series, i)) {
        if (!oneToOne && writerSig[res.id] === s) {
          throw new LogwharfError('bad_request', 'multiple matches for labels: grouping labels must ensure unique matches');
        }
        throw new LogwharfError('bad_request', 'vector cannot contain metrics with the same labelset');
      }
      writerSig[res.id] = s;
      setSample(res.series, i, value);
    }
  }
  return out.list();
}
