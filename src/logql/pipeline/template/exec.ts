/**
 * Template evaluation. A template is compiled once (parse errors and unknown functions are reported
 * then) and rendered many times. `GoTemplate` is the engine, parameterised by its function table so
 * each dialect (line_format here, alert templates in src/rules) names its own functions; `Template`
 * is line_format's: rendered per entry against the entry's labels.
 */
import { LogwharfError } from '../../../api/errors.js';
import type { Labels } from '../../../api/model.js';
import { FUNCS, type Ctx, type FuncTable } from './funcs.js';
import type { Arg, Node, Pipe } from './parse.js';
import { parseTemplate } from './parse.js';
import type { GoValue } from './values.js';
import { GoTime, TemplateError, goPrint, truthy } from './values.js';

/** Longest output a template may produce for one entry. */
export const MAX_TEMPLATE_OUTPUT = 16 * 1024 * 1024;

class Break {}
class Continue {}

interface Scope {
  funcs: FuncTable<unknown>;
  ctx: unknown;
  vars: Array<[string, GoValue]>;
  out: string;
  /** The string maps (Go's map[string]string) whose missing keys read as "" (missingkey=zero). */
  stringMaps: readonly GoValue[];
}

/**
 * `.name` on a value. Loki and Prometheus execute templates with Option("missingkey=zero") over labels
 * as a map[string]string, so a label that is not there is "" (not Go's "<no value>"); other maps
 * (fromJson's map[string]interface{}) keep the interface zero, nil.
 */
function lookupField(recv: GoValue | Labels, name: string, stringMaps: readonly GoValue[]): GoValue {
  if (recv === undefined || recv === null) return undefined;
  if (typeof recv !== 'object' || recv instanceof GoTime || Array.isArray(recv)) {
    throw new TemplateError(`can't evaluate field ${name} in type ${typeof recv === 'object' && recv instanceof GoTime ? 'time.Time' : typeof recv}`);
  }
  const v = (recv as Record<string, GoValue>)[name];
  if (Object.hasOwn(recv, name)) return v;
  return stringMaps.includes(recv) ? '' : undefined;
}

function evalArg(a: Arg, dot: GoValue, sc: Scope): GoValue {
  switch (a.t) {
    case 'dot':
      return dot;
    case 'field': {
      let v: GoValue = a.recv ? evalArg(a.recv, dot, sc) : dot;
      for (const p of a.path) v = lookupField(v, p, sc.stringMaps);
      return v;
    }
    case 'var': {
      let v = getVar(sc, a.name);
      for (const p of a.path) v = lookupField(v, p, sc.stringMaps);
      return v;
    }
    case 'str':
      return a.v;
    case 'int':
      return a.v;
    case 'float':
      return a.v;
    case 'bool':
      return a.v;
    case 'nil':
      return null;
    case 'func':
      return callFunc(a.name, [], undefined, false, dot, sc);
    case 'pipe':
      return evalPipe(a.pipe, dot, sc);
  }
}

function getVar(sc: Scope, name: string): GoValue {
  for (let i = sc.vars.length - 1; i >= 0; i--) if (sc.vars[i]![0] === name) return sc.vars[i]![1];
  throw new TemplateError(`undefined variable: ${name}`);
}

function callFunc(name: string, args: Arg[], piped: GoValue, hasPiped: boolean, dot: GoValue, sc: Scope): GoValue {
  // and/or evaluate lazily and return the deciding argument, as Go 1.18+ does.
  if (name === 'and' || name === 'or') {
    const n = args.length + (hasPiped ? 1 : 0);
    if (n < 1) throw new TemplateError(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: GoValue = undefined;
    for (let i = 0; i < n; i++) {
      v = i < args.length ? evalArg(args[i]!, dot, sc) : piped;
      if (name === 'and' ? !truthy(v) : truthy(v)) return v;
    }
    return v;
  }
  const f = sc.funcs[name]!;
  const vals: GoValue[] = args.map((x) => evalArg(x, dot, sc));
  if (hasPiped) vals.push(piped);
  if (vals.length < f.min || (f.max !== undefined && vals.length > f.max)) {
    throw new TemplateError(`wrong number of args for ${name}: want ${f.max === f.min ? f.min : `${f.min}${f.max === undefined ? '+' : `-${f.max}`}`} got ${vals.length}`);
  }
  try {
    return f.fn(vals, sc.ctx);
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`error calling ${name}: ${e.message}`);
    throw new TemplateError(`error calling ${name}: ${(e as Error).message}`);
  }
}

function evalPipe(p: Pipe, dot: GoValue, sc: Scope): GoValue {
  let v: GoValue = undefined;
  let has = false;
  for (const cmd of p.cmds) {
    const first = cmd[0]!;
    if (first.t === 'func') {
      v = callFunc(first.name, cmd.slice(1), v, has, dot, sc);
    } else {
      if (cmd.length > 1 || has) throw new TemplateError(`can't give argument to non-function ${describe(first)}`);
      v = evalArg(first, dot, sc);
    }
    has = true;
  }
  if (p.decl.length === 1) {
    if (p.assign) {
      for (let i = sc.vars.length - 1; i >= 0; i--) {
        if (sc.vars[i]![0] === p.decl[0]) {
          sc.vars[i]![1] = v;
          return v;
        }
      }
      throw new TemplateError(`undefined variable: ${p.decl[0]}`);
    }
    sc.vars.push([p.decl[0]!, v]);
  }
  return v;
}

