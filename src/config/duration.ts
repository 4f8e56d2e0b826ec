/** Durations in configuration files use LogQL's syntax (30s, 15m, 7d, 1w). */
import { durationNsToMs } from '../api/time-units.js';
import { parseDuration } from '../logql/syntax/index.js';

export function parseDurationMs(text: string): number {
  return durationNsToMs(parseDuration(text));
}
