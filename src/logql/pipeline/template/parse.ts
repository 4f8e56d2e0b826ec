/**
 * A parser for the subset of Go's text/template that LogQL users write: text, `{{pipeline}}`
 * actions with `|` chains, `{{if}}`/`{{else if}}`/`{{else}}`/`{{end}}`, `{{with}}`, `{{range}}`,
 * variables (`$x := ...`, `$`), parenthesised pipelines, comments and `{{-`/`-}}` trimming.
 */
import { LogwharfError } from '../../../api/errors.js';

export type Arg =
  | { t: 'dot' }
  | { t: 'field'; path: string[]; recv?: Arg }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'func'; name: string }
  | { t: 'pipe'; pipe: Pipe };

export type Cmd = Arg[];

export interface Pipe {
  decl: string[];
  /** `=` (assign to an existing variable) rather than `:=`. */
  assign: boolean;
  cmds: Cmd[];
}

export type Node =
  | { t: 'text'; v: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; then: Node[]; else: Node[] | undefined }
  | { t: 'range'; pipe: Pipe; then: Node[]; else: Node[] | undefined }
  | { t: 'break' | 'continue' };

type Tok =
  | { k: 'ident'; v: string }
  | { k: 'field'; v: string }
  | { k: 'var'; v: string }
  | { k: 'str'; v: string }
  | { k: 'num'; v: string }
  | { k: 'char'; v: string }
  | { k: 'op'; v: '|' | '(' | ')' | ':=' | '=' | ',' }
  | { k: 'end' };

function templateError(msg: string): LogwharfError {
  return new LogwharfError('parse_error', `invalid template: ${msg}`);
}

function unquoteGo(raw: string): string {
  // Go's interpreted string literal; JSON covers the common escapes, the rest are mapped first.
  const body = raw.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{3}|a|v|')/g, (_m, e: string) => {
    if (e === 'a') return '\\u0007';
    if (e === 'v') return '\\u000b';
    if (e === "'") return "'";
    if (e[0] === 'x') return '\\u00' + e.slice(1);
    return '\\u' + parseInt(e, 8).toString(16).padStart(4, '0');
  }).replace(/\\U([0-9a-fA-F]{8})/g, (_m, h: string) => {
    const cp = parseInt(h, 16);
    return cp > 0x10ffff ? '\uFFFD' : String.fromCodePoint(cp).split('').map((c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).join('');
  });
  try {
    return JSON.parse(`"${body.replace(/\t/g, '\\t')}"`) as string;
  } catch {
    throw templateError(`bad string literal ${raw}`);
  }
}

/** Splits the inside of one action into tokens. */
function lexAction(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  const identChar = (c: string) => /[A-Za-z0-9_]/.test(c);
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',') {
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ k: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if (c === '=') {
      toks.push({ k: 'op', v: '=' });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= n) throw templateError('unterminated quoted string');
      toks.push({ k: 'str', v: unquoteGo(src.slice(i, j + 1)) });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw templateError('unterminated raw quoted string');
      toks.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== "'") j += src[j] === '\\' ? 2 : 1;
      if (j >= n) throw templateError('unterminated character constant');
      const v = unquoteGo('"' + src.slice(i + 1, j).replace(/"/g, '\\"') + '"');
      toks.push({ k: 'char', v });
      i = j + 1;
      continue;
    }
    if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      // A field chain `.a.b`, or a lone dot.
      let k = i + 1;
      while (k < n && identChar(src[k]!)) k++;
      if (k === i + 1) {
        toks.push({ k: 'field', v: '.' });
        i = k;
        continue;
      }
      let path = src.slice(i, k);
      let j = k;
      while (src[j] === '.' && j + 1 < n && identChar(src[j + 1]!)) {
        k = j + 1;
        while (k < n && identChar(src[k]!)) k++;
        path += src.slice(j, k);
        j = k;
      }
      toks.push({ k: 'field', v: path });
      i = j;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (j < n && identChar(src[j]!)) j++;
      let name = src.slice(i, j);
      // `$x.field` chains.
      while (src[j] === '.' && j + 1 < n && identChar(src[j + 1]!)) {
        let k = j + 1;
        while (k < n && identChar(src[k]!)) k++;
        name += src.slice(j, k);
        j = k;
      }
      toks.push({ k: 'var', v: name });
      i = j;
      continue;
    }
    if (/[0-9+\-.]/.test(c)) {
      const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
      if (!m || m[0] === '' || m[0] === '+' || m[0] === '-') throw templateError(`bad character ${JSON.stringify(c)}`);
      toks.push({ k: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < n && identChar(src[j]!)) j++;
      toks.push({ k: 'ident', v: src.slice(i, j) });
      i = j;
      continue;
    }
    throw templateError(`unexpected ${JSON.stringify(c)} in action`);
  }
  toks.push({ k: 'end' });
  return toks;
}

