/**
 * Rule files: parsing and checking Prometheus' rule-file format with LogQL expressions, as Loki's ruler
 * and `rules lint` need it. Every problem in a file is reported at once, each with its group, rule and
 * position in the file, in Prometheus' (rulefmt's) and Loki's words where they have them.
 *
 * The YAML is walked as the `yaml` package's node tree (not as plain values) so that each problem can
 * point at the line and column of the key or value at fault.
 */
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair, type YAMLMap } from 'yaml';
import { LogwharfError } from '../api/errors.js';
import type { Labels } from '../api/model.js';
import { NS_PER_MS } from '../api/time-units.js';
import { promDurationOrError } from '../api/duration.js';
import { parseExpr } from '../logql/syntax/index.js';
import type { AlertingRule, RecordingRule, RuleGroup, RuleGroupSpec, RuleOrigin, RuleSpec } from './model.js';
import { templateProblem } from './template.js';

export interface RuleProblem {
  group?: string;
  rule?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface CheckOptions {
  /** Most rules one group may hold (Loki's `ruler_max_rules_per_rule_group`); absent or 0 = no limit. */
  maxRulesPerGroup?: number;
}

/** One problem as a user reads it: `group "g", rule "r": line 7 col 11: reason`. */
export function formatProblem(p: RuleProblem): string {
  const where: string[] = [];
  if (p.group !== undefined) where.push(`group ${JSON.stringify(p.group)}`);
  if (p.rule !== undefined) where.push(`rule ${JSON.stringify(p.rule)}`);
  const pos = p.line !== undefined ? `line ${p.line} col ${p.column ?? 1}: ` : '';
  return (where.length > 0 ? where.join(', ') + ': ' : '') + pos + p.message;
}

/** One problem as `rules lint` prints it, as compilers do: `FILE:LINE:COL: group "g" rule "r": reason`. */
export function formatLintLine(file: string, p: RuleProblem): string {
  const pos = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  const where: string[] = [];
  if (p.group !== undefined) where.push(`group ${JSON.stringify(p.group)}`);
  if (p.rule !== undefined) where.push(`rule ${JSON.stringify(p.rule)}`);
  return `${pos}: ${where.length > 0 ? where.join(' ') + ': ' : ''}${p.message}`;
}

/** A rule file (or group) with problems: all of them, each with its position. */
export class RuleFileError extends LogwharfError {
  readonly problems: RuleProblem[];
  constructor(problems: RuleProblem[]) {
    super('bad_request', problems.map(formatProblem).join('\n'), { problems });
    this.name = 'RuleFileError';
    this.problems = problems;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const GROUP_FIELDS = ['name', 'interval', 'limit', 'rules'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

/** Where problems are collected, and how node offsets become lines and columns. */
class Checker {
  readonly problems: RuleProblem[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter | undefined,
    private readonly text: string,
    readonly opts: CheckOptions,
  ) {}

  pos(node: Node | null | undefined): { line?: number; column?: number } {
    const off = node?.range?.[0];
    if (off === undefined || !this.lc) return {};
    const p = this.lc.linePos(off);
    return { line: p.line, column: p.col };
  }

  add(where: { group?: string; rule?: string }, node: Node | null | undefined, message: string): void {
    this.problems.push({ ...where, ...this.pos(node), message });
  }

  addAt(where: { group?: string; rule?: string }, at: { line?: number; column?: number }, message: string): void {
    this.problems.push({ ...where, ...at, message });
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null) ?? null;
  }

  /**
   * Where (line, column) of an expression scalar the expression's own line `l` and column `c` are,
   * when that can be known exactly: a plain or quoted scalar on one line, or a literal block (`|`).
   */
  exprPos(node: Node, l: number, c: number): { line?: number; column?: number } | undefined {
    if (!isScalar(node) || !this.lc || !node.range) return undefined;
    const start = this.pos(node);
    if (node.type === 'PLAIN' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
      const src = this.text.slice(node.range[0], node.range[1]);
      const quoted = node.type !== 'PLAIN' ? 1 : 0;
      // Exact only when the source is the value itself (no escapes, no folding).
      if (l === 1 && !src.includes('\n') && src.slice(quoted, src.length - quoted) === node.value) return { line: start.line, column: start.column! + quoted + c - 1 };
      return undefined;
    }
    if (node.type === 'BLOCK_LITERAL') {
      // The header line (`|`, `|-`, `|2`) is followed by the content, indented uniformly.
      const lines = this.text.slice(node.range[0], node.range[1]).split('\n');
      const content = lines.slice(1);
      const first = content.find((x) => x.trim() !== '');
      if (first === undefined || /\|\d/.test(lines[0]!)) return undefined;
      const indent = first.length - first.trimStart().length;
      return { line: start.line! + l, column: indent + c };
    }
    return undefined;
  }
}

function scalarText(node: Node | null): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  // Go's yaml decodes any scalar into a string field as written (`name: 123` is "123").
  return typeof node.source === 'string' ? node.source : String(v);
}

function keyName(p: Pair): string {
  const k = p.key as Node | null;
  return isScalar(k) ? String(k.value) : String(k);
}

/** A string field: present scalar → its text; a non-scalar is a problem. */
function stringField(ck: Checker, where: { group?: string; rule?: string }, name: string, node: Node | null, type: string): string | undefined {
  if (node === null || (isScalar(node) && (node.value === null || node.value === undefined))) return undefined;
  const s = scalarText(node);
  if (s === undefined) ck.add(where, node, `cannot unmarshal ${nodeKind(node)} into ${type}.${name} of type string`);
  return s;
}

function nodeKind(node: Node | null): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  return '!!str';
}

function checkDuration(ck: Checker, where: { group?: string; rule?: string }, field: string, node: Node | null, text: string | undefined): void {
  if (text === undefined) return;
  const r = promDurationOrError(text);
  if (typeof r === 'string') ck.add(where, node, `${field}: ${r}`);
}

function labelsField(ck: Checker, where: { group?: string; rule?: string }, field: 'labels' | 'annotations', node: Node | null, templated: boolean): Labels | undefined {
  if (node === null || (isScalar(node) && node.value === null)) return undefined;
  if (!isMap(node)) {
    ck.add(where, node, `cannot unmarshal ${nodeKind(node)} into rulefmt.Rule.${field} of type map[string]string`);
    return undefined;
  }
  const out: Labels = {};
  for (const p of node.items) {
    const kn = ck.resolve(p.key);
    const name = scalarText(kn) ?? '';
    const vn = ck.resolve(p.value);
    const value = vn === null || (isScalar(vn) && vn.value === null) ? '' : scalarText(vn);
    if (!LABEL_NAME.test(name)) ck.add(where, kn, `invalid ${field === 'labels' ? 'label' : 'annotation'} name: ${name}`);
    if (value === undefined) {
      ck.add(where, vn, `cannot unmarshal ${nodeKind(vn)} into the value of ${field}.${name} (a string)`);
      continue;
    }
    if (templated) {
      const why = templateProblem(value);
      if (why !== undefined) ck.add(where, vn, `${field === 'labels' ? 'label' : 'annotation'} ${name}: ${why}`);
    }
    out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A map's known fields (value nodes), reporting unknown ones; `keyOf` finds a field's key node. */
function unknownFields(ck: Checker, where: { group?: string; rule?: string }, map: YAMLMap, known: string[], type: string): Map<string, Node | null> & { keyOf(name: string): Node | undefined } {
  const fields = new Map<string, Node | null>();
  const keys = new Map<string, Node>();
  for (const p of map.items) {
    const name = keyName(p);
    if (!known.includes(name)) {
      ck.add(where, p.key as Node, `field ${name} not found in type ${type}`);
      continue;
    }
    fields.set(name, ck.resolve(p.value));
    keys.set(name, p.key as Node);
  }
  return Object.assign(fields, { keyOf: (name: string) => keys.get(name) });
}

function checkExpr(ck: Checker, where: { group?: string; rule?: string }, node: Node | null, expr: string): void {
  try {
    const e = parseExpr(expr);
    if (e.kind === 'log') ck.add(where, node, 'invalid rule expression: a log query cannot be a rule, the expression must be a metric query (e.g. count_over_time(... [5m]))');
  } catch (err) {
    if (!(err instanceof LogwharfError)) throw err;
    const l = err.details?.line;
    const c = err.details?.col;
    const at = typeof l === 'number' && typeof c === 'number' && node ? ck.exprPos(node, l, c) : undefined;
    if (at) ck.addAt(where, at, `invalid rule expression: ${err.message}`);
    else ck.add(where, node, `invalid rule expression: ${err.message}`);
  }
}

function checkRule(ck: Checker, group: string, index: number, node: Node | null): RuleSpec | undefined {
  if (!isMap(node)) {
    ck.add({ group }, node, `rule #${index + 1}: cannot unmarshal ${nodeKind(node)} into rulefmt.Rule`);
    return undefined;
  }
  // The rule's name for messages: its alert or record, else its position.
  const nameNode = node.items.find((p) => keyName(p) === 'alert' || keyName(p) === 'record');
  const named = nameNode ? scalarText(ck.resolve(nameNode.value)) : undefined;
  const where = { group, rule: named && named !== '' ? named : `#${index + 1}` };
  const f = unknownFields(ck, where, node, RULE_FIELDS, 'rulefmt.Rule');
  const get = (k: string): Node | null => f.get(k) ?? null;
  const alert = stringField(ck, where, 'alert', get('alert'), 'rulefmt.Rule');
  const record = stringField(ck, where, 'record', get('record'), 'rulefmt.Rule');
  const expr = stringField(ck, where, 'expr', get('expr'), 'rulefmt.Rule');
  const forText = stringField(ck, where, 'for', get('for'), 'rulefmt.Rule');
  const kffText = stringField(ck, where, 'keep_firing_for', get('keep_firing_for'), 'rulefmt.Rule');
  const hasAlert = alert !== undefined && alert !== '';
  const hasRecord = record !== undefined && record !== '';
  if (hasAlert && hasRecord) ck.add(where, node, "only one of 'record' and 'alert' must be set");
  if (!hasAlert && !hasRecord) ck.add(where, node, "one of 'record' or 'alert' must be set");
  if (expr === undefined || expr.trim() === '') ck.add(where, get('expr') ?? node, "field 'expr' must be set in rule");
  else checkExpr(ck, where, get('expr'), expr);
  if (hasRecord) {
    if (!METRIC_NAME.test(record)) ck.add(where, get('record'), `invalid recording rule name: ${record}`);
    for (const k of ['annotations', 'for', 'keep_firing_for']) if (f.has(k)) ck.add(where, f.keyOf(k) ?? node, `invalid field '${k}' in recording rule`);
  }
  checkDuration(ck, where, 'for', get('for'), forText);
  checkDuration(ck, where, 'keep_firing_for', get('keep_firing_for'), kffText);
  const labels = labelsField(ck, where, 'labels', get('labels'), !hasRecord);
  const annotations = labelsField(ck, where, 'annotations', get('annotations'), !hasRecord);
  const rule: RuleSpec = { expr: expr ?? '' };
  if (hasAlert) rule.alert = alert;
  if (hasRecord) rule.record = record;
  if (forText !== undefined) rule.for = forText;
  if (kffText !== undefined) rule.keep_firing_for = kffText;
  if (labels) rule.labels = labels;
  if (annotations) rule.annotations = annotations;
  // Key order as Prometheus writes it, so a spec compares and prints the same however it was written.
  return orderRule(rule);
}

function orderRule(r: RuleSpec): RuleSpec {
  const out: Partial<RuleSpec> = {};
  if (r.alert !== undefined) out.alert = r.alert;
  if (r.record !== undefined) out.record = r.record;
  out.expr = r.expr;
  if (r.for !== undefined) out.for = r.for;
  if (r.keep_firing_for !== undefined) out.keep_firing_for = r.keep_firing_for;
  if (r.labels !== undefined) out.labels = r.labels;
  if (r.annotations !== undefined) out.annotations = r.annotations;
  return out as RuleSpec;
}

function checkGroup(ck: Checker, index: number, node: Node | null): RuleGroupSpec | undefined {
  if (!isMap(node)) {
    ck.add({}, node, `group #${index + 1}: cannot unmarshal ${nodeKind(node)} into rulefmt.RuleGroup`);
    return undefined;
  }
  const nameItem = node.items.find((p) => keyName(p) === 'name');
  const nameText = nameItem ? scalarText(ck.resolve(nameItem.value)) : undefined;
  const where = nameText ? { group: nameText } : {};
  const f = unknownFields(ck, where, node, GROUP_FIELDS, 'rulefmt.RuleGroup');
  const name = stringField(ck, where, 'name', f.get('name') ?? null, 'rulefmt.RuleGroup');
  if (name === undefined || name === '') ck.add(where, f.get('name') ?? node, 'Groupname must not be empty');
  const interval = stringField(ck, where, 'interval', f.get('interval') ?? null, 'rulefmt.RuleGroup');
  checkDuration(ck, where, 'interval', f.get('interval') ?? null, interval);
  let limit: number | undefined;
  const ln = f.get('limit') ?? null;
  if (ln !== null && !(isScalar(ln) && ln.value === null)) {
    const v = isScalar(ln) ? ln.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) ck.add(where, ln, `cannot unmarshal ${JSON.stringify(scalarText(ln) ?? nodeKind(ln))} into rulefmt.RuleGroup.limit of type int`);
    else if (v < 0) ck.add(where, ln, `limit must not be negative, got ${v}`);
    else limit = v;
  }
  const rn = f.get('rules') ?? null;
  const rules: RuleSpec[] = [];
  if (rn !== null && !(isScalar(rn) && rn.value === null)) {
    if (!isSeq(rn)) ck.add(where, rn, `cannot unmarshal ${nodeKind(rn)} into rulefmt.RuleGroup.rules of type []rulefmt.Rule`);
    else {
      const max = ck.opts.maxRulesPerGroup ?? 0;
      if (max > 0 && rn.items.length > max) ck.add(where, rn, `per-user rules per rule group limit (limit: ${max} actual: ${rn.items.length}) exceeded`);
      rn.items.forEach((r, i) => {
        const rule = checkRule(ck, name ?? '', i, ck.resolve(r));
        if (rule) rules.push(rule);
      });
    }
  }
  const spec: RuleGroupSpec = { name: name ?? '', rules };
  if (interval !== undefined) spec.interval = interval;
  if (limit !== undefined) spec.limit = limit;
  return orderGroup(spec);
}

function orderGroup(g: RuleGroupSpec): RuleGroupSpec {
  const out: Partial<RuleGroupSpec> = { name: g.name };
  if (g.interval !== undefined) out.interval = g.interval;
  if (g.limit !== undefined) out.limit = g.limit;
  out.rules = g.rules;
  return out as RuleGroupSpec;
}

function load(text: string, opts: CheckOptions): { ck: Checker; root: Node | null } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const ck = new Checker(doc, lc, text, opts);
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    ck.addAt({}, { line: p.line, column: p.col }, `yaml: ${e.message.split('\n')[0]}`);
  }
  return { ck, root: doc.errors.length > 0 ? null : ck.resolve(doc.contents) };
}

