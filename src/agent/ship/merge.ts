/**
 * Merging the streams of many items into one push request: entries of streams with the same label
 * set go into one stream, in the order the items came (per-stream order is what Loki checks).
 */
import { labelsToString, type StreamPush } from '../../api/model.js';

export function mergeStreams(groups: StreamPush[][]): StreamPush[] {
  if (groups.length === 1) return groups[0]!;
  const byKey = new Map<string, StreamPush>();
  for (const streams of groups) {
    for (const s of streams) {
      const key = labelsToString(s.labels);
      const into = byKey.get(key);
      if (into) {
        for (const e of s.entries) into.entries.push(e);
      } else {
        // A copy of the entries array: the caller's item stays as it was.
        byKey.set(key, { labels: s.labels, entries: s.entries.slice() });
      }
    }
  }
  return [...byKey.values()];
}
