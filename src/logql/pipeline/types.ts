/**
 * The contract between the LogQL pipeline and its users (log and metric evaluation, tail).
 * `compilePipeline(stages)` in ./compile.ts turns AST stages into a Pipeline once per query.
 */
import type { Labels } from '../../api/model.js';

/** What a pipeline makes of one entry that passed every stage. */
export interface ProcessedEntry {
  /** The line after line_format (or the original line). */
  line: string;
  /**
   * The full label set after the pipeline: stream labels, structured metadata and extracted
   * labels, with label_format/drop/keep applied and `__error__`/`__error_details__` set on failures.
   * Evaluators split it into categories by comparing with the stream labels and the metadata.
   */
  labels: Labels;
}

/**
 * An entry that passed the pipeline, read in place: valid only until the stream pipeline's next
 * call. Metric queries that need a few labels of it (a grouping key) read those without the full
 * label set being built.
 */
export interface EntryView {
  readonly line: string;
  /** One label of the full set. */
  get(name: string): string | undefined;
  /** The full label set, as ProcessedEntry's (built on demand). */
  result(): Labels;
}

/** A pipeline bound to one stream's labels; reuse it for every entry of that stream. */
export interface StreamPipeline {
  /** Runs one entry through every stage; `null` when a filter drops it. */
  process(ts: bigint, line: string, metadata?: Labels): ProcessedEntry | null;
  /** `process`, answered as a view (see EntryView). */
  processView(ts: bigint, line: string, metadata?: Labels): EntryView | null;
}

export interface Pipeline {
  forStream(streamLabels: Labels): StreamPipeline;
  /** True when the pipeline has no stages at all (entries and labels pass unchanged). */
  readonly empty: boolean;
  /**
   * True when a stage reads the entry's timestamp (templates: `line_format`, `label_format`). When
   * false, callers may pass any `ts` to process/processView (the range aggregation's hot loop
   * then makes no bigint per entry).
   */
  readonly readsTimestamp: boolean;
}

/**
 * Facts about the leading line filters that the store can use to skip blocks and lines before
 * the pipeline runs: every entry the pipeline accepts contains, for each group, at least one of
 * the group's strings (case-sensitive literal substrings).
 */
export interface FilterHints {
  /** AND of OR-groups of literal substrings. Empty when nothing is known. */
  required: string[][];
  /** The same, compared case-insensitively (from `|~ "(?i)..."` of a plain literal), lower-cased. */
  requiredInsensitive: string[][];
}