function groupsOf(ck: Checker, root: Node | null): RuleGroupSpec[] {
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) {
    ck.add({}, root, `cannot unmarshal ${nodeKind(root)} into rulefmt.RuleGroups`);
    return [];
  }
  const f = unknownFields(ck, {}, root, ['groups'], 'rulefmt.RuleGroups');
  const gn = f.get('groups') ?? null;
  if (gn === null || (isScalar(gn) && gn.value === null)) return [];
  if (!isSeq(gn)) {
    ck.add({}, gn, `cannot unmarshal ${nodeKind(gn)} into rulefmt.RuleGroups.groups of type []rulefmt.RuleGroup`);
    return [];
  }
  const out: RuleGroupSpec[] = [];
  const seen = new Set<string>();
  gn.items.forEach((g, i) => {
    const node = ck.resolve(g);
    const spec = checkGroup(ck, i, node);
    if (!spec) return;
    if (spec.name !== '' && seen.has(spec.name)) {
      const nameNode = isMap(node) ? (node.items.find((p) => keyName(p) === 'name')?.value as Node | undefined) : undefined;
      ck.add({ group: spec.name }, nameNode ?? node, `groupname: ${JSON.stringify(spec.name)} is repeated in the same file`);
    }
    seen.add(spec.name);
    out.push(spec);
  });
  return out;
}

