/**
 * Parser hints (issue #12), as Loki's: when a metric query only ever reads a few labels (its
 * grouping, the label filters and unwrap after the parser), `| json` and `| logfmt` extract just
 * those instead of every key of every line. `requiredLabels` derives the set from the query;
 * `LabelWants` is what a parser asks per key and per line.
 *
 * What stays exactly as without hints: which lines pass, every label that is read downstream, and
 * `__error__` / `__error_details__` (JSON is still validated whole, logfmt still scanned for its
 * strict-mode errors). What differs: labels nothing reads are absent. So hints are only given
 * where the output series cannot show them: range aggregations grouped `by (...)`, which keep
 * only the grouping labels, except for entries that still carry `__error__`, which keep all and
 * fail the query; the range aggregator re-runs such a query without hints, so its error names
 * the same series (src/query/engine/range-agg.ts).
 */
import type { LabelFilterExpr, PipelineStage } from '../syntax/ast.js';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, EXTRACTED_SUFFIX } from './entry.js';

/**
 * The labels the stages and the consumer after them (`output`, the labels it reads: a `by`
 * grouping, the unwrapped label) can read, or null when that is not known (then parsers extract
 * everything): templates (`line_format`, `label_format` with a template) may read any label.
 * `__error__` and `__error_details__` are always in, so a line's own keys of those names still
 * become labels as before.
 */
export function requiredLabels(stages: readonly PipelineStage[], output: readonly string[] | null): Set<string> | null {
  if (output === null) return null;
  const out = new Set<string>([ERROR_LABEL, ERROR_DETAILS_LABEL, ...output]);
  for (const st of stages) {
    switch (st.kind) {
      case 'label_filter':
        filterNames(st.expr, out);
        break;
      case 'drop':
        // A bare name is removed whatever it holds; a matcher reads the value.
        for (const it of st.items) if (it.matcher !== undefined) out.add(it.name);
        break;
      case 'keep':
        for (const it of st.items) out.add(it.name);
        break;
      case 'label_format':
        for (const it of st.items) {
          if (it.rename === undefined) return null;
          out.add(it.rename);
          out.add(it.dst);
        }
        break;
      case 'line_format':
        return null;
      default:
        break;
    }
  }
  return out;
}

function filterNames(e: LabelFilterExpr, out: Set<string>): void {
  switch (e.type) {
    case 'and':
    case 'or':
      filterNames(e.left, out);
      filterNames(e.right, out);
      return;
    case 'paren':
      filterNames(e.expr, out);
      return;
    case 'string':
      out.add(e.matcher.name);
      return;
    default:
      out.add(e.name);
  }
}

/**
 * The (sanitised) label names a parser should extract, with cheap per-line probes for logfmt, whose
 * keys are their raw text: a key can only sanitise to `name` if it contains `name`'s longest run of
 * letters and digits (sanitising keeps letters and digits, turns anything else into `_`, trims, and
 * may prefix `_`), and a key ends at an `=` or a space.
 */
export class LabelWants {
  /** The names, each also without `_extracted` (a key colliding with a stream label gets it). */
  readonly names: readonly string[];
  private readonly set: ReadonlySet<string>;
  private readonly probes: readonly string[];

  constructor(labels: Iterable<string>) {
    const names = new Set<string>();
    for (const l of labels) {
      names.add(l);
      if (l.endsWith(EXTRACTED_SUFFIX) && l.length > EXTRACTED_SUFFIX.length) names.add(l.slice(0, -EXTRACTED_SUFFIX.length));
    }
    this.set = names;
    this.names = [...names];
    this.probes = this.names.map(longestAlnumRun);
  }

  has(name: string): boolean {
    return this.set.has(name);
  }

  /** Whether a nested object named `prefix` can hold a wanted name (`prefix` or `prefix_...`). */
  hasUnder(prefix: string): boolean {
    for (const n of this.names) if (n === prefix || (n.length > prefix.length && n.charCodeAt(prefix.length) === 95 && n.startsWith(prefix))) return true;
    return false;
  }

  /**
   * A bit per name (by index in `names`) that the logfmt `line` may yield; 0 when it yields none.
   * With `valued` (no `--keep-empty`: a key counts only as `key=value`), an occurrence of the
   * probe counts only if an `=` follows it before the next space, as the key's end must.
   */
  possibleIn(line: string, valued: boolean): number {
    let bits = 0;
    const probes = this.probes;
    for (let i = 0; i < probes.length; i++) {
      const probe = probes[i]!;
      if (probe === '') {
        bits |= 1 << i;
        continue;
      }
      for (let p = line.indexOf(probe); p >= 0; p = line.indexOf(probe, p + 1)) {
        if (!valued || equalsBeforeSpace(line, p + probe.length)) {
          bits |= 1 << i;
          break;
        }
      }
    }
    return bits;
  }
}

/**
 * The JSON walk's early stop (./json.ts JsonTail) for the names a `json` stage still needs once the
 * next stage drops its error labels: a key yielding one of them contains that name's longest
 * letter-and-digit run verbatim, if the key has no escapes. A name without such a run can come
 * from any key: the walk then never stops early.
 */
export class JsonTailProbe {
  private readonly probes: readonly string[];
  constructor(names: Iterable<string>) {
    this.probes = [...names].map(longestAlnumRun);
  }

  nextPossibleAt(line: string, from: number): number {
    let at = -1;
    const probes = this.probes;
    for (let k = 0; k < probes.length; k++) {
      const probe = probes[k]!;
      if (probe === '') return line.length;
      const p = line.indexOf(probe, from);
      if (p > at) at = p;
    }
    return at;
  }
}

/** The most hints one parser takes; more wanted names than this and it extracts everything. */
export const MAX_WANTED = 24;

/** Whether an `=` comes at or after `from` before a space (logfmt's separators: code units ≤ 32). */
function equalsBeforeSpace(line: string, from: number): boolean {
  for (let j = from; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === 61) return true;
    if (c <= 32) return false;
  }
  return false;
}

function longestAlnumRun(name: string): string {
  let best = '';
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 95;
    const alnum = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
    if (alnum) continue;
    if (i - start > best.length) best = name.slice(start, i);
    start = i + 1;
  }
  return best;
}
