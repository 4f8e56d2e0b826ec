/**
 * Structured metadata of the entries the pipeline emits: `detected_level` (Loki 3's name, found with
 * the same code the server uses, so both agree) and `truncated="true"` on the pieces of a split line.
 *
 * Entries share one frozen metadata object per distinct (level, truncated) pair instead of one
 * object per entry: the agent emits hundreds of thousands of entries a second and there are only a
 * handful of levels.
 */
import { DETECTED_LEVEL, detectLevel } from '../../api/detect-level.js';
import type { Labels } from '../../api/model.js';

const TRUNCATED = 'truncated';
const shared = new Map<string, Labels>();
const sharedTruncated = new Map<string, Labels>();
const TRUNCATED_ONLY: Labels = Object.freeze({ [TRUNCATED]: 'true' });
// Level values from a stream label are kept as sent (as Loki does), so they are unbounded in
// principle; past this many the objects are made per entry rather than cached.
const MAX_SHARED = 256;

/** The metadata of one entry; undefined when it has none. The object is shared: never mutate it. */
export function entryMetadata(level: string | undefined, truncated: boolean): Labels | undefined {
  if (level === undefined) return truncated ? TRUNCATED_ONLY : undefined;
  const cache = truncated ? sharedTruncated : shared;
  let m = cache.get(level);
  if (m === undefined) {
    const made: Labels = { [DETECTED_LEVEL]: level };
    if (truncated) made[TRUNCATED] = 'true';
    m = Object.freeze(made);
    if (cache.size < MAX_SHARED) cache.set(level, m);
  }
  return m;
}

/** The detected_level of an entry of a stream whose labels give `streamLevel` (undefined when they name none). */
export function entryLevel(streamLevel: string | undefined, line: string): string {
  return detectLevel(streamLevel, undefined, line);
}
