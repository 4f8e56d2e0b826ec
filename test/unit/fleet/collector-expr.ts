/**
 * A stand-in for the Collector's evaluation of what logwharf renders (no Collector runs here): the
 * subset of stanza's expr-lang (`resource["k"]`, `attributes["k"]`, `body`, `matches`, `==`, `!=`,
 * `not`, `and`, `or`, `nil`) and of OTTL (`resource.attributes["k"]`, `IsMatch`, `Concat`, and the editors
 * `set`, `replace_pattern`, `delete_key` with `where`) that the builder emits, with the documented
 * semantics: Go RE2 regexes (re2js, a port of Go's regexp), `IsMatch` false on a missing value, expr's
 * `matches` an error on one, replace_pattern expanding `$1`/`${name}` as Go's regexp does. Anything
 * outside the subset is a parse error, so a test fails if the builder emits something unchecked.
 *
 * `unescapeConfig` applies the Collector's configuration expansion first: `$$` is a literal `$`.
 */
import { compileRe2 } from '../../../src/logql/regex.js';
import { expand, parseTemplate } from '../../../src/agent/pipeline/relabel.js';

export interface LogRecord {
  body: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
}

export type Lang = 'stanza' | 'ottl';

type Tok = { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new Error(`unterminated string in ${src}`);
      out.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('[](),.'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) throw new Error(`unexpected ${JSON.stringify(c)} at ${i} in ${src}`);
    out.push({ t: 'id', v: m[0] });
    i += m[0].length;
  }
  return out;
}

type Value = string | undefined | boolean;
type Ref = { map: 'resource' | 'attributes'; key: string } | { map: 'body' };

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[], private readonly lang: Lang, private readonly src: string) {}

  done(): boolean {
    return this.pos >= this.toks.length;
  }
  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }
  private isId(v: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && t.v === v;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  expectOp(v: string): void {
    if (!this.isOp(v)) throw new Error(`expected ${v} at token ${this.pos} in ${this.src}`);
    this.pos++;
  }
  string(): string {
    const t = this.peek();
    if (t?.t !== 'str') throw new Error(`expected a string at token ${this.pos} in ${this.src}`);
    this.pos++;
    return t.v;
  }

  /** A path to a value (or, with `map`, to a whole attribute map). */
  ref(allowMap = false): Ref | { map: 'resource' | 'attributes'; whole: true } {
    const t = this.peek();
    if (t?.t !== 'id') throw new Error(`expected a path at token ${this.pos} in ${this.src}`);
    this.pos++;
    if (t.v === 'body') return { map: 'body' };
    let map: 'resource' | 'attributes';
    if (t.v === 'attributes') map = 'attributes';
    else if (t.v === 'resource' && this.lang === 'stanza') map = 'resource';
    else if (t.v === 'resource' && this.lang === 'ottl') {
      this.expectOp('.');
      if (!this.isId('attributes')) throw new Error(`expected resource.attributes in ${this.src}`);
      this.pos++;
      map = 'resource';
    } else throw new Error(`unknown path ${t.v} in ${this.src}`);
    if (!this.isOp('[')) {
      if (allowMap) return { map, whole: true };
      throw new Error(`expected [ after ${map} in ${this.src}`);
    }
    this.pos++;
    const key = this.string();
    this.expectOp(']');
    return { map, key };
  }

  or(): (r: LogRecord) => Value {
    let left = this.and();
    while (this.isId('or')) {
      this.pos++;
      const l = left;
      const right = this.and();
      left = (r) => truthy(l(r)) || truthy(right(r));
    }
    return left;
  }
  private and(): (r: LogRecord) => Value {
    let left = this.unary();
    while (this.isId('and')) {
      this.pos++;
      const l = left;
      const right = this.unary();
      left = (r) => truthy(l(r)) && truthy(right(r));
    }
    return left;
  }
  private unary(): (r: LogRecord) => Value {
    if (this.isId('not')) {
      this.pos++;
      const inner = this.unary();
      return (r) => !truthy(inner(r));
    }
    return this.comparison();
  }
  private comparison(): (r: LogRecord) => Value {
    const left = this.operand();
    if (this.isOp('==') || this.isOp('!=')) {
      const op = (this.peek() as Tok).v;
      this.pos++;
      const right = this.operand();
      return (r) => (left(r) === right(r)) === (op === '==');
    }
    if (this.lang === 'stanza' && this.isId('matches')) {
      this.pos++;
      const re = compileRe2(this.string());
      return (r) => {
        const v = left(r);
        if (typeof v !== 'string') throw new Error('matches on a missing value (expr-lang: runtime error)');
        return re.test(v);
      };
    }
    return left;
  }
  private operand(): (r: LogRecord) => Value {
    const t = this.peek();
    if (t?.t === 'op' && t.v === '(') {
      this.pos++;
      const inner = this.or();
      this.expectOp(')');
      return inner;
    }
    if (t?.t === 'str') {
      this.pos++;
      return () => t.v;
    }
    if (t?.t === 'id' && (t.v === 'nil' || t.v === 'true' || t.v === 'false')) {
      this.pos++;
      return () => (t.v === 'nil' ? undefined : t.v === 'true');
    }
    if (this.lang === 'ottl' && this.isId('Concat')) {
      // Concat([values], delimiter): the string values joined (the builder passes only strings).
      this.pos++;
      this.expectOp('(');
      this.expectOp('[');
      const parts: Array<(r: LogRecord) => Value> = [this.operand()];
      while (this.isOp(',')) {
        this.pos++;
        parts.push(this.operand());
      }
      this.expectOp(']');
      this.expectOp(',');
      const sep = this.string();
      this.expectOp(')');
      return (r) =>
        parts
          .map((p) => {
            const v = p(r);
            if (typeof v !== 'string') throw new Error('Concat given a value that is not a string');
            return v;
          })
          .join(sep);
    }
    if (this.lang === 'ottl' && this.isId('IsMatch')) {
      this.pos++;
      this.expectOp('(');
      const target = this.operand();
      this.expectOp(',');
      const re = compileRe2(this.string());
      this.expectOp(')');
      return (r) => {
        const v = target(r);
        return typeof v === 'string' && re.test(v);
      };
    }
    const ref = this.ref() as Ref;
    return (r) => read(r, ref);
  }
}

