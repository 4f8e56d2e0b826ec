/** What the log list hands to its owner: a filter a user asked for, and the context of a line. */
import type { LogRow } from '../../lib/loki.js';

/**
 * "Filter for" (`=`) or "Filter out" (`!=`) on one value of an expanded line. `source` says where the
 * value came from: a stream label (a selector matcher), structured metadata or a label the query's own
 * parsers produced (a label filter), or a field of the line that `parser` would extract.
 */
export interface LineFilter {
  source: 'label' | 'metadata' | 'parsed' | 'field';
  parser?: 'json' | 'logfmt';
  name: string;
  value: string;
  op: '=' | '!=';
}

/** The lines just before and after one line in its stream, both oldest first. */
export interface LineContext {
  before: LogRow[];
  after: LogRow[];
}
