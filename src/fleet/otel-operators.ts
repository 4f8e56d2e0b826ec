/**
 * The filelog receiver's operators the Collector builder writes (src/fleet/otel-collector.ts):
 * routing by selector, timestamp extraction, multiline joining, and the clean-up of attributes the
 * agent does not ship. Operator keys are the Collector's documented ones (pkg/stanza operators
 * router, regex_parser, remove, recombine, add, noop); test/unit/fleet/collector-schema.ts holds them.
 */
import type { AgentConfig } from '../config/agent.js';
import { regexTest, type Condition } from './otel-attributes.js';
import { pushAll } from '../util/arrays.js';

export type Op = Record<string, unknown>;

/** Attribute that separates a container's stdout from its stderr while joining lines (removed after). */
export const SOURCE_ATTR = 'logwharf.source';
/** Attribute a timestamp rule's field is extracted to (removed after). */
export const TIME_ATTR = 'logwharf_time';

export interface RoutedRule {
  cond: Condition;
  where: string;
  ops: (id: string, next: string) => Op[];
}

/**
 * First matching rule wins (the agent's rule for timestamp and multiline): a `router` sends each
 * entry to the first rule whose selector matches, else past them all; every branch ends at a
 * `noop` join. A rule the receiver cannot decide is left out with a warning. (`if` on `recombine`
 * is accepted by its configuration but not evaluated, so routing is the way to apply it per stream.)
 */
export function routed(kind: string, rules: RoutedRule[], warnings: string[], receiver: string): Op[] {
  const live: RoutedRule[] = [];
  for (const r of rules) {
    if (r.cond.kind === 'unsupported') {
      warnings.push(`${r.where}: not applied in ${receiver}: ${r.cond.reason}`);
      continue;
    }
    if (r.cond.kind === 'const' && !r.cond.value) continue;
    live.push(r);
    if (r.cond.kind === 'const') break; // always matches: later rules are never reached
  }
  if (live.length === 0) return [];
  const end = `${kind}-end`;
  const only = live[0]!;
  if (live.length === 1 && only.cond.kind === 'const') return only.ops(`${kind}-0`, end).concat({ type: 'noop', id: end });
  const routes: Array<{ expr: string; output: string }> = [];
  let fallback = end;
  const branches: Op[] = [];
  live.forEach((r, i) => {
    const id = `${kind}-${i}`;
    if (r.cond.kind === 'const') fallback = id;
    else routes.push({ expr: r.cond.kind === 'expr' ? r.cond.text : 'true', output: id });
    pushAll(branches, r.ops(id, end));
  });
  return [{ type: 'router', id: `${kind}-router`, routes, default: fallback }, ...branches, { type: 'noop', id: end }];
}

function regexQuoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const LAYOUTS: Record<string, { layout_type: string; layout: string }> = {
  // Go's time.Parse accepts a fractional second after the seconds even when the layout has none.
  RFC3339: { layout_type: 'gotime', layout: '2006-01-02T15:04:05Z07:00' },
  RFC3339Nano: { layout_type: 'gotime', layout: '2006-01-02T15:04:05Z07:00' },
  Unix: { layout_type: 'epoch', layout: 's' },
  UnixMs: { layout_type: 'epoch', layout: 'ms' },
  UnixUs: { layout_type: 'epoch', layout: 'us' },
  UnixNs: { layout_type: 'epoch', layout: 'ns' },
};

/** Timestamp rules take the regex parser's embedded `timestamp` block (the time parser's own settings) after extracting the field. */
/** A JSON key (`"ts": "…"`, `"ts": 17…`) or a logfmt key (`ts=…`, `ts="…"`) into a temporary attribute, parsed as the entry's time. */
export function timestampOps(rule: AgentConfig['pipeline']['timestamp'][number], id: string, next: string): Op[] {
  const key = regexQuoteMeta(rule.source);
  // Unix* values: the integer part (the epoch layouts do not take a fraction on every form).
  const value = rule.format.startsWith('Unix') ? '-?[0-9]+)(?:\\.[0-9]+)?' : '[^",}\\s]+)';
  const regex = `(?:^|[\\s{,])(?:"${key}"\\s*:|${key}=)\\s*"?(?P<${TIME_ATTR}>${value}`;
  return [
    {
      type: 'regex_parser',
      id,
      regex,
      on_error: 'send_quiet',
      timestamp: { parse_from: `attributes.${TIME_ATTR}`, ...LAYOUTS[rule.format]! },
    },
    { type: 'remove', id: `${id}-remove`, field: `attributes.${TIME_ATTR}`, if: `attributes.${TIME_ATTR} != nil`, output: next },
  ];
}

/**
 * One multiline rule as a `recombine` operator. Not the receiver's own `multiline` setting: that
 * splits the raw file, before the container operator has taken the CRI or Docker framing off each
 * line, so a `first_line` pattern would never see the application's text.
 */
export function recombineOp(rule: AgentConfig['pipeline']['multiline'][number], maxBytes: number, id: string, next: string, container: boolean): Op {
  return {
    type: 'recombine',
    id,
    combine_field: 'body',
    combine_with: '\n',
    is_first_entry: regexTest('body', rule.first_line, 'stanza'),
    // The agent: a line before any first line is an entry of its own; the joined entry keeps its first line's time.
    max_unmatched_batch_size: 1,
    overwrite_with: 'oldest',
    max_batch_size: rule.max_lines,
    max_log_size: maxBytes,
    force_flush_period: rule.max_wait,
    ...(container ? { source_identifier: `attributes["${SOURCE_ATTR}"]` } : {}),
    output: next,
  };
}

/**
 * What the container operator leaves that the agent does not ship for containers: the file path (the
 * agent's `filename` is a label of file targets only), the CRI partial tag and the runtime's time
 * field. Placed after joining, which keys on the path.
 */
export function containerCleanupOps(): Op[] {
  return [
    ['path-remove', 'attributes["log.file.path"]'],
    ['logtag-remove', 'attributes.logtag'],
    ['time-remove', 'attributes.time'],
  ].map(([id, field]) => ({ type: 'remove', id, field, if: `${field} != nil` }));
}

/** Joins a container's stdout and stderr apart (the agent keeps one joiner per runtime stream). */
export function multilineSourceOps(): { before: Op; after: Op } {
  return {
    before: { type: 'add', id: 'multiline-source', field: `attributes["${SOURCE_ATTR}"]`, value: 'EXPR(attributes["log.file.path"] + " " + attributes["log.iostream"])' },
    after: { type: 'remove', id: 'multiline-source-remove', field: `attributes["${SOURCE_ATTR}"]`, if: `attributes["${SOURCE_ATTR}"] != nil` },
  };
}