function describe(a: Arg): string {
  if (a.t === 'field') return '.' + a.path.join('.');
  if (a.t === 'str') return JSON.stringify(a.v);
  return a.t;
}

function write(sc: Scope, s: string): void {
  sc.out += s;
  if (sc.out.length > MAX_TEMPLATE_OUTPUT) throw new TemplateError('template output too large');
}

function run(nodes: Node[], dot: GoValue, sc: Scope): void {
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
        write(sc, n.v);
        break;
      case 'action': {
        const v = evalPipe(n.pipe, dot, sc);
        if (n.pipe.decl.length === 0) write(sc, goPrint(v));
        break;
      }
      case 'if':
      case 'with': {
        const mark = sc.vars.length;
        const v = evalPipe(n.pipe, dot, sc);
        if (truthy(v)) run(n.then, n.t === 'with' ? v : dot, sc);
        else if (n.else) run(n.else, dot, sc);
        sc.vars.length = mark;
        break;
      }
      case 'range': {
        const mark = sc.vars.length;
        const decl = n.pipe.decl;
        const v = evalPipe({ ...n.pipe, decl: [] }, dot, sc);
        let items: Array<[GoValue, GoValue]>;
        if (Array.isArray(v)) items = v.map((x, i) => [BigInt(i), x]);
        else if (typeof v === 'bigint') items = Array.from({ length: Math.max(0, Math.min(Number(v), 1_000_000)) }, (_x, i) => [BigInt(i), BigInt(i)]);
        else if (v && typeof v === 'object' && !(v instanceof GoTime)) items = Object.keys(v).sort().map((k) => [k, (v as Record<string, GoValue>)[k]]);
        else if (v === undefined || v === null) items = [];
        else throw new TemplateError(`range can't iterate over ${goPrint(v)}`);
        if (items.length === 0) {
          if (n.else) run(n.else, dot, sc);
          break;
        }
        for (const [k, x] of items) {
          sc.vars.length = mark;
          if (decl.length === 1) sc.vars.push([decl[0]!, x]);
          else if (decl.length === 2) sc.vars.push([decl[0]!, k], [decl[1]!, x]);
          try {
            run(n.then, x, sc);
          } catch (e) {
            if (e instanceof Break) break;
            if (!(e instanceof Continue)) throw e;
          }
        }
        sc.vars.length = mark;
        break;
      }
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }
}

/** Compiled Go text/template over the function table `funcs` (whose functions get `C` per call). */
export class GoTemplate<C> {
  readonly source: string;
  private readonly nodes: Node[];
  private readonly funcs: FuncTable<C>;

  /** Throws LogwharfError('parse_error') naming the problem, e.g. `function "foo" not defined`. */
  constructor(source: string, funcs: FuncTable<C>) {
    this.source = source;
    this.funcs = funcs;
    try {
      this.nodes = parseTemplate(source, (name) => Object.hasOwn(funcs, name) || name === 'and' || name === 'or');
    } catch (e) {
      if (e instanceof LogwharfError) throw new LogwharfError('parse_error', `${e.message} in ${JSON.stringify(source.slice(0, 200))}`);
      if (e instanceof RangeError) throw new LogwharfError('parse_error', 'invalid template: nested too deeply');
      throw e;
    }
  }

  /** A template made of one text node needs no evaluation. */
  get constant(): string | undefined {
    if (this.nodes.length === 0) return '';
    const n = this.nodes[0]!;
    return this.nodes.length === 1 && n.t === 'text' ? n.v : undefined;
  }

  /**
   * Renders with `data` as dot (and `$`); `stringMaps` are the label maps inside it whose missing keys
   * read as "". Throws TemplateError on an execution error.
   */
  execute(data: GoValue, ctx: C, stringMaps: readonly GoValue[]): string {
    const sc: Scope = { funcs: this.funcs as FuncTable<unknown>, ctx, vars: [['$', data]], out: '', stringMaps };
    try {
      run(this.nodes, data, sc);
    } catch (e) {
      if (e instanceof Break || e instanceof Continue) return sc.out;
      if (e instanceof TemplateError) throw e;
      if (e instanceof RangeError) throw new TemplateError(e.message);
      throw e;
    }
    return sc.out;
  }
}

/** line_format / label_format's template: parse once per query, `render` per entry. */
export class Template {
  private readonly tpl: GoTemplate<Ctx>;

  constructor(source: string) {
    this.tpl = new GoTemplate(source, FUNCS);
  }

  get source(): string {
    return this.tpl.source;
  }

  get constant(): string | undefined {
    return this.tpl.constant;
  }

  /** Renders against `labels`; throws TemplateError on an execution error. */
  render(labels: Labels, line: string, ts: bigint): string {
    return this.tpl.execute(labels as GoValue, { line, ts }, [labels as GoValue]);
  }
}
