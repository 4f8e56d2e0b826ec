/**
 * `label_replace(v, "dst", "replacement", "src", "regex")`, as Prometheus defines it
 * (https://prometheus.io/docs/prometheus/latest/querying/functions/#label_replace): when the
 * anchored RE2 `regex` matches the value of `src` (empty when absent), `dst` is set to
 * `replacement` with `$1` / `${1}` / `$name` / `${name}` expanded (an empty result removes `dst`);
 * otherwise the series is unchanged.
 */
import { LogwharfError } from '../../api/errors.js';
import type { Labels } from '../../api/model.js';
import type { LabelReplaceExpr } from '../syntax/ast.js';
import { compileRe2, type Re2, type Re2Match } from '../regex.js';
import { has, type StepSeries } from './types.js';
import { SeriesCollector } from './labels.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function labelReplace(expr: LabelReplaceExpr, input: StepSeries[], count: number): StepSeries[] {
  if (!LABEL_NAME.test(expr.dst)) throw new LogwharfError('bad_request', `invalid destination label name in label_replace(): ${expr.dst}`);
  let re: Re2;
  try {
    re = compileRe2(expr.regex, { anchored: true });
  } catch (e) {
    throw new LogwharfError('bad_request', `invalid regular expression in label_replace(): ${expr.regex}`, undefined, { cause: e });
  }
  // Two series may end up with the same labels; that is fine unless both have a value at one step.
  const out = new SeriesCollector(count);
  for (const s of input) {
    const labels = replaceLabels(s.labels, expr, re);
    for (let i = 0; i < count; i++) {
      if (has(s, i)) out.set(labels, i, s.values[i]!);
    }
  }
  return out.list();
}

function replaceLabels(labels: Labels, expr: LabelReplaceExpr, re: Re2): Labels {
  const m = re.exec(labels[expr.src] ?? '');
  if (!m) return labels;
  const value = expandTemplate(expr.replacement, m);
  const out: Labels = { ...labels };
  if (value === '') delete out[expr.dst];
  else out[expr.dst] = value;
  return out;
}

/**
 * Go's Regexp.Expand: `$$` is a literal `$`; `$name` takes the longest run of letters, digits and
 * `_` (so `$1x` names group "1x"); `${name}` is braced; a name of digits is a group number; an
 * unknown or unmatched group expands to nothing; a malformed reference is copied as text.
 */
export function expandTemplate(template: string, m: Re2Match): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    let j = d + 1;
    if (template[j] === '$') {
      out += '$';
      i = j + 1;
      continue;
    }
    const brace = template[j] === '{';
    if (brace) j++;
    const start = j;
    while (j < template.length && /[\p{L}\p{Nd}_]/u.test(template[j]!)) j++;
    const name = template.slice(start, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      i = d + 1;
      continue;
    }
    if (brace) j++;
    i = j;
    if (/^[0-9]+$/.test(name)) {
      const n = Number(name);
      if (n < m.length && m[n] !== undefined) out += m[n];
    } else {
      const g = m.groups?.[name];
      if (g !== undefined) out += g;
    }
  }
  return out;
}