function truthy(v: Value): boolean {
  if (typeof v !== 'boolean') throw new Error(`a condition produced ${JSON.stringify(v)}, not a boolean`);
  return v;
}

function read(r: LogRecord, ref: Ref): string | undefined {
  if (ref.map === 'body') return r.body;
  const m = ref.map === 'resource' ? r.resource : r.attributes;
  return Object.hasOwn(m, ref.key) ? m[ref.key] : undefined;
}

/** Compiles a condition in one of the two languages; throws on anything outside the subset. */
export function compileCondition(src: string, lang: Lang): (r: LogRecord) => boolean {
  const p = new Parser(tokenize(src), lang, src);
  const f = p.or();
  if (!p.done()) throw new Error(`trailing tokens in ${src}`);
  return (r) => truthy(f(r));
}

/** Compiles one OTTL statement (log context) into an edit of the record. */
export function compileStatement(src: string): (r: LogRecord) => void {
  const toks = tokenize(src);
  const name = toks[0];
  if (name?.t !== 'id' || !['set', 'replace_pattern', 'delete_key'].includes(name.v)) throw new Error(`unknown editor in ${src}`);
  // Split off ` where …` at the top level: re-tokenize the rest after the call's closing paren.
  let depth = 0;
  let end = -1;
  for (let i = 1; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.t === 'op' && t.v === '(') depth++;
    if (t.t === 'op' && t.v === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`unbalanced call in ${src}`);
  const argToks = toks.slice(2, end);
  let cond: ((r: LogRecord) => boolean) | undefined;
  const rest = toks.slice(end + 1);
  if (rest.length > 0) {
    if (rest[0]!.t !== 'id' || rest[0]!.v !== 'where') throw new Error(`expected where in ${src}`);
    const cp = new Parser(rest.slice(1), 'ottl', src);
    const f = cp.or();
    if (!cp.done()) throw new Error(`trailing tokens in ${src}`);
    cond = (r) => truthy(f(r));
  }
  const ap = new Parser(argToks, 'ottl', src);
  const write = (r: LogRecord, ref: Ref, v: string | undefined) => {
    if (ref.map === 'body') {
      if (v !== undefined) r.body = v;
      return;
    }
    const m = ref.map === 'resource' ? r.resource : r.attributes;
    if (v !== undefined) m[ref.key] = v; // OTTL's set with a nil value leaves the target as it is
  };
  let edit: (r: LogRecord) => void;
  if (name.v === 'set') {
    const target = ap.ref() as Ref;
    expectComma(argToks, ap);
    const value = ap.or();
    edit = (r) => {
      const v = value(r);
      if (typeof v === 'boolean') throw new Error('set to a boolean');
      write(r, target, v);
    };
  } else if (name.v === 'replace_pattern') {
    const target = ap.ref() as Ref;
    expectComma(argToks, ap);
    const re = compileRe2(ap.string());
    expectComma(argToks, ap);
    const template = parseTemplate(ap.string());
    edit = (r) => {
      const v = read(r, target);
      if (v === undefined) return;
      write(r, target, re.replaceAll(v, (groups, named) => expand(template, Object.assign([...groups], { groups: named, index: 0, input: v }) as unknown as RegExpExecArray)));
    };
  } else {
    const map = ap.ref(true);
    if (!('whole' in map)) throw new Error(`delete_key takes a map in ${src}`);
    expectComma(argToks, ap);
    const key = ap.string();
    edit = (r) => {
      delete (map.map === 'resource' ? r.resource : r.attributes)[key];
    };
  }
  if (!ap.done()) throw new Error(`extra arguments in ${src}`);
  return (r) => {
    if (!cond || cond(r)) edit(r);
  };
}

function expectComma(_toks: Tok[], p: Parser): void {
  p.expectOp(',');
}

/** The Collector's configuration expansion for strings without references: `$$` → `$`. */
export function unescapeConfig<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/\$\$/g, () => '$') as T;
  if (Array.isArray(v)) return v.map(unescapeConfig) as T;
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [unescapeConfig(k), unescapeConfig(x)])) as T;
  return v;
}
