/**
 * `drop` and `keep`. A bare name drops (keeps) that label; `name="v"` (any matcher) only when the
 * label's value matches. `keep` never removes `__error__` / `__error_details__`, as Loki documents;
 * `drop __error__` is how users clear an error.
 */
import type { DropStage, KeepStage } from '../syntax/ast.js';
import { compileMatcher, type ValueMatcher } from '../matchers.js';
import type { Stage } from './entry.js';
import { ERROR_DETAILS_LABEL, ERROR_LABEL } from './entry.js';

export function compileDrop(stage: DropStage): Stage {
  const items = stage.items.map((it) => ({ name: it.name, m: it.matcher ? compileMatcher(it.matcher) : undefined }));
  return (s) => {
    for (const it of items) {
      const v = s.get(it.name);
      if (v === undefined) continue;
      if (it.m === undefined || it.m(v)) s.del(it.name);
    }
    return true;
  };
}

export function compileKeep(stage: KeepStage): Stage {
  const bare = new Set<string>();
  const matchers = new Map<string, ValueMatcher[]>();
  for (const it of stage.items) {
    if (it.matcher === undefined) bare.add(it.name);
    else {
      const list = matchers.get(it.name) ?? [];
      list.push(compileMatcher(it.matcher));
      matchers.set(it.name, list);
    }
  }
  return (s) => {
    const l = s.mut();
    for (const k of Object.keys(l)) {
      if (k === ERROR_LABEL || k === ERROR_DETAILS_LABEL || bare.has(k)) continue;
      const ms = matchers.get(k);
      if (ms !== undefined && ms.some((m) => m(l[k]))) continue;
      delete l[k];
      s.removedAny = true;
    }
    return true;
  };
}
