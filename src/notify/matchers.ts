/**
 * Alertmanager's label matchers: the `filter` query parameter (`alertname="x"`, `{a=~"b.*",c!="d"}`,
 * unquoted values allowed, as amtool and Grafana send them) and silence matchers. Regexes are RE2
 * (src/logql/regex.ts) anchored as Alertmanager anchors them, `^(?:re)$` without `(?s)`; a missing
 * label is the empty string.
 */
import type { Labels } from '../api/model.js';
import type { SilenceMatcher } from '../api/alertmanager.js';
import { LogwharfError } from '../api/errors.js';
import { compileRe2 } from '../logql/regex.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
  test(labels: Labels): boolean;
}

export function compileLabelMatcher(name: string, op: MatchOp, value: string): LabelMatcher {
  let valueTest: (v: string) => boolean;
  if (op === '=~' || op === '!~') {
    let re;
    try {
      re = compileRe2(value, { anchored: true });
    } catch (e) {
      throw new LogwharfError('bad_request', `error parsing regexp: ${(e as Error).message}`);
    }
    valueTest = (v) => re.test(v);
  } else valueTest = (v) => v === value;
  const negate = op === '!=' || op === '!~';
  return { name, op, value, test: (labels) => valueTest(labels[name] ?? '') !== negate };
}

/** A silence's matcher from the API shape (isEqual absent means true). */
export function fromSilenceMatcher(m: SilenceMatcher): LabelMatcher {
  const equal = m.isEqual ?? true;
  const op: MatchOp = m.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=';
  return compileLabelMatcher(m.name, op, m.value);
}

export function matchesEvery(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  return matchers.every((m) => m.test(labels));
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Parses one `filter` value: one matcher or a `{...}` list of them, separated by commas. */
export function parseFilter(text: string): LabelMatcher[] {
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw bad(text, 'missing closing "}"');
    s = s.slice(1, -1);
  }
  const out: LabelMatcher[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  ws();
  while (i < s.length) {
    const name = NAME.exec(s.slice(i))?.[0];
    if (!name) throw bad(text, `invalid label name at position ${i + 1}`);
    i += name.length;
    ws();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => s.startsWith(o, i));
    if (!op) throw bad(text, `expected one of =, !=, =~, !~ after "${name}"`);
    i += op.length;
    ws();
    let value: string;
    if (s[i] === '"') {
      const end = closingQuote(s, i);
      if (end < 0) throw bad(text, 'unterminated quoted value');
      try {
        value = JSON.parse(s.slice(i, end + 1)) as string;
      } catch {
        throw bad(text, `invalid escape in ${s.slice(i, end + 1)}`);
      }
      i = end + 1;
    } else {
      const end = s.indexOf(',', i);
      value = s.slice(i, end < 0 ? s.length : end).trim();
      i = end < 0 ? s.length : end;
    }
    out.push(compileLabelMatcher(name, op, value));
    ws();
    if (i < s.length) {
      if (s[i] !== ',') throw bad(text, `expected "," at position ${i + 1}`);
      i++;
      ws();
    }
  }
  if (out.length === 0) throw bad(text, 'no matchers');
  return out;
}

function closingQuote(s: string, start: number): number {
  for (let j = start + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

function bad(text: string, why: string): LogwharfError {
  return new LogwharfError('bad_request', `bad matcher format: ${text}: ${why}`);
}
