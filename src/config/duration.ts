/** Durations in configuration files use LogQL's syntax (30s, 15m, 7d, 1w). */
import { durationNsToMs } from '../api/time-units.js';
// The duration module alone: the agent needs durations, not the LogQL parser (issue #17).
import { parseDuration } from '../logql/syntax/duration.js';

export function parseDurationMs(text: string): number {
  return durationNsToMs(parseDuration(text));
}
