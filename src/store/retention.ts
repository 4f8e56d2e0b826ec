/**
 * Retention periods in the style of Loki's `retention_stream`: the rules whose selector matches a
 * stream apply; the highest priority wins, then the longest period; with no match the global
 * period applies. A period ≤ 0 keeps data forever (as Loki's `retention_period: 0s`).
 */
import type { Labels } from '../api/model.js';
import type { Matcher } from '../logql/syntax/ast.js';
import { compileMatcher } from '../logql/matchers.js';
import { labelValue } from './labels.js';

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface RetentionRule {
  /** Stream selector, e.g. the matchers of `{service="postgres"}`. */
  matchers: Matcher[];
  periodMs: number;
  priority?: number;
}

export interface RetentionConfig {
  /** Global period; default 7 days. */
  periodMs?: number;
  streams?: RetentionRule[];
}

export type RetentionPolicy = (labels: Labels) => number;

export function retentionPolicy(cfg: RetentionConfig = {}): RetentionPolicy {
  const global = cfg.periodMs ?? DEFAULT_RETENTION_MS;
  const rules = (cfg.streams ?? []).map((r) => {
    const ms = r.matchers.map((m) => ({ name: m.name, f: compileMatcher(m) }));
    return { test: (l: Labels) => ms.every((m) => m.f(labelValue(l, m.name))), periodMs: r.periodMs, priority: r.priority ?? 0 };
  });
  return (labels) => {
    let best: (typeof rules)[number] | undefined;
    for (const r of rules) {
      if (!r.test(labels)) continue;
      if (!best || r.priority > best.priority || (r.priority === best.priority && longer(r.periodMs, best.periodMs))) best = r;
    }
    return best ? best.periodMs : global;
  };
}

/** "Forever" (≤ 0) is longer than any period. */
function longer(a: number, b: number): boolean {
  if (b <= 0) return false;
  if (a <= 0) return true;
  return a > b;
}
