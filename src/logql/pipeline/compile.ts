/**
 * Compiles LogQL pipeline stages into a Pipeline (see ./types.ts). Everything that can fail on
 * the query text (regexes, patterns, templates, ip ranges) fails here, once per query, with a
 * parse_error; per-entry problems become `__error__` labels instead.
 */
import type { Labels } from '../../api/model.js';
import type { PipelineStage } from '../syntax/ast.js';
import { compileDrop, compileKeep } from './drop-keep.js';
import { EntryState, ERROR_DETAILS_LABEL, ERROR_LABEL, getLabel, withMetadata, type Stage } from './entry.js';
import { compileLabelFormat, compileLineFormat } from './format.js';
import { compileLabelFilter } from './label-filter.js';
import { LabelWants, MAX_WANTED } from './label-hints.js';
import { compileLineFilter, type LinePredicate } from './line-filter.js';
import {
  compileDecolorize,
  compileJson,
  compileLogfmt,
  compilePatternParser,
  compileRegexpParser,
  compileUnpack,
  type ParserErrors,
} from './parsers.js';
import type { EntryView, Pipeline, ProcessedEntry, StreamPipeline } from './types.js';

export { extractFilterHints } from './hints.js';

type StageFactory = () => Stage;

export interface CompileOptions {
  /**
   * Parser hints (./label-hints.ts `requiredLabels`): the only labels anything after the pipeline
   * and its own stages read. `json` and `logfmt` without parameters then extract just those.
   * Null or absent: every label.
   */
  labels?: ReadonlySet<string> | null;
}

/** How a parser followed by `next` treats its errors (ParserErrors in ./parsers.ts). */
function parserErrors(next: PipelineStage | undefined): ParserErrors {
  if (next?.kind === 'drop') {
    const bare = (name: string) => next.items.some((it) => it.name === name && it.matcher === undefined);
    if (bare(ERROR_LABEL) && bare(ERROR_DETAILS_LABEL)) return 'clear';
  }
  if (next?.kind === 'label_filter' && next.expr.type === 'string') {
    const m = next.expr.matcher;
    if (m.name === ERROR_LABEL && m.op === '=' && m.value === '') return 'drop';
  }
  return 'label';
}

function stageFactory(st: PipelineStage, wants: LabelWants | null, next: PipelineStage | undefined): StageFactory {
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
      return () => compileJson(st, wants, parserErrors(next));
    case 'logfmt':
      compileLogfmt(st);
      return () => compileLogfmt(st, wants, parserErrors(next));
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

  private readonly view = new LabelsView();

  processView(ts: bigint, line: string, metadata?: Labels): EntryView | null {
    const r = this.process(ts, line, metadata);
    if (r === null) return null;
    this.view.line = r.line;
    this.view.labels = r.labels;
    return this.view;
  }
}

/** An EntryView over a finished label set. */
class LabelsView implements EntryView {
  line = '';
  labels: Labels = {};
  get(name: string): string | undefined {
    return getLabel(this.labels, name);
  }
  result(): Labels {
    return this.labels;
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
    const s = this.processView(ts, line, metadata);
    return s === null ? null : { line: s.line, labels: s.result() };
  }

  processView(ts: bigint, line: string, metadata?: Labels): EntryState | null {
    const s = this.state;
    s.reset(ts, line, metadata);
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) if (!stages[i]!(s)) return null;
    return s;
  }
}

/**
 * Compiles pipeline stages once per query. Throws LogwharfError('parse_error') for invalid
 * regexes, patterns, templates (including unknown functions), json paths and ip ranges.
 */
export function compilePipeline(stages: readonly PipelineStage[], opts: CompileOptions = {}): Pipeline {
  const labels = opts.labels ?? null;
  let wants = labels !== null ? new LabelWants(labels) : null;
  // A bit per name per line (logfmt's probes): beyond that, extract everything.
  if (wants !== null && wants.names.length > MAX_WANTED) wants = null;
  const factories = stages.map((st, i) => stageFactory(st, wants, stages[i + 1]));
  const onlyLineFilters = stages.every((s) => s.kind === 'line_filter');
  const preds = onlyLineFilters ? stages.map((s) => compileLineFilter(s as Extract<PipelineStage, { kind: 'line_filter' }>)) : [];
  return {
    empty: stages.length === 0,
    readsTimestamp: stages.some((s) => s.kind === 'line_format' || s.kind === 'label_format'),
    forStream(streamLabels: Labels): StreamPipeline {
      if (onlyLineFilters) return new FilterOnlyStream(streamLabels, preds);
      return new GeneralStream(
        streamLabels,
        factories.map((f) => f()),
      );
    },
  };
}