function parseNumber(s: string): Arg {
  const clean = s.replace(/_/g, '');
  if (/^[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+)$/.test(clean)) {
    const neg = clean.startsWith('-');
    const body = clean.replace(/^[+-]/, '');
    let v: bigint;
    if (/^0[oO]/.test(body)) v = BigInt('0o' + body.slice(2));
    else if (/^0\d/.test(body)) v = BigInt('0o' + body.slice(1));
    else v = BigInt(body);
    return { t: 'int', v: neg ? -v : v };
  }
  const f = Number(clean);
  if (Number.isNaN(f)) throw templateError(`bad number syntax: ${JSON.stringify(s)}`);
  return { t: 'float', v: f };
}

class ActionParser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly isFunc: (name: string) => boolean,
  ) {}

  peek(): Tok {
    return this.toks[this.p]!;
  }

  next(): Tok {
    return this.toks[this.p++]!;
  }

  atEnd(): boolean {
    return this.peek().k === 'end';
  }

  pipeline(context: string, allowDecl = true): Pipe {
    const pipe: Pipe = { decl: [], assign: false, cmds: [] };
    // Declarations: `$x :=` or `$i, $v :=` (range) or `$x =`.
    if (allowDecl && this.peek().k === 'var') {
      const save = this.p;
      const names: string[] = [];
      while (this.peek().k === 'var') {
        names.push((this.next() as { v: string }).v);
        const t = this.peek();
        if (t.k === 'op' && t.v === ',') {
          this.next();
          continue;
        }
        break;
      }
      const t = this.peek();
      if (t.k === 'op' && (t.v === ':=' || t.v === '=')) {
        this.next();
        pipe.decl = names;
        pipe.assign = t.v === '=';
      } else this.p = save;
    }
    for (;;) {
      const cmd = this.command();
      if (cmd.length === 0) throw templateError(`missing value for ${context}`);
      pipe.cmds.push(cmd);
      const t = this.peek();
      if (t.k === 'op' && t.v === '|') {
        this.next();
        continue;
      }
      break;
    }
    return pipe;
  }

  private command(): Cmd {
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (t.k === 'end' || (t.k === 'op' && (t.v === '|' || t.v === ')'))) break;
      args.push(this.operand());
    }
    return args;
  }

  private operand(): Arg {
    const t = this.next();
    let a: Arg;
    switch (t.k) {
      case 'field':
        a = t.v === '.' ? { t: 'dot' } : { t: 'field', path: t.v.slice(1).split('.') };
        break;
      case 'var': {
        const [name, ...path] = t.v.split('.');
        a = { t: 'var', name: name!, path };
        break;
      }
      case 'str':
        a = { t: 'str', v: t.v };
        break;
      case 'char':
        a = { t: 'int', v: BigInt(t.v.codePointAt(0) ?? 0) };
        break;
      case 'num':
        a = parseNumber(t.v);
        break;
      case 'ident':
        if (t.v === 'true' || t.v === 'false') a = { t: 'bool', v: t.v === 'true' };
        else if (t.v === 'nil') a = { t: 'nil' };
        else {
          if (!this.isFunc(t.v)) throw templateError(`function ${JSON.stringify(t.v)} not defined`);
          a = { t: 'func', name: t.v };
        }
        break;
      case 'op':
        if (t.v === '(') {
          const pipe = this.pipeline('parenthesized pipeline', false);
          const close = this.next();
          if (close.k !== 'op' || close.v !== ')') throw templateError('unclosed left paren');
          a = { t: 'pipe', pipe };
          break;
        }
        throw templateError(`unexpected ${JSON.stringify(t.v)} in operand`);
      default:
        throw templateError('unexpected end of action');
    }
    // Field access on a parenthesised value: `(fromJson .x).a`.
    const nt = this.peek();
    if (a.t === 'pipe' && nt.k === 'field' && nt.v !== '.') {
      this.next();
      a = { t: 'field', path: nt.v.slice(1).split('.'), recv: a };
    }
    return a;
  }
}

interface RawAction {
  body: string;
}

