/**
 * Compiles LogQL pipeline stages into a Pipeline (see ./types.ts). Everything that can fail on
 * the query text (regexes, patterns, templates, ip ranges) fails here, once per query, with a
 * parse_error; per-entry problems become `__error__` labels instead.
 */
import type { Labels } from '../../api/model.js';
import type { PipelineStage } from '../syntax/ast.js';
import { compileDrop, compileKeep } from './drop-keep.js';
import { EntryState, withMetadata, type Stage } from './entry.js';
import { compileLabelFormat, compileLineFormat } from './format.js';
import { compileLabelFilter } from './label-filter.js';
import { compileLineFilter, type LinePredicate } from './line-filter.js';
import {
  compileDecolorize,
  compileJson,
  compileLogfmt,
  compilePatternParser,
  compileRegexpParser,
  compileUnpack,
} from './parsers.js';
import type { Pipeline, ProcessedEntry, StreamPipeline } from './types.js';

export { extractFilterHints } from './hints.js';

type StageFactory = () => Stage;

function stageFactory(st: PipelineStage): StageFactory {
  switch (st.kind) {
    case 'line_filter': {
      const p = compileLineFilter(st);
      return () => (s) => p(s.line);
    }
    case 'label_filter': {
      const p = compileLabelFilter(st.expr);
      return () => p;
    }
    case 'decolorize':
      return compileDecolorize;
    case 'drop': {
      const f = compileDrop(st);
      return () => f;
    }
    case 'keep': {
      const f = compileKeep(st);
      return () => f;
    }
    case 'line_format': {
      const f = compileLineFormat(st);
      return () => f;
    }
    case 'label_format': {
      const f = compileLabelFormat(st);
      return () => f;
    }
    // Parsers keep per-instance scratch state, so each stream pipeline gets its own; the stage is
    // compiled once here to report errors now.
    case 'json':
      compileJson(st);
      return () => compileJson(st);
    case 'logfmt':
      compileLogfmt(st);
      return () => compileLogfmt(st);
    case 'regexp':
      compileRegexpParser(st);
      return () => compileRegexpParser(st);
    case 'pattern':
      compilePatternParser(st);
      return () => compilePatternParser(st);
    case 'unpack':
      return compileUnpack;
  }
}

/** A pipeline of line filters only: no per-entry state, stream labels returned as they are. */
class FilterOnlyStream implements StreamPipeline {
  constructor(
    private readonly labels: Labels,
    private readonly preds: LinePredicate[],
  ) {}

  process(_ts: bigint, line: string, metadata?: Labels): ProcessedEntry | null {
    const preds = this.preds;
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(line)) return null;
    return { line, labels: withMetadata(this.labels, metadata) };
  }
}

class GeneralStream implements StreamPipeline {
  private readonly state: EntryState;
  constructor(
    labels: Labels,
    private readonly stages: Stage[],
  ) {
    this.state = new EntryState(labels);
  }

  process(ts: bigint, line: string, metadata?: Labels): ProcessedEntry | null {
    const s = this.state;
    s.reset(ts, line, metadata);
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) if (!stages[i]!(s)) return null;
    return { line: s.line, labels: s.result() };
  }
}

/**
 * Compiles pipeline stages once per query. Throws LogwharfError('parse_error') for invalid
 * regexes, patterns, templates (including unknown functions), json paths and ip ranges.
 */
export function compilePipeline(stages: readonly PipelineStage[]): Pipeline {
  const factories = stages.map(stageFactory);
  const onlyLineFilters = stages.every((s) => s.kind === 'line_filter');
  const preds = onlyLineFilters ? stages.map((s) => compileLineFilter(s as Extract<PipelineStage, { kind: 'line_filter' }>)) : [];
  return {
    empty: stages.length === 0,
    forStream(streamLabels: Labels): StreamPipeline {
      if (onlyLineFilters) return new FilterOnlyStream(streamLabels, preds);
      return new GeneralStream(
        streamLabels,
        factories.map((f) => f()),
      );
    },
  };
}