/** Parses a rule file (`groups: [...]`); throws RuleFileError with every problem found. */
export function parseRuleFile(text: string, opts: CheckOptions = {}): RuleGroupSpec[] {
  const { ck, root } = load(text, opts);
  const groups = groupsOf(ck, root);
  if (ck.problems.length > 0) throw new RuleFileError(ck.problems);
  return groups;
}

/** Every problem of a rule file, for `rules lint` (empty: the file is valid). */
export function lintRuleFile(text: string, opts: CheckOptions = {}): { groups: RuleGroupSpec[]; problems: RuleProblem[] } {
  const { ck, root } = load(text, opts);
  const groups = groupsOf(ck, root);
  return { groups, problems: ck.problems };
}

/** Parses one group (the body of Loki's `POST /loki/api/v1/rules/{namespace}`); throws RuleFileError. */
export function parseRuleGroup(text: string, opts: CheckOptions = {}): RuleGroupSpec {
  const { ck, root } = load(text, opts);
  let spec: RuleGroupSpec | undefined;
  if (ck.problems.length === 0) {
    if (root === null || (isScalar(root) && root.value === null)) ck.add({}, root, 'empty rule group: expected a YAML map with name and rules');
    else spec = checkGroup(ck, 0, root);
  }
  if (ck.problems.length > 0 || !spec) throw new RuleFileError(ck.problems);
  return spec;
}

