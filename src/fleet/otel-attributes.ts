/**
 * Where each of the agent's labels lives in a Collector's log records, and how a LogQL stream
 * selector over those labels becomes a condition there (issue #13, the Collector configuration
 * builder). Two languages take conditions:
 *
 * - `stanza`: the filelog receiver's operators (`filter`, `router`), written in expr-lang with
 *   `resource["k"]`, `attributes["k"]`, `body`, `matches` (Go RE2), `and`/`or`/`not`, `nil`;
 * - `ottl`: the filter and transform processors (log context): `resource.attributes["k"]`,
 *   `attributes["k"]`, `IsMatch(v, "re")` (Go RE2; false for a missing value), `and`/`or`/`not`, `nil`.
 *
 * Both take double-quoted strings with Go's escapes, so a JSON string literal is one of theirs.
 * Label names follow the agent's own OTLP output (src/agent/ship/otlp-request.ts renames our labels
 * to their semantic-convention twins the same way, and test/unit/fleet/otel-collector.test.ts checks
 * the two tables agree): a server then shows the same labels for both.
 */
import type { Matcher } from '../logql/syntax/index.js';
import { ERR_NO_EQUALITY_MATCHER, parseMatchers } from '../logql/syntax/index.js';
import { compileMatcher } from '../logql/matchers.js';
import { LogwharfError } from '../api/errors.js';

export type Language = 'stanza' | 'ottl';

/** Where a label's value is in a log record, and whether the filelog receiver already has it. */
export interface AttributeLocation {
  scope: 'resource' | 'record';
  key: string;
  /** Set by the receiver itself (the container operator, include_file_path), before any processor. */
  inReceiver: boolean;
}

/**
 * Our labels with a Collector twin. `namespace`, `pod`, `container` come from the container
 * operator (the pod log path), `stream` and `filename` from the receiver, `node` from
 * k8sattributes. Any other label is a resource attribute of its own name (a file's labels, external
 * labels, relabel targets), which the server keeps as structured metadata, as for the agent's OTLP output.
 */
const KNOWN: Record<string, AttributeLocation> = {
  namespace: { scope: 'resource', key: 'k8s.namespace.name', inReceiver: true },
  pod: { scope: 'resource', key: 'k8s.pod.name', inReceiver: true },
  container: { scope: 'resource', key: 'k8s.container.name', inReceiver: true },
  node: { scope: 'resource', key: 'k8s.node.name', inReceiver: false },
  service_name: { scope: 'resource', key: 'service.name', inReceiver: false },
  host: { scope: 'resource', key: 'host.name', inReceiver: false },
  stream: { scope: 'record', key: 'log.iostream', inReceiver: true },
  filename: { scope: 'record', key: 'log.file.path', inReceiver: true },
};

/** Labels the agent sets that the rendered Collector may not (`host` of file targets, unless the agent configuration names it: the Collector knows no host name of its own here). */
export const NOT_PRODUCED: ReadonlySet<string> = new Set(['host']);

export function locate(label: string): AttributeLocation {
  return Object.hasOwn(KNOWN, label) ? KNOWN[label]! : { scope: 'resource', key: label, inReceiver: false };
}

/** A string literal of both languages (Go escapes; JSON's are a subset). */
export function quote(s: string): string {
  return JSON.stringify(s);
}

export function ref(loc: AttributeLocation, lang: Language): string {
  if (lang === 'stanza') return `${loc.scope === 'resource' ? 'resource' : 'attributes'}[${quote(loc.key)}]`;
  return `${loc.scope === 'resource' ? 'resource.attributes' : 'attributes'}[${quote(loc.key)}]`;
}

/** `v` matches Go RE2 `re` (unanchored). */
export function regexTest(v: string, re: string, lang: Language): string {
  return lang === 'stanza' ? `${v} matches ${quote(re)}` : `IsMatch(${v}, ${quote(re)})`;
}

/** Prometheus' and Loki's anchoring of a label regex: `.` matches newlines, the whole value must match. */
export function anchored(re: string): string {
  return `^(?s:${re})$`;
}

