/**
 * Parser stages: json, logfmt, regexp, pattern, unpack, and decolorize. Parsers add labels through
 * EntryState.setExtracted (sanitised names, `_extracted` on collision with a stream label, a value
 * set before the parser kept) and never drop an entry: a malformed line gets `__error__` and flows
 * on. Within one JSON document a repeated key gives its last value, in every form (`json`,
 * `json a="x.y"`, `unpack`), as Loki's `json` and JSON.parse do (docs/logql.md).
 */
import { LogwharfError } from '../../api/errors.js';
import type {
  JsonParserStage,
  LogfmtParserStage,
  PatternParserStage,
  RegexpParserStage,
} from '../syntax/ast.js';
import { compileRe2 } from '../regex.js';
import type { EntryState, Stage } from './entry.js';
import { ERR_JSON, ERR_LOGFMT, ERROR_DETAILS_LABEL, ERROR_LABEL } from './entry.js';
import { JsonScanner, JsonSyntaxError, KeyNode, jsonPathValue, parseJsonPath, walkJsonObject } from './json.js';
import { JsonTailProbe, type LabelWants } from './label-hints.js';
import { LogfmtError, scanLogfmt, type LogfmtVisitor } from './logfmt.js';
import { extractPattern, parsePattern } from './pattern.js';
import { isUsableValue, sanitizeLabelName } from './sanitize.js';

/**
 * What a parser does with a line it cannot parse. `label`: set `__error__` and `__error_details__`
 * (always correct). When the very next stage discards them, the parser does that itself, which saves
 * building a label set per failed line (most lines, for `| json` over mixed logs): `clear` when it
 * is `| drop __error__, __error_details__` (which still runs, and removes an earlier error), `drop`
 * when it is `| __error__=""` (the line is dropped, as that filter would; unless the line already
 * has an `__error__`, even an empty one from a key of that name, which setError keeps).
 */
export type ParserErrors = 'label' | 'clear' | 'drop';

function jsonErrorDetails(e: unknown): string {
  return e instanceof JsonSyntaxError ? e.message : String(e);
}

/**
 * `json`. With `wants` (parser hints, ./label-hints.ts; only for `json` without parameters) it
 * emits only the wanted names; the whole document is still checked, so errors are the same.
 */
export function compileJson(stage: JsonParserStage, wants: LabelWants | null = null, errors: ParserErrors = 'label'): Stage {
  const sc = new JsonScanner();
  if (stage.params.length === 0) {
    const keys = new KeyNode();
    // When the next stage drops the error labels, a malformed rest of a line changes nothing, so
    // the walk stops once no later key can yield a name still needed (JsonTail in ./json.ts).
    const tail = wants !== null && errors === 'clear' ? new JsonTailProbe(wants.names.filter((n) => n !== ERROR_LABEL && n !== ERROR_DETAILS_LABEL)) : null;
    // The names this stage set on the current line, so a repeated key replaces its own value.
    const own: string[] = [];
    let cur: EntryState;
    const emit = (label: string, value: string) => {
      if (isUsableValue(value)) cur.setExtracted(label, value, own);
    };
    return (s) => {
      cur = s;
      // pop, not `length = 0`: the length setter is a runtime call, measurable once per line.
      while (own.length !== 0) own.pop();
      sc.reset(s.line);
      // Most non-JSON lines are rejected here, without the cost of an exception.
      if (sc.peek() !== 123) {
        if (errors === 'label') s.setError(ERR_JSON, `expected a JSON object at offset ${sc.i}`);
        return errors !== 'drop' || s.hasError();
      }
      try {
        walkJsonObject(sc, keys, sanitizeLabelName, emit, wants, tail);
      } catch (e) {
        if (!(e instanceof JsonSyntaxError) && !(e instanceof RangeError)) throw e;
        if (errors === 'label') s.setError(ERR_JSON, jsonErrorDetails(e));
        return errors !== 'drop' || s.hasError();
      }
      return true;
    };
  }
  const params = stage.params.map((p) => ({
    label: sanitizeLabelName(p.label),
    path: parseJsonPath(p.expr ?? p.label),
  }));
  return (s) => {
    sc.reset(s.line);
    try {
      sc.skip();
      sc.end();
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      if (errors === 'label') s.setError(ERR_JSON, jsonErrorDetails(e));
      return errors !== 'drop' || s.hasError();
    }
    for (const p of params) {
      const v = jsonPathValue(sc, p.path) ?? '';
      s.setExtracted(p.label, isUsableValue(v) ? v : '');
    }
    return true;
  };
}

export function compileUnpack(): Stage {
  const sc = new JsonScanner();
  const own: string[] = [];
  return (s) => {
    sc.reset(s.line);
    let entry: string | undefined;
    const pairs: Array<[string, string]> = [];
    try {
      if (sc.peek() !== 123) sc.fail('expected a JSON object');
      sc.i++;
      if (sc.peek() === 125) sc.i++;
      else {
        for (;;) {
          if (sc.peek() !== 34) sc.fail('expected key');
          const key = sc.str();
          sc.expect(58, "':'");
          if (sc.peek() === 34) {
            const v = sc.str();
            if (key === '_entry') entry = v;
            else pairs.push([key, v]);
          } else sc.skip();
          const d = sc.peek();
          if (d === 44) {
            sc.i++;
            continue;
          }
          if (d === 125) {
            sc.i++;
            break;
          }
          sc.fail("expected ',' or '}'");
        }
      }
      sc.end();
    } catch (e) {
      if (!(e instanceof JsonSyntaxError)) throw e;
      s.setError(ERR_JSON, jsonErrorDetails(e));
      return true;
    }
    own.length = 0;
    for (const [k, v] of pairs) {
      const name = sanitizeLabelName(k);
      if (name !== '' && isUsableValue(v)) s.setExtracted(name, v, own);
    }
    if (entry !== undefined) s.line = entry;
    return true;
  };
}

