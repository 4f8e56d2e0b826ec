/**
 * The agent's Prometheus-style relabel rules (pipeline.relabel) as Collector configuration: `replace`
 * and `labeldrop` become OTTL statements of a transform processor, `keep` and `drop` conditions of
 * the filter processor. What has no faithful translation is reported, never dropped in silence:
 * rules over `__meta_*` labels (the Collector has no such attributes), `labelmap`
 * and `labelkeep` (they range over every label name, and ours are not the Collector's).
 *
 * A keep/drop rule sees the labels as the rules before it left them, not the final ones: the
 * transform marks the record in rule order (a record attribute) and the filter processor drops
 * marked records, so no rule after it can change its decision.
 */
import type { AgentConfig } from '../config/agent.js';
import { compileRe2, literalAlternatives, type Re2 } from '../logql/regex.js';
import { LogwharfError } from '../api/errors.js';
import { anchored, locate, matcherCondition, not, quote, ref, type AttributeLocation, type Condition } from './otel-attributes.js';
import { pushAll } from '../util/arrays.js';

type RelabelRule = AgentConfig['pipeline']['relabel'][number];

/** Record attribute marking a record a keep/drop rule discards (the filter processor drops it, so it is never shipped). */
export const DROP_MARK = 'logwharf.relabel_drop';
/** Record attribute holding several source labels joined (and its parts), for the rule that needs them only. */
const JOIN = 'logwharf.relabel_join';

export interface RelabelTranslation {
  /** OTTL statements, log context, in rule order. */
  statements: string[];
  /** OTTL conditions for the filter processor: a record matching one is dropped (keep/drop rules). */
  dropConditions: string[];
  /** Labels the translated rules write or remove. */
  changed: Set<string>;
  warnings: string[];
}

function mapOf(loc: AttributeLocation): string {
  return loc.scope === 'resource' ? 'resource.attributes' : 'attributes';
}

/** Go's regexp Expand over one match: $1, ${1}, $name, ${name}; `$$` is a `$`. */
function expand(template: string, groups: Array<string | undefined>, named: Record<string, string | undefined>): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, tok: string, braced?: string, bare?: string) => {
    if (tok === '$') return '$';
    const name = braced ?? bare!;
    if (/^[0-9]+$/.test(name)) return groups[Number(name)] ?? '';
    return named[name] ?? '';
  });
}