/**
 * Parses namespaces → groups, as Loki's `GET /loki/api/v1/rules[/{namespace}]` answers (the inverse
 * of formatNamespacesYaml); throws RuleFileError, each problem's group prefixed with its namespace.
 */
export function parseNamespacesYaml(text: string, opts: CheckOptions = {}): Record<string, RuleGroupSpec[]> {
  const { ck, root } = load(text, opts);
  // No prototype: a namespace may be called __proto__.
  const out = Object.create(null) as Record<string, RuleGroupSpec[]>;
  if (ck.problems.length === 0 && root !== null && !(isScalar(root) && root.value === null)) {
    if (!isMap(root)) ck.add({}, root, `cannot unmarshal ${nodeKind(root)} into map[string][]rulefmt.RuleGroup`);
    else {
      for (const p of root.items) {
        const ns = scalarText(ck.resolve(p.key)) ?? '';
        const gn = ck.resolve(p.value);
        const groups: RuleGroupSpec[] = [];
        if (isSeq(gn)) {
          gn.items.forEach((g, i) => {
            const spec = checkGroup(ck, i, ck.resolve(g));
            if (spec) groups.push(spec);
          });
        } else if (!(isScalar(gn) && gn.value === null)) ck.add({}, gn, `namespace ${JSON.stringify(ns)}: cannot unmarshal ${nodeKind(gn)} into []rulefmt.RuleGroup`);
        out[ns] = groups;
      }
    }
  }
  if (ck.problems.length > 0) throw new RuleFileError(ck.problems);
  return out;
}