/**
 * `logfmt`. With `wants` (parser hints, ./label-hints.ts; only for `logfmt` without parameters)
 * it reports only the wanted names; see compileLogfmtHinted.
 */
export function compileLogfmt(stage: LogfmtParserStage, wants: LabelWants | null = null, errors: ParserErrors = 'label'): Stage {
  if (wants !== null && stage.params.length === 0) return compileLogfmtHinted(stage, wants, errors);
  const wanted = stage.params.length > 0 ? new Map<string, string>() : null;
  for (const p of stage.params) wanted!.set(p.expr ?? p.label, sanitizeLabelName(p.label));
  let cur: EntryState;
  const visitor = {
    pair(key: string, value: string | null) {
      if (wanted !== null) {
        const label = wanted.get(key);
        if (label === undefined) return;
        cur.setExtracted(label, value !== null && isUsableValue(value) ? value : '');
        return;
      }
      if (value === null) {
        if (!stage.keepEmpty) return;
        value = '';
      }
      const name = sanitizeLabelName(key);
      if (name !== '' && isUsableValue(value)) cur.setExtracted(name, value);
    },
  };
  return (s) => {
    cur = s;
    try {
      scanLogfmt(s.line, stage.strict, visitor);
    } catch (e) {
      if (!(e instanceof LogfmtError)) throw e;
      if (errors === 'label') s.setError(ERR_LOGFMT, e.message);
      return errors !== 'drop' || s.hasError();
    }
    return true;
  };
}

/**
 * `logfmt` under parser hints. A key is its own raw text (logfmt does not unescape keys), so a
 * line that does not contain a wanted name's letters-and-digits run cannot yield that name: without
 * `--strict` (which must see every pair for its errors) a line that can yield none is not scanned,
 * and the scan stops once every name the line can yield was set (the first occurrence wins).
 */
function compileLogfmtHinted(stage: LogfmtParserStage, wants: LabelWants, errors: ParserErrors): Stage {
  const names = wants.names;
  const bit = new Map<string, number>(names.map((n, i) => [n, 1 << i]));
  let cur: EntryState;
  let possible = 0;
  let found = 0;
  const visitor: LogfmtVisitor = {
    wants(line, start, end) {
      const len = end - start;
      for (let k = 0; k < names.length; k++) if (names[k]!.length === len && line.startsWith(names[k]!, start)) return true;
      // A key of letters, digits and `_` (no leading digit) is its own label name, and not wanted.
      const c0 = line.charCodeAt(start);
      if (c0 >= 48 && c0 <= 57) return true;
      for (let i = start; i < end; i++) {
        const c = line.charCodeAt(i);
        if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) return true;
      }
      return false;
    },
    pair(key, value) {
      if (value === null) {
        if (!stage.keepEmpty) return false;
        value = '';
      }
      const name = sanitizeLabelName(key);
      const b = bit.get(name);
      if (b === undefined || !isUsableValue(value)) return false;
      cur.setExtracted(name, value);
      found |= b;
      return found === possible;
    },
  };
  // Without --keep-empty a pair needs an `=`: most lines of other formats have none.
  const needsEquals = !stage.keepEmpty && !stage.strict;
  return (s) => {
    if (needsEquals && s.line.indexOf('=') < 0) return true;
    possible = wants.possibleIn(s.line, !stage.keepEmpty);
    if (possible === 0 && !stage.strict) return true;
    cur = s;
    found = 0;
    try {
      scanLogfmt(s.line, stage.strict, visitor);
    } catch (e) {
      if (!(e instanceof LogfmtError)) throw e;
      if (errors === 'label') s.setError(ERR_LOGFMT, e.message);
      return errors !== 'drop' || s.hasError();
    }
    return true;
  };
}

export function compileRegexpParser(stage: RegexpParserStage): Stage {
  const re = compileRe2(stage.pattern);
  const names = [...new Set(re.groupNames)];
  if (names.length === 0) {
    throw new LogwharfError('parse_error', `regexp parser ${JSON.stringify(stage.pattern)} needs at least one named capture`);
  }
  return (s) => {
    const m = re.exec(s.line);
    if (m === null || m.groups === undefined) return true;
    for (const name of names) {
      const v = m.groups[name] ?? '';
      if (isUsableValue(v)) s.setExtracted(name, v);
    }
    return true;
  };
}

export function compilePatternParser(stage: PatternParserStage): Stage {
  const parts = parsePattern(stage.pattern, { requireNamed: true });
  let cur: EntryState;
  const emit = (name: string, value: string) => {
    if (isUsableValue(value)) cur.setExtracted(name, value);
  };
  return (s) => {
    cur = s;
    extractPattern(parts, s.line, emit);
    return true;
  };
}

// CSI sequences (colours, cursor movement) and OSC sequences (titles, hyperlinks).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function compileDecolorize(): Stage {
  return (s) => {
    if (s.line.indexOf('\x1b') >= 0) s.line = s.line.replace(ANSI, '');
    return true;
  };
}
