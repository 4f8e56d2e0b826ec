import type { Labels } from '../../../../src/api/model.js';
import type { LabelFilterExpr, Matcher, PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import type { ProcessedEntry } from '../../../../src/logql/pipeline/types.js';

/** Runs one line through a pipeline built from hand-made AST stages. */
export function run(stages: PipelineStage[], line: string, labels: Labels = { job: 'x' }, ts = 0n, meta?: Labels): ProcessedEntry | null {
  return compilePipeline(stages).forStream(labels).process(ts, line, meta);
}

/** The labels of the result, or null when dropped. */
export function labelsOf(stages: PipelineStage[], line: string, labels: Labels = { job: 'x' }): Labels | null {
  const r = run(stages, line, labels);
  return r === null ? null : { ...r.labels };
}

export const contains = (...values: string[]): PipelineStage => ({ kind: 'line_filter', op: '|=', values: values.map((value) => ({ kind: 'string', value })) });
export const notContains = (...values: string[]): PipelineStage => ({ kind: 'line_filter', op: '!=', values: values.map((value) => ({ kind: 'string', value })) });
export const re = (...values: string[]): PipelineStage => ({ kind: 'line_filter', op: '|~', values: values.map((value) => ({ kind: 'string', value })) });
export const notRe = (...values: string[]): PipelineStage => ({ kind: 'line_filter', op: '!~', values: values.map((value) => ({ kind: 'string', value })) });
export const json = (...params: Array<[string, string?]>): PipelineStage => ({ kind: 'json', params: params.map(([label, expr]) => (expr === undefined ? { label } : { label, expr })) });
export const logfmt = (opts: { strict?: boolean; keepEmpty?: boolean } = {}, ...params: Array<[string, string?]>): PipelineStage => ({
  kind: 'logfmt',
  strict: opts.strict ?? false,
  keepEmpty: opts.keepEmpty ?? false,
  params: params.map(([label, expr]) => (expr === undefined ? { label } : { label, expr })),
});
export const lineFormat = (template: string): PipelineStage => ({ kind: 'line_format', template });
export const labelFilter = (expr: LabelFilterExpr): PipelineStage => ({ kind: 'label_filter', expr });
export const m = (name: string, op: Matcher['op'], value: string): Matcher => ({ name, op, value });
export const str = (name: string, op: Matcher['op'], value: string): LabelFilterExpr => ({ type: 'string', matcher: m(name, op, value) });