/** Checks a group given as a value (e.g. decoded JSON): its problems, without positions. */
export function checkRuleGroupSpec(spec: unknown, opts: CheckOptions = {}): RuleProblem[] {
  let doc: Document;
  try {
    doc = new Document(spec);
  } catch (e) {
    // A value nested deeper than the stack (no rule group is) or with cycles.
    if (e instanceof RangeError) return [{ message: 'invalid rule group: nested too deeply' }];
    throw e;
  }
  const ck = new Checker(doc, undefined, '', opts);
  checkGroup(ck, 0, ck.resolve(doc.contents));
  return ck.problems;
}

function durationMs(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const r = promDurationOrError(text);
  if (typeof r === 'string') throw new RuleFileError([{ message: r }]);
  return Number(r / NS_PER_MS);
}

/** A checked spec normalised for evaluation. */
export function toRuleGroup(spec: RuleGroupSpec, ctx: { tenant: string; namespace: string; defaultIntervalMs: number; origin: RuleOrigin }): RuleGroup {
  const intervalMs = durationMs(spec.interval, ctx.defaultIntervalMs) || ctx.defaultIntervalMs;
  const rules = spec.rules.map((r): AlertingRule | RecordingRule =>
    r.record !== undefined
      ? { kind: 'recording', name: r.record, expr: r.expr, labels: { ...r.labels } }
      : {
          kind: 'alerting',
          name: r.alert ?? '',
          expr: r.expr,
          forMs: durationMs(r.for, 0),
          keepFiringForMs: durationMs(r.keep_firing_for, 0),
          labels: { ...r.labels },
          annotations: { ...r.annotations },
        },
  );
  return { tenant: ctx.tenant, namespace: ctx.namespace, name: spec.name, intervalMs, limit: spec.limit ?? 0, rules, spec, origin: ctx.origin };
}

