/**
 * Prometheus relabel_config semantics over a target's labels (issue #4 §3): replace, keep, drop,
 * labelmap, labeldrop, labelkeep, applied in order. Regexes are RE2, anchored at both ends with `.`
 * matching newlines (Prometheus compiles `^(?s:re)$`); replacements expand `$1`, `${1}`, `$name` and
 * `${name}` as Go's Regexp.Expand does, so rules copied from Prometheus or Promtail behave the same
 * (including Go's quirk that `$1x` names a group "1x", which is empty: write `${1}x`).
 *
 * Relabelling runs once per distinct label set (the pipeline caches the result per stream), never
 * per line, so it favours clarity over speed.
 */
import type { Labels } from '../../api/model.js';
import type { AgentConfig } from '../../config/agent.js';
import { compileRe2, type Re2 } from '../../logql/regex.js';
import { configError } from './selector.js';

export type RelabelRuleConfig = AgentConfig['pipeline']['relabel'][number];
export type RelabelAction = RelabelRuleConfig['action'];

const ACTIONS: readonly RelabelAction[] = ['replace', 'keep', 'drop', 'labelmap', 'labeldrop', 'labelkeep'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A replacement template split into literal text and group references. */
type TemplatePart = string | { group: number } | { name: string };

/** Returns the relabelled labels, or `undefined` when a keep/drop rule discards the entry. */
export type Relabeler = (labels: Labels) => Labels | undefined;

/** Compiles the rules once; throws a configuration error naming the rule index and the problem. */
export function compileRelabel(rules: readonly RelabelRuleConfig[]): Relabeler {
  const steps = rules.map((r, i) => compileRule(r, `pipeline.relabel[${i}]`));
  if (steps.length === 0) return (labels) => ({ ...labels });
  return (input) => {
    const labels: Labels = { ...input };
    for (const step of steps) if (!step(labels)) return undefined;
    return labels;
  };
}

/** One rule as a step that edits `labels` in place; false means "drop the entry". */
type Step = (labels: Labels) => boolean;

function compileRule(r: RelabelRuleConfig, where: string): Step {
  const action = (r.action ?? 'replace') as string;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw configError(`${where}.action: unknown action ${JSON.stringify(action)} (one of ${ACTIONS.join(', ')})`);
  }
  const regexText = r.regex ?? '(.*)';
  let re: Re2;
  try {
    re = compileRe2(regexText, { anchored: true, dotAll: true });
  } catch (e) {
    throw configError(`${where}.regex: ${(e as Error).message}`);
  }
  const sources = r.source_labels ?? [];
  const separator = r.separator ?? ';';
  const replacement = parseTemplate(r.replacement ?? '$1');
  const joined = (labels: Labels) => sources.map((s) => labels[s] ?? '').join(separator);

  switch (action as RelabelAction) {
    case 'replace': {
      if (!r.target_label) throw configError(`${where}: action replace needs target_label`);
      const target = parseTemplate(r.target_label);
      if (!hasGroups(target) && !LABEL_NAME.test(r.target_label)) {
        throw configError(`${where}.target_label: ${JSON.stringify(r.target_label)} is not a valid label name`);
      }
      return (labels) => {
        const m = re.exec(joined(labels));
        if (m === null) return true;
        const name = expand(target, m);
        if (!LABEL_NAME.test(name)) return true;
        const value = expand(replacement, m);
        if (value === '') delete labels[name];
        else labels[name] = value;
        return true;
      };
    }
    case 'keep':
      return (labels) => re.test(joined(labels));
    case 'drop':
      return (labels) => !re.test(joined(labels));
    case 'labelmap':
      onlyNameRegex(r, where, action, true);
      return (labels) => {
        for (const name of Object.keys(labels)) {
          const m = re.exec(name);
          if (m === null) continue;
          const to = expand(replacement, m);
          // An invalid resulting name is skipped: the server would reject the whole stream.
          if (LABEL_NAME.test(to)) labels[to] = labels[name]!;
        }
        return true;
      };
    case 'labeldrop':
    case 'labelkeep': {
      onlyNameRegex(r, where, action, false);
      const keepMatching = action === 'labelkeep';
      return (labels) => {
        for (const name of Object.keys(labels)) if (re.test(name) !== keepMatching) delete labels[name];
        return true;
      };
    }
  }
}

/** Like Prometheus: rules over label names take no source_labels/target_label (they would be ignored, which hides mistakes). */
function onlyNameRegex(r: RelabelRuleConfig, where: string, action: string, replacementAllowed: boolean): void {
  if ((r.source_labels ?? []).length > 0) throw configError(`${where}: action ${action} takes no source_labels (it matches label names with regex)`);
  if (r.target_label !== undefined) throw configError(`${where}: action ${action} takes no target_label`);
  if (!replacementAllowed && r.replacement !== undefined && r.replacement !== '$1') {
    throw configError(`${where}: action ${action} takes no replacement`);
  }
}

function hasGroups(t: TemplatePart[]): boolean {
  return t.some((p) => typeof p !== 'string');
}

/** Go's Regexp.Expand template syntax: `$$` is `$`; `$name`/`${name}` a group; a malformed `$` stays literal. */
export function parseTemplate(t: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < t.length) {
    const c = t[i]!;
    if (c !== '$') {
      lit += c;
      i++;
      continue;
    }
    if (t[i + 1] === '$') {
      lit += '$';
      i += 2;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (t[i + 1] === '{') {
      const close = t.indexOf('}', i + 2);
      const inner = close < 0 ? '' : t.slice(i + 2, close);
      if (/^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(t.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      lit += '$';
      i++;
      continue;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(/^\d+$/.test(name) ? { group: Number(name) } : { name });
    i = end;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Expands a parsed template against a match; unknown or unmatched groups are empty. */
export function expand(t: TemplatePart[], m: RegExpExecArray): string {
  let out = '';
  for (const p of t) {
    if (typeof p === 'string') out += p;
    else if ('group' in p) out += m[p.group] ?? '';
    else out += m.groups?.[p.name] ?? '';
  }
  return out;
}
