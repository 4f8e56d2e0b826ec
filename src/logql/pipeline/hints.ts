/**
 * Filter hints for the store: literal substrings every accepted line must contain, taken from the
 * line filters that run before anything changes the line (line_format, decolorize, unpack).
 * Parsers, label filters and label formatting do not change the line, so filters after them count.
 */
import type { PipelineStage } from '../syntax/ast.js';
import { literalAlternatives } from '../regex.js';
import { parsePattern } from './pattern.js';
import type { FilterHints } from './types.js';

export function extractFilterHints(stages: readonly PipelineStage[]): FilterHints {
  const hints: FilterHints = { required: [], requiredInsensitive: [] };
  for (const st of stages) {
    if (st.kind === 'line_format' || st.kind === 'decolorize' || st.kind === 'unpack') break;
    if (st.kind !== 'line_filter') continue;
    if (st.values.some((v) => v.kind !== 'string')) continue;
    const values = st.values.map((v) => v.value);
    if (st.op === '|=') {
      if (values.every((v) => v !== '')) hints.required.push(values);
    } else if (st.op === '|~') {
      const lits = values.map((v) => literalAlternatives(v));
      if (lits.some((l) => l === null || l.values.some((x) => x === ''))) continue;
      const all = lits.flatMap((l) => l!.values);
      if (lits.every((l) => !l!.insensitive)) hints.required.push(all);
      else if (lits.every((l) => l!.insensitive)) hints.requiredInsensitive.push(all.map((x) => x.toLowerCase()));
    } else if (st.op === '|>' && values.length === 1) {
      try {
        for (const p of parsePattern(values[0]!, { requireNamed: false })) {
          if ('lit' in p && p.lit !== '') hints.required.push([p.lit]);
        }
      } catch {
        // The compiler reports invalid patterns.
      }
    }
  }
  return hints;
}