/** Parses a pipeline rule's selector as the agent does: `{}` and empty-matching selectors allowed. */
export function parseRuleSelector(text: string, where: string): Matcher[] {
  const trimmed = text.trim();
  if (/^\{\s*\}$/.test(trimmed)) return [];
  try {
    return parseMatchers(trimmed);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes(ERR_NO_EQUALITY_MATCHER)) {
      // LogQL refuses selectors that match every stream in a query; a rule tests one stream, so the
      // agent accepts them (src/agent/pipeline/selector.ts), and so do we.
      try {
        return parseMatchers(trimmed.replace(/^\{/, '{__logwharf_any__="1", ')).filter((m) => m.name !== '__logwharf_any__');
      } catch {
        // fall through to the first message
      }
    }
    throw new LogwharfError('bad_request', `${where}: ${msg} (in ${JSON.stringify(text)})`);
  }
}

/** What a selector is in one place: always, never, a condition, or not expressible there (with why). */
export type Condition = { kind: 'const'; value: boolean } | { kind: 'expr'; text: string } | { kind: 'unsupported'; reason: string };

export interface ConditionContext {
  lang: Language;
  /** Labels whose value is known when rendering (a file target's labels, external labels), by label name. */
  staticLabels: Readonly<Record<string, string>>;
  /** Labels a relabel rule may change: their static or receiver value is not the final one. */
  changed: (label: string) => boolean;
  /** Only attributes the receiver sets (receiver stage); else every attribute (processor stage). */
  receiverOnly: boolean;
  /** Receiver stage: the labels this receiver sets itself (default: every label located in the receiver). */
  receiverLabels?: ReadonlySet<string>;
  /** Receiver stage: labels that nothing in the Collector sets for this source, so they are missing ("") here and at the end. */
  absent?: (label: string) => boolean;
}

/** One matcher as a condition. A missing attribute counts as "", as in LogQL. */
export function matcherCondition(m: Matcher, ctx: ConditionContext): Condition {
  const test = compileMatcher(m);
  if (Object.hasOwn(ctx.staticLabels, m.name) && !ctx.changed(m.name)) return { kind: 'const', value: test(ctx.staticLabels[m.name]) };
  const loc = locate(m.name);
  if (ctx.absent?.(m.name)) return { kind: 'const', value: test(undefined) };
  const inReceiver = ctx.receiverLabels ? ctx.receiverLabels.has(m.name) : loc.inReceiver;
  if (ctx.receiverOnly && (!inReceiver || ctx.changed(m.name))) {
    return { kind: 'unsupported', reason: `label "${m.name}" is not known to the filelog receiver` };
  }
  const v = ref(loc, ctx.lang);
  let positive: string;
  switch (m.op) {
    case '=':
      positive = `${v} == ${quote(m.value)}`;
      break;
    case '!=':
      positive = `${v} != ${quote(m.value)}`;
      break;
    case '=~':
      positive = regexTest(v, anchored(m.value), ctx.lang);
      break;
    case '!~':
      positive = `not (${regexTest(v, anchored(m.value), ctx.lang)})`;
      break;
  }
  // A missing value is "" for the matcher; a present one is tested (nil never reaches `matches`).
  return { kind: 'expr', text: test(undefined) ? `(${v} == nil or ${positive})` : `(${v} != nil and ${positive})` };
}

/** The conjunction of conditions, folded where constant. */
export function and(parts: Condition[]): Condition {
  // A part that is never true decides, even beside one that cannot be expressed.
  const never = parts.find((p) => p.kind === 'const' && !p.value);
  if (never) return never;
  const texts: string[] = [];
  for (const p of parts) {
    if (p.kind === 'unsupported') return p;
    if (p.kind === 'expr') texts.push(p.text);
  }
  if (texts.length === 0) return { kind: 'const', value: true };
  return { kind: 'expr', text: texts.join(' and ') };
}

export function selectorCondition(matchers: readonly Matcher[], ctx: ConditionContext): Condition {
  return and(matchers.map((m) => matcherCondition(m, ctx)));
}

export function not(c: Condition): Condition {
  if (c.kind === 'const') return { kind: 'const', value: !c.value };
  if (c.kind === 'unsupported') return c;
  return { kind: 'expr', text: `not (${c.text})` };
}