export function translateRelabel(rules: readonly RelabelRule[]): RelabelTranslation {
  const out: RelabelTranslation = { statements: [], dropConditions: [], changed: new Set(), warnings: [] };
  const noChange = () => false;
  let marks = false;
  rules.forEach((r, i) => {
    const where = `pipeline.relabel[${i}] (${r.action})`;
    let re;
    try {
      re = compileRe2(r.regex, { anchored: true, dotAll: true });
    } catch (e) {
      throw new LogwharfError('bad_request', `invalid agent pipeline configuration: ${where}.regex: ${(e as Error).message}`);
    }
    const hidden = r.source_labels.filter((l) => l.startsWith('__'));
    if (hidden.length > 0) {
      out.warnings.push(`${where}: not translated: the Collector has no attribute for ${hidden.join(', ')} (discovery metadata of the agent)`);
      return;
    }
    const source = r.source_labels.length === 1 ? r.source_labels[0] : undefined;
    // Several source labels: joined into a record attribute first, each missing one as "" (as
    // Prometheus joins them; OTTL's Concat is given only strings), removed again after the rule.
    let joined: { ref: string; before: string[]; after: string[] } | undefined;
    if (r.source_labels.length > 1) {
      const parts = r.source_labels.map((l, k) => ({ label: ref(locate(l), 'ottl'), part: `attributes[${quote(`${JOIN}.${k}`)}]` }));
      const jRef = `attributes[${quote(JOIN)}]`;
      joined = {
        ref: jRef,
        before: [
          ...parts.flatMap(({ label, part }) => [`set(${part}, "")`, `set(${part}, ${label}) where ${label} != nil`]),
          `set(${jRef}, Concat([${parts.map((p) => p.part).join(', ')}], ${quote(r.separator)}))`,
        ],
        after: [...parts.map((_, k) => `delete_key(attributes, ${quote(`${JOIN}.${k}`)})`), `delete_key(attributes, ${quote(JOIN)})`],
      };
    }
    const statementsBefore = out.statements.length;
    translateRule(r, i, where, re, source, joined);
    if (joined && out.statements.length > statementsBefore) {
      out.statements.splice(statementsBefore, 0, ...joined.before);
      pushAll(out.statements, joined.after);
    }
  });
  if (marks) out.dropConditions.push(`attributes[${quote(DROP_MARK)}] != nil`);
  return out;

  function translateRule(r: RelabelRule, i: number, where: string, re: Re2, source: string | undefined, joined: { ref: string } | undefined): void {
    switch (r.action) {
      case 'replace': {
        const target = r.target_label;
        if (target === undefined || target === '') {
          out.warnings.push(`${where}: not translated: no target_label`);
          return;
        }
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(target)) {
          out.warnings.push(`${where}: not translated: target_label ${JSON.stringify(target)} is a template or not a label name`);
          return;
        }
        if (target.startsWith('__')) {
          out.warnings.push(`${where}: not translated: target_label ${target} is a hidden label of the agent`);
          return;
        }
        const t = locate(target);
        const tRef = ref(t, 'ottl');
        const del = `delete_key(${mapOf(t)}, ${quote(t.key)})`;
        // What the rule writes when the joined source value is "" (no source label, or it is missing).
        const onEmpty = re.exec('');
        const emptyValue = onEmpty ? expand(r.replacement, Array.from(onEmpty, (g) => g ?? undefined), { ...onEmpty.groups }) : undefined;
        const emptyStmt = emptyValue === undefined ? undefined : emptyValue === '' ? del : `set(${tRef}, ${quote(emptyValue)})`;
        if (source === undefined && joined === undefined) {
          if (emptyStmt) out.statements.push(emptyStmt);
          else return; // never matches: the agent does nothing either
        } else {
          const sRef = joined ? joined.ref : ref(locate(source!), 'ottl');
          const rx = quote(anchored(r.regex));
          // Statements run one after the other, and the target may be the source itself: the case of a
          // present source first, then the missing one (a source just written is no longer missing), and
          // an emptied target removed last.
          if (!r.replacement.includes('$')) {
            out.statements.push(r.replacement === '' ? `${del} where IsMatch(${sRef}, ${rx})` : `set(${tRef}, ${quote(r.replacement)}) where IsMatch(${sRef}, ${rx})`);
            if (emptyStmt && !joined) out.statements.push(`${emptyStmt} where ${sRef} == nil`);
          } else {
            // Copy the source, then let the anchored regex rewrite the whole value into the expansion
            // (replace_pattern expands $1, ${name} as Go's regexp does, like Prometheus).
            out.statements.push(`set(${tRef}, ${sRef}) where IsMatch(${sRef}, ${rx})`);
            out.statements.push(`replace_pattern(${tRef}, ${rx}, ${quote(r.replacement)}) where IsMatch(${sRef}, ${rx})`);
            if (emptyStmt && !joined) out.statements.push(`${emptyStmt} where ${sRef} == nil`);
            out.statements.push(`${del} where ${tRef} == ""`);
          }
        }
        out.changed.add(target);
        return;
      }
      case 'keep':
      case 'drop': {
        const matches: Condition = joined
          ? { kind: 'expr', text: `IsMatch(${joined.ref}, ${quote(anchored(r.regex))})` }
          : source === undefined
            ? { kind: 'const', value: re.test('') }
            : matcherCondition({ name: source, op: '=~', value: r.regex }, { lang: 'ottl', staticLabels: {}, changed: noChange, receiverOnly: false });
        const drop = r.action === 'drop' ? matches : not(matches);
        if (drop.kind === 'const' && !drop.value) return;
        out.statements.push(`set(attributes[${quote(DROP_MARK)}], "${r.action}") ${drop.kind === 'expr' ? `where ${drop.text}` : ''}`.trimEnd());
        marks = true;
        return;
      }
      case 'labeldrop': {
        const lit = literalAlternatives(r.regex);
        if (!lit || lit.insensitive) {
          out.warnings.push(`${where}: not translated: only a label name or an alternation of names (a|b) can be dropped in the Collector, not ${JSON.stringify(r.regex)}`);
          return;
        }
        for (const name of lit.values) {
          if (name === '' || name.startsWith('__')) continue;
          const loc = locate(name);
          out.statements.push(`delete_key(${mapOf(loc)}, ${quote(loc.key)})`);
          out.changed.add(name);
        }
        return;
      }
      case 'labelkeep':
      case 'labelmap':
        out.warnings.push(`${where}: not translated: ${r.action} ranges over every label name, and the Collector's attribute names are not the agent's labels`);
        return;
    }
  }
}