/** Splits template text into text and action pieces, applying trim markers. */
function split(src: string): Array<string | RawAction> {
  const out: Array<string | RawAction> = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) out.push(text);
      break;
    }
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start) || src.startsWith('-\r', start)) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    if (text) out.push(text);
    // Find the closing delimiter outside quoted strings and comments.
    let j = start;
    let close = -1;
    while (j < src.length) {
      const c = src[j];
      if (c === '"' || c === "'") {
        j++;
        while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
        j++;
      } else if (c === '`') {
        const e = src.indexOf('`', j + 1);
        j = e < 0 ? src.length : e + 1;
      } else if (src.startsWith('/*', j)) {
        const e = src.indexOf('*/', j + 2);
        j = e < 0 ? src.length : e + 2;
      } else if (src.startsWith('}}', j)) {
        close = j;
        break;
      } else j++;
    }
    if (close < 0) throw templateError('unclosed action');
    let end = close;
    if (/[ \t\r\n]-$/.test(src.slice(start, close))) {
      end = close - 1;
      trimNext = true;
    }
    out.push({ body: src.slice(start, end) });
    i = close + 2;
  }
  return out;
}

/** Parses a template; `isFunc` says which function names exist (unknown ones are errors). */
export function parseTemplate(src: string, isFunc: (name: string) => boolean): Node[] {
  const pieces = split(src);
  let pos = 0;
  type Frame = { kind: 'root' | 'if' | 'with' | 'range'; nodes: Node[] };

  const parseList = (kind: Frame['kind']): { nodes: Node[]; stop: 'end' | 'else' | 'eof'; elseBody?: string } => {
    const nodes: Node[] = [];
    while (pos < pieces.length) {
      const piece = pieces[pos++]!;
      if (typeof piece === 'string') {
        nodes.push({ t: 'text', v: piece });
        continue;
      }
      const body = piece.body.trim();
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw templateError('unclosed comment');
        continue;
      }
      const toks = lexAction(body);
      const first = toks[0]!;
      const kw = first.k === 'ident' ? first.v : '';
      if (kw === 'end') {
        if (kind === 'root') throw templateError('unexpected {{end}}');
        if (toks.length !== 2) throw templateError('unexpected tokens after end');
        return { nodes, stop: 'end' };
      }
      if (kw === 'else') {
        if (kind === 'root') throw templateError('unexpected {{else}}');
        return { nodes, stop: 'else', elseBody: body.slice(4).trim() };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        nodes.push(parseControl(kw, toks.slice(1)));
        continue;
      }
      if (kw === 'break' || kw === 'continue') {
        nodes.push({ t: kw });
        continue;
      }
      if (kw === 'define' || kw === 'template' || kw === 'block') throw templateError(`{{${kw}}} is not supported`);
      const ap = new ActionParser(toks, isFunc);
      const pipe = ap.pipeline('command');
      if (!ap.atEnd()) throw templateError(`unexpected token in action: ${body}`);
      nodes.push({ t: 'action', pipe });
    }
    if (kind !== 'root') throw templateError(`unexpected EOF: missing {{end}} for {{${kind}}}`);
    return { nodes, stop: 'eof' };
  };

  const parseControl = (kw: 'if' | 'with' | 'range', toks: Tok[]): Node => {
    const ap = new ActionParser(toks, isFunc);
    if (ap.atEnd()) throw templateError(`missing value for ${kw}`);
    const pipe = ap.pipeline(kw);
    if (!ap.atEnd()) throw templateError(`unexpected token in ${kw}`);
    const body = parseList(kw);
    let elseNodes: Node[] | undefined;
    if (body.stop === 'else') {
      const rest = body.elseBody ?? '';
      if (rest.startsWith('if') && /^if\b/.test(rest) && kw !== 'range') {
        // `{{else if x}}` nests an if whose {{end}} closes both.
        elseNodes = [parseControl('if', lexAction(rest.slice(2)))];
      } else if (rest.startsWith('with') && /^with\b/.test(rest) && kw === 'with') {
        elseNodes = [parseControl('with', lexAction(rest.slice(4)))];
      } else {
        if (rest !== '') throw templateError(`unexpected ${JSON.stringify(rest)} after else`);
        const e = parseList(kw);
        if (e.stop !== 'end') throw templateError(`expected {{end}} after {{else}}`);
        elseNodes = e.nodes;
      }
    }
    return kw === 'range'
      ? { t: 'range', pipe, then: body.nodes, else: elseNodes }
      : { t: kw, pipe, then: body.nodes, else: elseNodes };
  };

  return parseList('root').nodes;
}
