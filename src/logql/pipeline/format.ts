/**
 * line_format and label_format. Templates are compiled once; an execution error keeps the entry
 * (line or label unchanged) and sets `__error__=TemplateFormatErr` with the Go-style message in
 * `__error_details__`.
 */
import { LogwharfError } from '../../api/errors.js';
import type { LabelFormatStage, LineFormatStage } from '../syntax/ast.js';
import type { Stage } from './entry.js';
import { ERR_TEMPLATE } from './entry.js';
import { Template } from './template/exec.js';
import { TemplateError } from './template/values.js';

export function compileLineFormat(stage: LineFormatStage): Stage {
  const tpl = new Template(stage.template);
  const constant = tpl.constant;
  if (constant !== undefined) {
    return (s) => {
      s.line = constant;
      return true;
    };
  }
  return (s) => {
    try {
      s.line = tpl.render(s.result(), s.line, s.ts);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      s.setError(ERR_TEMPLATE, e.message);
    }
    return true;
  };
}

export function compileLabelFormat(stage: LabelFormatStage): Stage {
  const seen = new Set<string>();
  for (const it of stage.items) {
    if (seen.has(it.dst)) {
      throw new LogwharfError('parse_error', `label_format: label ${JSON.stringify(it.dst)} appears more than once in one expression`);
    }
    seen.add(it.dst);
  }
  const items = stage.items.map((it) => ({
    dst: it.dst,
    rename: it.rename,
    tpl: it.rename === undefined ? new Template(it.template ?? '') : undefined,
  }));
  const anyTemplate = items.some((i) => i.tpl !== undefined);
  return (s) => {
    // Every template in one label_format sees the labels as they were before the stage.
    const data = anyTemplate ? { ...s.result() } : undefined;
    for (const it of items) {
      if (it.rename !== undefined) {
        const v = s.get(it.rename);
        if (v === undefined) continue;
        s.set(it.dst, v);
        if (it.rename !== it.dst) s.del(it.rename);
        continue;
      }
      try {
        const c = it.tpl!.constant;
        s.set(it.dst, c !== undefined ? c : it.tpl!.render(data!, s.line, s.ts));
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        s.setError(ERR_TEMPLATE, e.message);
      }
    }
    return true;
  };
}