/** A spec as plain data in Prometheus' field order, absent and empty fields left out. */
function plainGroup(spec: RuleGroupSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: spec.name };
  if (spec.interval !== undefined && spec.interval !== '') out.interval = spec.interval;
  if (spec.limit !== undefined && spec.limit !== 0) out.limit = spec.limit;
  out.rules = spec.rules.map((r) => {
    const o: Record<string, unknown> = {};
    if (r.alert !== undefined) o.alert = r.alert;
    if (r.record !== undefined) o.record = r.record;
    o.expr = r.expr;
    if (r.for !== undefined && r.for !== '') o.for = r.for;
    if (r.keep_firing_for !== undefined && r.keep_firing_for !== '') o.keep_firing_for = r.keep_firing_for;
    if (r.labels && Object.keys(r.labels).length > 0) o.labels = r.labels;
    if (r.annotations && Object.keys(r.annotations).length > 0) o.annotations = r.annotations;
    return o;
  });
  return out;
}

// Go's yaml.v3 (which Loki answers with) indents by 4; no line folding, so expressions stay as written.
const YAML_OPTS = { indent: 4, lineWidth: 0, minContentWidth: 0 } as const;

/**
 * YAML text for `value`. The `yaml` package writes some multi-line strings as block scalars that do
 * not read back the same (a whitespace-only line loses its spaces; a leading blank line before an
 * indented one shifts the indentation), so those are written double-quoted.
 */
function stringify(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      const v = node.value;
      if (typeof v === 'string' && v.includes('\n') && (/^\s/.test(v) || /\n[ \t]+(\n|$)/.test(v))) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(YAML_OPTS);
}

/** One group as YAML, as Loki's `GET /loki/api/v1/rules/{namespace}/{group}` answers. */
export function formatRuleGroupYaml(spec: RuleGroupSpec): string {
  return stringify(plainGroup(spec));
}

/** Namespaces → groups as YAML, as Loki's `GET /loki/api/v1/rules[/{namespace}]` answers. */
export function formatNamespacesYaml(map: Record<string, RuleGroupSpec[]>): string {
  // No prototype: a namespace may be called __proto__ (a plain object would take it as its prototype).
  const out = Object.create(null) as Record<string, unknown>;
  for (const ns of Object.keys(map).sort()) out[ns] = map[ns]!.map(plainGroup);
  return stringify(out);
}

/** A rule file (`groups: [...]`) as YAML, for `rules` commands that write files. */
export function formatRuleFileYaml(groups: RuleGroupSpec[]): string {
  return stringify({ groups: groups.map(plainGroup) });
}
